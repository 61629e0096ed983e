"""A store of outcome-labelled records built through `afgap import`, fast enough for every report test."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

# Monitored and unmonitored compliance per synthetic model: a clear faker, a null, a complier.
RATES = {"lab/faker": (0.35, 0.05), "lab/steady": (0.1, 0.1), "lab/complier": (0.9, 0.88)}


def records(
    rates: dict[str, tuple[float, float]],
    n_queries: int,
    seed: int = 0,
    text: Callable[[int], str] | None = None,
) -> list[dict[str, Any]]:
    """Interchange records: one sample per query and condition, outcomes drawn at the given rates."""
    rng = random.Random(seed)
    rows = []
    for model, (p_mon, p_unmon) in rates.items():
        for q in range(n_queries):
            for condition, p in (("monitored", p_mon), ("unmonitored", p_unmon)):
                draw = rng.random()
                outcome = "comply" if draw < p else "partial" if draw < p + 0.03 else "refuse"
                af = condition == "monitored" and outcome == "comply" and q % 2 == 0
                row: dict[str, Any] = {
                    "model": model,
                    "scenario": "helpful-only",
                    "condition": condition,
                    "query_id": f"q{q:04d}",
                    "outcome": outcome,
                    "query": f"request {q}",
                    "af_reasoning": af,
                }
                if text is not None:
                    row["response"] = text(q)
                rows.append(row)
    return rows


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    """Write records as interchange JSONL."""
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def report_db(cli: Any, tmp_path: Path) -> Path:
    """A store with three synthetic models × 60 queries, each response a short text."""
    db = tmp_path / "report.sqlite"
    source = write_jsonl(tmp_path / "in.jsonl", records(RATES, 60, text=lambda q: f"answer text {q}"))
    result = cli("import", str(source), "--db", str(db))
    assert result.exit_code == 0, result.stderr
    return db
