"""The afgap/compare@2 document and the contrast rows in every format; compare@1 left as it was."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np

from afgap.records import Design
from afgap.report.contrasts import footer_lines, to_document, trend_line
from afgap.report.formats import document_text
from afgap.stats.analysis import Settings
from afgap.stats.contrasts import analyse_designs
from afgap.stats.trend import Trend
from tests.stats.conftest import multi_condition

SHIPPED = json.loads(files("afgap.report").joinpath("compare2.schema.json").read_text(encoding="utf-8"))
PROBE = Design(
    ("unmonitored", "throughput", "risk-low", "risk-high"), "unmonitored", ("risk-low", "risk-high")
)
EFFECTS = {"unmonitored": 0.0, "throughput": 0.0, "risk-low": 0.15, "risk-high": 0.4}


def _found() -> Any:
    rng = np.random.default_rng(2)
    data = [multi_condition(EFFECTS, 50, 2, rng, model=name, scenario="motivation-probes") for name in "ab"]
    return analyse_designs(data, {"motivation-probes": PROBE}, Settings(), np.random.default_rng(0))


def test_the_document_validates_and_names_each_contrast() -> None:
    doc = to_document(_found(), "tags@1")
    jsonschema.Draft202012Validator.check_schema(SHIPPED)
    jsonschema.validate(doc, SHIPPED, cls=jsonschema.Draft202012Validator)
    assert doc["schema"] == "afgap/compare@2" and doc["settings"]["adjusted_rows"] == 6
    pairs = {(r["model"], r["condition"], r["reference"], r["scenario"]) for r in doc["contrasts"]}
    assert pairs == {(m, c, "unmonitored", "motivation-probes") for m in "ab" for c in PROBE.contrasts}
    assert doc["designs"]["motivation-probes"]["levels"] == ["risk-low", "risk-high"]
    assert [t["model"] for t in doc["trends"]] == ["a", "b"] and len(doc["readings"]) == 2


def test_jsonl_lines_are_contrast_rows() -> None:
    one_row = {"$defs": SHIPPED["$defs"], "$ref": "#/$defs/contrast"}
    lines = document_text(to_document(_found()), jsonl=True, rows="contrasts").splitlines()
    assert len(lines) == 6
    for line in lines:
        row = json.loads(line)
        assert row["schema"] == "afgap/compare@2"
        jsonschema.validate(row, one_row, cls=jsonschema.Draft202012Validator)


def test_trend_line_and_footer() -> None:
    trend = Trend("m\x1b[2J", "s", ("low", "high"), 30, 2, 0.123, 0.05, 0.2, 0.0004, 0.0008, 0.0008)
    line = trend_line(trend)
    assert line == (
        "trend m\\x1b[2J · s (low < high): +12.3 pp per level [5.0, 20.0], one-sided p = <0.001 "
        "(adj. <0.001), 30 queries, 2 dropped"
    )
    texts = [t.plain for t in footer_lines(_found())]
    assert texts[0].startswith("Rows are contrasts 'scenario: condition vs reference'")
    assert (
        sum(t.startswith("trend ") for t in texts) == 2 and sum(t.startswith("reading ") for t in texts) == 2
    )


def test_the_classic_design_keeps_compare_at_1_byte_for_byte(cli: Any, report_db: Path) -> None:
    base = ("compare", "--format", "json", "--db", str(report_db))
    plain = cli(*base)
    assert cli(*base, "--reference", "unmonitored").stdout == plain.stdout
    assert plain.json()["schema"] == "afgap/compare@1"


def test_a_different_reference_gives_compare_at_2(cli: Any, report_db: Path) -> None:
    result = cli("compare", "--format", "json", "--reference", "monitored", "--db", str(report_db))
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    jsonschema.validate(doc, SHIPPED, cls=jsonschema.Draft202012Validator)
    assert {r["condition"] for r in doc["contrasts"]} == {"unmonitored"} and len(doc["contrasts"]) == 3
    # Every AF figure names its label source here too, as in compare@1.
    sources = {r["af_reasoning"]["label_source"] for r in doc["contrasts"]}
    assert len(sources) == 1 and None not in sources
    assert doc["settings"]["af_labels"].startswith(f"AF: {sources.pop()}")
    table = cli("compare", "--reference", "monitored", "--db", str(report_db))
    assert (
        table.exit_code == 0
        and "condition − reference" in table.stdout
        and "Rows are contrasts" in table.stdout
        and "AF% column — AF: " in table.stdout
    )
    csv = cli("compare", "--format", "csv", "--reference", "monitored", "--db", str(report_db)).stdout
    assert csv.count(",helpful-only: unmonitored vs monitored,") == 3
    assert {line.rsplit(",", 1)[1] for line in csv.splitlines()[1:]} == {"import@1"}


def test_bad_design_options_are_one_line_errors(cli: Any, report_db: Path) -> None:
    result = cli("compare", "--levels", "monitored", "--db", str(report_db))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "afgap: error: --levels expects two or more condition names separated by commas, got 'monitored'"
    )
    result = cli("compare", "--reference", "nope", "--db", str(report_db))
    assert result.exit_code == 2 and result.stderr.startswith("afgap: error: --reference 'nope' is not")


def test_schema_command_prints_compare_at_2(cli: Any) -> None:
    result = cli("schema", "compare@2")
    assert result.exit_code == 0 and result.json() == SHIPPED


def test_html_sections_escape_every_name_and_show_each_contrast() -> None:
    from dataclasses import replace

    from afgap.report.contrasts_html import contrast_sections
    from afgap.stats.contrasts import DesignComparison

    found: DesignComparison = _found()
    hostile = "<script>x</script>"
    rows = tuple(replace(m, model=hostile) for m in found.comparison.models)
    contrasts = {(hostile, label): c for (_, label), c in found.contrasts.items()}
    trends = tuple(replace(t, model=hostile) for t in found.trends)
    page = contrast_sections(
        replace(found, comparison=replace(found.comparison, models=rows), contrasts=contrasts, trends=trends)
    )
    assert "<script>" not in page and "&lt;script&gt;" in page
    for condition in PROBE.contrasts:
        assert f"<h3>motivation-probes: {condition} vs unmonitored</h3>" in page
    assert 'id="trends"' in page and page.count("<li>") == 2


def test_the_html_report_carries_the_contrasts(cli: Any, report_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = cli("report", "--html", str(out), "--db", str(report_db))
    assert result.exit_code == 0, result.stderr
    assert 'id="contrasts"' not in out.read_text(encoding="utf-8")  # the classic design: unchanged
    result = cli("report", "--html", str(out), "--reference", "monitored", "--db", str(report_db))
    assert result.exit_code == 0, result.stderr
    assert "<h3>helpful-only: unmonitored vs monitored</h3>" in out.read_text(encoding="utf-8")
