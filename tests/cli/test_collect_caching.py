"""Prompt caching end to end over loopback: the marked bodies, stored cached tokens, their cost, dry run."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
import stamina

from afgap.sim.server import RunningSim

LIMIT = "anthropic:concurrency=4,rpm=100000"
MARK = {"type": "ephemeral"}


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@pytest.fixture
def long_scenario(tmp_path: Path) -> Path:
    """The built-in control scenario with its system prompt made ~7 kB, past the providers' cache minimum."""
    text = (
        resources.files("afgap").joinpath("scenarios/baseline-no-conflict.toml").read_text(encoding="utf-8")
    )
    end = "shown by the <is_free_tier_user> tag at the start of their message."
    assert text.count(end) == 1
    notes = "\n\n## Notes\n\n" + "Aster Labs publishes its rating guidelines for every contractor. " * 80
    path = tmp_path / "long.toml"
    path.write_text(text.replace(end, end + notes).replace('"baseline-no-conflict"', '"long-prompt"'))
    return path


@pytest.fixture
def prices(tmp_path: Path) -> Path:
    """Sonnet's prices for the simulator's anthropic/faker; the shipped anthropic/* cache rule applies."""
    path = tmp_path / "prices.toml"
    path.write_text('[models]\n"anthropic/faker" = { input = 3, output = 15 }\n', encoding="utf-8")
    return path


def _env(sim: RunningSim) -> dict[str, str]:
    return {"ANTHROPIC_BASE_URL": sim.base_url, "ANTHROPIC_API_KEY": "k"}


def _systems(sim: RunningSim) -> list[Any]:
    got = httpx.get(f"{sim.base_url}/received").json()["received"]
    return [r["body"]["system"] for r in got if r["path"] == "/v1/messages"]


def _rows(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT tokens_in, tokens_out, cache_write_tokens, cache_read_tokens, cost_usd, turns "
            "FROM responses"
        ).fetchall()


def test_marked_prompts_are_written_once_read_after_and_priced_so(
    cli: Any, db: Path, sim: RunningSim, long_scenario: Path, prices: Path
) -> None:
    args = ["collect", "-m", "anthropic/faker", "--scenario", str(long_scenario), "--limit", "6"]
    result = cli(*args, "--provider-limit", LIMIT, "--prices", str(prices), "--db", str(db), env=_env(sim))
    assert result.exit_code == 0, result.stderr
    systems = _systems(sim)
    assert len(systems) >= 12
    assert all(s == [{"type": "text", "text": s[0]["text"], "cache_control": MARK}] for s in systems)
    rows = _rows(db)
    assert len(rows) == 12
    writers = [r for r in rows if r[2]]
    assert len(writers) == 1  # one write for the whole run, however many calls were in flight
    prefix = writers[0][2]
    assert prefix >= 1_024
    for tokens_in, tokens_out, written, read, cost, turns in rows:
        assert written + read == prefix * turns and tokens_in > written + read
        by_hand = ((tokens_in - written - read) * 3 + written * 3.75 + read * 0.3 + tokens_out * 15) / 1e6
        assert cost == pytest.approx(by_hand)
    before = len(_systems(sim))
    # The mark is not in the request hash: without it, the same calls are already stored.
    again = cli(*args, "--no-cache-prompt", "--prices", str(prices), "--db", str(db), env=_env(sim))
    assert again.exit_code == 0, again.stderr
    assert len(_systems(sim)) == before and len(_rows(db)) == 12


def test_without_the_mark_the_prompt_is_plain_text_and_nothing_is_cached(
    cli: Any, db: Path, sim: RunningSim, long_scenario: Path
) -> None:
    args = ["collect", "-m", "anthropic/faker", "--scenario", str(long_scenario), "--limit", "2"]
    result = cli(*args, "--no-cache-prompt", "--provider-limit", LIMIT, "--db", str(db), env=_env(sim))
    assert result.exit_code == 0, result.stderr
    assert systems_are_plain(_systems(sim))
    assert {(r[2], r[3]) for r in _rows(db)} == {(0, 0)}


def test_the_config_file_may_turn_the_mark_off_and_the_flag_wins(
    cli: Any, tmp_path: Path, sim: RunningSim, long_scenario: Path
) -> None:
    config = tmp_path / "afgap.toml"
    config.write_text("[collect]\ncache_prompt = false\n", encoding="utf-8")
    args = ["collect", "-m", "anthropic/faker", "--scenario", str(long_scenario), "--limit", "1"]
    args += ["--provider-limit", LIMIT, "--config", str(config)]
    off = cli(*args, "--db", str(tmp_path / "off.sqlite"), env=_env(sim))
    assert off.exit_code == 0, off.stderr
    assert systems_are_plain(_systems(sim))
    httpx.post(f"{sim.base_url}/stats/reset")
    on = cli(*args, "--cache-prompt", "--db", str(tmp_path / "on.sqlite"))
    assert on.exit_code == 0, on.stderr
    systems = _systems(sim)
    assert systems and all(s[0]["cache_control"] == MARK for s in systems)


def systems_are_plain(systems: list[Any]) -> bool:
    return bool(systems) and all(isinstance(s, str) for s in systems)


def test_openai_format_cached_tokens_are_stored_as_reads(
    cli: Any, db: Path, sim: RunningSim, long_scenario: Path
) -> None:
    env = {"LOCAL_BASE_URL": f"{sim.base_url}/v1", "LOCAL_API_KEY": "k"}
    args = ["collect", "-m", "openai-api/local/faker", "--scenario", str(long_scenario), "--limit", "3"]
    result = cli(*args, "--concurrency", "1", "--db", str(db), env=env)
    assert result.exit_code == 0, result.stderr
    rows = _rows(db)
    assert {r[2] for r in rows} == {None}  # OpenAI bills no cache writes
    reads = sorted(r[3] for r in rows if r[5] == 1)
    assert reads[0] == 0 and reads[1] >= 1_024 and reads[1] % 128 == 0


def test_the_dry_run_names_what_caching_saves(cli: Any, db: Path, long_scenario: Path) -> None:
    args = ["collect", "-m", "anthropic/claude-3-5-sonnet-20241022", "--scenario", str(long_scenario)]
    args += ["--limit", "10", "--dry-run", "--db", str(db)]
    cached = cli(*args, env={"ANTHROPIC_API_KEY": "k"})
    plain = cli(*args, "--no-cache-prompt")
    assert cached.exit_code == plain.exit_code == 0, cached.stderr + plain.stderr
    line = next(x for x in cached.stderr.splitlines() if x.startswith("prompt caching:"))
    assert "read from the cache" in line and "written (once per model and system prompt)" in line
    assert "without caching" in line
    assert "prompt caching" not in plain.stderr

    def input_cost(stderr: str) -> float:
        line = next(x for x in stderr.splitlines() if x.startswith("estimated cost:"))
        return float(line.split("$")[1].split()[0])

    assert input_cost(cached.stderr) < input_cost(plain.stderr)
