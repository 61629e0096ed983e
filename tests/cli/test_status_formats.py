"""`status` and `runs` in machine-readable formats: documented, stable documents parsed from stdout whole."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from tests.report.conftest import records, write_jsonl


def test_status_json_is_one_document_with_numeric_costs(cli: Any, db: Path) -> None:
    assert cli("collect", "-m", "sim/honest", "--limit", "3", "--db", str(db)).exit_code == 0
    result = cli("status", "--db", str(db), "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["schema"] == "afgap/status@1" and isinstance(doc["afgap_version"], str)
    assert doc["rows"] == [
        {"model": "sim/honest", "scenario": "helpful-only", "status": "ok", "responses": 6, "cost_usd": 0.0}
    ]
    assert json.loads(cli("status", "--db", str(db), "--json").stdout) == doc


def test_unknown_cost_is_null_in_json_and_empty_in_csv(cli: Any, db: Path, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", records({"imported": (0.5, 0.5)}, 2))
    assert cli("import", str(source), "--db", str(db)).exit_code == 0
    rows = json.loads(cli("status", "--db", str(db), "-f", "json").stdout)["rows"]
    assert rows and all(r["cost_usd"] is None for r in rows)
    table = list(csv.DictReader(io.StringIO(cli("status", "--db", str(db), "-f", "csv").stdout)))
    assert [r["model"] for r in table] == [r["model"] for r in rows]
    assert all(r["cost_usd"] == "" for r in table)


def test_runs_json_and_jsonl(cli: Any, db: Path) -> None:
    assert cli("collect", "-m", "sim/honest", "--limit", "3", "--db", str(db)).exit_code == 0
    doc = json.loads(cli("runs", "--db", str(db), "--format", "json").stdout)
    assert doc["schema"] == "afgap/runs@1"
    (run,) = doc["runs"]
    assert set(run) == {"run", "started", "finished", "afgap_version", "command", "responses"}
    assert (run["run"], run["responses"], run["command"]) == (
        1,
        6,
        f"afgap collect -m sim/honest --limit 3 --db {db}",
    )
    lines = cli("runs", "--db", str(db), "-f", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == [{"schema": "afgap/runs@1", **run}]


def test_markdown_is_refused_in_one_line(cli: Any, db: Path) -> None:
    result = cli("runs", "--db", str(db), "-f", "markdown")
    assert result.exit_code == 2
    assert result.stderr == "afgap: error: runs has no markdown format: use table, json, jsonl or csv\n"
