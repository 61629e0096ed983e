"""The outcome counts compare reads, kept in the store beside the responses they count.

Grouping a million responses by cell and label is a sort SQLite needs seconds for; the groups
themselves are far fewer rows (an eighth, at 20 samples a query). So the store keeps them
(`cell_counts`) with a flag saying whether they still match the responses and labels
(`count_state.fresh`). The flag is cleared by triggers on every write that could change a count,
whichever program makes it, so stale counts are never read: a reader that finds them stale groups the
responses itself.

Writers bring them up to date: a bulk import adds its own rows' groups as it streams (the triggers are
off for that one transaction, which sets the flag itself), and every other writing command regroups once
when it closes the store (`refresh_counts`). No groups are kept (`kept` = 0: readers group afresh) when
they could not stand in for the row-by-row reading (a cell stored twice, a response with two equally
preferred labels) or would save little: more than one group per two responses.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

# The columns of a group, in the order `Counts` selects them: the cell's name ids, the call's status,
# the preferred label (outcome, AF reasoning, classifier), then MAX(simulated), COUNT(*), MIN(id).
GROUP_COLUMNS = (
    "model_ref, scenario_ref, scenario_hash_ref, query_ref, condition_ref, status, outcome, af_reasoning, "
    "classifier, simulated, count, first_id"
)
_KEY = "1, 2, 3, 4, 5, 6, 7, 8, 9"
_TRIGGERS = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('response_rows', 'labels')"
)
# An imported line's labels: (classifier, strength, outcome, af_reasoning, rule, score).
_Label = tuple[Any, ...]


class Summary:
    """The kept counts of one store, read or replaced inside the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction around the reads inside, unless the caller already holds one."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    def state(self) -> tuple[bool, bool] | None:
        """(fresh, kept): kept groups are read only when both hold. None for a store older than them."""
        try:
            row = self.conn.execute("SELECT fresh, kept FROM count_state").fetchone()
        except sqlite3.OperationalError:  # a read-only store of an older schema
            return None
        return None if row is None else (bool(row[0]), bool(row[1]))

    def rows(self, where: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The kept groups in the order grouping the responses gives them; `where` filters on model_ref."""
        sql = f"SELECT {GROUP_COLUMNS} FROM cell_counts r{where} ORDER BY {_KEY}"
        return self.conn.execute(sql, list(params)).fetchall()

    def replace(self, groups: Sequence[Sequence[Any]] | None) -> None:
        """Keep these groups, up to date; None, or too many to be worth keeping: readers group afresh."""
        keep = groups is not None and worth_keeping(len(groups), sum(g[10] for g in groups))
        self.conn.execute("DELETE FROM cell_counts")
        if groups is not None and keep:
            marks = ", ".join("?" * 12)
            self.conn.executemany(f"INSERT INTO cell_counts ({GROUP_COLUMNS}) VALUES ({marks})", groups)
        self.conn.execute("UPDATE count_state SET fresh = 1, kept = ?", (keep,))

    def triggers_off(self) -> list[str]:
        """Drop the staleness triggers (inside a transaction); their SQL, to put them back."""
        found = self.conn.execute(_TRIGGERS).fetchall()
        for name, _ in found:
            self.conn.execute(f'DROP TRIGGER "{name}"')
        return [sql for _, sql in found]

    def triggers_on(self, saved: Sequence[str]) -> None:
        for sql in saved:
            self.conn.execute(sql)


# Few enough groups to keep whatever the ratio; an import tallies at most so many in memory.
_FEW = 1_000
MAX_TALLY = 250_000


def worth_keeping(groups: int, responses: int) -> bool:
    """Whether groups save a reader much: reading them beats grouping only when they are fewer."""
    return 2 * groups <= responses or groups <= _FEW


class ImportTally:
    """An import's groups, counted as its rows stream past; merged with the kept ones when those hold.

    A row is an import's INSERT parameters: its id at 0, the cell's five name ids at `cell`, the status
    at `status_at` and the simulated flag last. Past MAX_TALLY groups (some 60 MB) it stops counting and
    keeps none, so an import's memory stays flat whatever the file.
    """

    def __init__(self, kept: Sequence[Sequence[Any]], cell: slice, status_at: int) -> None:
        # group key (the first nine columns) -> [simulated, count, first_id]
        self.groups: dict[tuple[Any, ...], list[int]] = {tuple(g[:9]): list(g[9:]) for g in kept}
        self.keep = True  # False once the groups cannot stand in for the rows or are too many
        self._cell, self._status_at = cell, status_at

    def add(self, rows: Iterable[tuple[Sequence[Any], Sequence[_Label]]]) -> None:
        """Stored rows with their labels; ids rise, so a group's first id is the first row met."""
        if not self.keep:
            return
        groups, cell, status_at = self.groups, self._cell, self._status_at
        # Once per imported line, a million times: locals, and the common single label first.
        for row, labels in rows:
            if len(labels) == 1:
                best = labels[0]
            elif not labels:
                best = None
            else:
                best = self._preferred(labels)
            if best is None:
                key = (*row[cell], row[status_at], None, None, None)
            else:
                af = best[3]
                key = (*row[cell], row[status_at], best[2], None if af is None else int(af), best[0])
            group = groups.get(key)
            if group is None:
                groups[key] = [int(row[-1]), 1, row[0]]
            else:
                group[1] += 1
                if row[-1]:
                    group[0] = 1
        if len(groups) > MAX_TALLY:
            self.keep = False
        if not self.keep:
            groups.clear()

    def _preferred(self, labels: Sequence[_Label]) -> _Label:
        """The strongest label, as the reading prefers it; with a tie, no groups can be kept."""
        strongest = max(found[1] for found in labels)
        preferred = [found for found in labels if found[1] == strongest]
        if len(preferred) > 1:
            self.keep = False
        return preferred[0]

    def result(self) -> list[tuple[Any, ...]] | None:
        """The groups to keep, or None when none can be."""
        return [(*key, *value) for key, value in self.groups.items()] if self.keep else None
