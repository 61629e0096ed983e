"""Two collects on one store split the calls: each cell is sent once in all, and stored once."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from afgap.sim.server import start_in_thread
from afgap.sim.settings import SimSettings
from tests.store_counts import rows_and_cells

SAMPLES = 2


@pytest.fixture
def slow_sim() -> Iterator[Any]:
    """Slow enough that the first collect is still sending when it is paused."""
    with start_in_thread(SimSettings(seed=1, latency_ms=40)) as running:
        yield running


def _collect(db: Path, sim: Any, queries: int) -> subprocess.Popen[str]:
    env = {**os.environ, "LOCAL_BASE_URL": f"{sim.base_url}/v1", "LOCAL_API_KEY": "test", "NO_COLOR": "1"}
    args = [sys.executable, "-m", "afgap", "collect", "-m", "openai-api/local/faker", "--quiet"]
    args += ["--limit", str(queries), "--samples", str(SAMPLES), "--concurrency", "4", "--db", str(db)]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def _requests(db: Path) -> int:
    """HTTP requests the stored calls took (a call's attempts count each turn: faker continues some)."""
    return _count(db, "SELECT SUM(attempts) FROM responses")


def _wait_until(db: Path, sql: str, at_least: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if db.exists() and _count(db, sql) >= at_least:
                return
        except sqlite3.OperationalError:
            pass  # the schema is not there yet
        time.sleep(0.02)
    raise AssertionError(f"not {at_least} from {sql!r} within {timeout} s")


@contextlib.contextmanager
def _paused(proc: subprocess.Popen[str]) -> Iterator[None]:
    """Stop a running collect (alive, its claims live) so the test does not race a loaded machine."""
    proc.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        proc.send_signal(signal.SIGCONT)


def _finish(proc: subprocess.Popen[str]) -> str:
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    return stderr


def test_a_second_collect_sends_only_what_the_first_is_not_sending(tmp_path: Path, slow_sim: Any) -> None:
    db = tmp_path / "shared.sqlite"
    first = _collect(db, slow_sim, 20)  # 80 calls
    _wait_until(db, "SELECT COUNT(*) FROM responses", 4)  # it has claimed and is sending
    with _paused(first):
        second_err = _finish(_collect(db, slow_sim, 40))  # 160 calls, 80 of them the first's
    _finish(first)
    line = re.search(
        r"(\d+) calls are being made by another collect on this store \(run 1, pid (\d+)\); "
        r"this run sends the other 80",
        second_err,
    )
    assert line is not None, second_err
    assert int(line.group(2)) == first.pid and 0 < int(line.group(1)) <= 80 - 4
    assert rows_and_cells(db) == (160, 160)
    assert slow_sim.simulator.counters.requests == _requests(db)  # each call sent once, by one or the other
    assert _count(db, "SELECT COUNT(*) FROM claims") == 0
    assert _count(db, "SELECT COUNT(*) FROM collectors") == 0


def test_a_collect_with_nothing_left_exits_0_at_once_and_says_why(tmp_path: Path, slow_sim: Any) -> None:
    db = tmp_path / "same.sqlite"
    first = _collect(db, slow_sim, 60)
    _wait_until(db, "SELECT COUNT(*) FROM responses", 4)
    with _paused(first):
        second_err = _finish(_collect(db, slow_sim, 60))
    assert "calls are being made by another collect on this store" in second_err
    assert "nothing is left for this run to send" in second_err
    assert "nothing sent:" in second_err and "rerun the same command once it ends" in second_err
    _finish(first)
    assert rows_and_cells(db) == (240, 240)
    assert slow_sim.simulator.counters.requests == _requests(db)


def test_the_claims_of_a_killed_collect_do_not_block_a_rerun(tmp_path: Path, slow_sim: Any) -> None:
    db = tmp_path / "killed.sqlite"
    killed = _collect(db, slow_sim, 40)
    _wait_until(db, "SELECT COUNT(*) FROM responses", 10)
    killed.kill()
    killed.communicate(timeout=10)
    assert _count(db, "SELECT COUNT(*) FROM claims") > 0  # left behind by kill -9
    rerun = _finish(_collect(db, slow_sim, 40))
    assert "another collect" not in rerun
    assert rows_and_cells(db) == (160, 160)
    assert _count(db, "SELECT COUNT(*) FROM claims") == 0
