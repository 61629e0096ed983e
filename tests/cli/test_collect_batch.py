"""`afgap collect --batch` through the CLI, against the simulator's batch APIs over loopback."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from afgap.sim.server import RunningSim, start_in_thread
from afgap.sim.settings import SimSettings

# Everything a stored call is identified and planned by: a batch reply must match a live one on all of it.
_CELL = (
    "SELECT request_hash, model, provider, scenario, scenario_hash, query_id, query_text, condition, sample, "
    "sampling, status, simulated FROM responses"
)
# A one-turn call's conversation; a continued call's depends on what the model said.
_SENT = "SELECT request_hash, p.messages FROM responses JOIN prompts p ON p.id = prompt_id WHERE turns = 1"


def _query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def batch_sim() -> Iterator[RunningSim]:
    with start_in_thread(SimSettings(seed=5, batch_delay_s=0.2)) as running:
        yield running


def _env(sim: RunningSim) -> dict[str, str]:
    return {
        "OPENAI_BASE_URL": f"{sim.base_url}/v1",
        "OPENAI_API_KEY": "test",
        "ANTHROPIC_BASE_URL": sim.base_url,
        "ANTHROPIC_API_KEY": "test",
    }


def test_batch_stores_the_rows_a_live_collect_stores(cli: Any, tmp_path: Path) -> None:
    args = ["collect", "-m", "sim/faker", "--limit", "4", "--samples", "2", "-q"]
    assert cli(*args, "--db", "live.sqlite").exit_code == 0
    batch = cli(*args, "--batch", "--db", "batch.sqlite")
    assert batch.exit_code == 0, batch.stderr
    assert "calls to sim/faker submitted" in batch.stderr
    live_rows = sorted(_query(tmp_path / "live.sqlite", _CELL))
    batch_rows = sorted(_query(tmp_path / "batch.sqlite", _CELL))
    assert len(batch_rows) == 16 and batch_rows == live_rows
    live_sent = dict(_query(tmp_path / "live.sqlite", _SENT))
    batch_sent = dict(_query(tmp_path / "batch.sqlite", _SENT))
    both = live_sent.keys() & batch_sent.keys()
    assert both and all(live_sent[h] == batch_sent[h] for h in both)
    [(status, hashes)] = _query(
        tmp_path / "batch.sqlite", "SELECT status, request_hashes FROM provider_batches"
    )
    assert status == "collected" and hashes.count('"') == 2 * 16
    again = cli(*args, "--batch", "--db", "batch.sqlite")
    assert again.exit_code == 0 and "submitted" not in again.stderr
    assert len(_query(tmp_path / "batch.sqlite", "SELECT 1 FROM provider_batches")) == 1


def test_anthropic_batch_costs_half_the_live_price(cli: Any, tmp_path: Path, batch_sim: RunningSim) -> None:
    (tmp_path / "p.toml").write_text(
        '[models]\n"anthropic/faker" = { input = 2, output = 10 }\n[batch]\n"anthropic/*" = 0.5\n'
    )
    result = cli(
        "collect",
        "-m",
        "anthropic/faker",
        "--limit",
        "5",
        "--prices",
        "p.toml",
        "--scenario",
        "helpful-only-no-cot",
        "--batch",
        "-q",
        "--db",
        "s.sqlite",
        env=_env(batch_sim),
    )
    assert result.exit_code == 0, result.stderr
    rows = _query(tmp_path / "s.sqlite", "SELECT tokens_in, tokens_out, cost_usd, turns FROM responses")
    assert len(rows) == 10
    for tokens_in, tokens_out, cost, turns in rows:
        assert turns == 1 and cost == pytest.approx((tokens_in * 2 + tokens_out * 10) / 1e6 * 0.5)
    assert batch_sim.simulator.batches.counts()["batches"] == 1
    assert batch_sim.simulator.counters.requests == 0  # nothing was sent live


@pytest.mark.parametrize("fallback", ["resubmit", "live"])
def test_expired_items_are_resubmitted_or_sent_live(cli: Any, tmp_path: Path, fallback: str) -> None:
    with start_in_thread(SimSettings(seed=2, batch_expire_rate=0.4)) as sim:
        result = cli(
            "collect",
            "-m",
            "openai/faker",
            "--limit",
            "10",
            "--batch",
            "--batch-fallback",
            fallback,
            "-q",
            "--db",
            "s.sqlite",
            env=_env(sim),
        )
        counts = sim.simulator.batches.counts()
        live_requests = sim.simulator.counters.requests
    assert result.exit_code == 0, result.stderr
    statuses = _query(tmp_path / "s.sqlite", "SELECT status, COUNT(*) FROM responses GROUP BY status")
    assert statuses == [("ok", 20)]
    expired = counts["items"] - 20 if fallback == "resubmit" else None
    if fallback == "resubmit":
        assert counts["batches"] >= 2 and expired == counts["resubmitted"] > 0
    else:
        assert counts["batches"] == 1 and counts["resubmitted"] == 0 and live_requests > 0


def test_a_provider_without_a_batch_api_is_refused_before_anything_is_sent(cli: Any, tmp_path: Path) -> None:
    result = cli(
        "collect", "-m", "together/some/model", "--batch", "--db", "s.sqlite", env={"TOGETHER_API_KEY": "k"}
    )
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "afgap: error: --batch needs a provider with a batch API (anthropic, openai, sim; chat models only); "
        "none for together/some/model"
    ]
    assert not (tmp_path / "s.sqlite").exists()
    budget = cli("collect", "-m", "sim/faker", "--batch", "--max-cost", "1", "--db", "s.sqlite")
    assert budget.exit_code == 2
    assert "--max-cost cannot stop a batch once it is submitted" in budget.stderr
    assert not (tmp_path / "s.sqlite").exists()


def test_a_batch_dry_run_estimates_at_batch_prices(cli: Any) -> None:
    args = [
        "collect",
        "-m",
        "anthropic/claude-3-opus-20240229",
        "--dry-run",
        "--limit",
        "10",
        "--db",
        "d.sqlite",
    ]

    def dollars(*more: str) -> list[float]:
        [line] = [
            x for x in cli(*args, *more, env={"ANTHROPIC_API_KEY": "k"}).stderr.splitlines() if "cost" in x
        ]
        return [float(x) for x in re.findall(r"\$([0-9.]+)", line)]

    live, batch = dollars(), dollars("--batch")
    assert len(live) == 2 and all(
        b == pytest.approx(x / 2, abs=0.01) for x, b in zip(live, batch, strict=True)
    )
