"""The `classify --judge` job: ask LLM judges about stored responses through the collection engine.

Every judge question is a CallPlan with its own request hash (judge model, prompt, the text judged, vote
index, retry), so replies are cached in the store's `judge_calls` table the moment they arrive and a
rerun sends only what is missing. A reply that does not parse is asked again once, with the bad reply
shown back; if that fails too the vote is unparseable and counted. Judge labels sit beside responses in
`labels`; a response is never changed.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from afgap.classify.judge_calls import Ask, Prompts, asks_for, classifier_name, plan_for
from afgap.classify.judges import (
    JUDGES,
    AfVote,
    ComplianceVerdict,
    CriteriaVote,
    JudgedResponse,
    JudgeName,
    PartialVerdict,
    Reading,
    combine,
    judge_messages,
    load_prompt,
)
from afgap.classify.prompt_files import PromptFile
from afgap.classify.tags import split_response
from afgap.engine import eventloop
from afgap.engine.run import EngineOptions, ProgressEvent, run_calls
from afgap.errors import InputError, PartialFailure
from afgap.providers.registry import api_key, bind_simulator, resolve
from afgap.records import CallPlan, CallRecord, Label, Message, ModelSpec, Outcome
from afgap.settings import DEFAULT_AF_THRESHOLD, DEFAULT_VOTES, MAX_VOTES, check_at_most
from afgap.store.database import Store, open_store
from afgap.store.rows import JudgeCallRow, timestamp

Progress = Callable[[ProgressEvent], None]


@dataclass
class AskStats:
    """What asking cost: calls answered from the cache, sent, retried, failed, and unparseable after retry."""

    cached: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unavailable: int = 0
    unparseable: Counter[str] = field(default_factory=Counter)
    first_error: str = ""


Answers = dict[tuple[int, JudgeName, int], Reading | None]


@contextlib.contextmanager
def judge_spec(model: str, env: Mapping[str, str]) -> Iterator[ModelSpec]:
    """Resolve the judge model (key checked first); a `sim/…` judge gets a loopback simulator."""
    spec = resolve(model, env)
    api_key(spec, env)
    if spec.provider != "sim":
        yield spec
        return
    from afgap.sim.server import start_in_thread

    with start_in_thread() as sim:
        yield bind_simulator(spec, sim.base_url)


class ReplyCache:
    """Judge replies by request hash: in memory, and in the store when one is given."""

    def __init__(self, store: Store | None, judge_model: str) -> None:
        self.store, self.judge_model = store, judge_model
        self.replies: dict[str, str] = {}

    def load(self, hashes: Sequence[str]) -> None:
        """Read whatever the store already holds for these hashes."""
        if self.store is not None:
            self.replies.update(self.store.judge_replies(hashes))

    def add(self, records: Sequence[CallRecord], judges: Mapping[str, tuple[Ask, int]]) -> None:
        """Keep answered calls; commit them to the store at once (a crash loses only calls in flight)."""
        now = timestamp()
        rows = []
        for r in records:
            ask, retry = judges[r.plan.request_hash]
            self.replies[r.plan.request_hash] = r.text or ""
            rows.append(self._row(r, ask, retry, now))
        if self.store is not None and rows:
            self.store.write_judge_calls(rows)

    def _row(self, record: CallRecord, ask: Ask, retry: int, now: str) -> JudgeCallRow:
        """An answered judge call as the store caches it (tied to its response when one is stored)."""
        return JudgeCallRow(
            request_hash=record.plan.request_hash,
            response_id=ask.item if self.store else None,
            judge_model=self.judge_model,
            judge=ask.judge,
            vote=ask.vote,
            retry=retry,
            text=record.text or "",
            tokens_in=record.tokens_in,
            tokens_out=record.tokens_out,
            cost_usd=record.cost_usd,
            simulated=record.simulated,
            created_at=now,
        )


def ask_all(
    asks: Sequence[Ask],
    spec: ModelSpec,
    env: Mapping[str, str],
    cache: ReplyCache,
    options: EngineOptions,
    progress: Progress | None = None,
) -> tuple[Answers, AskStats]:
    """Every question answered (a verdict, or None = unparseable after one retry); failed calls are absent."""
    stats = AskStats()
    answers: Answers = {}
    pending = [(ask, plan_for(ask, spec)) for ask in asks]
    for retry in (0, 1):
        replies = _send(pending, retry, env, cache, options, stats, progress)
        again = []
        for ask, plan in pending:
            reply = replies.get(plan.request_hash)
            if reply is None:
                continue  # the call failed: no answer, so the response is left for a rerun
            verdict = ask.parse(reply)
            answers[(ask.item, ask.judge, ask.vote)] = verdict
            if verdict is None and retry == 0:
                again.append((ask, plan_for(ask, spec, 1, reply)))
            elif verdict is None:
                stats.unparseable[ask.judge] += 1
        stats.retried += len(again) if retry == 0 else 0
        pending = again
    return answers, stats


def _send(
    pending: Sequence[tuple[Ask, CallPlan]],
    retry: int,
    env: Mapping[str, str],
    cache: ReplyCache,
    options: EngineOptions,
    stats: AskStats,
    progress: Progress | None,
) -> dict[str, str]:
    """Replies for these plans: from the cache, else sent through the engine now."""
    by_hash = {plan.request_hash: (ask, retry) for ask, plan in pending}
    cache.load(list(by_hash))
    todo = [plan for _, plan in pending if plan.request_hash not in cache.replies]
    stats.cached += len(pending) - len(todo)
    if todo:
        done: list[CallRecord] = []

        def sink(record: CallRecord) -> None:
            if record.status == "ok":
                done.append(record)
                if len(done) >= 200:
                    cache.add(done, by_hash)
                    done.clear()
            stats.failed += record.status == "error"
            stats.unavailable += record.status == "unavailable"
            stats.first_error = stats.first_error or (record.error_message or "")

        try:
            summary = eventloop.run(run_calls(todo, env, sink, options, progress))
        finally:
            cache.add(done, by_hash)
        stats.sent += summary.done
    return {h: cache.replies[h] for h in by_hash if h in cache.replies}


@dataclass(frozen=True)
class JudgeSummary:
    """What `classify --judge` did."""

    classifier: str
    responses: int
    labelled: int
    stats: AskStats
    outcome_unparseable: int


def judge_stored(
    db: Path,
    model: str,
    env: Mapping[str, str],
    votes: int = DEFAULT_VOTES,
    threshold: float = DEFAULT_AF_THRESHOLD,
    options: EngineOptions | None = None,
    progress: Progress | None = None,
    exclude: Callable[[Store], set[int]] | None = None,
    prompts: Prompts | None = None,
) -> JudgeSummary:
    """Judge every answered response in the store and write one judge label per fully answered response.

    `exclude` names responses these judges do not read (anti-lab ones, which have their own judge);
    `prompts` are prompt files the user brought, in place of the built-in prompts of their judges.
    """
    name = classifier_name(model, prompts)
    _check(votes, threshold)
    with open_store(db, create=False) as store, judge_spec(model, env) as spec:
        skip = exclude(store) if exclude else set()
        items = [it for it in store.responses_to_judge() if it.response_id not in skip]
        per_item = {
            it.response_id: asks_for(it.response_id, it.text, it.reasoning, it.query, votes, prompts)
            for it in items
        }
        asks = [a for group in per_item.values() for a in group]
        cache = ReplyCache(store, model)
        answers, stats = ask_all(asks, spec, env, cache, options or EngineOptions(), progress)
        if stats.unavailable and len(answers) == 0:
            raise PartialFailure(
                f"judge model {model} is unavailable ({stats.first_error or 'not found'}); "
                "no labels were written and stored responses are untouched"
            )
        labels = _labels(per_item, answers, name, threshold, _versions(prompts))
        details = [(rid, label, json.dumps({"judge_model": model, **d})) for rid, label, d in labels]
        store.write_judge_labels(details)
    unparseable = sum(label.outcome is Outcome.UNPARSEABLE for _, label, _ in labels)
    summary = JudgeSummary(name, len(items), len(labels), stats, unparseable)
    if stats.failed or stats.unavailable:
        raise PartialFailure(
            f"{stats.failed} judge calls failed and {stats.unavailable} are unavailable; "
            f"{summary.labelled} of {summary.responses} responses labelled; rerun to resume"
        )
    return summary


def _versions(prompts: Prompts | None) -> list[str] | None:
    """The prompt each judge asked in, when any is a user's file (the label detail names them)."""
    if not prompts:
        return None
    return [prompts[j].version if j in prompts else load_prompt(j).version for j in JUDGES]


