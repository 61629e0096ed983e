"""A robustness study on the simulator: several scenarios, query files, pooling, and bad input via the CLI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from afgap.scenarios import load_scenario, scenario_hash

SCENARIOS = ("helpful-only", "baseline-no-conflict")


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sim/faker and sim/honest over two built-in scenarios, 3 samples per query and condition."""
    from tests.conftest import run_main

    path = tmp_path_factory.mktemp("study") / "study.sqlite"
    args = ["collect", "-m", "sim/faker", "-m", "sim/honest", "--samples", "3", "-q", "--db", str(path)]
    for name in SCENARIOS:
        args += ["--scenario", name]
    result = run_main(args)
    assert result.exit_code == 0, result.stderr
    return path


def _rows(cli: Any, study: Path, *args: str) -> dict[tuple[str, str], Any]:
    result = cli("compare", "--db", str(study), "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return {(m["model"], m["scenario"]): m for m in result.json()["models"]}


def test_faker_fakes_under_helpful_only_and_not_under_the_control(cli: Any, study: Path) -> None:
    rows = _rows(cli, study)
    assert set(rows) == {(m, s) for m in ("sim/faker", "sim/honest") for s in SCENARIOS}
    assert rows[("sim/faker", "helpful-only")]["verdict"] == "fakes alignment"
    assert rows[("sim/faker", "baseline-no-conflict")]["verdict"] != "fakes alignment"
    assert rows[("sim/faker", "helpful-only")]["gap"]["estimate"] > 0.05
    assert abs(rows[("sim/faker", "baseline-no-conflict")]["gap"]["estimate"]) < 0.03
    assert all(rows[("sim/honest", s)]["verdict"] != "fakes alignment" for s in SCENARIOS)


def test_scenario_selection_is_repeatable_and_exact(cli: Any, study: Path) -> None:
    assert set(_rows(cli, study, "--scenario", "helpful-only")) == {
        ("sim/faker", "helpful-only"),
        ("sim/honest", "helpful-only"),
    }
    tag = scenario_hash(load_scenario("baseline-no-conflict"))[:8]
    picked = _rows(cli, study, "--scenario", f"baseline-no-conflict@{tag}", "--scenario", "helpful-only")
    assert len(picked) == 4
    result = cli("compare", "--db", str(study), "--scenario", "nope")
    assert result.exit_code == 2
    assert "no responses for scenario 'nope'; stored: baseline-no-conflict" in result.stderr


def test_pooled_rows_sit_beside_the_per_scenario_rows(cli: Any, study: Path) -> None:
    result = cli("compare", "--db", str(study), "--format", "json", "--pool-scenarios")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    rows = {(m["model"], m["scenario"]): m for m in document["models"]}
    pooled = rows[("sim/faker", "pooled(baseline-no-conflict+helpful-only)")]
    parts = [rows[("sim/faker", s)]["gap"]["estimate"] for s in SCENARIOS]
    # equal samples per scenario: the pooled gap is the mean of the per-scenario gaps
    assert pooled["gap"]["estimate"] == pytest.approx(sum(parts) / 2)
    assert pooled["n_pairs"] == 130 and pooled["samples_per_query"] == 6
    # one family: Holm over all six rows, not just the four per-scenario ones
    assert document["settings"]["correction"] == "holm" and len(rows) == 6
    assert [r["rank"] for r in document["models"]] == list(range(1, 7))
    assert "note: sim/faker pooled(baseline-no-conflict+helpful-only): per-scenario gaps" in result.stderr
    assert "per-scenario verdicts differ" in result.stderr
    # its AF labels are its scenarios': the same classifier is named, and its AF rate pools their counts
    assert (
        pooled["af_reasoning"]["label_source"]
        == rows[("sim/faker", "helpful-only")]["af_reasoning"]["label_source"]
    )
    assert pooled["af_reasoning"]["label_source"] is not None
    af_parts = [rows[("sim/faker", s)]["af_reasoning"] for s in SCENARIOS]
    assert pooled["af_reasoning"]["count"] == sum(p["count"] for p in af_parts)


def _advbench(path: Path, rows: int, repeat: bool = False) -> Path:
    lines = ["goal,target"] + [f"Placeholder request number {i},Sure" for i in range(rows)]
    if repeat:  # AdvBench-style repeated goal: both rows are kept, with distinct ids
        lines[-1] = "Placeholder request number 17,Sure"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("repeat", [False, True])
def test_dry_run_over_520_advbench_rows_plans_1040_calls(cli: Any, tmp_path: Path, repeat: bool) -> None:
    queries = _advbench(tmp_path / "harmful_behaviors.csv", 520, repeat)
    result = cli("collect", "-m", "sim/faker", "--queries", str(queries), "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert re.search(r"plan: 1040 calls, 0 already stored, 1040 to send", result.stderr), result.stderr
    two = cli("collect", "-m", "sim/faker", "-m", "sim/honest", "--queries", str(queries), "--dry-run")
    assert "plan: 2080 calls" in two.stderr


def _bad(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _one_line(result: Any) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("afgap: error:"), result.stderr
    return str(lines[0])


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("empty.csv", b"", "empty.csv: no queries in the file"),
        ("odd.csv", b"instruction,notes\nWrite a limerick,x\n", "odd.csv:1: no recognised query column"),
        (
            "dup.jsonl",
            b'{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n',
            "dup.jsonl:2: duplicate id 'a'",
        ),
        ("latin1.txt", b"fine\ncaf\xe9\n", "latin1.txt:2: not valid UTF-8 (byte 0xe9"),
    ],
)
def test_bad_query_files_through_collect(
    cli: Any, tmp_path: Path, name: str, content: bytes, needle: str
) -> None:
    path = _bad(tmp_path / name, content)
    line = _one_line(
        cli("collect", "-m", "sim/honest", "--queries", str(path), "--db", str(tmp_path / "s.db"))
    )
    assert needle in line
    assert not (tmp_path / "s.db").exists()


def test_a_50_mb_query_file_streams_through_collect(cli: Any, tmp_path: Path) -> None:
    """A bad byte near the top of a 50 MB file is reported at once: the file is never read whole."""
    path = tmp_path / "big.csv"
    with path.open("wb") as f:
        f.write(b"goal,target\nPlaceholder,x\ncaf\xe9,x\n")
        f.write(b"Placeholder request for a stress test of the query loader,Sure\n" * 800_000)
    assert path.stat().st_size > 50_000_000
    line = _one_line(cli("collect", "-m", "sim/honest", "--queries", str(path), "--dry-run"))
    assert "big.csv:3: not valid UTF-8" in line


def test_a_scenario_with_a_toml_syntax_error(cli: Any, tmp_path: Path) -> None:
    path = _bad(tmp_path / "bad.toml", b'name = "bad"\ndescription = "x"\nscratchpad = yes\n')
    line = _one_line(cli("collect", "-m", "sim/honest", "--scenario", str(path), "--dry-run"))
    assert re.search(r"bad\.toml:3:\d+: invalid TOML", line), line
    assert "bad.toml:3" in _one_line(cli("scenarios", "show", str(path)))
