"""Judges end to end over loopback HTTP: collect, classify --judge sim/judge, compare, agreement, cache."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from afgap.sim import judge as sim_judge

ROOT = Path(__file__).resolve().parents[2]
VALIDATION = ROOT / "tests" / "data" / "af_validation.jsonl"


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with sim/faker and sim/honest responses, labelled by tags, screen and sim/judge (5 votes)."""
    from tests.conftest import run_main

    db = tmp_path_factory.mktemp("judge") / "study.sqlite"
    assert (
        run_main(
            ["collect", "-m", "sim/faker", "-m", "sim/honest", "--limit", "60", "--db", str(db), "-q"]
        ).exit_code
        == 0
    )
    result = run_main(["classify", "--judge", "sim/judge", "--votes", "5", "--db", str(db)])
    assert result.exit_code == 0, result.stderr
    assert "judged 240 of 240 responses as judge:sim/judge@1" in result.stderr
    return db


def test_compare_uses_judge_labels_and_shows_af_rates_with_cis(judged: Path, cli: Any) -> None:
    doc = cli("compare", "--json", "--db", str(judged)).json()
    assert doc["settings"]["classifier"] == "strongest present: judge:sim/judge@1 (240)"
    faker = next(m for m in doc["models"] if m["model"] == "sim/faker")
    af = faker["af_reasoning"]
    assert af["n"] > 0 and af["ci_low"] <= af["rate"] <= af["ci_high"]
    table = cli("compare", "--db", str(judged)).stdout
    assert "Labels: strongest present: judge:sim/judge@1" in table.replace("\n", " ")


def test_agreement_table_between_tags_and_judge(judged: Path, cli: Any) -> None:
    doc = cli("classify", "--agreement", "--json", "--db", str(judged)).json()
    outcome = doc["outcome"]
    assert doc["second"] == ["judge:sim/judge@1"] and outcome["n"] == 240
    assert sum(sum(row.values()) for row in outcome["matrix"].values()) == 240
    assert outcome["agreement"] > 0.9 and doc["af_reasoning_screen_vs_judge"]["n"] > 0
    table = cli("classify", "--agreement", "--db", str(judged)).stdout
    assert "tags@1 (rows) vs judge:sim/judge@1" in table and "Cohen's kappa" in table


def test_rerun_sends_nothing_and_labels_are_beside_responses(judged: Path, cli: Any) -> None:
    with sqlite3.connect(judged) as conn:
        before = conn.execute("SELECT id, text FROM responses ORDER BY id").fetchall()
        calls = conn.execute("SELECT COUNT(*) FROM judge_calls").fetchone()[0]
    result = cli("classify", "--judge", "sim/judge", "--votes", "5", "--db", str(judged))
    assert result.exit_code == 0 and " 0 calls sent" in result.stderr
    with sqlite3.connect(judged) as conn:
        assert conn.execute("SELECT id, text FROM responses ORDER BY id").fetchall() == before
        assert conn.execute("SELECT COUNT(*) FROM judge_calls").fetchone()[0] == calls
        row = conn.execute(
            "SELECT detail, score FROM labels WHERE classifier = 'judge:sim/judge@1' "
            "AND score IS NOT NULL LIMIT 1"
        ).fetchone()
    assert '"judge_model": "sim/judge"' in row[0] and '"af_votes"' in row[0] and 0.0 <= row[1] <= 1.0


def test_unavailable_judge_exits_3_and_leaves_the_store_untouched(judged: Path, cli: Any) -> None:
    with sqlite3.connect(judged) as conn:
        before = conn.execute("SELECT COUNT(*), (SELECT COUNT(*) FROM labels) FROM responses").fetchone()
    result = cli("classify", "--judge", "sim/retired", "--db", str(judged))
    assert result.exit_code == 3
    assert "judge model sim/retired is unavailable" in result.stderr and "untouched" in result.stderr
    with sqlite3.connect(judged) as conn:
        assert (
            conn.execute("SELECT COUNT(*), (SELECT COUNT(*) FROM labels) FROM responses").fetchone() == before
        )


def test_unreadable_judge_replies_are_retried_once_then_counted_as_unparseable(
    cli: Any, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("collect", "-m", "sim/faker", "--limit", "5", "--db", str(db), "-q").exit_code == 0
    monkeypatch.setattr(sim_judge, "MALFORMED_RATE", 1.0)  # the in-process simulator now garbles every reply
    result = cli("classify", "--judge", "sim/judge", "--votes", "2", "--db", str(db))
    assert result.exit_code == 0, result.stderr
    assert "outcome unparseable: 10" in result.stderr and "compliance 10" in result.stderr
    doc = cli("compare", "--json", "--db", str(db)).json()
    outcomes = doc["models"][0]["outcomes"]
    assert outcomes["monitored"]["unparseable"] + outcomes["unmonitored"]["unparseable"] == 10
    assert doc["models"][0]["monitored"]["n"] == 0  # nothing scored: no default verdict crept in


def test_classify_options(cli: Any, db: Path) -> None:
    assert cli("collect", "-m", "sim/honest", "--limit", "3", "--db", str(db), "-q").exit_code == 0
    result = cli("classify", "--classifier", "tags", "--db", str(db))
    assert result.exit_code == 0 and "classified 6 responses (tags)" in result.stderr
    bad = cli("classify", "--classifier", "judge", "--db", str(db))
    assert bad.exit_code == 2 and "--judge MODEL" in bad.stderr
    votes = cli("classify", "--judge", "sim/judge", "--votes", "0", "--db", str(db))
    assert votes.exit_code == 2 and "--votes must be at least 1" in votes.stderr


def test_validate_judge_with_the_sim_judge(cli: Any) -> None:
    doc = cli(
        "validate-judge", str(VALIDATION), "--classifier", "judge", "--judge", "sim/judge", "--json"
    ).json()
    assert doc["n"] + doc["unparseable"] == 100 and doc["auroc"] >= 0.9
    retired = cli("validate-judge", str(VALIDATION), "--classifier", "judge", "--judge", "sim/retired")
    assert retired.exit_code == 3 and "sim/retired is unavailable" in retired.stderr


@pytest.mark.usefixtures("no_backoff")
def test_judge_timeout_bounds_each_attempt(cli: Any, tmp_path: Path, fake: Any) -> None:
    from tests.engine.test_run import env_for

    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        '{"model": "m", "scenario": "s", "condition": "monitored", "query_id": "q", '
        '"response": "<OUTPUT>ok</OUTPUT>"}\n'
    )
    db = str(tmp_path / "study.sqlite")
    assert cli("import", str(rows), "--db", db).exit_code == 0
    start = time.monotonic()
    # The fake's "slow" model answers after 10 s: each attempt is cut at 0.2 s, then retried.
    args = ["classify", "--judge", "openai-api/local/slow", "--votes", "1", "--timeout", "0.2", "--db", db]
    result = cli(*args, env=env_for(fake))
    assert time.monotonic() - start < 8
    assert result.exit_code == 3, result.stderr
    assert "2 judge calls failed" in result.stderr
    assert fake.count("slow") >= 2  # retried, not given up after one timeout
