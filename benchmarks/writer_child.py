"""The collect's writer child alone: one collect's input captured, then replayed into copies of its store.

    python benchmarks/writer_child.py                      # 10,000 calls at C = 256, 5 replays
    python benchmarks/writer_child.py --repeat 9 --samples 10
    python benchmarks/writer_child.py --baseline OLD/src   # also an older afgap's child, interleaved

A whole collect's CPU swings by ±15 % on a shared 2-core machine (benchmarks/collect.py), which hides
changes of a few per cent. The child's work needs no network, so it is measured here on its own. A collect
against the simulator runs once with its child's input copied to a file and its store copied as the child
first opens it; then the child's own command line reads that file into a fresh copy of that store,
`--repeat` times, each a separate process timed by wait4 (start-up included). Two floors, measured in the
same run: the interpreter's start with the child's flags (`-c pass`), and the bare SQLite work, in-process:
the rows and labels the child stored, inserted again with `executemany` in batches of the same size into
an empty copy of the same schema (no labelling, no name lookups, no unpickling). `--baseline` captures and
replays an older afgap's child the same way (its own capture: the frame format may differ).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import afgap
from afgap.store.framing import FRAME
from collect import bench_env  # benchmarks/collect.py, beside this file

QUERIES = 100
SCENARIO = "helpful-only-no-cot"
MODEL = "openai-api/bench/faker"

# Run in the collecting process: tee the child's input to a file, and copy the store before the child
# opens it. argv: capture directory, then afgap's own arguments.
_CAPTURE = """
import shlex, sqlite3, sys
import afgap.store.writer as writer
out = sys.argv.pop(1)
real = writer.child_command
def captured(store, saved, patience):
    source, copy = sqlite3.connect(store), sqlite3.connect(out + "/before.sqlite")
    source.backup(copy)
    copy.close()
    source.close()
    command = real(store, saved, patience)
    with open(out + "/command", "w") as f:
        f.write("\\n".join(command))
    return ["sh", "-c", "tee " + shlex.quote(out + "/input") + " | exec " + shlex.join(command)]
