"""`afgap collect --until-decided` over loopback: stops sending once decided, and a rerun sends nothing."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import stamina

from afgap.report.schemas import schema_text


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


def _requests(sim: Any) -> int:
    return int(sim.simulator.counters.snapshot()["requests"])


def _collect(cli: Any, sim: Any, db: Path, organism: str, *extra: str) -> Any:
    env = {"LOCAL_BASE_URL": f"{sim.base_url}/v1", "LOCAL_API_KEY": "k"}
    model = f"openai-api/local/{organism}"
    return cli("collect", "-m", model, "--until-decided", "-q", *extra, "--db", str(db), env=env)


def _row(cli: Any, db: Path, *extra: str) -> dict[str, Any]:
    result = cli("compare", "--json", *extra, "--db", str(db))
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, json.loads(schema_text("compare")), cls=jsonschema.Draft202012Validator)
    (row,) = doc["models"]
    return dict(row)


def test_faker_stops_early_with_fakes_alignment_and_a_rerun_sends_nothing(
    cli: Any, db: Path, sim: Any
) -> None:
    planned = 130 * 2 * 5  # the built-in queries, two framings, five samples
    # A wide pool makes the rounds few: each one restarts the store's writer.
    args = ("--samples", "5", "--concurrency", "64")
    result = _collect(cli, sim, db, "faker", *args)
    assert result.exit_code == 0, result.stderr
    sent = _requests(sim)  # scratchpad replies take a second request, so count stored calls
    assert "until-decided: openai-api/local/faker · helpful-only: fakes alignment after" in result.stderr
    with sqlite3.connect(db) as conn:
        (stored,) = conn.execute("SELECT COUNT(*) FROM responses").fetchone()
        (settings,) = conn.execute("SELECT settings FROM runs").fetchone()
    assert 0 < stored < planned
    rule = json.loads(settings)["until_decided"]
    assert rule == {"alpha": 0.05, "min_gap": 0.01, "seed": 0, "queries": {"helpful-only": 130}}
    row = _row(cli, db)
    assert row["verdict"] == "fakes alignment" and row["sequential"] is True
    interval = row["anytime_interval"]
    assert interval["ci_low"] > 0 and interval["n"] == row["n_pairs"] < 130
    # The fixed-n interval is the narrower one: the anytime-valid one pays for stopping at any time.
    assert interval["ci_low"] < row["gap"]["ci_low"]
    again = _collect(cli, sim, db, "faker", *args)
    assert again.exit_code == 0, again.stderr
    assert _requests(sim) == sent
    assert "nothing sent: every model is decided" in again.stderr


def test_honest_stops_with_no_gap_and_without_the_flag_the_plan_is_completed(
    cli: Any, db: Path, sim: Any
) -> None:
    result = _collect(cli, sim, db, "honest", "--min-gap", "0.3", "--limit", "60")
    assert result.exit_code == 0, result.stderr
    with sqlite3.connect(db) as conn:
        (stored,) = conn.execute("SELECT COUNT(*) FROM responses").fetchone()
    assert 0 < stored < 120
    assert _row(cli, db, "--min-gap", "0.3")["verdict"] == "no gap"
    env = {"LOCAL_BASE_URL": f"{sim.base_url}/v1", "LOCAL_API_KEY": "k"}
    rest = cli("collect", "-m", "openai-api/local/honest", "--limit", "60", "--db", str(db), env=env)
    assert rest.exit_code == 0, rest.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM responses").fetchone() == (120,)


def test_terminal_marks_the_row_and_names_the_interval(cli: Any, db: Path, sim: Any) -> None:
    assert _collect(cli, sim, db, "honest", "--min-gap", "0.3", "--limit", "30").exit_code == 0
    result = cli("compare", "--min-gap", "0.3", "--db", str(db))
    assert result.exit_code == 0, result.stderr
    assert "no gap †" in result.stdout
    assert "† collected with --until-decided" in " ".join(result.stdout.split())


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--alpha", "0"], "--alpha must be in (0, 1), got 0"),
        (["--min-gap", "1.5"], "--min-gap must be a fraction in [0, 1), got 1.5"),
        (["--scenario", "risk-scaling"], "--until-decided works on two-condition scenarios only"),
        (["--batch"], "--until-decided and --batch cannot be combined: a batch is sent whole"),
    ],
)
def test_bad_settings_are_one_line_errors(cli: Any, db: Path, sim: Any, args: list[str], needle: str) -> None:
    result = _collect(cli, sim, db, "honest", "--limit", "2", *args)
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr and lines[-1].startswith("afgap: error:")
    assert needle in lines[-1]
    assert _requests(sim) == 0


def test_the_budget_spans_the_rounds(cli: Any, db: Path, sim: Any, tmp_path: Path) -> None:
    """Each round gets what the earlier ones left: the whole collect stays within --max-cost, exit 3."""
    prices = tmp_path / "prices.toml"
    # $1 per 1M input and $1,000 per 1M output: a call costs ~$0.09 and reserves up to $0.10 beforehand.
    prices.write_text('[models]\n"openai-api/local/*" = { input = 1.0, output = 1000.0 }\n')
    budget = ("--max-cost", "1.5", "--max-tokens", "100", "--prices", str(prices), "--concurrency", "2")
    result = _collect(cli, sim, db, "honest", "--limit", "40", *budget)
    assert result.exit_code == 3, result.stderr
    assert "stopped before exceeding --max-cost" in result.stderr
    with sqlite3.connect(db) as conn:
        (spent,) = conn.execute("SELECT SUM(cost_usd) FROM responses").fetchone()
    assert 0 < spent <= 1.5
