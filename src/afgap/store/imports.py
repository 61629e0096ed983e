"""A file's import, streamed in chunks into one transaction: flat memory, all or nothing.

Each response gets the id `base + line` (base: the largest id before the import), so a duplicate cell
names the earlier line it repeats without Python keeping every key: the row holding the cell says, by its
id, which line stored it. A cell the store held before the import is skipped and counted as already
present; a second line with such a cell is still a duplicate, found through a temporary table of them.

An imported response's request hash is a stand-in, `import:<id>`: the cell, which the cell index already
holds, is what makes it unique (an import's scenario hash, `import:<name>`, keeps it apart from collected
responses). Short, because the hash's unique index stores it a second time.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterable, Sequence

from afgap.errors import ImportFormatError
from afgap.store.count_summary import ImportTally, Summary
from afgap.store.names import CELL_REFS, NAMED, NameIds, repeated_cell, stored_columns

# The columns an import sets besides id and request hash (the rest keep the schema's defaults).
_CELL = ("model", "scenario", "scenario_hash", "query_id", "condition", "sample")
IMPORT_COLUMNS: tuple[str, ...] = ("source", "provider", *_CELL, "status", "created_at", "query_text", "text")
IMPORT_COLUMNS += ("simulated",)
# One line of a file, ready to store: its line number, its IMPORT_COLUMNS values, and its labels as
# (classifier, strength, outcome, af_reasoning, rule, score).
LabelValues = tuple[str, int, str, "bool | None", str, "float | None"]
Staged = tuple[int, tuple[object, ...], Sequence[LabelValues]]

# The names of a row (provider and the cell's names, then its time) sit at these places; `response_rows`
# holds their ids.
_NAMES_AT = slice(1, 7)
_CREATED = IMPORT_COLUMNS.index("created_at")
assert IMPORT_COLUMNS[_NAMES_AT] == ("provider", *_CELL[:5]) and _CREATED == 9
_STORED = stored_columns(IMPORT_COLUMNS)
# ?1 is the id; the row's values follow from ?2, and the cell is looked up by those same parameters. An
# import stores no request hash: the `responses` view shows `import:<id>` in its place.
_CELL_PARAMS = {name: f"?{IMPORT_COLUMNS.index(name) + 2}" for name in _CELL}
_SAME_CELL = " AND ".join(f"{NAMED.get(name, name)} = {param}" for name, param in _CELL_PARAMS.items())
_INSERT = (
    f"INSERT INTO response_rows (id, {', '.join(_STORED)}) "
    f"SELECT ?1, {', '.join(f'?{i + 2}' for i in range(len(IMPORT_COLUMNS)))} "
    f"WHERE NOT EXISTS (SELECT 1 FROM response_rows WHERE {_SAME_CELL})"
)
# The same row, without first looking its cell up: for an import no stored cell can equal (see _import).
_INSERT_UNSEEN = (
    f"INSERT INTO response_rows (id, {', '.join(_STORED)}) VALUES ({', '.join('?' * (len(_STORED) + 1))})"
)
# Whether any import's scenario version is stored (`import:<scenario>`, as its name in `names`).
_ANY_IMPORT = "SELECT 1 FROM names WHERE text >= 'import:' AND text < 'import;' LIMIT 1"
# The first row (in file order) whose cell an earlier row of the import holds, and that earlier row.
_FIRST_REPEAT = f"""SELECT id, earlier FROM (
        SELECT r.id, LAG(r.id) OVER (PARTITION BY {CELL_REFS} ORDER BY r.id) AS earlier
        FROM response_rows r WHERE r.id > ?)
    WHERE earlier IS NOT NULL ORDER BY id LIMIT 1"""
_HOLDER = f"SELECT id FROM response_rows WHERE {' AND '.join(f'{NAMED.get(n, n)} = ?' for n in _CELL)}"
_INSERT_LABEL = (
    "INSERT INTO labels (response_id, classifier, strength, outcome, af_reasoning, rule, score, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_CELL_AT = [IMPORT_COLUMNS.index(name) for name in _CELL]
# In a row's INSERT parameters (its id, then IMPORT_COLUMNS' values): the cell's five name ids, the status.
_TALLY_CELL = slice(IMPORT_COLUMNS.index("model") + 1, IMPORT_COLUMNS.index("condition") + 2)
_TALLY_STATUS = IMPORT_COLUMNS.index("status") + 1
assert IMPORT_COLUMNS[-1] == "simulated"  # ImportTally reads the flag last
# A bulk load dirties many pages; a larger page cache keeps SQLite from spilling them mid-transaction.
_CACHE_KIB = 65536


class Imports:
    """The streamed import; mixed into Store, which owns the connection and its transactions."""

    conn: sqlite3.Connection
    name_ids: NameIds

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
        base = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM response_rows").fetchone()[0]
        named = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM names").fetchone()[0]
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_present (cell PRIMARY KEY, line)")
        self.conn.execute("DELETE FROM temp.import_present")
        # The kept counts: this transaction keeps them itself, without a trigger firing per row. Stale
        # ones stay stale (the store's close regroups) and none kept stay so; kept ones get the import's
        # groups added.
        summary = Summary(self.conn)
        state = summary.state()
        triggers = summary.triggers_off() if state is not None else []
        tally = (
            ImportTally(summary.rows("", []), _TALLY_CELL, _TALLY_STATUS) if state == (True, True) else None
        )
        # An import's cells carry `import:<scenario>` as their scenario version, so while none is stored no
        # stored cell can equal one of this import's: each row goes in without a lookup of its cell first,
        # and a line repeating an earlier one is found afterwards, in one pass over the cell index.
        unseen = self.conn.execute(_ANY_IMPORT).fetchone() is None
        insert = _INSERT_UNSEEN if unseen else _INSERT
        seen = inserted = 0
        try:
            for chunk in chunks:
                values = self._with_ids(chunk, base)
                stored = self.conn.executemany(insert, values).rowcount
                kept = chunk if stored == len(chunk) else self._skipped(chunk, values, base, duplicate)
                labels = [(base + line, *lab, row[_CREATED]) for line, row, found in kept for lab in found]
                self.conn.executemany(_INSERT_LABEL, labels)
                if tally is not None:
                    tally.add(_stored(chunk, values, kept))
                seen += len(chunk)
                inserted += len(kept)
        except ImportFormatError:
            if unseen:  # a repeat before the bad line is the first error, as it is when streamed
                self._no_repeats(base, duplicate)
            raise
        if unseen:
            self._no_repeats(base, duplicate)
        if not inserted:  # every cell was already stored: the import's own time is the one name added
            self.conn.execute("DELETE FROM names WHERE id > ?", (named,))
            self.name_ids.clear()
        elif tally is not None:
            summary.replace(tally.result())
        summary.triggers_on(triggers)
        return inserted, seen - inserted

    def _no_repeats(self, base: int, duplicate: Callable[[int, int], Exception]) -> None:
        """Raise `duplicate` at the first line repeating an earlier line's cell, if any does."""
        if not repeated_cell(self.conn, " WHERE r.id > ?", [base]):
            return
        line, earlier = self.conn.execute(_FIRST_REPEAT, (base,)).fetchone()
        raise duplicate(line - base, earlier - base)

    def _with_ids(self, chunk: Sequence[Staged], base: int) -> list[tuple[object, ...]]:
        """Each row's INSERT parameters: its id, then its values with every name as its id in `names`."""
        named = {name for _, row, _ in chunk for name in (*row[_NAMES_AT], row[_CREATED])}
        ids = self.name_ids.known(self.conn, named)
        at = ids.__getitem__
        return [
            (base + line, row[0], *map(at, row[_NAMES_AT]), row[7], row[8], ids[row[9]], *row[10:])
            for line, row, _ in chunk
        ]

    def _skipped(
        self,
        chunk: Sequence[Staged],
        values: Sequence[tuple[object, ...]],
        base: int,
        duplicate: Callable[[int, int], Exception],
    ) -> list[Staged]:
        """The chunk's stored rows; `duplicate` is raised at the first line repeating an earlier one."""
        kept = []
        for item, stored in zip(chunk, values, strict=True):
            line, row, _ = item
            cell = [row[i] for i in _CELL_AT]
            holder = self.conn.execute(_HOLDER, [stored[i + 1] for i in _CELL_AT]).fetchone()
            if holder[0] == base + line:
                kept.append(item)
            elif holder[0] > base:
                raise duplicate(line, holder[0] - base)
            else:
                self._present(repr(cell), line, duplicate)
        return kept

    def _present(self, key: str, line: int, duplicate: Callable[[int, int], Exception]) -> None:
        """Note a line whose cell the store already held; a second such line is a duplicate."""
        found = self.conn.execute("SELECT line FROM temp.import_present WHERE cell = ?", (key,))
        earlier = found.fetchone()
        if earlier is not None:
            raise duplicate(line, earlier[0])
        self.conn.execute("INSERT INTO temp.import_present VALUES (?, ?)", (key, line))


