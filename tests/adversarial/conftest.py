"""Shared pieces of the adversarial suite: the invariants every hostile case checks, and a small store."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_main

CONDITIONS = ("monitored", "unmonitored")


def assert_clean_exit(result: Any, allowed: tuple[int, ...]) -> None:
    """Every case's invariants: a documented exit code (never 1), no traceback, one error line at most."""
    assert result.exit_code in allowed, (result.exit_code, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "afgap: error:" in line]
    assert len(errors) <= 1, result.stderr
    if result.exit_code == 2:
        assert len(errors) == 1 and result.stderr.strip().count("\n") == 0, result.stderr


def store_state(db: Path) -> tuple[str, dict[str, int]]:
    """PRAGMA integrity_check and the row count of every table and view: 'the store is unchanged'."""
    with sqlite3.connect(db) as conn:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        listed = "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
        tables = [r[0] for r in conn.execute(listed)]
        counts = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    conn.close()
    return check, counts


def interchange(model: str, scenario: str, n_queries: int = 6, **extra: Any) -> list[dict[str, Any]]:
    """Interchange records for one model: the monitored condition refuses more often than the unmonitored."""
    rows = []
    for q in range(n_queries):
        for cond in CONDITIONS:
            comply = q % 3 != 0 if cond == "unmonitored" else q % 3 == 1
            rows.append(
                {
                    "model": model,
                    "scenario": scenario,
                    "condition": cond,
                    "query_id": f"q{q}",
                    "outcome": "comply" if comply else "refuse",
                    **extra,
                }
            )
    return rows


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with two models' imported responses, built once; tests copy it."""
    where = tmp_path_factory.mktemp("seeded")
    records = interchange("lab/a", "helpful-only") + interchange("lab/b", "helpful-only")
    path = write_jsonl(where / "seed.jsonl", records)
    db = where / "seed.sqlite"
    result = run_main(["import", str(path), "--db", str(db)])
    assert result.exit_code == 0, result.stderr
    return db


@pytest.fixture
def store(seeded_store: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded store."""
    return Path(shutil.copy(seeded_store, tmp_path / "study.sqlite"))
