"""Another process locking the store, or a full disk, never costs a collect a reply it received."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from afgap.sim.server import start_in_thread
from afgap.sim.settings import SimSettings
from afgap.store import writer
from afgap.store.database import open_store
from tests.store_counts import rows_and_cells

QUERIES = 30
TOTAL = QUERIES * 2 * 2  # two conditions, two samples
WAITING = "afgap: store locked by another process; waiting ("


@pytest.fixture
def slow_sim() -> Iterator[Any]:
    """40 ms a reply: a collect of TOTAL calls at concurrency 8 sends for about a second."""
    with start_in_thread(SimSettings(seed=1, latency_ms=40)) as running:
        yield running


def _collect(db: Path, sim: Any, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "LOCAL_BASE_URL": f"{sim.base_url}/v1", "LOCAL_API_KEY": "test", "NO_COLOR": "1"}
    args = [
        sys.executable,
        "-m",
        "afgap",
        "collect",
        "-m",
        "openai-api/local/faker",
        "--quiet",
        "--db",
        str(db),
    ]
    args += ["--limit", str(QUERIES), "--samples", "2", "--concurrency", "8", *extra]
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait_for_rows(db: Path, at_least: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if db.exists() and rows_and_cells(db)[0] >= at_least:
                return
        except sqlite3.OperationalError:
            pass  # the schema is not there yet
        time.sleep(0.01)
    raise AssertionError(f"no {at_least} rows within 20 s")


class _Lock:
    """Another connection holding the store's write lock for `seconds` (or until released)."""

    def __init__(self, db: Path, seconds: float) -> None:
        self.db, self.seconds = db, seconds
        self.taken, self.released = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)
        self.thread.start()
        assert self.taken.wait(5)

    def _hold(self) -> None:
        conn = sqlite3.connect(self.db, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        self.taken.set()
        self.released.wait(self.seconds)
        conn.execute("ROLLBACK")
        conn.close()

    def release(self) -> None:
        self.released.set()
        self.thread.join()


def _requests(sim: Any) -> int:
    with urllib.request.urlopen(f"{sim.base_url}/stats", timeout=10) as resp:
        return int(json.load(resp)["requests"])


def _recovery_files(db: Path) -> list[Path]:
    return sorted(db.parent.glob(f"{db.name}.recovery-*.jsonl"))


def test_a_lock_mid_collect_is_waited_out_and_no_reply_is_lost(tmp_path: Path, slow_sim: Any) -> None:
    db = tmp_path / "s.sqlite"
    proc = _collect(db, slow_sim)
    _wait_for_rows(db, 10)
    lock = _Lock(db, 2.0)  # a notice comes after 1.5 s
    _, stderr = proc.communicate(timeout=60)
    lock.release()
    assert proc.returncode == 0, stderr
    assert WAITING in stderr and "afgap: store unlocked after " in stderr  # even with --quiet
    assert rows_and_cells(db) == (TOTAL, TOTAL) and _recovery_files(db) == []


def test_a_lock_past_lock_timeout_saves_every_received_reply_and_the_rerun_imports_them(
    tmp_path: Path, slow_sim: Any
) -> None:
    db = tmp_path / "s.sqlite"
    proc = _collect(db, slow_sim, "--lock-timeout", "2")
    _wait_for_rows(db, 10)
    lock = _Lock(db, 60)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("afgap: error:")]
    assert len(errors) == 1, stderr
    line = errors[0]
    (saved,) = _recovery_files(db)
    stored, _ = rows_and_cells(db)
    assert "stayed locked by another process: gave up after 2 s" in line
    # Every call came back within the 2 s: each is stored or saved, none in between.
    assert f"{TOTAL - stored} received replies saved to {saved}" in line
    lock.release()
    sent_before = _requests(slow_sim)
    rerun = _collect(db, slow_sim)
    _, stderr = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, stderr
    assert f"afgap: recovered {TOTAL - stored} replies from {saved}" in stderr
    assert rows_and_cells(db) == (TOTAL, TOTAL) and _recovery_files(db) == []
    assert _requests(slow_sim) == sent_before  # nothing was lost, so nothing was sent again


def test_a_lock_held_when_the_collect_starts_is_waited_for(tmp_path: Path, slow_sim: Any) -> None:
    db = tmp_path / "s.sqlite"
    open_store(db).close()
    # Held until the collect says it waits (a notice comes after 1.5 s), however slow its start-up.
    lock = _Lock(db, 60)
    proc = _collect(db, slow_sim, "--limit", "3")
    assert proc.stderr is not None
    first = proc.stderr.readline()
    lock.release()
    _, rest = proc.communicate(timeout=60)
    stderr = first + rest
    assert proc.returncode == 0, stderr
    assert first.startswith(WAITING) and "Traceback" not in stderr
    assert rows_and_cells(db) == (12, 12)


def test_a_full_disk_says_so_and_saves_the_replies(
    cli: Any, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The writer child, with its store capped a few pages above its size: SQLite's "disk full".
    wrapper = (
        "import sys\n"
        "from afgap.store import database, writer_child\n"
        "def nearly_full(path, **kwargs):\n"
        "    store = database.open_store(path, **kwargs)\n"
        "    pages = store.conn.execute('PRAGMA page_count').fetchone()[0]\n"
        "    store.conn.execute(f'PRAGMA max_page_count = {pages + 20}')\n"
        "    return store\n"
        "writer_child.open_store = nearly_full\n"
        "sys.exit(writer_child.main(sys.argv[1:]))\n"
    )
    real_command = writer.child_command

    def wrapped(*args: Any) -> list[str]:
        command = real_command(*args)  # the wrapper takes the child's own arguments, after its module
        return [sys.executable, "-c", wrapper, *command[command.index("afgap.store.writer_child") + 1 :]]

    monkeypatch.setattr(writer, "child_command", wrapped)
    result = cli("collect", "-m", "sim/faker", "--limit", "60", "--quiet", "--db", str(db))
    assert result.exit_code == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("afgap: error:")]
    assert len(errors) == 1, result.stderr
    line = errors[0]
    (saved,) = _recovery_files(db)
    assert "is full" in line and "cannot rollback" not in line and str(saved) in line
    assert f"{len(saved.read_text().splitlines())} received replies saved to {saved}" in line
    monkeypatch.setattr(writer, "child_command", real_command)
    rerun = cli("collect", "-m", "sim/faker", "--limit", "60", "--quiet", "--db", str(db))
    assert rerun.exit_code == 0, rerun.stderr
    assert "afgap: recovered " in rerun.stderr and _recovery_files(db) == []
    assert rows_and_cells(db) == (120, 120)
