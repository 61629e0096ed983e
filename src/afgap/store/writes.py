"""The store's writes: runs, collected calls with their conversations and labels, judge calls, imports.

Every write that touches more than one row is one transaction: it commits whole or not at all. The
INSERTs are generated from the typed rows (store/rows.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from afgap import __version__
from afgap.errors import StoreError
from afgap.store.busy import Patience, begin_immediate, store_failure
from afgap.store.names import NAMED, NameIds, stored_columns
from afgap.store.rows import (
    AntiLabLabelRow,
    JudgeCallRow,
    PromptRow,
    ResponseRow,
    check_conditions,
    design_row,
    imported_values,
    insert_statement,
    label_row,
    label_values,
    messages_json,
    response_row,
    run_row,
    timestamp,
)
from afgap.vocabulary import Design, Label

if TYPE_CHECKING:  # pydantic-backed: the writer child never imports them (afgap.vocabulary says why)
    from afgap.records import CallRecord, InterchangeRecord

_INSERT_RUN = insert_statement("runs")
_INSERT_PROMPT = insert_statement("prompts", verb="INSERT OR IGNORE")
# Into the table behind the `responses` view, id first: each name as its id in `names`.
_INSERT_RESPONSE = (
    f"INSERT INTO response_rows (id, {', '.join(stored_columns(ResponseRow._fields))}) "
    f"VALUES (?, {', '.join('?' * len(ResponseRow._fields))})"
)
_PROMPT_ID = ResponseRow._fields.index("prompt_id")
_NAMED_AT = tuple(1 + ResponseRow._fields.index(field) for field in NAMED)  # after the id
_LAST_ID = "SELECT COALESCE(MAX(id), 0) FROM response_rows"
# ON CONFLICT covers only the cell's uniqueness: NOT NULL and CHECK violations still raise.
_INSERT_LABEL = insert_statement("labels", verb="INSERT OR REPLACE")
_INSERT_JUDGE_CALL = insert_statement("judge_calls", verb="INSERT OR REPLACE")
# A scenario hash covers its design, so a stored design never changes.
_INSERT_DESIGN = insert_statement("designs", verb="INSERT OR IGNORE")
_INSERT_ANTI_LAB = insert_statement("anti_lab_labels", verb="INSERT OR REPLACE")

# A collected call for the store: its row, the JSON of the conversation it sent, and its labels.
Collected = tuple[ResponseRow, str, Sequence[Label]]
# The same call before labelling (the collect writer's unit): (text, reasoning, api_refusal) to label
# when it was answered, else None.
Answer = tuple[str | None, str | None, bool]
Item = tuple[ResponseRow, str, Answer | None]


class Writes:
    """The store's INSERTs and UPDATEs; mixed into Store, which owns the connection."""

    conn: sqlite3.Connection
    path: Path
    patience: Patience  # how long a write waits for another process's lock
    _prompt_ids: dict[str, int]  # messages JSON -> prompts.id, for this connection's writes
    name_ids: NameIds  # model, scenario, ... -> names.id, for this connection's writes

    @contextmanager
    def transaction(self, patience: Patience | None = None) -> Iterator[None]:
        """BEGIN IMMEDIATE (waiting out another writer) … COMMIT, or ROLLBACK on any error.

        A store that takes no write (disk full, read-only, locked past patience) raises StoreError naming
        the cause; SQLite has already rolled back after some of those, and a ROLLBACK then would fail with
        "no transaction is active" and hide the cause.
        """
        begin_immediate(self.conn, self.path, patience or self.patience)
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException as exc:
            self.name_ids.clear()  # ids of names inserted in this transaction are gone
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            failure = store_failure(exc, self.path)
            if failure is not None:
                raise failure from None
            raise

    # ---- runs -------------------------------------------------------------------------------------
    def start_run(self, command: str, settings: Mapping[str, Any]) -> int:
        """Record a collect invocation; the command line must already be free of secrets."""
        with self.transaction():
            cur = self.conn.execute(_INSERT_RUN, run_row(__version__, command, settings))
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, patience_s: float | None = None) -> None:
        """Stamp a run's end time (waiting `patience_s` for a lock, if given, else the store's patience)."""
        with self.transaction(None if patience_s is None else Patience(patience_s, self.patience.on_wait)):
            self.conn.execute("UPDATE runs SET finished_at = ? WHERE id = ?", (timestamp(), run_id))

    # ---- collection -------------------------------------------------------------------------------
    def write_calls(
        self, items: Sequence[tuple[CallRecord, Sequence[Label], str | None]], run_id: int
    ) -> None:
        """Commit finished calls with their labels in one transaction (an errored cell is replaced)."""
        now = timestamp()  # one timestamp per batch: a batch spans at most ~50 ms
        rows = [(response_row(r, run_id, query, now), messages_json(r), labels) for r, labels, query in items]
        self.write_rows(rows, now)

    def write_rows(
        self, items: Sequence[Collected], now: str | None = None, also: Callable[[], object] | None = None
    ) -> None:
        """write_calls for rows already built by response_row (the collect writer's child process).

        `also` runs more writes in the same transaction (a batch import's bookkeeping)."""
        if not items and also is None:
            return
        check_conditions({row.condition for row, _, _ in items})
        now = now or timestamp()
        try:
            with self.transaction():
                # A stored errored attempt at the same cell is replaced (its labels go with it).
                hashes = [(row.request_hash,) for row, _, _ in items]
                self.conn.executemany("DELETE FROM response_rows WHERE request_hash = ?", hashes)
                # The ids SQLite would give (one past the largest; the transaction holds the write lock),
                # so a batch is one executemany per table instead of one execute per response.
                (last,) = self.conn.execute(_LAST_ID).fetchone()
                responses, labels = [], []
                for response_id, (row, messages, found) in enumerate(items, last + 1):
                    responses.append(self._response_values(response_id, row, messages))
                    labels += [label_row(response_id, label, now) for label in found]
                self.conn.executemany(_INSERT_RESPONSE, responses)
                self.conn.executemany(_INSERT_LABEL, labels)
                if also is not None:
                    also()
        except BaseException:
            self._prompt_ids.clear()  # ids of prompts inserted in this transaction are gone
            raise

    def _response_values(self, response_id: int, row: ResponseRow, messages: str) -> list[object]:
        """One collected response's values for _INSERT_RESPONSE (its conversation stored once)."""
        # A plain list spliced around prompt_id: NamedTuple._replace costs more than the rest of the row.
        values: list[object] = [
            response_id,
            *row[:_PROMPT_ID],
            self._prompt_id(messages),
            *row[_PROMPT_ID + 1 :],
        ]
        for at in _NAMED_AT:
            values[at] = self.name_ids.get(self.conn, values[at])
        return values

    def _prompt_id(self, messages: str) -> int:
        """The id of this conversation in `prompts`, inserting it the first time it is sent."""
        prompt_id = self._prompt_ids.get(messages)
        if prompt_id is None:
            self.conn.execute(_INSERT_PROMPT, PromptRow(messages))
            found = self.conn.execute("SELECT id FROM prompts WHERE messages = ?", (messages,)).fetchone()
            prompt_id = self._prompt_ids[messages] = int(found[0])
        return prompt_id

    def write_designs(self, designs: Iterable[tuple[str, str, Design, str]]) -> None:
        """Record each (scenario hash, scenario name, design, what it measures) collected, once per
        scenario version."""
        rows = [design_row(*found) for found in designs]
        with self.transaction():
            self.conn.executemany(_INSERT_DESIGN, rows)

    # ---- labels and judges ------------------------------------------------------------------------
    def write_labels(self, items: Sequence[tuple[int, Label]]) -> None:
        """Store labels beside their responses, replacing the same classifier's older verdicts."""
        now = timestamp()
        with self.transaction():
            self.conn.executemany(_INSERT_LABEL, [label_row(rid, label, now) for rid, label in items])

    def write_judge_calls(self, rows: Sequence[JudgeCallRow]) -> None:
        """Commit answered judge calls; a judge reply never touches the response it judged."""
        with self.transaction():
            self.conn.executemany(_INSERT_JUDGE_CALL, rows)

    def write_judge_labels(self, items: Sequence[tuple[int, Label, str]]) -> None:
        """Store judge labels with their JSON detail (votes, evidence), replacing this judge's older ones."""
        now = timestamp()
        rows = [label_row(rid, label, now, detail) for rid, label, detail in items]
        with self.transaction():
            self.conn.executemany(_INSERT_LABEL, rows)

    def write_anti_lab_labels(self, rows: Sequence[AntiLabLabelRow]) -> None:
        """Store anti-lab choices beside their responses, replacing the same classifier's older ones."""
        with self.transaction():
            self.conn.executemany(_INSERT_ANTI_LAB, rows)

    # ---- interchange ------------------------------------------------------------------------------
    def import_records(self, records: Sequence[tuple[InterchangeRecord, Sequence[Label]]]) -> tuple[int, int]:
        """Insert records all-or-nothing (as `afgap import` does); returns (inserted, already present)."""
        check_conditions({record.condition for record, _ in records})
        now = timestamp()
        staged = [
            (n, imported_values(record, now), [label_values(x) for x in labels])
            for n, (record, labels) in enumerate(records, 1)
        ]

        def duplicate(line: int, first: int) -> Exception:
            return StoreError(f"record {line} repeats the cell of record {first}")

        found: tuple[int, int] = self.import_chunks([staged], duplicate)  # type: ignore[attr-defined]
        return found  # import_chunks: the Imports mixin, beside this one in Store
