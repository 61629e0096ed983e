"""Opening a store: a file afgap refuses is left byte for byte; read-only stores are read read-only."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from afgap.errors import ReadOnlyStoreError, StoreError
from afgap.store import database
from afgap.store.database import open_store
from afgap.store.migrations import MIGRATIONS, SCHEMA_VERSION


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sidecars(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


@pytest.mark.parametrize("journal", ["delete", "wal"])
@pytest.mark.parametrize("readonly", [False, True])
def test_a_foreign_file_is_refused_byte_for_byte_untouched(
    tmp_path: Path, journal: str, readonly: bool
) -> None:
    path = tmp_path / "other app's data #1.db"  # a name that needs quoting in a file: URI
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode={journal}")
    conn.execute("CREATE TABLE x (id INTEGER)")
    conn.execute("INSERT INTO x VALUES (1)")
    conn.commit()
    conn.close()
    before = _digest(path)
    with pytest.raises(StoreError, match="not an afgap store"):
        open_store(path, readonly=readonly)
    assert _digest(path) == before
    assert _sidecars(path) == []
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA journal_mode").fetchone() == (journal,)


def test_a_read_open_never_writes_a_writable_store(db: Path) -> None:
    open_store(db).close()
    before = _digest(db)
    with open_store(db, readonly=True) as store:
        assert store.summary() == []
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store.start_run("afgap collect", {})
    assert _digest(db) == before and _sidecars(db) == []


def _populated(db: Path) -> None:
    with open_store(db) as store:
        store.start_run("afgap collect", {})


def test_a_store_it_cannot_write_is_read_with_sqlites_read_only_mode(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root chmod prevents nothing, so the check that decides is made to answer 'not writable'."""
    _populated(db)
    monkeypatch.setattr(database, "_writable", lambda _path: False)
    with open_store(db, readonly=True) as store:
        assert len(store.runs()) == 1
        # A write is refused by SQLite itself, and the store says so in one line.
        with pytest.raises(StoreError, match="readonly database"):
            store.conn.execute("PRAGMA query_only=OFF")
            store.start_run("afgap collect", {})
    with pytest.raises(ReadOnlyStoreError, match=r"is read-only .* status, runs, compare"):
        open_store(db)


def test_a_directory_that_takes_no_sidecar_falls_back_to_reading_the_file_as_is(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _populated(db)
    monkeypatch.setattr(database, "_writable", lambda _path: False)
    real = database._connect

    def no_shm(target: str | Path, *, uri: bool = False) -> sqlite3.Connection:
        if "mode=ro" in str(target):  # what SQLite says when it cannot create the -shm file
            raise sqlite3.OperationalError("unable to open database file")
        return real(target, uri=uri)

    monkeypatch.setattr(database, "_connect", no_shm)
    with open_store(db, readonly=True) as store:
        assert len(store.runs()) == 1


def test_an_older_read_only_store_asks_for_one_writing_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v3.sqlite"
    with sqlite3.connect(path) as conn:
        for statement in ";".join(MIGRATIONS[:3]).split(";"):
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 3")
    monkeypatch.setattr(database, "_writable", lambda _path: False)
    with pytest.raises(StoreError, match=f"schema 3, older than this afgap's \\({SCHEMA_VERSION}\\)"):
        open_store(path, readonly=True)
    monkeypatch.undo()
    with open_store(path, readonly=True) as store:  # writable: upgraded, then read
        assert store.conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes past chmod")
def test_a_chmod_read_only_store_in_a_read_only_directory_is_readable(tmp_path: Path) -> None:
    folder = tmp_path / "frozen"
    folder.mkdir()
    db = folder / "s.sqlite"
    _populated(db)
    db.chmod(0o444)
    folder.chmod(0o555)
    try:
        with open_store(db, readonly=True) as store:
            assert len(store.runs()) == 1
        with pytest.raises(ReadOnlyStoreError):
            open_store(db)
    finally:
        folder.chmod(0o755)
