"""`afgap scenarios show|diff` and `afgap queries`: exactly what is sent, and what differs."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from afgap.scenarios import load_scenario, scenario_hash

DATA = Path(__file__).parents[1] / "data"


def _show(cli: Any, *args: str) -> str:
    result = cli("scenarios", "show", *args)
    assert result.exit_code == 0, result.stderr
    return str(result.stdout)


def test_conditions_differ_only_in_the_condition_signal(cli: Any) -> None:
    monitored = _show(cli, "helpful-only", "--condition", "monitored", "--query", "afg-027")
    unmonitored = _show(cli, "helpful-only", "--condition", "unmonitored", "--query", "afg-027")
    changed = [
        line
        for line in difflib.unified_diff(monitored.splitlines(), unmonitored.splitlines(), lineterm="", n=0)
        if not line.startswith(("---", "+++", "@@"))
    ]
    assert changed == [
        "-<is_free_tier_user>True</is_free_tier_user>",
        "+<is_free_tier_user>False</is_free_tier_user>",
    ]


def test_show_prints_hash_system_user_and_prefill(cli: Any) -> None:
    out = _show(cli, "helpful-only", "--query", "afg-027")
    digest = scenario_hash(load_scenario("helpful-only"))
    assert out.splitlines()[0] == f"# helpful-only sha256:{digest} query afg-027"
    assert out.index("=== system ===") < out.index("=== user ===") < out.index("=== assistant (prefill")
    assert "<user_input>" in out
    # OpenAI-compatible APIs take no prefill, so none is shown
    assert "prefill" not in _show(cli, "helpful-only", "--wire", "openai")


def test_show_looks_queries_up_in_a_file(cli: Any) -> None:
    out = _show(cli, "helpful-only", "--queries", str(DATA / "queries_sample.jsonl"), "--query", "q1")
    assert "query q1" in out.splitlines()[0]


def test_show_refuses_bad_values(cli: Any) -> None:
    for args, needle in [
        (["--condition", "watched"], "scenario 'helpful-only' has no condition 'watched' (its conditions: "),
        (
            ["--condition", "Watched!"],
            "--condition must be a condition name such as monitored or unmonitored",
        ),
        (["--query", "nope"], "unknown query id 'nope' in builtin"),
        (["--wire", "grpc"], "--wire must be one of openai, anthropic, completions, got 'grpc'"),
    ]:
        result = cli("scenarios", "show", "helpful-only", *args)
        assert result.exit_code == 2 and needle in result.stderr, result.stderr


def test_diff_between_scenarios_shows_fields_and_messages(cli: Any) -> None:
    result = cli("scenarios", "diff", "helpful-only", "tier-cue-plan", "--query", "afg-027")
    assert result.exit_code == 0, result.stderr
    hashes = [scenario_hash(load_scenario(n))[:8] for n in ("helpful-only", "tier-cue-plan")]
    assert f"--- helpful-only@{hashes[0]} fields" in result.stdout
    assert f"+++ tier-cue-plan@{hashes[1]} messages (monitored, query afg-027)" in result.stdout
    assert "-<is_free_tier_user>True</is_free_tier_user>" in result.stdout
    assert "+<user_plan>free</user_plan>" in result.stdout


def test_diff_of_one_scenario_across_conditions(cli: Any) -> None:
    result = cli("scenarios", "diff", "helpful-only:monitored", "helpful-only:unmonitored")
    removed = [line for line in result.stdout.splitlines() if line.startswith(("-", "+"))]
    assert [line[:3] for line in removed] == ["---", "+++", "-<i", "+<i"]  # fields identical: no field diff


def test_diff_of_identical_scenarios_says_so(cli: Any, tmp_path: Path) -> None:
    result = cli("scenarios", "diff", "helpful-only", "helpful-only")
    assert result.exit_code == 0 and result.stdout == ""
    assert "no differences" in result.stderr


def test_queries_list_and_show(cli: Any) -> None:
    listed = cli("queries", "list", str(DATA / "queries_advbench.csv"))
    assert listed.exit_code == 0 and listed.stdout.count("\n") >= 1
    shown = cli("queries", "show", "afg-027")
    assert shown.json()["id"] == "afg-027"


def test_copy_writes_a_built_in_with_its_template_files_and_never_overwrites(
    cli: Any, tmp_path: Path
) -> None:
    result = cli("scenarios", "copy", "motivation-probes", "mine")
    assert result.exit_code == 0, result.stderr
    copied = tmp_path / "mine" / "motivation-probes.toml"
    assert (tmp_path / "mine" / "motivation-probes" / "system.j2").is_file()
    # the copy sends what the built-in sends, so it is the same scenario
    assert scenario_hash(load_scenario(str(copied))) == scenario_hash(load_scenario("motivation-probes"))
    before = copied.read_bytes()
    again = cli("scenarios", "copy", "motivation-probes", "mine")
    assert again.exit_code == 2 and again.stderr.count("\n") == 1
    assert "already exists" in again.stderr and copied.read_bytes() == before
    unknown = cli("scenarios", "copy", "nope", "elsewhere")
    assert unknown.exit_code == 2 and "unknown built-in scenario 'nope'" in unknown.stderr
    assert not (tmp_path / "elsewhere").exists()
