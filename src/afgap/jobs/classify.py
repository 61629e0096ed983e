"""The `classify` job: relabel stored responses. Labels sit beside responses; a response is never changed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afgap.classify.agreement import Agreement, af_agreement, outcome_agreement
from afgap.classify.labels import default_labels
from afgap.classify.screen import screen_label
from afgap.classify.tags import classify_response
from afgap.engine.run import EngineOptions
from afgap.errors import InputError
from afgap.jobs.antilab import AntiLabSummary, anti_lab_response_ids, classify_offline, judge_anti_lab
from afgap.jobs.judge import JudgeSummary, judge_stored
from afgap.jobs.judge_prompts import load_judge_prompts
from afgap.jobs.progress import Progress
from afgap.records import Label
from afgap.settings import DEFAULT_TIMEOUT_S, MAX_CONCURRENCY, check_at_most, check_timeout
from afgap.store.database import open_store

BATCH = 2000
OFFLINE = ("tags", "screen")


def offline_labels(text: str | None, reasoning: str | None, only: str | None = None) -> list[Label]:
    """The offline labels for one response: both by default, or just the tag parser's or the screen's."""
    if only is None:
        return default_labels(text, reasoning)
    if only == "tags":
        return [classify_response(text, reasoning)]
    return [screen_label(text, reasoning)]


def reclassify(db: Path, only: str | None = None) -> int:
    """Run the offline classifiers over every answered response; returns how many were labelled."""
    if only is not None and only not in OFFLINE:
        raise InputError(f"offline classifier must be one of {', '.join(OFFLINE)}, got {only!r}")
    count = 0
    with open_store(db, create=False) as store:
        batch: list[tuple[int, Label]] = []
        for item in store.responses_to_classify():
            batch.extend(
                (item.response_id, label) for label in offline_labels(item.text, item.reasoning, only)
            )
            count += 1
            if len(batch) >= BATCH:
                store.write_labels(batch)
                batch = []
        if batch:
            store.write_labels(batch)
    return count


def judge(
    db: Path,
    model: str,
    env: Mapping[str, str],
    votes: int,
    threshold: float,
    concurrency: int,
    progress: Progress | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    prompt_files: Sequence[str] = (),
    formats: Sequence[str] = (),
) -> JudgeSummary:
    """Label every stored response with an LLM judge, `concurrency` judge calls in flight.

    `timeout_s` bounds each attempt, as collect's --timeout does; a timed-out attempt is retried.
    `prompt_files` (`KIND=FILE`) and `formats` are `--judge-prompt` and `--judge-format`.
    """
    prompts = load_judge_prompts(prompt_files, formats)
    if concurrency < 1:
        raise InputError(f"--concurrency must be an integer at least 1, got {concurrency}")
    check_at_most("--concurrency", concurrency, MAX_CONCURRENCY)
    check_timeout(timeout_s)
    options = EngineOptions(concurrency=concurrency, timeout_s=timeout_s)
    return judge_stored(db, model, env, votes, threshold, options, progress, anti_lab_response_ids, prompts)


def anti_lab(
    db: Path,
    model: str | None,
    env: Mapping[str, str],
    votes: int,
    concurrency: int,
    progress: Progress | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> AntiLabSummary:
    """Label the anti-lab responses: offline (model None), or with `votes` anti-lab judge readings each."""
    if model is None:
        return classify_offline(db)
    check_at_most("--concurrency", concurrency, MAX_CONCURRENCY)
    check_timeout(timeout_s)
    options = EngineOptions(concurrency=concurrency, timeout_s=timeout_s)
    return judge_anti_lab(db, model, env, votes, options, progress)


@dataclass(frozen=True)
class LabelAgreement:
    """The tag parser against the LLM judges on outcomes, and the AF screen against them on AF reasoning."""

    judges: tuple[str, ...]
    outcome: Agreement
    af_reasoning: Agreement

    def document(self) -> dict[str, Any]:
        """The `classify --agreement --format json` document."""
        return {
            "first": "tags",
            "second": list(self.judges),
            "outcome": self.outcome.as_dict(),
            "af_reasoning_screen_vs_judge": self.af_reasoning.as_dict(),
        }


def label_agreement(db: Path) -> LabelAgreement:
    """Agreement over the responses both families labelled; InputError when no judge has labelled any."""
    with open_store(db, readonly=True) as store:
        pairs = store.label_pairs("tags", "judge")
        af_pairs = store.label_pairs("screen", "judge")
    if not pairs:
        raise InputError(f"no response in {db} has both tag and judge labels: run `afgap classify --judge M`")
    return LabelAgreement(
        tuple(sorted({p.second_classifier for p in pairs})),
        outcome_agreement([(p.first, p.second) for p in pairs]),
        af_agreement([(p.first_af, p.second_af) for p in af_pairs]),
    )
