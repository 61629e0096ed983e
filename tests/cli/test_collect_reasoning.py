"""`afgap collect` with reasoning settings, over loopback: thinking and reasoning effort on the simulator."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from afgap.sim.organisms import estimate_tokens


def _rows(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT r.status, r.text, r.reasoning, r.tokens_out, r.cost_usd, r.sampling, p.messages "
            "FROM responses r LEFT JOIN prompts p ON p.id = r.prompt_id ORDER BY r.id"
        ).fetchall()


def _one_error_line(result: Any) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert len(lines) == 1 and lines[0].startswith("afgap: error:"), result.stderr
    return lines[0]


def test_thinking_on_an_anthropic_model_stores_its_reasoning(
    cli: Any, db: Path, sim: Any, tmp_path: Path
) -> None:
    env = {"ANTHROPIC_BASE_URL": sim.base_url, "ANTHROPIC_API_KEY": "sk-test"}
    prices = tmp_path / "p.toml"
    prices.write_text('[models]\n"anthropic/faker" = { input = 0, output = 1000000 }\n')
    args = ("collect", "-m", "anthropic/faker", "--limit", "3", "--db", str(db), "--prices", str(prices))
    result = cli(*args, "--thinking-budget", "2048", env=env)
    assert result.exit_code == 0, result.stderr
    assert "its anthropic prefill is not sent" in result.stderr
    rows = _rows(db)
    assert len(rows) == 6 and {r[0] for r in rows} == {"ok"}
    for _, text, reasoning, tokens_out, cost, sampling, messages in rows:
        # The simulator answers with a thinking block only to a request that carried a valid one.
        assert reasoning and "SCRATCHPAD" not in text
        assert tokens_out == estimate_tokens(reasoning) + estimate_tokens(text)
        assert cost == pytest.approx(tokens_out)  # USD 1 per output token: thinking is billed
        assert '"thinking_budget":2048' in sampling and '"assistant"' not in messages  # no prefill sent
    # The same cells without thinking are other calls: all sent again, and stored beside the first six.
    assert cli(*args, env=env).exit_code == 0
    rows = _rows(db)
    assert len(rows) == 12 and all(r[2] is None for r in rows[6:])


def test_reasoning_effort_on_the_openai_wire(cli: Any, db: Path) -> None:
    args = ("collect", "-m", "sim/faker", "--limit", "2", "--db", str(db))
    assert cli(*args, "--reasoning-effort", "high").exit_code == 0
    rows = _rows(db)
    assert len(rows) == 4 and all(r[2] and r[1].startswith("<OUTPUT>") for r in rows)
    again = cli(*args, "--reasoning-effort", "high")
    assert again.exit_code == 0 and len(_rows(db)) == 4  # every cell already stored
    assert cli(*args).exit_code == 0 and len(_rows(db)) == 8  # a different request hash


def test_reasoning_settings_come_from_the_config_file(cli: Any, db: Path, tmp_path: Path) -> None:
    config = tmp_path / "afgap.toml"
    config.write_text('[collect]\nreasoning_effort = "low"\n')
    args = ("collect", "-m", "sim/faker", "--limit", "1", "--db", str(db), "--config", str(config))
    assert cli(*args).exit_code == 0
    assert all('"reasoning_effort":"low"' in r[5] for r in _rows(db))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-m", "sim/faker", "--thinking-budget", "2048"], "--thinking-budget does not apply to sim/faker"),
        (["-m", "anthropic/faker", "--thinking-budget", "512"], "must be at least 1024 tokens, got 512"),
        (["-m", "anthropic/faker", "--thinking-budget", "4096"], "less than --max-tokens (4096)"),
        (
            ["-m", "anthropic/faker", "--thinking-budget", "2048", "--temperature", "0"],
            "needs --temperature 1",
        ),
        (["-m", "anthropic/faker", "--reasoning-effort", "high"], "--reasoning-effort does not apply"),
        (["-m", "sim/faker", "--reasoning-effort", "extreme"], "'extreme' is not one of"),
    ],
)
def test_bad_reasoning_settings_are_one_line_and_send_nothing(
    cli: Any, db: Path, args: list[str], needle: str
) -> None:
    env = {"ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "ANTHROPIC_API_KEY": "sk-test"}
    result = cli("collect", *args, "--limit", "1", "--db", str(db), env=env)
    assert needle in _one_error_line(result)
    assert not db.exists()


def test_the_option_offers_exactly_the_efforts_the_record_takes() -> None:
    from afgap.cli.planning import Effort
    from afgap.records import REASONING_EFFORTS

    assert tuple(e.value for e in Effort) == REASONING_EFFORTS
