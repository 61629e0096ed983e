"""Ctrl-C, SIGTERM and SIGKILL leave a consistent store; a rerun completes exactly what is missing."""

from __future__ import annotations

import os
import random
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

QUERIES = 60
SAMPLES = 2
TOTAL = QUERIES * 2 * SAMPLES


@pytest.fixture
def slow_sim() -> Iterator[Any]:
    """A simulator slow enough that a collect is still running when the signal lands."""
    with start_in_thread(SimSettings(seed=1, latency_ms=40)) as running:
        yield running


def _collect(db: Path, sim: Any, capture: bool = False) -> subprocess.Popen[str]:
    env = {**os.environ, "LOCAL_BASE_URL": f"{sim.base_url}/v1", "LOCAL_API_KEY": "test", "NO_COLOR": "1"}
    args = [sys.executable, "-m", "afgap", "collect", "-m", "openai-api/local/faker", "--quiet"]
    args += ["--limit", str(QUERIES), "--samples", str(SAMPLES), "--concurrency", "4", "--db", str(db)]
    stream = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen(args, env=env, stdout=stream, stderr=stream, text=True)


def _wait_for_rows(db: Path, at_least: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            try:
                if rows_and_cells(db)[0] >= at_least:
                    return
            except sqlite3.OperationalError:
                pass  # schema not created yet
        time.sleep(0.02)
    raise AssertionError(f"no {at_least} rows within {timeout} s")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_exits_130_fast_and_rerun_resumes(
    tmp_path: Path, slow_sim: Any, sig: signal.Signals
) -> None:
    db = tmp_path / "s.sqlite"
    proc = _collect(db, slow_sim, capture=True)
    _wait_for_rows(db, 10)
    sent_at = time.monotonic()
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 130, stderr
    assert time.monotonic() - sent_at < 3.0
    assert "Traceback" not in stderr and "rerun" in stderr
    stored, cells = rows_and_cells(db)
    assert 10 <= stored < TOTAL and stored == cells
    rerun = _collect(db, slow_sim)
    assert rerun.wait(timeout=60) == 0
    assert rows_and_cells(db) == (TOTAL, TOTAL)


def test_sigkill_at_random_moments_never_loses_or_duplicates(tmp_path: Path, slow_sim: Any) -> None:
    db = tmp_path / "k.sqlite"
    rng = random.Random(20261124)
    previous = 0
    for _ in range(10):
        proc = _collect(db, slow_sim)
        time.sleep(rng.uniform(0.3, 1.2))
        proc.kill()
        proc.wait(timeout=10)
        stored, cells = rows_and_cells(db) if db.exists() else (0, 0)
        assert stored == cells, "a duplicate cell after SIGKILL"
        assert stored >= previous, "a stored call was lost"
        previous = stored
    final = _collect(db, slow_sim)
    assert final.wait(timeout=60) == 0
    assert rows_and_cells(db) == (TOTAL, TOTAL)
