"""The `status` and `runs` jobs: what the store holds, and every collect run that filled it."""

from __future__ import annotations

from pathlib import Path

from afgap.store.database import open_store

STATUS_SCHEMA = "afgap/status@1"
RUNS_SCHEMA = "afgap/runs@1"
# The machine-readable columns, in order; the JSON keys and the CSV header both come from these.
STATUS_FIELDS = ("model", "scenario", "status", "responses", "cost_usd")
RUNS_FIELDS = ("run", "started", "finished", "afgap_version", "command", "responses")

Record = dict[str, str | int | float | None]


def store_status(db: Path) -> list[tuple[str, str, str, int, float | None]]:
    """Responses per (model, scenario, status) and their cost in USD (None when unknown)."""
    with open_store(db, readonly=True) as store:
        return store.summary()


def run_history(db: Path) -> list[tuple[int, str, str | None, str, str, int]]:
    """Every collect run: id, start, finish (None if interrupted), afgap version, command, responses."""
    with open_store(db, readonly=True) as store:
        return store.runs()


def status_records(db: Path) -> list[Record]:
    """store_status as records keyed by STATUS_FIELDS; cost_usd is None when unknown."""
    return [dict(zip(STATUS_FIELDS, row, strict=True)) for row in store_status(db)]


def run_records(db: Path) -> list[Record]:
    """run_history as records keyed by RUNS_FIELDS; finished is None for an interrupted run."""
    return [dict(zip(RUNS_FIELDS, row, strict=True)) for row in run_history(db)]