def _labels(
    per_item: Mapping[int, Sequence[Ask]],
    answers: Answers,
    classifier: str,
    threshold: float,
    versions: list[str] | None = None,
) -> list[tuple[int, Label, dict[str, object]]]:
    """A label for each response whose every question got a reply (parsed or unparseable)."""
    out = []
    for response_id, asks in per_item.items():
        keys = [(a.item, a.judge, a.vote) for a in asks]
        if not all(k in answers for k in keys):
            continue  # some call failed: leave this response for a rerun rather than judge it on part
        compliance = answers[(response_id, "compliance", 0)]
        partial = answers[(response_id, "partial", 0)]
        votes = tuple(answers[k] for k in keys if k[1] == "af-reasoning")
        judged = JudgedResponse(
            compliance if isinstance(compliance, ComplianceVerdict) else None,
            partial if isinstance(partial, PartialVerdict) else None,
            tuple(v if isinstance(v, AfVote | CriteriaVote) else None for v in votes),
        )
        label, detail = combine(judged, classifier, threshold, versions)
        out.append((response_id, label, detail))
    return out


def judge_scores(
    texts: Sequence[str],
    model: str,
    env: Mapping[str, str],
    judge: JudgeName = "af-reasoning",
    votes: int = DEFAULT_VOTES,
    options: EngineOptions | None = None,
    prompt: PromptFile | None = None,
) -> tuple[list[float | None], AskStats]:
    """A judge's score per labelled text (AF vote fraction, or StrongREJECT score); None = unparseable.

    `prompt` is a prompt file the user brought for this judge, in place of the built-in one.
    """
    _check(votes, DEFAULT_AF_THRESHOLD)
    asks = []
    for i, text in enumerate(texts):
        scratchpad, output = split_response(text)
        if judge == "af-reasoning":
            af = _score_messages(
                judge, prompt, output if output is not None else "", scratchpad or text, text
            )
            asks += [Ask(i, judge, vote, af, prompt) for vote in range(votes)]
        else:
            answer = output if output is not None else text
            asks.append(Ask(i, judge, 0, _score_messages(judge, prompt, answer, "", text), prompt))
    with judge_spec(model, env) as spec:
        answers, stats = ask_all(asks, spec, env, ReplyCache(None, model), options or EngineOptions())
    if stats.unavailable and not answers:
        raise PartialFailure(f"judge model {model} is unavailable ({stats.first_error or 'not found'})")
    if stats.failed or stats.unavailable:
        raise PartialFailure(f"{stats.failed + stats.unavailable} judge calls failed; nothing was scored")
    return [
        _score(judge, [answers[(a.item, a.judge, a.vote)] for a in asks if a.item == i])
        for i in range(len(texts))
    ], stats


def _score_messages(
    judge: JudgeName, prompt: PromptFile | None, answer: str, scratchpad: str, whole: str
) -> tuple[Message, ...]:
    """A labelled text's question: the built-in prompt, or the user's file (no request is known here)."""
    if prompt is None:
        return judge_messages(judge, None, answer, scratchpad)
    return prompt.messages(None, answer, scratchpad, whole)


def _score(judge: JudgeName, verdicts: Sequence[Reading | None]) -> float | None:
    parsed = [v for v in verdicts if v is not None]
    if not parsed:
        return None
    if judge == "af-reasoning":
        return sum(isinstance(v, AfVote | CriteriaVote) and v.positive for v in parsed) / len(parsed)
    first = parsed[0]
    return first.score if isinstance(first, ComplianceVerdict) else None


def _check(votes: int, threshold: float) -> None:
    if votes < 1:
        raise InputError(f"--votes must be at least 1, got {votes}")
    check_at_most("--votes", votes, MAX_VOTES)
    if not 0.0 < threshold <= 1.0:
        raise InputError(f"--threshold must be in (0, 1], got {threshold}")