writer.child_command = captured
from afgap.cli import main
sys.argv = ["afgap", *sys.argv[1:]]
main()
"""


def env_for(source: str | None, base_url: str) -> dict[str, str]:
    """The environment of a collect (or replay) from `source` (None: this afgap), bytecode cache allowed."""
    env = bench_env(BENCH_BASE_URL=f"{base_url}/v1", BENCH_API_KEY="bench", NO_COLOR="1")
    # The child finds afgap on PYTHONPATH, as the collect's writer sets it (it runs without site-packages).
    root = source or str(Path(afgap.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return env


def capture(base_url: str, where: Path, samples: int, concurrency: int, source: str | None) -> list[str]:
    """Run one collect with its child's input captured in `where`; the child's command line."""
    where.mkdir(parents=True)
    args = [sys.executable, "-c", _CAPTURE, str(where), "collect", "-m", MODEL, "--scenario", SCENARIO]
    args += ["--quiet", "--limit", str(QUERIES), "--samples", str(samples), "--concurrency", str(concurrency)]
    args += ["--db", str(where / "store.sqlite")]
    done = subprocess.run(args, env=env_for(source, base_url), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the captured collect failed: {done.stderr.strip().splitlines()[-1:]}")
    return (where / "command").read_text().split("\n")


def replay(where: Path, command: list[str], env: dict[str, str]) -> float:
    """CPU seconds of the child's command reading the captured input into a fresh copy of the store."""
    target = where / "replay.sqlite"
    for stale in where.glob("replay.sqlite*"):
        stale.unlink()
    shutil.copy(where / "before.sqlite", target)
    # The command's last three arguments are the store, the recovery file and the lock patience.
    args = [*command[:-3], str(target), str(where / "replay.recovery.jsonl"), command[-1]]
    with (where / "input").open("rb") as source:
        child = subprocess.Popen(args, stdin=source, stdout=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the replayed child exited with {os.waitstatus_to_exitcode(status)}")
    with sqlite3.connect(target) as conn, sqlite3.connect(where / "store.sqlite") as done:
        replayed = conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
        expected = done.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    assert replayed == expected, (replayed, expected)
    return usage.ru_utime + usage.ru_stime


def start_floor(command: list[str], env: dict[str, str]) -> float:
    """CPU seconds of the interpreter starting with the child's flags and doing nothing."""
    child = subprocess.Popen([*command[: command.index("-m")], "-c", "pass"], env=env)
    _, _, usage = os.wait4(child.pid, 0)
    return usage.ru_utime + usage.ru_stime


def store_floor(where: Path, batches: int) -> float:
    """CPU seconds of inserting the stored rows and labels again, bare, in `batches` transactions."""
    target = where / "floor.sqlite"
    for stale in where.glob("floor.sqlite*"):
        stale.unlink()
    shutil.copy(where / "store.sqlite", target)
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    rows = conn.execute("SELECT * FROM response_rows ORDER BY id").fetchall()
    labels = conn.execute("SELECT * FROM labels ORDER BY response_id").fetchall()
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DELETE FROM labels")
    conn.execute("DELETE FROM response_rows")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    insert_row = f"INSERT INTO response_rows VALUES ({', '.join('?' * len(rows[0]))})"
    insert_label = f"INSERT INTO labels VALUES ({', '.join('?' * len(labels[0]))})"
    per_row = len(labels) / len(rows)
    size = -(-len(rows) // batches)
    started = time.process_time()
    for first in range(0, len(rows), size):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(insert_row, rows[first : first + size])
        conn.executemany(insert_label, labels[round(first * per_row) : round((first + size) * per_row)])
        conn.execute("COMMIT")
    spent = time.process_time() - started
    conn.close()
    return spent


def frames_in(path: Path) -> int:
    """How many batches the captured input holds (each its length, then that many bytes)."""
    count, at, data = 0, 0, path.read_bytes()
    while at + FRAME.size <= len(data):
        (size,) = FRAME.unpack_from(data, at)
        at += FRAME.size + size
        count += 1
    return count


def main() -> None:
    """Capture, replay, print the medians against the floors."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=50, help="per query and condition (default 50)")
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--repeat", type=int, default=5, help="replays of each child (medians reported)")
    parser.add_argument("--baseline", metavar="SRC", help="also an older afgap's child, from this src folder")
    opts = parser.parse_args()

    from afgap.sim.process import start_in_subprocess
    from afgap.sim.settings import SimSettings

    sources: dict[str, str | None] = {"afgap": None}
    if opts.baseline:
        sources["baseline"] = opts.baseline
    with tempfile.TemporaryDirectory(prefix="afgap-child-") as tmp:
        with start_in_subprocess(SimSettings(latency_ms=opts.latency_ms)) as sim:
            commands = {
                name: capture(sim.base_url, Path(tmp) / name, opts.samples, opts.concurrency, source)
                for name, source in sources.items()
            }
        envs = {name: env_for(source, "http://127.0.0.1:1") for name, source in sources.items()}
        for name in sources:  # untimed: fills the bytecode cache
            replay(Path(tmp) / name, commands[name], envs[name])
        cpu: dict[str, list[float]] = {name: [] for name in sources}
        starts, stores = [], []
        for _ in range(max(opts.repeat, 1)):
            for name in sources:
                cpu[name].append(replay(Path(tmp) / name, commands[name], envs[name]))
            starts.append(start_floor(commands["afgap"], envs["afgap"]))
            stores.append(store_floor(Path(tmp) / "afgap", frames_in(Path(tmp) / "afgap" / "input")))
        calls = QUERIES * 2 * opts.samples
        start, store = statistics.median(starts), statistics.median(stores)
        print(f"{calls:,} calls at C = {opts.concurrency}, {opts.repeat} replays each, median CPU seconds")
        print(f"floors: interpreter start {start:.3f} s, bare SQLite inserts {store:.3f} s")
        for name in sources:
            size = (Path(tmp) / name / "input").stat().st_size / 1e6
            spent = statistics.median(cpu[name])
            runs = " ".join(f"{x:.2f}" for x in cpu[name])
            ratio = spent / (start + store)
            print(
                f"{name:<9} {spent:.3f} s ({spent / calls * 1e6:.0f} µs a call; {ratio:.2f}x the floors), "
                f"input {size:.1f} MB; runs {runs}"
            )


if __name__ == "__main__":
    main()
