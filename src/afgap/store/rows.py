"""What afgap's records look like as store rows: plain values, no SQL (that is store.py's).

The collect writer builds response rows in the collect process and pickles them to its child process,
which hands them to Store.write_rows; labels become their table columns here too.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from typing import Any

from afgap.records import CallRecord, InterchangeRecord, Label, Message, Sampling


def timestamp() -> str:
    """Now, as the store records times: UTC, ISO 8601, to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# Which label a report uses when several exist for one response: the strongest present.
CLASSIFIER_STRENGTH = {"tags": 0, "screen": 1, "import": 2, "judge": 3}


def classifier_strength(classifier: str) -> int:
    """Strength of a classifier name such as 'tags@1' or 'judge:openai/gpt-4o@1'."""
    family = classifier.split("@")[0].split(":")[0]
    return CLASSIFIER_STRENGTH.get(family, 0)


# A response as the values the store inserts, in order, but for the messages' JSON where the prompt id
# goes (Store.write_rows swaps them); plain tuples pickle fast to the writer process.
ResponseRow = tuple[Any, ...]
HASH_COLUMN, MESSAGES_COLUMN = 1, 10


def response_row(record: CallRecord, run_id: int, query_text: str | None, now: str) -> ResponseRow:
    """The stored row of a finished call (request hash at HASH_COLUMN, messages at MESSAGES_COLUMN)."""
    plan = record.plan
    return (
        run_id, plan.request_hash, plan.spec.model, plan.spec.provider, plan.scenario,
        plan.scenario_hash, plan.query_id, query_text, plan.condition.value, plan.sample,
        _messages_json(record.messages_sent), _sampling_json(plan.sampling), record.status,
        record.text, record.reasoning, record.provider_model, record.finish_reason, record.tokens_in,
        record.tokens_out, record.cost_usd, record.latency_s, record.attempts, record.turns,
        int(record.api_refusal), int(record.simulated), record.error_class, record.error_message, now,
    )  # fmt: skip


def label_fields(label: Label) -> tuple[Any, ...]:
    """(classifier, strength, outcome, af_reasoning, rule, score): a label as its table columns."""
    af = None if label.af_reasoning is None else int(label.af_reasoning)
    return (
        label.classifier,
        classifier_strength(label.classifier),
        label.outcome.value,
        af,
        label.rule,
        label.score,
    )


def import_key(record: InterchangeRecord) -> str:
    """The request-hash stand-in for an imported record: its cell, which is unique by definition."""
    cell = [record.model, record.scenario, record.query_id, record.condition.value, record.sample]
    return "import:" + json.dumps(cell, separators=(",", ":"))


@functools.lru_cache(maxsize=64)
def _sampling_json(sampling: Sampling) -> str:
    return sampling.model_dump_json()


@functools.lru_cache(maxsize=4096)
def _messages_json(messages: tuple[Message, ...]) -> str:
    """The stored JSON of a conversation; the same rendered prompt recurs across samples and models."""
    return json.dumps([m.model_dump() for m in messages])
