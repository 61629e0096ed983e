"""The store's side of offline batch files: the request lines exported, and an import committed whole.

Each line written to a batch file is a `batch_exports` row keyed by its custom id, holding the CallPlan it
belongs to (its messages stored once in `prompts`, like a response's), so an import can rebuild the call
exactly and refuse a reply to anything this store did not export.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from afgap.records import CallPlan, Message, ModelSpec, Sampling
from afgap.store.database import Store
from afgap.store.rows import BatchExportRow, PromptRow, insert_statement
from afgap.store.writes import Collected

_INSERT = insert_statement("batch_exports", verb="INSERT OR REPLACE")
_INSERT_PROMPT = insert_statement("prompts", verb="INSERT OR IGNORE")
_COLUMNS = ", ".join(f"e.{c}" for c in BatchExportRow._fields)
_SELECT = f"SELECT {_COLUMNS}, p.messages FROM batch_exports e JOIN prompts p ON p.id = e.prompt_id"
# SQLite's default limit on bound parameters is 999 in older builds.
_CHUNK = 500

# A line to remember: its row (prompt_id is filled in here) and the JSON of the plan's messages.
Exported = tuple[BatchExportRow, str]


def plan_json(plan: CallPlan) -> str:
    """A plan as `batch_exports` keeps it, without its messages (those go to `prompts`)."""
    fields = {
        "spec": plan.spec.model_dump(),
        "scenario": plan.scenario,
        "scenario_hash": plan.scenario_hash,
        "query_id": plan.query_id,
        "condition": plan.condition,
        "sample": plan.sample,
        "sampling": plan.sampling.model_dump(),
        "prefill": plan.prefill,
        "max_turns": plan.max_turns,
        "document": plan.document,
        "request_hash": plan.request_hash,
    }
    return json.dumps(fields, sort_keys=True)


def messages_json(plan: CallPlan) -> str:
    """The stored JSON of a plan's messages, as `prompts` holds a response's."""
    return json.dumps([m.model_dump() for m in plan.messages])


def stored_plan(plan: str, messages: str) -> CallPlan:
    """The CallPlan a `batch_exports` row and its prompt hold."""
    fields: dict[str, Any] = json.loads(plan)
    return CallPlan(
        **{
            **fields,
            "spec": ModelSpec.model_validate(fields["spec"]),
            "sampling": Sampling.model_validate(fields["sampling"]),
            "messages": tuple(Message.model_validate(m) for m in json.loads(messages)),
        }
    )


def record_exports(store: Store, lines: Sequence[Exported]) -> None:
    """Remember the lines of a batch file in one transaction; a first turn exported again starts afresh."""
    with store.transaction():
        # A call sent again from its first turn (its last round ended in an error) drops its old turns.
        firsts = [(row.request_hash,) for row, _ in lines if row.turn == 1]
        store.conn.executemany("DELETE FROM batch_exports WHERE request_hash = ? AND turn > 1", firsts)
        store.conn.executemany(_INSERT, [row._replace(prompt_id=_prompt_id(store, m)) for row, m in lines])


def _prompt_id(store: Store, messages: str) -> int:
    store.conn.execute(_INSERT_PROMPT, PromptRow(messages))
    found = store.conn.execute("SELECT id FROM prompts WHERE messages = ?", (messages,)).fetchone()
    return int(found[0])


def open_continuations(store: Store) -> list[Exported]:
    """Continuation turns exported or added by an import whose reply has not been imported yet."""
    return list(_rows(store, " WHERE e.turn > 1 AND e.imported_at IS NULL ORDER BY e.rowid", ()))


def exported(store: Store, custom_ids: Sequence[str]) -> dict[str, Exported]:
    """The remembered lines with these custom ids (absent ids are not in the answer)."""
    found: dict[str, Exported] = {}
    for start in range(0, len(custom_ids), _CHUNK):
        chunk = custom_ids[start : start + _CHUNK]
        where = f" WHERE e.custom_id IN ({', '.join('?' * len(chunk))})"
        found.update((row.custom_id, (row, m)) for row, m in _rows(store, where, chunk))
    return found


def _rows(store: Store, where: str, params: Sequence[object]) -> Iterator[Exported]:
    for values in store.conn.execute(_SELECT + where, tuple(params)).fetchall():
        yield BatchExportRow._make(values[:-1]), values[-1]


def commit_import(
    store: Store, items: Sequence[Collected], turns: Sequence[Exported], answered: Sequence[str], now: str
) -> None:
    """One transaction: the finished calls, the continuation turns they still need, each line answered."""

    def bookkeeping() -> None:
        store.conn.executemany(_INSERT, [row._replace(prompt_id=_prompt_id(store, m)) for row, m in turns])
        store.conn.executemany(
            "UPDATE batch_exports SET imported_at = ? WHERE custom_id = ?", [(now, c) for c in answered]
        )

    store.write_rows(items, now, also=bookkeeping)
