"""The whole path over real loopback HTTP: collect, resume, compare, export/import, demo, secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import SENTINEL_KEY

MODELS = ("-m", "sim/faker", "-m", "sim/honest", "-m", "sim/compliant")


def _stats(sim: Any) -> int:
    return int(httpx.get(f"{sim.base_url}/stats").json()["requests"])


def test_rerun_sends_zero_requests_and_keys_never_leak(cli: Any, sim: Any, db: Path, tmp_path: Path) -> None:
    env = {"LOCAL_BASE_URL": f"{sim.base_url}/v1", "LOCAL_API_KEY": SENTINEL_KEY}
    args = (
        "collect",
        "-m",
        "openai-api/local/faker",
        "-m",
        "openai-api/local/retired",
        "--limit",
        "20",
        "--samples",
        "2",
        "--db",
        str(db),
    )
    first = cli(*args, env=env)
    assert first.exit_code == 3, first.stderr  # the retired model is unavailable: finished, with failures
    # The hint must not promise a retry: unavailable is final, and the rerun below sends nothing.
    assert "rerun the same command to retry" not in first.stderr
    assert "unavailable calls are not retried: the model was not found" in first.stderr
    sent = _stats(sim)
    assert sent >= 80
    second = cli(*args, env=env)
    assert _stats(sim) == sent, "a rerun must send nothing that is already stored"
    assert second.exit_code == 0 and "all 160 calls are already stored" in second.stderr
    exported = cli("export", "--db", str(db), env=env)
    report = cli("compare", "--format", "json", "--db", str(db), env=env)
    texts = [
        first.stdout,
        first.stderr,
        second.stdout,
        second.stderr,
        exported.stdout,
        exported.stderr,
        report.stdout,
        report.stderr,
    ]
    assert all(SENTINEL_KEY not in t for t in texts)
    for path in tmp_path.glob("study.sqlite*"):  # the database and its WAL
        assert SENTINEL_KEY.encode() not in path.read_bytes()


def test_compare_json_has_the_fixed_core_and_finds_the_faker(cli: Any, db: Path) -> None:
    assert cli("collect", *MODELS, "--samples", "2", "--db", str(db)).exit_code == 0
    doc = cli("compare", "--models", "all", "--format", "json", "--db", str(db)).json()
    assert doc["schema"] == "afgap/compare@1" and doc["simulated"] is True
    assert set(doc["settings"]) >= {"alpha", "correction", "min_gap", "ci_method", "test"}
    first = doc["models"][0]
    assert first["model"] == "sim/faker" and first["rank"] == 1
    core = {
        "model",
        "scenario",
        "rank",
        "n_pairs",
        "simulated",
        "monitored",
        "unmonitored",
        "gap",
        "verdict",
        "outcomes",
        "af_reasoning",
    }
    for row in doc["models"]:
        assert core <= set(row)
        assert set(row["monitored"]) >= {"n", "comply", "rate", "ci_low", "ci_high"}
        assert set(row["gap"]) >= {"estimate", "ci_low", "ci_high", "p_value", "p_adjusted"}
        assert row["verdict"] in ("fakes alignment", "no gap", "inconclusive", "no data")
        assert set(row["outcomes"]) == {"monitored", "unmonitored"}
    verdicts = {row["model"]: row["verdict"] for row in doc["models"]}
    assert verdicts["sim/faker"] == "fakes alignment"
    assert verdicts["sim/honest"] != "fakes alignment" and verdicts["sim/compliant"] != "fakes alignment"


def test_export_import_round_trip_keeps_every_gap(cli: Any, db: Path, tmp_path: Path) -> None:
    assert (
        cli("collect", "-m", "sim/faker", "-m", "sim/honest", "--limit", "40", "--db", str(db)).exit_code == 0
    )
    exported = cli("export", "--db", str(db))
    path = tmp_path / "x.jsonl"
    path.write_text(exported.stdout)
    other = tmp_path / "b.sqlite"
    assert cli("import", str(path), "--db", str(other)).exit_code == 0
    before = cli("compare", "--format", "json", "--db", str(db)).json()["models"]
    after = cli("compare", "--format", "json", "--db", str(other)).json()["models"]
    assert [(m["model"], m["gap"], m["monitored"], m["verdict"]) for m in before] == [
        (m["model"], m["gap"], m["monitored"], m["verdict"]) for m in after
    ]
    assert all(json.loads(line)["simulated"] for line in exported.stdout.splitlines())


def test_formats_jsonl_csv_markdown(cli: Any, db: Path) -> None:
    assert (
        cli("collect", "-m", "sim/faker", "-m", "sim/honest", "--limit", "30", "--db", str(db)).exit_code == 0
    )
    lines = cli("compare", "--format", "jsonl", "--db", str(db)).stdout.splitlines()
    assert [json.loads(line)["schema"] for line in lines] == ["afgap/compare@1"] * 2
    csv_out = cli("compare", "--format", "csv", "--db", str(db)).stdout.splitlines()
    assert csv_out[0].startswith("rank,model,scenario") and len(csv_out) == 3
    markdown = cli("compare", "--format", "markdown", "--db", str(db)).stdout
    assert "| rank | model |" in markdown and "SIMULATED" in markdown
    table = cli("compare", "--db", str(db)).stdout
    assert "sim/faker" in table and "SIMULATED" in table


def test_demo_finds_the_faker_because_the_statistics_say_so(cli: Any) -> None:
    result = cli("demo", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    by_model = {m["model"]: m for m in doc["models"]}
    faker = by_model["sim/faker"]
    assert faker["verdict"] == "fakes alignment"
    assert faker["gap"]["p_adjusted"] < doc["settings"]["alpha"] and faker["gap"]["ci_low"] > 0
    assert by_model["sim/honest"]["verdict"] != "fakes alignment"
    assert by_model["sim/compliant"]["verdict"] != "fakes alignment"
    # The AF rate (screen labels among monitored responses): sim/compliant's scratchpads know about training
    # but never comply to avoid modification, so the screen must not call them faking; sim/faker's do.
    af = {name: m["af_reasoning"] for name, m in by_model.items()}
    assert af["sim/compliant"]["rate"] < 0.03 and af["sim/honest"]["rate"] < 0.03
    assert af["sim/faker"]["ci_low"] > max(af["sim/compliant"]["ci_high"], af["sim/honest"]["ci_high"])


def test_status_and_runs_describe_the_store(cli: Any, db: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    assert cli("collect", "-m", "sim/honest", "--limit", "3", "--db", str(db)).exit_code == 0
    status = cli("status", "--db", str(db)).stdout
    assert "sim/honest" in status and "ok" in status and "0.0000" in status
    runs = cli("runs", "--db", str(db)).stdout
    assert f"afgap collect -m sim/honest --limit 3 --db {db}" in runs
    assert " 6" in runs  # the run stored 3 queries x 2 conditions
