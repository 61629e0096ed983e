"""The store's rows: one typed row per table it writes, and the INSERT each generates.

A row's fields are its table's column names and hold the values as stored (text, numbers, and
booleans, which SQLite keeps as 0/1), so the column list and the INSERT come from the row type and
cannot fall out of step with it.
tests/store pins each row's fields to its table's columns in a freshly created store.

Rows are NamedTuples rather than dataclasses: the collect writer pickles a response row per call on
the event loop for its child process, and a NamedTuple pickles in about half the time of a slotted
dataclass and unpickles in a third (a frozen one needs Python-level state methods). Being tuples, rows
bind as SQL parameters as they are.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from afgap.errors import StoreError
from afgap.store.imports import LabelValues, import_values
from afgap.vocabulary import CONDITION_NAME, Design, Label, Outcome

if TYPE_CHECKING:  # pydantic-backed: the writer child never imports them (afgap.vocabulary says why)
    from afgap.records import CallRecord, InterchangeRecord, Message, Sampling


def timestamp() -> str:
    """Now, as the store records times: UTC, ISO 8601, to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# Which label a report uses when several exist for one response: the strongest present.
CLASSIFIER_STRENGTH = {"tags": 0, "screen": 1, "import": 2, "judge": 3}


@functools.cache  # a handful of names, looked up for every label the collect stores
def classifier_strength(classifier: str) -> int:
    """Strength of a classifier name such as 'tags@1' or 'judge:openai/gpt-4o@1'."""
    family = classifier.split("@")[0].split(":")[0]
    return CLASSIFIER_STRENGTH.get(family, 0)


class RunRow(NamedTuple):
    """One collect invocation in `runs` (finished_at is stamped when it ends)."""

    started_at: str
    afgap_version: str
    command: str
    settings: str
    finished_at: str | None = None


class PromptRow(NamedTuple):
    """One distinct conversation sent, in `prompts`; responses refer to it by prompt_id."""

    messages: str


class ResponseRow(NamedTuple):
    """One response in `responses`: a collected call's, or an imported record's.

    The defaults are the values of a response nobody measured (an import's): the schema's own
    defaults for attempts, turns, api_refusal and simulated, and no value for the rest.
    """

    source: str
    request_hash: str
    model: str
    provider: str
    scenario: str
    scenario_hash: str
    query_id: str
    condition: str
    sample: int
    status: str
    created_at: str
    run_id: int | None = None
    query_text: str | None = None
    prompt_id: int | None = None
    sampling: str | None = None
    text: str | None = None
    reasoning: str | None = None
    provider_model: str | None = None
    finish_reason: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None
    latency_s: float | None = None
    attempts: int = 1
    turns: int = 1
    api_refusal: bool = False
    simulated: bool = False
    error_class: str | None = None
    error_message: str | None = None
    cache_write_tokens: int | None = None
    cache_read_tokens: int | None = None


class LabelRow(NamedTuple):
    """One classifier's verdict on one response, in `labels` (detail: a judge's votes, as JSON)."""

    response_id: int
    classifier: str
    strength: int
    outcome: str
    af_reasoning: bool | None
    rule: str
    score: float | None
    created_at: str
    detail: str | None = None


class AntiLabLabelRow(NamedTuple):
    """One classifier's anti-lab choice on one response, in `anti_lab_labels` (detail: judge votes, JSON)."""

    response_id: int
    classifier: str
    strength: int
    choice: str
    rule: str
    score: float | None
    detail: str | None
    created_at: str


class JudgeCallRow(NamedTuple):
    """One answered LLM-judge call, in `judge_calls` (the judge's reply cache)."""

    request_hash: str
    response_id: int | None
    judge_model: str
    judge: str
    vote: int
    retry: int
    text: str
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: float | None
    simulated: bool
    created_at: str


class CollectorRow(NamedTuple):
    """A collect that holds claims, in `collectors`: who it is, to tell whether it still runs."""

    run_id: int
    pid: int
    host: str
    process_start: str | None  # the OS's start time of pid, so a reused pid is not taken for it
    heartbeat_at: str


class DesignRow(NamedTuple):
    """One scenario version's design, in `designs`: conditions and levels as JSON lists, in order."""

    scenario_hash: str
    scenario: str
    conditions: str
    reference: str
    levels: str
    measures: str = "compliance"  # or "anti-lab": what its responses are scored on


class ClaimRow(NamedTuple):
    """One call a running collect will send, in `claims`; deleted when that collect ends."""

    request_hash: str
    run_id: int


class BatchExportRow(NamedTuple):
    """One request line of an offline batch file, in `batch_exports` (plan and state as JSON)."""

    custom_id: str
    request_hash: str
    turn: int
    model: str
    scenario: str
    scenario_hash: str
    query_id: str
    condition: str
    sample: int
    query_text: str | None
    plan: str
    prompt_id: int
    state: str | None
    exported_at: str
    imported_at: str | None = None


class ProviderBatchRow(NamedTuple):
    """A batch submitted to a provider's batch API, in `provider_batches`; its calls as a JSON list."""

    batch_id: str
    provider: str
    model: str
    created_at: str
    status: str  # the vendor's word; "collected" once its results are stored
    request_hashes: str


