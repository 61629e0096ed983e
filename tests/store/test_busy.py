"""Writes wait out another process's lock (within patience) and name a full disk as a full disk."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from afgap.errors import StoreError
from afgap.store.busy import Patience
from afgap.store.database import open_store


class _Holder(threading.Thread):
    """Another connection holding the write lock for `seconds`, or until join(); started once it has it."""

    def __init__(self, path: Path, seconds: float) -> None:
        super().__init__()
        self.path, self.seconds = path, seconds
        self.taken, self.released = threading.Event(), threading.Event()
        self.start()
        assert self.taken.wait(5)

    def run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        self.taken.set()
        self.released.wait(self.seconds)
        conn.execute("ROLLBACK")
        conn.close()

    def join(self, timeout: float | None = None) -> None:
        self.released.set()
        super().join(timeout)


def _hold_lock(path: Path, seconds: float) -> _Holder:
    return _Holder(path, seconds)


def test_a_write_waits_for_the_lock_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    open_store(path).close()
    heard: list[str] = []
    holder = _hold_lock(path, 1.6)  # a notice comes after 1.5 s: slices of 0.1, 0.2, 0.4 and 0.8 s
    started = time.monotonic()
    with open_store(path, patience=Patience(10.0, heard.append)) as store:  # opening needs no lock
        run_id = store.start_run("afgap collect", {})
        waited = time.monotonic() - started
    holder.join()
    assert run_id == 1 and 1.5 <= waited < 3.0  # taken soon after the release, not at a slice's end
    assert heard[0].startswith("store locked by another process; waiting (") and heard[0].endswith(" s)…")
    assert heard[-1].startswith("store unlocked after ")


def test_a_brief_lock_is_waited_for_silently(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    heard: list[str] = []
    with open_store(path, patience=Patience(10.0, heard.append)) as store:
        holder = _hold_lock(path, 0.3)
        store.start_run("afgap collect", {})
    holder.join()
    assert heard == []


def test_a_lock_held_past_patience_is_a_store_error_and_no_transaction_is_left_open(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with open_store(path, patience=Patience(0.5)) as store:
        holder = _hold_lock(path, 30)
        with pytest.raises(StoreError, match=r"stayed locked by another process: gave up after \d+ s"):
            store.start_run("afgap collect", {})
        assert not store.conn.in_transaction
        holder.join()  # released now
        assert store.start_run("afgap collect", {}) == 1  # usable once the lock is gone


def test_a_full_database_says_full_not_cannot_rollback(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with open_store(path) as store:
        first = store.start_run("first", {})
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 1}")  # SQLITE_FULL, as on a full disk
        free = store.conn.execute("PRAGMA freelist_count").fetchone()[0]  # pages the migrations freed
        with pytest.raises(StoreError) as failure:
            store.start_run("x" * 4096 * (free + 5), {})
        assert "is full" in str(failure.value) and "cannot rollback" not in str(failure.value)
        assert str(path) in str(failure.value)
        assert not store.conn.in_transaction
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT id, command FROM runs").fetchall() == [(first, "first")]
