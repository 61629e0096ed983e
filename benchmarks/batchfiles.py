"""Offline batch files: export, the simulator's runner, import, against the floor of the same work.

    python benchmarks/batchfiles.py            # 100 built-in queries x 2 conditions x 25 samples = 5,000
    python benchmarks/batchfiles.py --samples 5

Each stage runs in-process on a fresh store, timed alone. The floors, measured in the same run on the same
data: for export, writing the same lines with json.dumps alone; for import, reading the result file with
json.loads and giving each reply the offline labels every stored response gets (the labellers are most of
an import's work, as they are of a collect's writer). The ratios say what afgap adds on top. Only the first
round is timed (`helpful-only-no-cot`: no scratchpad, so no continuation rounds).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from afgap.classify.labels import default_labels
from afgap.jobs.batch_export import export_batch
from afgap.jobs.batch_import import import_batch
from afgap.jobs.collect import CollectRequest
from afgap.sim.batch import run_batch

QUERIES = 100
SCENARIO = "helpful-only-no-cot"


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _write_floor(lines: list[object], target: Path) -> None:
    target.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def _import_floor(results: Path) -> None:
    for raw in results.read_text(encoding="utf-8").splitlines():
        body = json.loads(raw)["response"]["body"]
        default_labels(body["choices"][0]["message"]["content"], None)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db, requests, results = root / "s.sqlite", root / "req.jsonl", root / "res.jsonl"
        request = CollectRequest(
            models=("sim/faker",), db=db, scenarios=(SCENARIO,), samples=args.samples, limit=QUERIES
        )
        export_s = _timed(lambda: export_batch(request, requests, {}))
        written = [json.loads(line) for line in requests.read_text(encoding="utf-8").splitlines()]
        lines = len(written)
        write_floor_s = _timed(lambda: _write_floor(written, root / "floor.jsonl"))
        run_s = _timed(lambda: run_batch(requests, results))
        import_floor_s = _timed(lambda: _import_floor(results))
        import_s = _timed(lambda: import_batch(results, db))
        again_s = _timed(lambda: import_batch(results, db))
    print(f"{lines:,} lines ({SCENARIO}, sim/faker)")
    print(f"export       {export_s:7.2f} s   {export_s / write_floor_s:5.1f}x the json.dumps floor")
    print(f"sim run      {run_s:7.2f} s   {lines / run_s:,.0f} lines/s")
    print(f"import       {import_s:7.2f} s   {import_s / import_floor_s:5.2f}x the parse+label floor")
    print(f"import again {again_s:7.2f} s   (stores nothing)")


if __name__ == "__main__":
    main()
