"""Counting a store's responses from outside afgap, as the crash and lock tests need."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# A cell is one (model, scenario, query, condition, sample); counting distinct request hashes would prove
# nothing, since the store's UNIQUE constraint makes them distinct anyway.
_ROWS_AND_CELLS = (
    "SELECT COUNT(*), COUNT(DISTINCT model || char(0) || scenario_hash || char(0) || query_id "
    "|| char(0) || condition || char(0) || sample) FROM responses"
)


def rows_and_cells(db: Path) -> tuple[int, int]:
    """(responses stored, distinct cells): equal when nothing is duplicated.

    One statement, so one snapshot: a killed collect's writer child may still be draining its last
    batch, and two separate counts could straddle that commit.
    """
    with sqlite3.connect(db, timeout=60) as conn:
        total, cells = conn.execute(_ROWS_AND_CELLS).fetchone()
    return int(total), int(cells)