# Each table's columns as its row writes them, in the order of the row's fields.
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "runs": RunRow._fields,
    "prompts": PromptRow._fields,
    "responses": ResponseRow._fields,
    "labels": LabelRow._fields,
    "judge_calls": JudgeCallRow._fields,
    "collectors": CollectorRow._fields,
    "claims": ClaimRow._fields,
    "designs": DesignRow._fields,
    "anti_lab_labels": AntiLabLabelRow._fields,
    "batch_exports": BatchExportRow._fields,
    "provider_batches": ProviderBatchRow._fields,
}


def insert_statement(table: str, *, verb: str = "INSERT", on_conflict: str = "") -> str:
    """The INSERT of one `table` row, its columns and placeholders in the order of the row's fields."""
    columns = COLUMNS[table]
    marks = ", ".join("?" * len(columns))
    statement = f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    return f"{statement} ON CONFLICT {on_conflict}" if on_conflict else statement


def response_row(record: CallRecord, run_id: int, query_text: str | None, now: str) -> ResponseRow:
    """The stored row of a finished call; its prompt_id is set when its conversation is stored."""
    return ResponseRow._make(response_values(record, run_id, query_text, now))


def response_values(record: CallRecord, run_id: int, query_text: str | None, now: str) -> tuple[object, ...]:
    """response_row's values as a plain tuple, in ResponseRow's order.

    The collect writer sends these to its child: built positionally and pickled as a plain tuple, a row
    costs about a fifth of a keyword-built NamedTuple, whose pickle also calls back into Python per row.
    """
    plan, spec = record.plan, record.plan.spec
    return (
        "collect",  # source
        plan.request_hash,
        spec.model,
        spec.provider,
        plan.scenario,
        plan.scenario_hash,
        plan.query_id,
        plan.condition,
        plan.sample,
        record.status,
        now,  # created_at
        run_id,
        query_text,
        None,  # prompt_id: set when the conversation is stored
        _sampling_json(plan.sampling),
        record.text,
        record.reasoning,
        record.provider_model,
        record.finish_reason,
        record.tokens_in,
        record.tokens_out,
        record.cost_usd,
        record.latency_s,
        record.attempts,
        record.turns,
        record.api_refusal,
        record.simulated,
        record.error_class,
        record.error_message,
        record.cache_write_tokens,
        record.cache_read_tokens,
    )


def messages_json(record: CallRecord) -> str:
    """The stored JSON of the conversation a finished call sent (a row in `prompts`)."""
    return _messages_json(record.messages_sent)


def imported_values(record: InterchangeRecord, now: str) -> tuple[object, ...]:
    """The stored values of an imported record (store.imports.IMPORT_COLUMNS): its cell, its answer."""
    failed = record.outcome if record.outcome in (Outcome.ERROR, Outcome.UNAVAILABLE) else None
    cell = (record.model, record.scenario, record.query_id, record.condition, record.sample)
    status = failed.value if failed else "ok"
    return import_values(cell, status, now, record.query, record.response, record.simulated)


def label_values(label: Label) -> LabelValues:
    """A label's stored values between its response's id and its time (an import's, and label_row's)."""
    strength = classifier_strength(label.classifier)
    return label.classifier, strength, label.outcome.value, label.af_reasoning, label.rule, label.score


def design_row(scenario_hash: str, scenario: str, design: Design, measures: str = "compliance") -> DesignRow:
    """A scenario version's design as stored, with what it measures."""
    check_conditions(design.conditions)
    return DesignRow(
        scenario_hash=scenario_hash,
        scenario=scenario,
        conditions=json.dumps(list(design.conditions)),
        reference=design.reference,
        levels=json.dumps(list(design.levels)),
        measures=measures,
    )


def stored_design(row: DesignRow) -> Design:
    """The Design a `designs` row holds."""
    return Design(tuple(json.loads(row.conditions)), row.reference, tuple(json.loads(row.levels)))


_CONDITION = re.compile(CONDITION_NAME)


def check_conditions(names: Iterable[str]) -> None:
    """StoreError unless every name is a condition name: the schema no longer lists the allowed ones."""
    for name in names:
        if not (isinstance(name, str) and _CONDITION.fullmatch(name)):
            raise StoreError(f"not storing condition {name!r}: not a condition name ({CONDITION_NAME})")


def label_row(response_id: int, label: Label, now: str, detail: str | None = None) -> LabelRow:
    """A label as stored beside its response."""
    # Positional: the collect writer makes two per reply, and keywords cost a NamedTuple twice as much.
    return LabelRow(response_id, *label_values(label), now, detail)


def run_row(version: str, command: str, settings: Mapping[str, Any]) -> RunRow:
    """A collect run as it starts."""
    settings_json = json.dumps(settings, sort_keys=True)
    return RunRow(started_at=timestamp(), afgap_version=version, command=command, settings=settings_json)


@functools.lru_cache(maxsize=64)
def _sampling_json(sampling: Sampling) -> str:
    return sampling.model_dump_json(exclude_none=True)


@functools.lru_cache(maxsize=4096)
def _messages_json(messages: tuple[Message, ...]) -> str:
    """The stored JSON of a conversation; the same rendered prompt recurs across samples and models."""
    return json.dumps([m.model_dump() for m in messages])
