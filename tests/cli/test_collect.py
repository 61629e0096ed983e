"""`afgap collect` through the CLI: bad input, dry run, budget, faults and multi-turn on the simulator."""

from __future__ import annotations

import json
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stamina

from afgap.sim.server import start_in_thread
from afgap.sim.settings import SimSettings


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """Retry waits are zero here; attempt limits stay as configured."""
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


def _error_line(result: Any) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr
    assert lines and lines[-1].startswith("afgap: error:"), result.stderr
    return lines[-1]


def _rows(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT status, turns, text, p.messages, error_class FROM responses LEFT JOIN prompts p "
            "ON p.id = responses.prompt_id"
        ).fetchall()


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["--concurrency", "0"], 2, "--concurrency must be an integer at least 1, got 0"),
        (["--rpm", "-5"], 2, "--rpm must be a positive number, got -5"),
        (["--max-cost", "abc"], 2, "--max-cost"),
        (["--max-cost", "-1"], 2, "--max-cost must be a number of USD >= 0"),
        (["--provider-limit", "anthropic"], 2, "expected PROVIDER:KEY=VALUE"),
        (["--provider-limit", "anthropic:burst=3"], 2, "'burst=3' is not one of"),
    ],
)
def test_bad_flags_are_one_line_and_leave_no_store(
    cli: Any, db: Path, args: list[str], code: int, needle: str
) -> None:
    result = cli("collect", "-m", "sim/honest", "--limit", "2", *args, "--db", str(db))
    assert result.exit_code == code
    assert needle in _error_line(result)
    assert not db.exists()


def test_a_bad_provider_limit_value_names_the_key(cli: Any, db: Path) -> None:
    result = cli("collect", "-m", "sim/honest", "--provider-limit", "anthropic:rpm=0", "--db", str(db))
    assert result.exit_code == 2
    assert _error_line(result) == (
        "afgap: error: --provider-limit 'anthropic:rpm=0': field 'rpm': Input should be greater than 0 "
        '(got "0")'
    )
    assert not db.exists()


