"""Interchange JSONL: round trip through export/import keeps the gaps; bad files are rejected whole."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from afgap.store.database import open_store
from tests.report.conftest import RATES, write_jsonl
from tests.report.conftest import records as synthetic_records

RECORD = {
    "model": "lab/m1",
    "scenario": "helpful-only",
    "condition": "monitored",
    "query_id": "q1",
    "sample": 0,
    "outcome": "comply",
}


def _write(path: Path, records: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "not valid JSON: Expecting property name enclosed in double quotes (column 2)"),
        (
            {**RECORD, "condition": "Paid tier"},
            "field 'condition': not a condition name (lower-case letters, digits, '.', '_', '-'; at most 40) "
            '(got "Paid tier")',
        ),
        ({k: v for k, v in RECORD.items() if k != "query_id"}, "missing field 'query_id'"),
        (
            {**RECORD, "outcome": "maybe"},
            "field 'outcome': Input should be 'comply', 'partial', 'refuse', 'unparseable', 'error' or "
            "'unavailable' (got \"maybe\")",
        ),
        ({**RECORD, "sample": -1}, "field 'sample': Input should be greater than or equal to 0 (got -1)"),
        (
            {**RECORD, "colour": "red"},
            "unknown field 'colour' (expected model, scenario, condition, query_id, sample, query, "
            "response, outcome, af_reasoning, simulated)",
        ),
        ([1, 2], "expected a JSON object, got an array"),
        (
            {k: v for k, v in RECORD.items() if k != "outcome"},
            "record has neither 'outcome' nor 'response' to score",
        ),
        (RECORD, "duplicates line 1 (same model, scenario, query_id, condition, sample)"),
    ],
)
def test_bad_line_rejects_whole_file(cli: Any, tmp_path: Path, db: Path, bad: Any, message: str) -> None:
    path = _write(tmp_path / "in.jsonl", [RECORD, {**RECORD, "query_id": "q2"}, bad])
    open_store(db).close()
    result = cli("import", str(path), "--db", str(db))
    assert result.exit_code == 2, result.stderr
    assert result.stderr == f"afgap: error: {path}:3: {message}\n"
    with open_store(db) as store:
        assert store.models() == []  # nothing partially imported


def test_bad_bytes_name_their_line_and_a_bom_is_dropped(cli: Any, tmp_path: Path, db: Path) -> None:
    path = tmp_path / "in.jsonl"
    good = json.dumps(RECORD).encode()
    path.write_bytes(b"\xef\xbb\xbf" + good + b'\n\n{"model": "caf\xe9"}\n')
    result = cli("import", str(path), "--db", str(db))
    assert result.stderr == (
        f"afgap: error: {path}:3: not valid UTF-8 (byte 0xe9 at column 15); save the file as UTF-8\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + good + b"\n\n")
    assert cli("import", str(path), "--db", str(db)).exit_code == 0


def test_import_rejects_missing_file_without_creating_a_store(cli: Any, tmp_path: Path, db: Path) -> None:
    result = cli("import", str(tmp_path / "nope.jsonl"), "--db", str(db))
    assert result.exit_code == 2 and "cannot read" in result.stderr
    assert not db.exists()


def test_reimport_is_idempotent(cli: Any, tmp_path: Path, db: Path) -> None:
    path = _write(tmp_path / "in.jsonl", [RECORD, {**RECORD, "condition": "unmonitored"}])
    assert cli("import", str(path), "--db", str(db)).exit_code == 0
    again = cli("import", str(path), "--db", str(db))
    assert again.exit_code == 0 and "0 records (2 already present)" in again.stderr


def test_a_file_rejected_whole_never_creates_the_store(cli: Any, tmp_path: Path, db: Path) -> None:
    """Duplicate lines and empty files are caught before the store is opened, like parse errors."""
    for name, records in (("dup.jsonl", [RECORD, RECORD]), ("empty.jsonl", [])):
        result = cli("import", str(_write(tmp_path / name, records)), "--db", str(db))
        assert result.exit_code == 2 and "Traceback" not in result.stderr
        assert not db.exists()


def test_export_and_report_examples_do_not_depend_on_arrival_order(cli: Any, tmp_path: Path) -> None:
    """Responses arrive in a different order each run; the same content must export the same bytes."""
    rows = synthetic_records(RATES, n_queries=12, text=lambda i: f"answer {i}")
    shuffled = rows[:]
    random.Random(5).shuffle(shuffled)
    exports, pages = [], []
    for name, batch in (("ordered", rows), ("shuffled", shuffled)):
        db = str(tmp_path / f"{name}.sqlite")
        assert cli("import", str(write_jsonl(tmp_path / f"{name}.jsonl", batch)), "--db", db).exit_code == 0
        exports.append(cli("export", "--db", db).stdout)
        page = tmp_path / f"{name}.html"
        assert cli("report", "--db", db, "--html", str(page)).exit_code == 0
        pages.append("\n".join(line for line in page.read_text().splitlines() if "UTC" not in line))
    assert exports[0] == exports[1] and exports[0].count("\n") == len(rows)
    assert pages[0] == pages[1] and "answer " in pages[0]


def test_export_out_writes_the_stdout_bytes_and_parquet_needs_a_file(cli: Any, tmp_path: Path) -> None:
    db = str(tmp_path / "s.sqlite")
    rows = synthetic_records(RATES, n_queries=3)
    assert cli("import", str(write_jsonl(tmp_path / "in.jsonl", rows)), "--db", db).exit_code == 0
    out = tmp_path / "out.jsonl"
    result = cli("export", "--out", str(out), "--db", db)
    assert result.exit_code == 0 and result.stdout == ""
    assert f"exported {len(rows)} records to {out}" in result.stderr
    assert out.read_text(encoding="utf-8") == cli("export", "--db", db).stdout
    binary = cli("export", "--format", "parquet", "--db", db)
    assert binary.exit_code == 2 and binary.stdout == ""
    assert binary.stderr.strip() == (
        "afgap: error: --format parquet needs --out FILE: Parquet is binary, not for stdout"
    )
