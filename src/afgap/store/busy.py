"""Waiting out another process's write lock, and naming a failed write for what it is.

SQLite lets one writer at a time. Every write transaction starts here with BEGIN IMMEDIATE; while another
process holds the lock, SQLite's busy handler polls for it in slices that double from 0.1 s to 2 s, so
the lock is taken within milliseconds of its release and a notice can be given between slices. After
`Patience.seconds` of waiting, StoreError. The notices go to `Patience.on_wait`: the first once the wait
has lasted a second (brief contention is normal), then every 5 s, and one more when the lock is taken.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from afgap.errors import StoreError
from afgap.settings import DEFAULT_LOCK_TIMEOUT_S

BUSY_TIMEOUT_MS = 10_000  # outside BEGIN (opening, checkpoints): SQLite's own wait, as open_store sets it
FIRST_SLICE_S = 0.1
MAX_SLICE_S = 2.0
NOTICE_AFTER_S = 1.0
NOTICE_EVERY_S = 5.0

# Primary result codes (the low byte of an extended one) that mean the store as a whole refuses writes.
_LOCKED = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_FULL = sqlite3.SQLITE_FULL
_UNWRITABLE = {
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PERM,
}


@dataclass(frozen=True)
class Patience:
    """How long a write waits for another process's lock, and who hears about the wait."""

    seconds: float = DEFAULT_LOCK_TIMEOUT_S
    on_wait: Callable[[str], None] | None = None


def _code(exc: BaseException) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def is_locked(exc: BaseException) -> bool:
    """Whether `exc` is SQLite saying another connection holds the lock."""
    return isinstance(exc, sqlite3.OperationalError) and _code(exc) in _LOCKED


def store_failure(exc: BaseException, path: Path) -> StoreError | None:
    """`exc` as a one-line StoreError when it means the store takes no write at all (else None)."""
    if not isinstance(exc, sqlite3.Error):
        return None
    code = _code(exc)
    if code == _FULL:
        return StoreError(f"the disk holding {path} is full, or the database reached its size limit ({exc})")
    if code in _LOCKED:
        return StoreError(f"store {path} is locked by another process ({exc})")
    if code in _UNWRITABLE:
        return StoreError(f"cannot write to the store {path}: {exc}")
    return None


def begin_immediate(conn: sqlite3.Connection, path: Path, patience: Patience) -> None:
    """BEGIN IMMEDIATE, waiting up to `patience.seconds` for another process's write lock."""
    started = time.monotonic()
    slice_s, next_notice, noticed = FIRST_SLICE_S, NOTICE_AFTER_S, False
    try:
        while True:
            left = patience.seconds - (time.monotonic() - started)
            conn.execute(f"PRAGMA busy_timeout = {int(max(0.0, min(slice_s, left)) * 1000)}")
            try:
                conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if not is_locked(exc):
                    raise
            waited = time.monotonic() - started
            if waited >= patience.seconds:
                raise StoreError(
                    f"store {path} stayed locked by another process: gave up after {waited:.0f} s"
                ) from None
            if waited >= next_notice:
                _tell(patience, f"store locked by another process; waiting ({waited:.0f} s)…")
                next_notice, noticed = waited + NOTICE_EVERY_S, True
            slice_s = min(slice_s * 2, MAX_SLICE_S)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if noticed:
        _tell(patience, f"store unlocked after {time.monotonic() - started:.0f} s; writing again")


def _tell(patience: Patience, line: str) -> None:
    if patience.on_wait is not None:
        patience.on_wait(line)