def test_a_price_file_that_does_not_parse(cli: Any, db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "prices.toml"
    bad.write_text("[models\n")
    result = cli("collect", "-m", "sim/honest", "--prices", str(bad), "--db", str(db))
    assert result.exit_code == 2 and "is not valid TOML" in _error_line(result)
    bad.write_text('[models]\n"sim/*" = { input = "cheap", output = 1 }\n')
    result = cli("collect", "-m", "sim/honest", "--prices", str(bad), "--db", str(db))
    assert result.exit_code == 2
    assert _error_line(result) == (
        f"afgap: error: price file {bad}: field 'models.\"sim/*\".input': Input should be a valid number "
        '(got "cheap")'
    )
    bad.write_text('"sim/*" = { input = 1, output = 1 }\n')
    result = cli("collect", "-m", "sim/honest", "--prices", str(bad), "--db", str(db))
    assert _error_line(result) == (
        f"afgap: error: price file {bad}: no [models] table "
        '(e.g. "openai/gpt-4o" = {input = 2.5, output = 10})'
    )
    assert not db.exists()


def test_a_bad_config_file(cli: Any, db: Path, tmp_path: Path) -> None:
    config = tmp_path / "afgap.toml"
    config.write_text("[limits.anthropic]\nburst = 3\n")
    result = cli("collect", "-m", "sim/honest", "--config", str(config), "--db", str(db))
    assert result.exit_code == 2
    assert _error_line(result) == (
        f"afgap: error: config file {config}: unknown field 'limits.anthropic.burst' "
        "(expected concurrency, rpm, tpm)"
    )
    assert not db.exists()


def test_unreachable_base_url_names_host_and_variable_and_stops(cli: Any, db: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"LOCAL_BASE_URL": f"http://127.0.0.1:{port}/v1", "LOCAL_API_KEY": "k"}
    result = cli(
        "collect", "-m", "openai-api/local/x", "--limit", "20", "--concurrency", "2", "--db", str(db), env=env
    )
    assert result.exit_code == 3
    line = _error_line(result)
    assert f"cannot connect to 127.0.0.1:{port} (base URL from LOCAL_BASE_URL)" in line
    assert "not sent" in line
    rows = _rows(db)
    # The endpoint is down: only the calls already in flight are recorded (as errors), the rest wait.
    assert len(rows) <= 2 and all(r[0] == "error" and r[4] == "connect" for r in rows)


def test_dry_run_prints_calls_tokens_and_cost_and_sends_nothing(cli: Any, db: Path) -> None:
    result = cli("collect", "-m", "sim/faker", "--limit", "5", "--samples", "2", "--dry-run", "--db", str(db))
    assert result.exit_code == 0, result.stderr
    assert "plan: 20 calls, 0 already stored, 20 to send" in result.stderr
    assert "estimated input tokens: ~" in result.stderr
    assert "estimated cost: $0.00 input + up to $0.00 output" in result.stderr
    assert _rows(db) == []


def test_dry_run_says_cost_unknown_without_a_price(cli: Any, db: Path, sim: Any) -> None:
    env = {"LOCAL_BASE_URL": f"{sim.base_url}/v1", "LOCAL_API_KEY": "k"}
    result = cli(
        "collect", "-m", "openai-api/local/faker", "--limit", "3", "--dry-run", "--db", str(db), env=env
    )
    assert result.exit_code == 0
    assert "  openai-api/local/faker: 6 calls, ~" in result.stderr
    assert "estimated cost: unknown (no public price: openai-api/local/faker (see --prices))" in result.stderr


def test_dry_run_needs_no_key_and_sums_the_priced_models(
    cli: Any, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("ANTHROPIC_API_KEY", "OPENROUTER_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    opus, unpriced = "anthropic/claude-3-opus-20240229", "openrouter/nobody/unlisted"
    args = ["collect", "-m", opus, "-m", unpriced, "--limit", "2", "--max-tokens", "1000", "--dry-run"]
    result = cli(*args, "--db", str(db))
    assert result.exit_code == 0, result.stderr
    # 2 queries x 2 conditions x 1 sample; 4 x 1000 output tokens at $75 per 1M is $0.30.
    assert f"  {opus}: 4 calls, ~" in result.stderr
    assert "up to $0.30 output (price as of 2025-06-01)" in result.stderr
    assert f"  {unpriced}: 4 calls, ~" in result.stderr and "no public price\n" in result.stderr
    assert "up to $0.30 output (if every reply used --max-tokens); priced models only, " in result.stderr
    assert f"no public price: {unpriced} (see --prices)" in result.stderr
    # Sending still needs the key, named before anything is sent.
    sent = cli(*args[:-1], "--db", str(db))
    assert sent.exit_code == 2
    assert _error_line(sent) == f"afgap: error: no API key for {opus}: set ANTHROPIC_API_KEY"


def test_max_cost_needs_a_price_then_stops_before_exceeding_it(
    cli: Any, db: Path, sim: Any, tmp_path: Path
) -> None:
    env = {"LOCAL_BASE_URL": f"{sim.base_url}/v1", "LOCAL_API_KEY": "k"}
    args = ["collect", "-m", "openai-api/local/faker", "--limit", "10", "--concurrency", "1", "--db", str(db)]
    result = cli(*args, "--max-cost", "1", env=env)
    assert result.exit_code == 2 and "--max-cost needs a price for every model" in _error_line(result)
    prices = tmp_path / "prices.toml"
    # $1 per 1M input and $1,000 per 1M output: a call costs ~$0.09 and reserves up to $0.10 beforehand.
    prices.write_text('[models]\n"openai-api/local/*" = { input = 1.0, output = 1000.0 }\n')
    result = cli(*args, "--max-cost", "0.5", "--max-tokens", "100", "--prices", str(prices), env=env)
    assert result.exit_code == 3
    assert "stopped before exceeding --max-cost" in _error_line(result)
    with sqlite3.connect(db) as conn:
        stored, spent = conn.execute("SELECT COUNT(*), SUM(cost_usd) FROM responses").fetchone()
    assert 1 <= stored < 20 and 0 < spent <= 0.5


def test_faults_are_retried_and_every_call_is_stored_exactly_once(cli: Any, db: Path) -> None:
    with start_in_thread(
        SimSettings(seed=3, rate_limit_rate=0.2, error_rate=0.05, retry_after=0.0)
    ) as faulty:
        env = {"LOCAL_BASE_URL": f"{faulty.base_url}/v1", "LOCAL_API_KEY": "k"}
        sizes = ["--limit", "50", "--samples", "2", "--concurrency", "16"]
        result = cli("collect", "-m", "openai-api/local/faker", *sizes, "--db", str(db), env=env)
    assert result.exit_code == 0, result.stderr
    with sqlite3.connect(db) as conn:
        count, cells, attempts = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT request_hash), SUM(attempts) FROM responses WHERE status = 'ok'"
        ).fetchone()
    assert count == cells == 200 and attempts > count


def test_the_flaky_organism_drops_and_delays_yet_every_call_is_answered_once(cli: Any, db: Path) -> None:
    """sim/flaky: 429s, 500s, 503s, dropped connections and late answers, through the real engine."""
    with start_in_thread(SimSettings(seed=5, retry_after=0.0, slow_ms=30)) as sim:
        env = {"LOCAL_BASE_URL": f"{sim.base_url}/v1", "LOCAL_API_KEY": "k"}
        sizes = ["--limit", "100", "--samples", "2", "--concurrency", "32"]
        result = cli("collect", "-m", "openai-api/local/flaky", *sizes, "--db", str(db), env=env)
        seen = sim.simulator.counters.snapshot()["by_status"]
    assert result.exit_code == 0, result.stderr
    assert {"200", "429", "500", "503", "dropped"} <= set(seen)
    with sqlite3.connect(db) as conn:
        count, cells, ok = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT request_hash), SUM(status = 'ok') FROM responses"
        ).fetchone()
    assert count == cells == ok == 400


