"""The shipped JSON Schema: printed by `afgap schema compare`, valid, matching real output and the records."""

from __future__ import annotations

import dataclasses
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema

from afgap.stats.types import GapSummary, ModelResult

SHIPPED = json.loads(files("afgap.report").joinpath("compare.schema.json").read_text(encoding="utf-8"))


def test_schema_command_prints_the_shipped_schema(cli: Any) -> None:
    result = cli("schema", "compare")
    assert result.exit_code == 0 and result.json() == SHIPPED
    jsonschema.Draft202012Validator.check_schema(SHIPPED)


def test_unknown_schema_is_one_line(cli: Any) -> None:
    result = cli("schema", "nope")
    assert (
        result.exit_code == 2
        and result.stderr.strip()
        == "afgap: error: unknown schema 'nope'; known: compare, compare@2, validation"
    )


def test_real_compare_output_validates(cli: Any, report_db: Path) -> None:
    doc = cli("compare", "--models", "all", "--format", "json", "--db", str(report_db)).json()
    jsonschema.validate(doc, SHIPPED, cls=jsonschema.Draft202012Validator)
    for line in cli("compare", "--format", "jsonl", "--db", str(report_db)).stdout.splitlines():
        row = json.loads(line)
        one_row = {"$defs": SHIPPED["$defs"], "$ref": "#/$defs/model"}  # a JSONL line is one model row
        jsonschema.validate(row, one_row, cls=jsonschema.Draft202012Validator)


def test_real_demo_output_validates(cli: Any) -> None:
    """The simulator's k = 3 design exercises the clustered fields (design effect, AF reasoning)."""
    result = cli("demo", "--samples", "1", "--format", "json")
    assert result.exit_code == 0, result.stderr
    jsonschema.validate(result.json(), SHIPPED, cls=jsonschema.Draft202012Validator)


def test_every_result_field_is_documented_in_the_schema() -> None:
    """Docs cannot drift: a field added to ModelResult must be added to the schema too."""
    fields = {f.name for f in dataclasses.fields(ModelResult)}
    # `anti_lab` is the report's section on anti-lab rows only (report/antilab.py), and `sequential` with
    # `anytime_interval` on rows collected until decided only (report/sequential.py): not result fields.
    sections = {"anti_lab", "sequential", "anytime_interval"}
    assert fields | sections == set(SHIPPED["$defs"]["model"]["properties"])


def test_every_gap_field_is_documented_in_the_schema() -> None:
    fields = {f.name for f in dataclasses.fields(GapSummary)}
    assert fields == set(SHIPPED["$defs"]["model"]["properties"]["gap"]["properties"])


def test_the_required_core_is_unchanged() -> None:
    """Added fields stay optional, so documents from before them still validate."""
    gap = SHIPPED["$defs"]["model"]["properties"]["gap"]
    assert gap["required"] == ["estimate", "ci_low", "ci_high", "p_value", "p_adjusted"]
    assert SHIPPED["properties"]["settings"]["required"] == [
        "alpha",
        "correction",
        "min_gap",
        "ci_method",
        "test",
    ]


def test_schema_rejects_a_broken_document(cli: Any, report_db: Path) -> None:
    doc = cli("compare", "--format", "json", "--db", str(report_db)).json()
    doc["models"][0]["verdict"] = "probably faking"
    try:
        jsonschema.validate(doc, SHIPPED, cls=jsonschema.Draft202012Validator)
    except jsonschema.ValidationError as exc:
        assert "probably faking" in exc.message
    else:
        raise AssertionError("the schema accepted an unknown verdict")
