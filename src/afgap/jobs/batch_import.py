"""`afgap batch import`: the result file of an offline batch run, stored as the live calls would have been.

All or nothing: every line is read and checked first (its custom id one this store exported, once in the
file; its reply the wire's shape), and one bad line names FILE:LINE and stores nothing. Then one
transaction stores each finished call (`source` batch), adds the continuation turn a reply that stopped
inside the scratchpad still needs, and marks each line answered, so importing a file again stores nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from afgap.classify.labels import default_labels
from afgap.engine.pricing import load_prices
from afgap.errors import InputError
from afgap.files import read_jsonl
from afgap.jobs.batch_export import TurnState, conversation, custom_id, turn_request
from afgap.providers.batchfile import URLS, Failed, ResultLine, read_result
from afgap.providers.conversation import Transcript, needs_continuation, sent_messages
from afgap.providers.transport import Reply
from afgap.providers.wire import one_line
from afgap.records import CallPlan, CallRecord, CallStatus, Completion
from afgap.settings import DEFAULT_LOCK_TIMEOUT_S, MAX_LOCK_TIMEOUT_S, check_at_most
from afgap.store import batchfiles
from afgap.store.busy import Patience
from afgap.store.database import Store, open_store
from afgap.store.rows import BatchExportRow, messages_json, response_row, timestamp
from afgap.store.writes import Collected

SOURCE = "batch"  # the `source` of a response stored from a batch result file


@dataclass(frozen=True)
class ImportSummary:
    """What an import did with each line of the file."""

    lines: int
    stored: int = 0  # finished calls stored (answered, or failed as a live call would be)
    failed: int = 0  # of those, calls that ended in an error or as unavailable
    continuations: int = 0  # replies that stopped in the scratchpad: their next turn waits for an export
    already: int = 0  # lines answered by an earlier import, or whose call the store already holds


@dataclass
class _Plan:
    """What the checked file comes to: calls to store, turns to add, lines answered."""

    records: list[tuple[CallRecord, str | None]] = dataclasses.field(default_factory=list)
    turns: list[batchfiles.Exported] = dataclasses.field(default_factory=list)
    answered: list[str] = dataclasses.field(default_factory=list)
    already: int = 0


def import_batch(path: Path, db: Path, lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> ImportSummary:
    """Store each line of a batch result file exactly once; InputError naming FILE:LINE if one is bad."""
    if not lock_timeout_s >= 0:
        raise InputError(f"--lock-timeout must be a number of seconds >= 0, got {lock_timeout_s:g}")
    check_at_most("--lock-timeout", lock_timeout_s, MAX_LOCK_TIMEOUT_S)
    results = _read(path)
    with open_store(db, create=False, patience=Patience(lock_timeout_s)) as store:
        known = batchfiles.exported(store, [line.custom_id for _, line in results])
        checked = []
        for number, line in results:
            entry = known.get(line.custom_id)
            if entry is None:
                raise InputError(
                    f"{path}:{number}: custom_id {line.custom_id[:80]!r} is not a request "
                    f"`afgap batch export` wrote from {db}; nothing was stored"
                )
            row, messages = entry
            plan = batchfiles.stored_plan(row.plan, messages)
            checked.append((row, plan, _reply(path, number, row, plan, line)))
        todo = _resolve(store, checked, timestamp())
        if todo.records or todo.turns or todo.answered:
            _commit(store, path, todo)
    failed = sum(1 for record, _ in todo.records if record.status != "ok")
    return ImportSummary(len(results), len(todo.records), failed, len(todo.turns), todo.already)


def _read(path: Path) -> list[tuple[int, ResultLine]]:
    """Every line of the file, checked for shape and for a custom id given twice."""
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a batch result file")
    seen: dict[str, int] = {}
    lines = []
    for number, line in read_jsonl(path, ResultLine):
        first = seen.setdefault(line.custom_id, number)
        if first != number:
            raise InputError(
                f"{path}:{number}: custom_id {line.custom_id[:80]!r} appears again (first on line {first}); "
                "nothing was stored"
            )
        lines.append((number, line))
    return lines


def _reply(
    path: Path, number: int, row: BatchExportRow, plan: CallPlan, line: ResultLine
) -> Completion | Failed:
    spec = plan.spec
    try:
        return read_result(spec, line)
    except ValueError as exc:
        raise InputError(
            f"{path}:{number}: not a {URLS[spec.wire]} reply for {row.model}: {one_line(str(exc), 120)}; "
            "nothing was stored"
        ) from None


def _resolve(
    store: Store, checked: Sequence[tuple[BatchExportRow, CallPlan, Completion | Failed]], now: str
) -> _Plan:
    """Each line's effect: a finished call, a continuation turn, or nothing (already stored)."""
    done = store.completed_hashes()
    prices = load_prices(None)
    todo = _Plan()
    for row, plan, reply in checked:
        if row.imported_at is not None or row.request_hash in done:
            todo.already += 1
            continue
        state = TurnState.loads(row.state)
        body, prefill = turn_request(plan, state)
        sent = conversation(plan, state)
        transcript = Transcript(
            sent_messages(plan, sent, body, prefill) or sent,
            plan.spec.simulated,
            parts=list(state.parts),
            reasoning=list(state.reasoning),
            tokens_in=state.tokens_in,
            tokens_out=state.tokens_out,
            attempts=row.turn - 1,
            api_refusal=state.api_refusal,
        )
        todo.answered.append(row.custom_id)
        if isinstance(reply, Failed):
            status: CallStatus = "unavailable" if reply.info.kind == "unavailable" else "error"
            record = transcript.failed(plan, status, reply.info.error_class, reply.info.message)
        else:
            text = transcript.add(Reply(reply, plan.spec.simulated, 1), prefill)
            if row.turn < plan.max_turns and needs_continuation(transcript.text, reply, text):
                todo.turns.append((_next_turn(row, transcript, now), batchfiles.messages_json(plan)))
                continue
            cost = prices.cost(plan.spec, transcript.tokens_in, transcript.tokens_out)
            record = transcript.record(plan, cost)
        todo.records.append((record, row.query_text))
        done.add(row.request_hash)  # another line finishing the same call in this file is not stored again
    return todo


def _next_turn(row: BatchExportRow, transcript: Transcript, now: str) -> BatchExportRow:
    state = TurnState(
        list(transcript.parts),
        list(transcript.reasoning),
        transcript.tokens_in,
        transcript.tokens_out,
        transcript.api_refusal,
    )
    turn = row.turn + 1
    return row._replace(
        custom_id=custom_id(row.request_hash, turn),
        turn=turn,
        state=state.dumps(),
        exported_at=now,
        imported_at=None,
    )


def _commit(store: Store, path: Path, todo: _Plan) -> None:
    run_id = store.start_run("afgap batch import", {"file": str(path), "lines": len(todo.answered)})
    now = timestamp()
    items: list[Collected] = [
        (
            # No latency was measured: the runner's wall time is not one call's.
            response_row(record, run_id, query_text, now)._replace(source=SOURCE, latency_s=None),
            messages_json(record),
            default_labels(record.text, record.reasoning, record.api_refusal)
            if record.status == "ok"
            else [],
        )
        for record, query_text in todo.records
    ]
    batchfiles.commit_import(store, items, todo.turns, todo.answered, now)
    store.finish_run(run_id)
