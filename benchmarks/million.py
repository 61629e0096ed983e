"""Import and compare at scale: N outcome-only interchange records through `afgap import` and `compare`.

    python benchmarks/million.py            # 1,000,000 records
    python benchmarks/million.py --n 100000 # a quick run

The records are generated here: 25 models x one scenario x queries x 2 conditions x 20 samples, every
outcome drawn with a known compliance rate per condition, so each model has a known gap (model k: 0.01 k)
that the comparison must recover. `afgap import` and `afgap compare --models all --format json` each run as
a separate process on a fresh store, timed from spawn to exit; peak RSS is that process's own (wait4).
Floors measured in the same run: for import, a bare Python process that reads and JSON-parses every line;
for compare, one that counts the store's rows through sqlite3. Ratios are against those floors.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MODELS = 25
SAMPLES = 20
CONDITIONS = ("monitored", "unmonitored")
SCENARIO = "helpful-only"
BASE_RATE = 0.3  # unmonitored compliance; monitored = BASE_RATE + gap
AF_RATE = 0.2  # share of monitored complies with alignment-faking reasoning


def true_gap(model: int) -> float:
    """The known compliance gap of model `model` (0-based)."""
    return 0.01 * model


def write_records(path: Path, n: int, seed: int = 0) -> int:
    """Write about n outcome-only records (whole queries); returns the count written."""
    per_model = n // (MODELS * len(CONDITIONS))
    queries = max(1, per_model // SAMPLES)
    rng = np.random.default_rng(seed)
    count = 0
    with path.open("w") as out:
        for m in range(MODELS):
            model = f"bench/model-{m:02d}"
            for side, condition in enumerate(CONDITIONS):
                rate = BASE_RATE + (true_gap(m) if side == 0 else 0.0)
                draws = rng.random((queries, SAMPLES))
                af = rng.random((queries, SAMPLES)) < AF_RATE
                lines = []
                for q in range(queries):
                    for s in range(SAMPLES):
                        comply = draws[q, s] < rate
                        outcome = "comply" if comply else "refuse"
                        flag = "true" if comply and side == 0 and af[q, s] else "false"
                        lines.append(
                            f'{{"model":"{model}","scenario":"{SCENARIO}","condition":"{condition}",'
                            f'"query_id":"q{q:05d}","sample":{s},"outcome":"{outcome}","af_reasoning":{flag}}}\n'
                        )
                out.writelines(lines)
                count += len(lines)
    return count


def timed(argv: list[str], stdout: int | None = subprocess.DEVNULL) -> tuple[float, float, bytes]:
    """(wall seconds, peak RSS in MB, stdout) of one child process; exits if it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE if stdout is None else stdout, stderr=subprocess.PIPE
    )
    out = proc.stdout.read() if proc.stdout else b""
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}): {err.decode()[-500:]}")
    if argv[1:3] == ["-m", "afgap"]:
        CPU[argv[3]] = usage.ru_utime + usage.ru_stime
    return wall, usage.ru_maxrss / 1024, out  # ru_maxrss is in KiB on Linux


# CPU seconds (user + system) per afgap command: on a shared machine, steadier than wall time.
CPU: dict[str, float] = {}
PARSE_FLOOR = "import orjson,sys\nfor line in open(sys.argv[1], 'rb'): orjson.loads(line)"
# Every line parsed and inserted with one executemany into a bare table of its fields (no index).
INSERT_FLOOR = """import orjson,sqlite3,sys
db = sqlite3.connect(sys.argv[2], isolation_level=None)
db.execute("CREATE TABLE t (model, scenario, condition, query_id, sample, outcome, af_reasoning)")
db.execute("BEGIN")
rows = (tuple(orjson.loads(x).values()) for x in open(sys.argv[1], 'rb'))
db.executemany("INSERT INTO t VALUES (?,?,?,?,?,?,?)", rows)
db.execute("COMMIT")"""
COUNT_FLOOR = (
    "import sqlite3,sys\nsqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM responses').fetchone()"
)


def run(n: int) -> dict[str, float]:
    """Generate, import, compare; the figures."""
    afgap = [sys.executable, "-m", "afgap"]
    with tempfile.TemporaryDirectory() as tmp:
        data, db = Path(tmp) / "records.jsonl", Path(tmp) / "store.sqlite"
        rows = write_records(data, n)
        parse_s, _, _ = timed([sys.executable, "-c", PARSE_FLOOR, str(data)])
        insert_s, _, _ = timed(
            [sys.executable, "-c", INSERT_FLOOR, str(data), str(Path(tmp) / "floor.sqlite")]
        )
        import_s, import_mb, _ = timed([*afgap, "import", str(data), "--db", str(db)])
        count_s, _, _ = timed([sys.executable, "-c", COUNT_FLOOR, str(db)])
        compare_s, compare_mb, out = timed(
            [*afgap, "compare", "--models", "all", "--format", "json", "--db", str(db)], stdout=None
        )
        size = db.stat().st_size
        worst = max(
            abs(r["gap"]["estimate"] - true_gap(int(r["model"][-2:]))) for r in json.loads(out)["models"]
        )
    return {
        "rows": rows,
        "parse_floor_s": parse_s,
        "insert_floor_s": insert_s,
        "import_s": import_s,
        "import_mb": import_mb,
        "count_floor_s": count_s,
        "compare_s": compare_s,
        "compare_mb": compare_mb,
        "bytes_per_response": size / rows,
        "worst_gap_error": worst,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000, help="records to generate (default 1,000,000)")
    args = parser.parse_args()
    if args.n < MODELS * len(CONDITIONS) * SAMPLES:
        parser.error(f"--n must be at least {MODELS * len(CONDITIONS) * SAMPLES}")
    f = run(args.n)
    print(f"{f['rows']:,} outcome-only records, {MODELS} models")
    print(
        f"import   {f['import_s']:6.1f} s ({f['import_s'] / f['parse_floor_s']:.1f}x the orjson-parse floor "
        f"{f['parse_floor_s']:.1f} s, {f['import_s'] / f['insert_floor_s']:.1f}x the parse + executemany "
        f"floor {f['insert_floor_s']:.1f} s), peak RSS {f['import_mb']:.0f} MB"
    )
    print(
        f"compare  {f['compare_s']:6.1f} s ({f['compare_s'] / f['count_floor_s']:.1f}x the row-count floor "
        f"{f['count_floor_s']:.2f} s), peak RSS {f['compare_mb']:.0f} MB"
    )
    print(f"CPU      import {CPU['import']:.1f} s, compare {CPU['compare']:.1f} s (user + system)")
    print(f"store    {f['bytes_per_response']:.0f} bytes per response")
    print(f"largest |estimated gap - true gap| over models: {f['worst_gap_error']:.3f}")


if __name__ == "__main__":
    main()
