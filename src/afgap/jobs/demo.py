"""The `demo` job: the three simulated organisms with known truth, collected and compared."""

from __future__ import annotations

from pathlib import Path

from afgap.engine.run import EngineOptions
from afgap.jobs.collect import CollectRequest
from afgap.jobs.compare import ALL_MODELS, ComparisonRun, compare_run
from afgap.settings import DEMO_CONCURRENCY, DEMO_MODELS, DEMO_SAMPLES
from afgap.stats.analysis import Settings


def demo_request(db: Path, samples: int = DEMO_SAMPLES) -> CollectRequest:
    """The demo's collection: every built-in query for each organism, at the simulator's concurrency."""
    engine = EngineOptions(concurrency=DEMO_CONCURRENCY)
    return CollectRequest(models=DEMO_MODELS, db=db, samples=samples, command="afgap demo", engine=engine)


def demo_comparison(db: Path) -> ComparisonRun:
    """The demo's report: every organism, the default analysis settings."""
    return compare_run(db, [ALL_MODELS], Settings())
