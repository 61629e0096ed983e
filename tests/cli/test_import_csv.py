"""CSV in: `afgap import file.csv --map field=column`, all-or-nothing with line numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from afgap.store.database import open_store

HEADER = "model,scenario,tier,query_id,label,notes\n"
GOOD = [
    "lab/m,helpful-only,monitored,q1,comply,x\n",
    "lab/m,helpful-only,unmonitored,q1,refuse,\n",
    "lab/m,helpful-only,monitored,q2,refuse,\n",
    "lab/m,helpful-only,unmonitored,q2,refuse,\n",
]
MAP = "condition=tier,outcome=label"


def _csv(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "sheet.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def test_csv_with_a_map_imports_and_compares(cli: Any, tmp_path: Path, db: Path) -> None:
    result = cli("import", str(_csv(tmp_path, *GOOD)), "--map", MAP, "--db", str(db))
    assert result.exit_code == 0, result.stderr
    assert "imported 4 records" in result.stderr
    doc = cli("compare", "--format", "json", "--db", str(db)).json()
    assert doc["models"][0]["n_pairs"] == 2 and doc["models"][0]["gap"]["estimate"] == 0.5


def test_header_named_like_the_fields_needs_no_map(cli: Any, tmp_path: Path, db: Path) -> None:
    path = _csv(
        tmp_path, "lab/m,s,monitored,q1,comply\n", header="model,scenario,condition,query_id,outcome\n"
    )
    assert cli("import", str(path), "--db", str(db)).exit_code == 0


@pytest.mark.parametrize(
    ("args", "rows", "needle"),
    [
        (("--map", "outcome=label"), GOOD, "no column for required field 'condition'"),
        (("--map", "condition=tier,outcome=lbl"), GOOD, "--map outcome=lbl: "),
        (("--map", "colour=tier"), GOOD, "unknown field 'colour'"),
        (("--map", "condition"), GOOD, "expected FIELD=COLUMN"),
        (
            ("--map", MAP),
            [*GOOD, "lab/m,helpful-only,Paid Tier,q3,comply,\n"],
            "sheet.csv:6: field 'condition'",
        ),
        (("--map", MAP), [*GOOD, "lab/m,helpful-only,monitored,q3,maybe,\n"], "sheet.csv:6: field 'outcome'"),
        (("--map", MAP), [*GOOD, GOOD[0]], "sheet.csv:6: duplicates line 2"),
    ],
)
def test_bad_csv_is_rejected_whole(
    cli: Any, tmp_path: Path, db: Path, args: tuple[str, ...], rows: list[str], needle: str
) -> None:
    open_store(db).close()
    result = cli("import", str(_csv(tmp_path, *rows)), *args, "--db", str(db))
    assert result.exit_code == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and needle in result.stderr
    with open_store(db) as store:
        assert store.models() == []  # nothing partially imported


def test_map_on_jsonl_is_an_error(cli: Any, tmp_path: Path, db: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text("{}\n")
    result = cli("import", str(path), "--map", MAP, "--db", str(db))
    assert result.exit_code == 2 and "--map applies to CSV files only" in result.stderr


def test_a_spreadsheet_bom_is_dropped_and_a_bad_byte_names_its_line(
    cli: Any, tmp_path: Path, db: Path
) -> None:
    path = tmp_path / "sheet.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" + HEADER.encode() + GOOD[0].encode() + b"lab/m,caf\xe9,monitored,q2,x,\n"
    )
    result = cli("import", str(path), "--map", MAP, "--db", str(db))
    assert result.stderr == (
        f"afgap: error: {path}:3: not valid UTF-8 (byte 0xe9 at column 10); save the file as UTF-8\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "".join(GOOD)).encode())
    assert cli("import", str(path), "--map", MAP, "--db", str(db)).exit_code == 0
