"""The store: one SQLite file per study, opened, checked and migrated; its reads and writes.

Every completed call is committed the moment the writer flushes it, in WAL mode: a crash loses at most
the calls still in flight, never a stored one, and the UNIQUE request hash makes a duplicate impossible.
Store's SELECTs live in store/reads.py, its INSERTs and UPDATEs in store/writes.py, its rows in
store/rows.py; the records its reads return are importable from here too, beside Store itself.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from afgap.errors import ReadOnlyStoreError, StoreError
from afgap.store.busy import BUSY_TIMEOUT_MS, Patience, store_failure
from afgap.store.counts import Counts
from afgap.store.imports import Imports
from afgap.store.migrations import SCHEMA_VERSION, migrate
from afgap.store.names import NameIds
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
# SQLite's words for a file or directory this process may not write (the rest of a message varies).
_READ_ONLY_SIGNS = ("readonly database", "unable to open", "read-only")
_SIDECARS = ("-wal", "-shm", "-journal")


def open_store(
    path: Path, *, create: bool = True, readonly: bool = False, patience: Patience | None = None
) -> Store:
    """Open the store at path, migrated; StoreError with one line if it is not usable.

    A file is only ever read until it is known to be an afgap store, so one afgap refuses is left
    byte for byte as it was. `readonly` opens it for reading only (status, compare, export, …), which
    also works on a store this process cannot write; an older schema is upgraded first if it can be.
    Its writes wait up to `patience` for another process's lock (a migration too).
    """
    patience = patience or Patience()
    if not path.exists():
        if readonly or not create:
            raise StoreError(f"no afgap store at {path} (run `afgap collect` or `afgap import` first)")
        if not path.parent.exists():
            raise StoreError(f"cannot create store {path}: directory {path.parent} does not exist")
        if not os.access(path.parent, os.W_OK):
            raise ReadOnlyStoreError(f"cannot create store {path}: directory {path.parent} is not writable")
        return _open_writable(path, patience)
    if path.is_dir():
        raise StoreError(f"store path {path} is a directory, not a file")
    version = _peek(path)
    if not readonly:
        return _open_writable(path, patience)
    try:
        # A store it may write is read like a writer does (its WAL sidecars removed when closed), but
        # with query_only: a read command never changes a byte.
        store = _open_writable(path, patience)
        store.conn.execute("PRAGMA query_only=ON")
        store.regroup_on_close = False
        return store
    except ReadOnlyStoreError:
        if version < SCHEMA_VERSION:
            raise StoreError(
                f"{path} has schema {version}, older than this afgap's ({SCHEMA_VERSION}), and is "
                "read-only: run any writing command (e.g. `afgap classify`) on it once with write "
                "access to upgrade it"
            ) from None
        return Store(_connect_readonly(path), path, regroup_on_close=False)


def _uri(path: Path, query: str) -> str:
    """A file: URI for path (as_uri percent-encodes spaces, '?', '#' and '%' in the name)."""
    return f"{path.resolve().as_uri()}?{query}"


def _connect(target: str | Path, *, uri: bool = False) -> sqlite3.Connection:
    return sqlite3.connect(target, uri=uri, isolation_level=None, check_same_thread=False)


def _peek(path: Path) -> int:
    """The schema version of an existing file, read without writing a byte; StoreError if not afgap's.

    With no sidecar files nobody has the file open, so it is read as immutable: even a WAL file then
    gets no -wal/-shm created beside it. Otherwise it is opened read-only like any reader.
    """
    in_use = any(Path(f"{path}{suffix}").exists() for suffix in _SIDECARS)
    try:
        conn = _connect_readonly(path) if in_use else _connect(_uri(path, "immutable=1"), uri=True)
        try:
            return _check_is_ours(conn, path)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a usable afgap store: {exc}") from None


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection; in a directory it cannot write (no -shm possible), the file as it is."""
    try:
        conn = _connect(_uri(path, "mode=ro"), uri=True)
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # opening is lazy: open now
        return conn
    except sqlite3.OperationalError as exc:
        if "unable to open" not in str(exc):
            raise StoreError(f"{path} is not a usable afgap store: {exc}") from None
    # WAL reading needs a -shm file the directory will not take; nobody can be writing there either.
    return _connect(_uri(path, "immutable=1"), uri=True)


def _writable(path: Path) -> bool:
    """Whether this process may write the file and create its WAL sidecars beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _read_only(path: Path) -> StoreError:
    return ReadOnlyStoreError(
        f"store {path} is read-only (the file or its directory cannot be written) and this command "
        "writes to it; status, runs, compare, report and export can still read it"
    )


def _open_writable(path: Path, patience: Patience) -> Store:
    if path.exists() and not _writable(path):
        raise _read_only(path)
    try:
        conn = _connect(path)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        _check_is_ours(conn, path)  # again: another program may have replaced the file meanwhile
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        migrate(conn, path, patience)
    except sqlite3.DatabaseError as exc:
        if any(sign in str(exc) for sign in _READ_ONLY_SIGNS):
            raise _read_only(path) from None
        raise store_failure(exc, path) or StoreError(f"{path} is not a usable afgap store: {exc}") from None
    return Store(conn, path, patience)


def _check_is_ours(conn: sqlite3.Connection, path: Path) -> int:
    """The file's schema version, once it is known to be an afgap store (or an empty file)."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    tables = {
        row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
    }
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path} was written by a newer afgap (schema {version} > {SCHEMA_VERSION})")
    if version == 0 and tables:
        raise StoreError(f"{path} is an SQLite file but not an afgap store (tables: {sorted(tables)})")
    if version > 0 and not tables >= _EXPECTED_TABLES:
        raise StoreError(f"{path} is missing afgap tables; it may be corrupt")
    return version


class Store(Reads, Counts, Writes, Imports):
    """A migrated connection with afgap's reads and writes."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        patience: Patience | None = None,
        *,
        regroup_on_close: bool = True,
    ) -> None:
        self.conn = conn
        self.path = path
        self.patience = patience or Patience()
        # Whether a clean close regroups the kept counts this command's writes left stale
        # (store/count_summary.py); never for a store opened for reading only.
        self.regroup_on_close = regroup_on_close
        self._prompt_ids: dict[str, int] = {}  # messages JSON -> prompts.id, for this connection's writes
        self.name_ids = NameIds()  # model, scenario, ... -> names.id, for this connection's writes

    def close(self) -> None:
        """Close the connection (WAL content is checkpointed by SQLite)."""
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            if exc_type is None and self.regroup_on_close:
                self._refresh_counts_if_possible()
        finally:
            self.close()

    def _refresh_counts_if_possible(self) -> None:
        """A writing command's last step: regroup the kept counts its writes left stale."""
        # On failure (a full disk, a lock held past patience) only a shortcut for compare is lost: it
        # groups the responses itself while the counts are stale.
        with contextlib.suppress(StoreError, sqlite3.Error):
            self.refresh_counts()
