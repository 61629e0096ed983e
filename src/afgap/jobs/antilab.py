"""Anti-lab classification: which stored responses answer an anti-lab scenario, and their choices.

A scenario is anti-lab when its TOML says `measures = "anti-lab"`; the stored name is resolved as a
built-in. Offline, each response gets the `anti-lab@1` choice (decision tag, else cue list); with a judge
model, `votes` readings at T = 1 each, combined by majority. Choices sit beside responses in
`anti_lab_labels`; a response is never changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from afgap.classify.antilab import (
    AS_OUTCOME,
    MEASURE,
    AntiLabLabel,
    AntiLabVote,
    Choice,
    classify_anti_lab,
    combine_votes,
)
from afgap.classify.judge_calls import anti_lab_asks, classifier_name
from afgap.engine.run import EngineOptions
from afgap.errors import PartialFailure, ScenarioError
from afgap.jobs.judge import AskStats, Progress, ReplyCache, ask_all, judge_spec
from afgap.records import Outcome
from afgap.scenarios import builtin_scenario_names, load_scenario
from afgap.store.database import Store, StoredOutcome, ToJudge, open_store
from afgap.store.rows import AntiLabLabelRow, classifier_strength, timestamp


@dataclass(frozen=True)
class AntiLabSummary:
    """What an anti-lab classification did: responses read, labelled, and how their choices fell."""

    classifier: str
    responses: int
    labelled: int
    choices: dict[str, int]
    stats: AskStats | None = None


def anti_lab_scenarios(names: Sequence[str], stored: Sequence[str] = ()) -> list[str]:
    """The names among these that are anti-lab scenarios: `stored` (the store's designs say so: any
    scenario collected since they record it, a file too) or built-ins whose TOML says so."""
    builtins = set(builtin_scenario_names())
    found = []
    for name in names:
        if name in stored:
            found.append(name)
            continue
        if name not in builtins:
            continue
        try:
            if load_scenario(name).measures == MEASURE:
                found.append(name)
        except ScenarioError:
            continue  # a broken built-in is the scenario loader's error to report, not this one's
    return found


def _anti_lab_responses(store: Store) -> list[ToJudge]:
    """Every answered response of the store's anti-lab scenarios."""
    names = anti_lab_scenarios(store.scenario_names(), store.anti_lab_designs())
    return store.responses_of_scenarios(names)


def anti_lab_response_ids(store: Store) -> set[int]:
    """The ids of answered responses whose scenario is anti-lab (the compliance judges skip them)."""
    return {item.response_id for item in _anti_lab_responses(store)}


def classify_offline(db: Path) -> AntiLabSummary:
    """Label every answered anti-lab response with the offline classifier (tag, else cue list)."""
    with open_store(db, create=False) as store:
        items = _anti_lab_responses(store)
        labels = [(it.response_id, classify_anti_lab(it.text, it.reasoning), None) for it in items]
        _write(store, labels)
    return _summary("anti-lab@1", len(items), labels)


def judge_anti_lab(
    db: Path,
    model: str,
    env: Mapping[str, str],
    votes: int,
    options: EngineOptions,
    progress: Progress | None = None,
) -> AntiLabSummary:
    """Ask the anti-lab judge `votes` times about each anti-lab response; majority vote per response."""
    with open_store(db, create=False) as store:
        items = _anti_lab_responses(store)
        if not items:
            return _summary(classifier_name(model), 0, [])
        with judge_spec(model, env) as spec:
            per_item = {
                it.response_id: anti_lab_asks(it.response_id, it.text, it.reasoning, it.query, votes)
                for it in items
            }
            asks = [a for group in per_item.values() for a in group]
            answers, stats = ask_all(asks, spec, env, ReplyCache(store, model), options, progress)
        labels = []
        for response_id, group in per_item.items():
            keys = [(a.item, a.judge, a.vote) for a in group]
            if not all(k in answers for k in keys):
                continue  # a call failed: left for a rerun rather than judged on part of its votes
            read = tuple(v if isinstance(v, AntiLabVote) else None for v in (answers[k] for k in keys))
            label, detail = combine_votes(read, classifier_name(model))
            labels.append((response_id, label, json.dumps({"judge_model": model, **detail})))
        _write(store, labels)
    summary = _summary(classifier_name(model), len(items), labels, stats)
    if stats.failed or stats.unavailable:
        raise PartialFailure(
            f"{stats.failed} anti-lab judge calls failed and {stats.unavailable} are unavailable; "
            f"{summary.labelled} of {summary.responses} anti-lab responses labelled; rerun to resume"
        )
    return summary


def _write(store: Store, labels: Sequence[tuple[int, AntiLabLabel, str | None]]) -> None:
    now = timestamp()
    rows = [
        AntiLabLabelRow(
            rid,
            lb.classifier,
            classifier_strength(lb.classifier),
            lb.choice.value,
            lb.rule,
            lb.score,
            detail,
            now,
        )
        for rid, lb, detail in labels
    ]
    if rows:
        store.write_anti_lab_labels(rows)


def _summary(
    classifier: str,
    responses: int,
    labels: Sequence[tuple[int, AntiLabLabel, str | None]],
    stats: AskStats | None = None,
) -> AntiLabSummary:
    choices = {c.value: sum(lb.choice is c for _, lb, _ in labels) for c in Choice}
    return AntiLabSummary(classifier, responses, len(labels), choices, stats)


def with_anti_lab_rows(
    store: Store, rows: Sequence[StoredOutcome], models: Sequence[str] | None, classifier: str | None
) -> tuple[list[StoredOutcome], set[str]]:
    """The rows with each anti-lab scenario's responses scored on its choice; and those scenario names.

    A choice enters the statistics as an outcome: took the offer = comply, declined = refuse, unclear
    (or not yet classified) = unparseable, so rates, the paired gap and the verdict are computed exactly
    as for compliance. `--classifier` picks anti-lab labels only when it names one of their families.
    """
    family = (
        classifier if classifier and classifier.split("@")[0].split(":")[0] in ("judge", "anti-lab") else None
    )
    choices = store.anti_lab_choices(models, family)
    names = {c.scenario for c in choices}
    scored = [
        StoredOutcome(
            c.model,
            c.scenario,
            c.scenario_hash,
            c.query_id,
            c.condition,
            c.sample,
            _outcome(c.status, c.choice),
            None,
            c.simulated,
            c.classifier,
        )
        for c in choices
    ]
    return [r for r in rows if r.scenario not in names] + scored, names


def _outcome(status: str, choice: str | None) -> Outcome:
    if status != "ok":
        return Outcome(status)
    return AS_OUTCOME[Choice(choice)] if choice else Outcome.UNPARSEABLE
