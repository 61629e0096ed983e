"""A file's import, streamed in chunks into one transaction: flat memory, all or nothing.

Each response gets the id `base + line` (base: the largest id before the import), so a duplicate cell
names the earlier line it repeats without Python keeping every key: the conflicting row's id says which
line stored it. A cell the store held before the import is skipped and counted as already present; a
second line with such a cell is still a duplicate, found through a temporary table of the skipped keys.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence

# The columns an import sets (the rest keep the schema's defaults: nothing was measured).
_CELL = ("source", "request_hash", "model", "provider", "scenario", "scenario_hash", "query_id")
_ANSWER = ("condition", "sample", "status", "created_at", "query_text", "text", "simulated")
IMPORT_COLUMNS: tuple[str, ...] = (*_CELL, *_ANSWER)
# One line of a file, ready to store: its line number, its IMPORT_COLUMNS values, and its labels as
# (classifier, strength, outcome, af_reasoning, rule, score).
LabelValues = tuple[str, int, str, "bool | None", str, "float | None"]
Staged = tuple[int, tuple[object, ...], Sequence[LabelValues]]

_INSERT = (
    f"INSERT INTO responses (id, {', '.join(IMPORT_COLUMNS)}) "
    f"VALUES (?, {', '.join('?' * len(IMPORT_COLUMNS))}) ON CONFLICT (request_hash) DO NOTHING"
)
_INSERT_LABEL = (
    "INSERT INTO labels (response_id, classifier, strength, outcome, af_reasoning, rule, score, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_HASH = IMPORT_COLUMNS.index("request_hash")
_CREATED = IMPORT_COLUMNS.index("created_at")
# A bulk load dirties many pages; a larger page cache keeps SQLite from spilling them mid-transaction.
_CACHE_KIB = 65536


class Imports:
    """The streamed import; mixed into Store, which owns the connection and its transactions."""

    conn: sqlite3.Connection

    def import_chunks(
        self, chunks: Iterable[Sequence[Staged]], duplicate: Callable[[int, int], Exception]
    ) -> tuple[int, int]:
        """Store every chunk's rows in one transaction: (inserted, already present).

        `duplicate(line, earlier line)` is raised, rolling everything back, when two lines hold one cell.
        """
        cache = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        self.conn.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
        try:
            with self.transaction():  # type: ignore[attr-defined]  # Writes provides it
                return self._import(chunks, duplicate)
        finally:
            self.conn.execute(f"PRAGMA cache_size={cache}")
            self.conn.execute("DROP TABLE IF EXISTS temp.import_present")

    def _import(
        self, chunks: Iterable[Sequence[Staged]], duplicate: Callable[[int, int], Exception]
    ) -> tuple[int, int]:
        base = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM responses").fetchone()[0]
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_present (request_hash PRIMARY KEY, line)")
        self.conn.execute("DELETE FROM temp.import_present")
        seen = inserted = 0
        for chunk in chunks:
            stored = self.conn.executemany(_INSERT, [(base + line, *row) for line, row, _ in chunk]).rowcount
            kept = chunk if stored == len(chunk) else self._skipped(chunk, base, duplicate)
            labels = [(base + line, *label, row[_CREATED]) for line, row, found in kept for label in found]
            self.conn.executemany(_INSERT_LABEL, labels)
            seen += len(chunk)
            inserted += len(kept)
        return inserted, seen - inserted

    def _skipped(
        self, chunk: Sequence[Staged], base: int, duplicate: Callable[[int, int], Exception]
    ) -> list[Staged]:
        """The chunk's stored rows; `duplicate` is raised at the first line repeating an earlier one."""
        kept = []
        for item in chunk:
            line, row, _ = item
            key = row[_HASH]
            holder = self.conn.execute("SELECT id FROM responses WHERE request_hash = ?", (key,)).fetchone()
            if holder[0] == base + line:
                kept.append(item)
            elif holder[0] > base:
                raise duplicate(line, holder[0] - base)
            else:
                self._present(key, line, duplicate)
        return kept

    def _present(self, key: object, line: int, duplicate: Callable[[int, int], Exception]) -> None:
        """Note a line whose cell the store already held; a second such line is a duplicate."""
        found = self.conn.execute("SELECT line FROM temp.import_present WHERE request_hash = ?", (key,))
        earlier = found.fetchone()
        if earlier is not None:
            raise duplicate(line, earlier[0])
        self.conn.execute("INSERT INTO temp.import_present VALUES (?, ?)", (key, line))
