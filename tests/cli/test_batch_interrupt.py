"""`collect --batch` stopped while it polls (kill -9, Ctrl-C): the rerun polls the recorded batch again.

Every response ends up stored exactly once, and the simulator's counters show no call submitted twice.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from afgap.sim.server import RunningSim, start_in_thread
from afgap.sim.settings import SimSettings
from tests.store_counts import rows_and_cells

QUERIES = 15
TOTAL = QUERIES * 2
DELAY_S = 2.0


@pytest.fixture
def slow_batches() -> Iterator[RunningSim]:
    """Batches that end well after the collect is stopped."""
    with start_in_thread(SimSettings(seed=4, batch_delay_s=DELAY_S)) as running:
        yield running


def _collect(db: Path, sim: RunningSim) -> subprocess.Popen[str]:
    env = {**os.environ, "OPENAI_BASE_URL": f"{sim.base_url}/v1", "OPENAI_API_KEY": "test", "NO_COLOR": "1"}
    args = [sys.executable, "-m", "afgap", "collect", "-m", "openai/faker", "--batch", "--quiet"]
    args += ["--limit", str(QUERIES), "--db", str(db)]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_batch(db: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=10) as conn:
                    if conn.execute("SELECT COUNT(*) FROM provider_batches").fetchone()[0]:
                        return
            except sqlite3.OperationalError:
                pass  # schema not created yet
        time.sleep(0.02)
    raise AssertionError(f"no batch recorded within {timeout} s")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_stopped_while_polling_the_rerun_resumes_without_resubmitting(
    tmp_path: Path, slow_batches: RunningSim, sig: signal.Signals
) -> None:
    db = tmp_path / "b.sqlite"
    proc = _collect(db, slow_batches)
    _wait_for_batch(db)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=10)
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "Traceback" not in stderr
        assert "rerun the same command to resume polling" in stderr
    assert rows_and_cells(db) == (0, 0)  # stopped before the batch ended
    rerun = _collect(db, slow_batches)
    _, stderr = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, stderr
    assert "resuming 1 recorded batch" in stderr and "submitted" not in stderr
    assert rows_and_cells(db) == (TOTAL, TOTAL)
    counts: dict[str, Any] = slow_batches.simulator.batches.counts()
    assert (counts["batches"], counts["items"], counts["resubmitted"]) == (1, TOTAL, 0)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM provider_batches").fetchall() == [("collected",)]
