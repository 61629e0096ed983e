"""The `status` and `runs` jobs: what the store holds, and every collect run that filled it."""

from __future__ import annotations

from pathlib import Path

from afgap.store.database import open_store


def store_status(db: Path) -> list[tuple[str, str, str, int, float | None]]:
    """Responses per (model, scenario, status) and their cost in USD (None when unknown)."""
    with open_store(db, create=False) as store:
        return store.summary()


def run_history(db: Path) -> list[tuple[int, str, str | None, str, str, int]]:
    """Every collect run: id, start, finish (None if interrupted), afgap version, command, responses."""
    with open_store(db, create=False) as store:
        return store.runs()
