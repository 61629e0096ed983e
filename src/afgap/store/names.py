"""The strings a response repeats (model, provider, scenario and its hash, query id, condition, time), once.

`response_rows` refers to each by its id in `names`; the `responses` view spells them out again, so readers
see the columns a `ResponseRow` has. Writers turn a row's names into ids here, and a cache keeps that to a
dictionary lookup for every name seen before in this connection's committed transactions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

# A response row's named fields and the `response_rows` column holding each one's id.
NAMED = {
    "model": "model_ref",
    "provider": "provider_ref",
    "scenario": "scenario_ref",
    "scenario_hash": "scenario_hash_ref",
    "query_id": "query_ref",
    "condition": "condition_ref",
    "created_at": "created_ref",
}


# A response's cell as `response_rows r` holds it: the ids of its five names, then its sample.
CELL_NAME_REFS = "r.model_ref, r.scenario_ref, r.scenario_hash_ref, r.query_ref, r.condition_ref"
CELL_REFS = f"{CELL_NAME_REFS}, r.sample"


def repeated_cell(conn: sqlite3.Connection, where: str, params: Sequence[Any]) -> bool:
    """Whether a cell is stored twice among the rows of `response_rows r` that `where` picks."""
    sql = f"SELECT 1 FROM response_rows r{where} GROUP BY {CELL_REFS} HAVING COUNT(*) > 1 LIMIT 1"
    return conn.execute(sql, list(params)).fetchone() is not None


def stored_columns(fields: Sequence[str]) -> tuple[str, ...]:
    """The `response_rows` columns of a row with these fields, in the same order."""
    return tuple(NAMED.get(field, field) for field in fields)


class NameIds:
    """Name → id in `names`, inserting a name the first time; cleared when a transaction rolls back."""

    def __init__(self) -> None:
        self._ids: dict[Any, int] = {}  # keys are strings; rows hand them over as plain objects

    def get(self, conn: sqlite3.Connection, name: Any) -> int:
        found = self._ids.get(name)
        if found is None:
            self.add(conn, [name])
            found = self._ids[name]
        return found

    def add(self, conn: sqlite3.Connection, names: Iterable[Any]) -> None:
        """Make sure every name has an id (one INSERT and one SELECT per new name); None raises NOT NULL."""
        for name in set(names) - self._ids.keys():
            conn.execute("INSERT INTO names (text) VALUES (?) ON CONFLICT (text) DO NOTHING", (name,))
            self._ids[name] = conn.execute("SELECT id FROM names WHERE text = ?", (name,)).fetchone()[0]

    def known(self, conn: sqlite3.Connection, names: Iterable[Any]) -> dict[Any, int]:
        """Name → id for at least these names (added where new): a plain dictionary, for bulk lookups."""
        self.add(conn, names)
        return self._ids

    def clear(self) -> None:
        self._ids.clear()
