"""`afgap import … --map-value FIELD:VALUE=TARGET`: other tools' conditions and outcomes, CSV and JSONL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from afgap.store.database import open_store

# The published format's own flag, and 1/0 outcomes, as another tool's spreadsheet would hold them.
HEADER = "model,scenario,is_free_tier_user,query_id,complied\n"
ROWS = [
    "lab/m,helpful-only,True,q1,1\n",
    "lab/m,helpful-only,false,q1,0\n",
    "lab/m,helpful-only,TRUE,q2,0\n",
    "lab/m,helpful-only,False,q2,0\n",
]
MAPS = (
    "--map",
    "condition=is_free_tier_user,outcome=complied",
    "--map-value",
    "condition:true=monitored,false=unmonitored",
    "--map-value",
    "outcome:1=comply,0=refuse",
)


def _csv(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "sheet.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def _jsonl(tmp_path: Path, *records: dict[str, Any]) -> Path:
    path = tmp_path / "other.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _record(tier: object, query: str, outcome: object) -> dict[str, Any]:
    return {"model": "lab/m", "scenario": "s", "condition": tier, "query_id": query, "outcome": outcome}


def test_a_boolean_flag_column_becomes_the_conditions(cli: Any, tmp_path: Path, db: Path) -> None:
    result = cli("import", str(_csv(tmp_path, *ROWS)), *MAPS, "--db", str(db))
    assert result.exit_code == 0, result.stderr
    doc = cli("compare", "--format", "json", "--db", str(db)).json()
    assert doc["models"][0]["n_pairs"] == 2 and doc["models"][0]["gap"]["estimate"] == 0.5


def test_jsonl_values_are_mapped_json_booleans_and_numbers_included(
    cli: Any, tmp_path: Path, db: Path
) -> None:
    path = _jsonl(
        tmp_path,
        _record(True, "q1", 1),
        _record("free", "q1", 0),  # strings and booleans may share one map
        _record(False, "q2", 0),
        _record("paid", "q2", 0),
    )
    maps = (
        "--map-value",
        "condition:true=monitored,FREE=unmonitored",
        "--map-value",
        "outcome:1=comply,0=refuse",
    )
    maps_false = ("--map-value", "condition:false=monitored,paid=unmonitored")
    # One field's values given over two options.
    result = cli("import", str(path), *maps[:2], *maps_false, *maps[2:], "--db", str(db))
    assert result.exit_code == 0, result.stderr
    with open_store(db) as store:
        assert {(r.query_id, r.condition, r.outcome) for r in store.export_records()} == {
            ("q1", "monitored", "comply"),
            ("q1", "unmonitored", "refuse"),
            ("q2", "monitored", "refuse"),
            ("q2", "unmonitored", "refuse"),
        }


@pytest.mark.parametrize(
    ("kind", "args", "needle"),
    [
        (
            "csv",
            ("--map-value", "condition:true=monitored"),
            "sheet.csv:3: condition value 'false' is not mapped",
        ),
        (
            "csv",
            ("--map-value", "outcome:1=comply,0=refuse", "--map-value", "outcome:2=partial,1=partial"),
            "value '1' is mapped twice",
        ),
        ("csv", ("--map-value", "tier:true=monitored"), "unknown field 'tier'"),
        ("csv", ("--map-value", "condition=monitored"), "expected FIELD:VALUE=TARGET"),
        ("csv", ("--map-value", "condition:true=Free Tier"), "not a condition name"),
        (
            "jsonl",
            ("--map-value", "condition:true=monitored,false=unmonitored"),
            "other.jsonl:2: condition value 'maybe'",
        ),
    ],
)
def test_a_bad_map_or_an_unmapped_value_rejects_the_whole_file(
    cli: Any, tmp_path: Path, db: Path, kind: str, args: tuple[str, ...], needle: str
) -> None:
    if kind == "csv":
        path = _csv(tmp_path, *ROWS)
        args = (
            "--map",
            "condition=is_free_tier_user,outcome=complied",
            "--map-value",
            "outcome:1=comply,0=refuse",
            *args,
        )
    else:
        path = _jsonl(tmp_path, _record(True, "q1", "comply"), _record("maybe", "q1", "refuse"))
    open_store(db).close()
    result = cli("import", str(path), *args, "--db", str(db))
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("afgap: error:") and needle in lines[0], result.stderr
    with open_store(db) as store:
        assert store.models() == []  # nothing partially imported
