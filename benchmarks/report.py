"""`afgap report --html` over 100 models x 400 queries: the target is <= 10 s and an HTML file <= 5 MB.

    python benchmarks/report.py [--models 100] [--queries 400] [--keep DIR]

Builds the store the way a lab with results from another tool would: `afgap import` of generated
interchange JSONL (outcome-labelled records with short response texts, one sample per query and
condition), then times `afgap report --html … --plots …` end to end in a fresh process (start-up,
statistics, the example read, rendering and writing included). Prints the figures and exits 1 if a
target is missed.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS, TARGET_MB = 10.0, 5.0


def write_records(path: Path, models: int, queries: int, seed: int = 0) -> int:
    """Interchange JSONL: each model gets its own monitored/unmonitored compliance rates."""
    rng = random.Random(seed)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for m in range(models):
            p_unmon = rng.uniform(0.0, 0.6)
            p_mon = min(1.0, p_unmon + rng.choice([0.0, 0.0, 0.02, 0.08, 0.15]))
            for q in range(queries):
                for condition, p in (("monitored", p_mon), ("unmonitored", p_unmon)):
                    draw = rng.random()
                    outcome = "comply" if draw < p else "partial" if draw < p + 0.02 else "refuse"
                    if rng.random() < 0.01:
                        outcome = "unparseable"
                    record = {
                        "model": f"bench/model-{m:03d}",
                        "scenario": "helpful-only",
                        "condition": condition,
                        "query_id": f"q{q:04d}",
                        "outcome": outcome,
                        "query": f"benchmark request {q}",
                        "response": f"<OUTPUT>{outcome} … " + "placeholder text " * 30 + "</OUTPUT>",
                        "af_reasoning": outcome == "comply" and condition == "monitored" and q % 3 == 0,
                    }
                    out.write(json.dumps(record) + "\n")
                    count += 1
    return count


def afgap(*args: str) -> float:
    """Run `python -m afgap ARGS` in a fresh process; returns wall seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "afgap", *args], check=True, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    """Build the store, time the report, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--keep", type=Path, help="Write the store and report here instead of a temp dir.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="afgap-bench-report-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        db, html, plots = work / "bench.sqlite", work / "report.html", work / "plots"
        db.unlink(missing_ok=True)
        records = write_records(work / "records.jsonl", args.models, args.queries)
        imported = afgap("import", str(work / "records.jsonl"), "--db", str(db))
        seconds = afgap("report", "--html", str(html), "--plots", str(plots), "--db", str(db))
        size_mb = html.stat().st_size / 1e6
    print(
        f"store: {args.models} models x {args.queries} queries x 2 conditions = {records:,} records "
        f"(afgap import: {imported:.1f} s)"
    )
    print(f"afgap report --html --plots: {seconds:.2f} s (target <= {TARGET_SECONDS:g} s)")
    print(f"HTML size: {size_mb:.2f} MB (target <= {TARGET_MB:g} MB)")
    ok = seconds <= TARGET_SECONDS and size_mb <= TARGET_MB
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
