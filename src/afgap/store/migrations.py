"""Schema migrations applied in order (store/schema_history.py), each in one transaction with its
PRAGMA user_version bump."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from afgap.errors import StoreError
from afgap.store.busy import Patience, begin_immediate
from afgap.store.schema_history import MIGRATIONS

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, path: Path, patience: Patience) -> None:
    """Apply every migration newer than the file's user_version, each atomically."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current >= len(MIGRATIONS):
        return
    # A rebuilt table is dropped and replaced: with foreign keys on, the drop would cascade to its labels.
    # The pragma is a no-op inside a transaction, so it is switched around them; each migration checks the
    # keys itself before it commits.
    enforced = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys=OFF")
    try:
        for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
            _apply(conn, path, patience, version, script)
    finally:
        conn.execute(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")


def _apply(conn: sqlite3.Connection, path: Path, patience: Patience, version: int, script: str) -> None:
    """One migration and its user_version bump, atomically; refused if it would leave a dangling key."""
    # executescript would COMMIT implicitly; run statements one by one inside our own transaction.
    begin_immediate(conn, path, patience)
    try:
        for statement in _statements(script):
            conn.execute(statement)
        dangling = conn.execute("PRAGMA foreign_key_check").fetchone()
        if dangling is not None:
            raise StoreError(
                f"{path}: upgrading to schema {version} would leave a row of {dangling[0]} pointing at a "
                f"missing {dangling[2]} row; the store is left as it was"
            )
        conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already (disk full)
            conn.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    """The script's statements; a trigger's body holds semicolons of its own, so pieces are joined until
    SQLite calls them complete."""
    statements, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending)
            pending = ""
    return statements