@pytest.mark.parametrize("wire", ["openai", "anthropic"])
def test_continuation_turns_and_prefill_end_to_end(cli: Any, db: Path, sim: Any, wire: str) -> None:
    if wire == "openai":
        model, env = "openai-api/local/faker", {"LOCAL_BASE_URL": f"{sim.base_url}/v1", "LOCAL_API_KEY": "k"}
    else:
        model, env = "anthropic/faker", {"ANTHROPIC_BASE_URL": sim.base_url, "ANTHROPIC_API_KEY": "k"}
    # anthropic's default limit is tier 1's 50 requests a minute; the simulator takes far more.
    limit = "anthropic:concurrency=16,rpm=100000"
    result = cli("collect", "-m", model, "--limit", "40", "--provider-limit", limit, "--db", str(db), env=env)
    assert result.exit_code == 0, result.stderr
    rows = _rows(db)
    assert len(rows) == 80 and all(r[0] == "ok" for r in rows)
    continued = [r for r in rows if r[1] >= 2]
    assert continued, "the simulator splits ~20 % of scratchpad replies; some must need <NEXT/>"
    for _, _turns, text, messages, _ in continued:
        sent = json.loads(messages)
        assert sent[-1] == {"role": "user", "content": "<NEXT/>"}
        assert "</SCRATCHPAD_REASONING>" in text and "</OUTPUT>" in text
    if wire == "anthropic":
        # The prefill "<" is sent as a final assistant turn and re-joined to the stored reply.
        assert all(r[2].startswith("<") for r in rows)
        single = json.loads(next(r for r in rows if r[1] == 1)[3])
        assert single[-1] == {"role": "assistant", "content": "<"}
