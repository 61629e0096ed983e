"""The store: one SQLite file per study, opened, checked and migrated; its reads and writes.

Every completed call is committed the moment the writer flushes it, in WAL mode: a crash loses at most
the calls still in flight, never a stored one, and the UNIQUE request hash makes a duplicate impossible.
Store's SELECTs live in store/reads.py, its INSERTs and UPDATEs in store/writes.py, its rows in
store/rows.py; the records its reads return are importable from here too, beside Store itself.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from afgap.errors import StoreError
from afgap.store.busy import BUSY_TIMEOUT_MS, Patience, store_failure
from afgap.store.migrations import SCHEMA_VERSION, migrate
from afgap.store.reads import LabelPair, Reads, StoredExample, StoredOutcome, ToJudge, Unlabelled
from afgap.store.writes import Writes

__all__ = [
    "LabelPair",
    "Store",
    "StoredExample",
    "StoredOutcome",
    "ToJudge",
    "Unlabelled",
    "open_store",
]

_EXPECTED_TABLES = {"runs", "responses", "labels"}


def open_store(path: Path, *, create: bool = True, patience: Patience | None = None) -> Store:
    """Open (and migrate) the store at path; StoreError with one line if it is not usable.

    Its writes wait up to `patience` for another process's lock (a migration too).
    """
    patience = patience or Patience()
    if not path.exists():
        if not create:
            raise StoreError(f"no afgap store at {path} (run `afgap collect` or `afgap import` first)")
        if not path.parent.exists():
            raise StoreError(f"cannot create store {path}: directory {path.parent} does not exist")
    elif path.is_dir():
        raise StoreError(f"store path {path} is a directory, not a file")
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        _check_is_ours(conn, path)
        migrate(conn, path, patience)
    except sqlite3.DatabaseError as exc:
        raise store_failure(exc, path) or StoreError(f"{path} is not a usable afgap store: {exc}") from None
    return Store(conn, path, patience)


def _check_is_ours(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path} was written by a newer afgap (schema {version} > {SCHEMA_VERSION})")
    if version == 0 and tables:
        raise StoreError(f"{path} is an SQLite file but not an afgap store (tables: {sorted(tables)})")
    if version > 0 and not tables >= _EXPECTED_TABLES:
        raise StoreError(f"{path} is missing afgap tables; it may be corrupt")


class Store(Reads, Writes):
    """A migrated connection with afgap's reads and writes."""

    def __init__(self, conn: sqlite3.Connection, path: Path, patience: Patience | None = None) -> None:
        self.conn = conn
        self.path = path
        self.patience = patience or Patience()
        self._prompt_ids: dict[str, int] = {}  # messages JSON -> prompts.id, for this connection's writes

    def close(self) -> None:
        """Close the connection (WAL content is checkpointed by SQLite)."""
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