def _stored(
    chunk: Sequence[Staged], values: Sequence[tuple[object, ...]], kept: Sequence[Staged]
) -> Iterable[tuple[tuple[object, ...], Sequence[LabelValues]]]:
    """The INSERT parameters and labels of the chunk's stored rows."""
    pairs = zip(values, (found for _, _, found in chunk), strict=True)
    if len(kept) == len(chunk):
        return pairs
    stored = {line for line, _, _ in kept}
    return [pair for pair, (line, _, _) in zip(pairs, chunk, strict=True) if line in stored]


def import_values(
    cell: tuple[str, str, str, str, int],
    status: str,
    now: str,
    query: str | None,
    text: str | None,
    simulated: bool,
) -> tuple[object, ...]:
    """One imported response's IMPORT_COLUMNS values; cell: (model, scenario, query_id, condition, sample)."""
    model, scenario, query_id, condition, sample = cell
    provider, scenario_hash = _provider(model), _scenario_hash(scenario)
    return (
        "import",
        provider,
        model,
        scenario,
        scenario_hash,
        query_id,
        condition,
        sample,
        status,
        now,
        query,
        text,
        simulated,
    )


@functools.lru_cache(maxsize=1024)
def _provider(model: str) -> str:
    return model.split("/")[0]


@functools.lru_cache(maxsize=1024)
def _scenario_hash(scenario: str) -> str:
    """An import's scenario version: there is no prompt to hash, and no collected version is named so."""
    return "import:" + scenario
