"""Outcome counts aggregated in SQL, for comparisons over stores too large to read row by row.

`outcome_counts` groups the responses the statistics would see (each with its preferred label, as
`Reads.outcomes` picks it) by cell and outcome, so compare reads thousands of groups instead of a
million rows: the groups the store keeps when they are fresh (store/count_summary.py), else grouped
here. It answers None when a group count could differ from counting rows one by one: a cell stored twice
(the row-wise reading keeps the later) or a response with two equally preferred labels.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, NamedTuple

from afgap.store.count_summary import Summary
from afgap.store.names import CELL_NAME_REFS, repeated_cell
from afgap.store.reads import _bool, _label_filter, _resolved
from afgap.vocabulary import Outcome


class OutcomeCount(NamedTuple):  # a tuple: a million-response compare builds 120,000 of them
    """How many responses of one (model, scenario version, query, condition) share an outcome and label."""

    model: str
    scenario: str
    scenario_hash: str
    query_id: str
    condition: str
    outcome: Outcome
    af_reasoning: bool | None
    classifier: str | None
    simulated: bool
    responses: int  # how many
    first_id: int  # the smallest response id in the group: row order, for ties between classifiers


class Counts:
    """The aggregated reads; mixed into Store, which owns the connection."""

    conn: sqlite3.Connection

    def outcome_counts(
        self, models: Sequence[str] | None = None, classifier: str | None = None
    ) -> list[OutcomeCount] | None:
        """Responses counted per cell, outcome and label; None when counting groups would differ."""
        where, params = _models(models)
        grouped = None
        if classifier is None:
            summary = Summary(self.conn)
            with summary.snapshot():  # the flag and the groups it vouches for, read as of one moment
                if summary.state() == (True, True):
                    grouped = summary.rows(where, params)
        if grouped is None:
            grouped = self._grouped(where, params, classifier)
        if grouped is None:
            return None
        names = dict(self.conn.execute("SELECT id, text FROM names").fetchall())
        return _spelled(grouped, names)

    def refresh_counts(self) -> None:
        """Bring the kept counts up to date with the responses, if a write has left them stale."""
        summary = Summary(self.conn)
        state = summary.state()
        if state is None or state[0]:
            return
        with self.transaction():  # type: ignore[attr-defined]  # Writes provides it
            summary.replace(self._grouped("", [], None))

    def _grouped(self, where: str, params: list[Any], classifier: str | None) -> list[tuple[Any, ...]] | None:
        """The groups (as `GROUP_COLUMNS`), grouped from the responses; None if they would differ."""
        if repeated_cell(self.conn, where, params):
            return None
        label_filter, label_params = self._best_label(classifier)
        # NOT INDEXED: a scan in id order, then one sort for the groups, beats visiting a million rows
        # in the cell index's order (6 s against 8 s at 1,000,000 responses).
        # Grouped by the names' ids (the table behind the `responses` view), spelled out by the caller.
        sql = f"""SELECT {CELL_NAME_REFS}, r.status, l.outcome,
                    l.af_reasoning, l.classifier, MAX(r.simulated), COUNT(*), MIN(r.id)
                  FROM response_rows r NOT INDEXED
                  LEFT JOIN labels l ON l.response_id = r.id AND {label_filter}{where}
                  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"""
        grouped = self.conn.execute(sql, [*label_params, *params]).fetchall()
        total = self.conn.execute(f"SELECT COUNT(*) FROM response_rows r{where}", params).fetchone()[0]
        return grouped if sum(row[10] for row in grouped) == total else None

    def _best_label(self, classifier: str | None) -> tuple[str, list[Any]]:
        """The JOIN condition picking each response's preferred label, cheapest first."""
        # Where no response has two labels (an imported store), its one label is its strongest: joining
        # on the key alone skips a subquery per response, a second of a million-response compare.
        several = "SELECT 1 FROM labels GROUP BY response_id HAVING COUNT(*) > 1 LIMIT 1"
        if classifier is None and self.conn.execute(several).fetchone() is None:
            return "1", []
        return _label_filter(classifier)

    def has_anti_lab_labels(self) -> bool:
        """Whether any anti-lab choice is stored (a store older than that table holds none)."""
        found = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'anti_lab_labels'"
        if self.conn.execute(found).fetchone() is None:
            return False
        return self.conn.execute("SELECT 1 FROM anti_lab_labels LIMIT 1").fetchone() is not None


def _models(models: Sequence[str] | None) -> tuple[str, list[Any]]:
    if not models:
        return "", []
    marks = ",".join("?" * len(models))
    return f" WHERE r.model_ref IN (SELECT id FROM names WHERE text IN ({marks}))", list(models)


def _spelled(grouped: Sequence[Sequence[Any]], names: dict[int, str]) -> list[OutcomeCount]:
    """The groups with their names spelled out and their outcomes resolved."""
    name = names.__getitem__
    counted = []
    for (
        model,
        scenario,
        scenario_hash,
        query_id,
        condition,
        status,
        outcome,
        af,
        classifier,
        *rest,
    ) in grouped:
        simulated, count, first_id = rest
        cell = (name(model), name(scenario), name(scenario_hash), name(query_id), name(condition))
        resolved = _resolved(status, outcome)
        counted.append(OutcomeCount(*cell, resolved, _bool(af), classifier, bool(simulated), count, first_id))
    return counted
