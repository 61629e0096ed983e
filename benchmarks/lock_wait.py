"""A collect while another process holds the store's write lock: nothing received is lost.

    python benchmarks/lock_wait.py                      # a 20 s lock mid-collect; the collect waits it out
    python benchmarks/lock_wait.py --lock-timeout 5     # it gives up after 5 s; a rerun imports the rest

The simulator (40 ms a reply, `faker`) answers 60 built-in queries x 2 conditions x 2 samples at concurrency 4
(240 calls, ~2.5 s unlocked). Once 20 replies are stored, a separate connection takes the store's write
lock (BEGIN IMMEDIATE) and holds it for `--hold` seconds. Printed: the collect's exit code, its stderr,
the replies it received (its last progress line), the rows stored (and distinct cells: equal when
nothing is duplicated), what is in recovery files, and after a rerun (if the first gave up) the same.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from afgap.sim.server import start_in_thread
from afgap.sim.settings import SimSettings

QUERIES, SAMPLES, CONCURRENCY = 60, 2, 4
TOTAL = QUERIES * 2 * SAMPLES


def collect(db: Path, base_url: str, lock_timeout: float | None) -> subprocess.Popen[str]:
    env = {**os.environ, "LOCAL_BASE_URL": f"{base_url}/v1", "LOCAL_API_KEY": "bench", "NO_COLOR": "1"}
    args = [sys.executable, "-m", "afgap", "collect", "-m", "openai-api/local/faker", "--db", str(db)]
    args += ["--limit", str(QUERIES), "--samples", str(SAMPLES), "--concurrency", str(CONCURRENCY)]
    args += ["--lock-timeout", str(lock_timeout)] if lock_timeout is not None else []
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def rows(db: Path) -> tuple[int, int]:
    """(responses stored, distinct request hashes) in one snapshot."""
    with sqlite3.connect(db, timeout=60) as conn:
        total, cells = conn.execute("SELECT COUNT(*), COUNT(DISTINCT request_hash) FROM responses").fetchone()
    return int(total), int(cells)


def wait_for_rows(db: Path, at_least: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if db.exists() and rows(db)[0] >= at_least:
                return
        except sqlite3.OperationalError:
            pass  # the schema is not there yet
        time.sleep(0.01)
    raise SystemExit(f"no {at_least} rows within 30 s")


def hold_lock(db: Path, seconds: float) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    time.sleep(seconds)
    conn.execute("ROLLBACK")
    conn.close()


def sim_replies(base_url: str) -> int:
    with urllib.request.urlopen(f"{base_url}/stats", timeout=10) as resp:
        return int(json.load(resp)["by_status"].get("200", 0))


def recovery_lines(db: Path) -> dict[str, int]:
    return {p.name: len(p.read_text().splitlines()) for p in db.parent.glob(f"{db.name}.recovery-*.jsonl")}


def run(db: Path, base_url: str, hold: float, lock_timeout: float | None) -> None:
    started = time.monotonic()
    proc = collect(db, base_url, lock_timeout)
    wait_for_rows(db, 20)
    locker = threading.Thread(target=hold_lock, args=(db, hold))
    locker.start()
    print(f"lock taken at {time.monotonic() - started:.1f} s with {rows(db)[0]} rows stored; held {hold:g} s")
    _, stderr = proc.communicate(timeout=hold + 600)
    print(f"collect exit {proc.returncode} after {time.monotonic() - started:.1f} s; its stderr:")
    locker.join()
    print("  " + stderr.strip().replace("\n", "\n  "))
    # Its last progress line counts the calls that came back (answered or failed), i.e. the replies received.
    received = [int(n) for n in re.findall(r"^collect: (\d+)/", stderr, re.MULTILINE)]
    print(f"  replies received by the collect: {received[-1] if received else 'unknown'}")
    report(db, base_url)
    if proc.returncode != 0:
        rerun = collect(db, base_url, None)
        _, stderr = rerun.communicate(timeout=600)
        print(f"rerun exit {rerun.returncode}; its stderr:\n  " + stderr.strip().replace("\n", "\n  "))
        report(db, base_url)


def report(db: Path, base_url: str) -> None:
    stored, cells = rows(db)
    saved = recovery_lines(db)
    sent = sim_replies(base_url)
    print(f"  HTTP replies the simulator sent so far (a call can take several turns): {sent}")
    print(f"  rows stored: {stored} ({cells} distinct); recovery files: {saved}")
    print(f"  cells: {TOTAL}; stored + in recovery files: {stored + sum(saved.values())}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hold", type=float, default=20.0, help="seconds the external lock is held")
    parser.add_argument("--lock-timeout", type=float, default=None, help="the collect's --lock-timeout")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, start_in_thread(SimSettings(seed=1, latency_ms=40)) as sim:
        run(Path(tmp) / "lock.sqlite", sim.base_url, args.hold, args.lock_timeout)


if __name__ == "__main__":
    main()
