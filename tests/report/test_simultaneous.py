"""The simultaneous interval in every output: terminal (own column or stacked), JSON, CSV, Markdown, HTML."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest


def _json(cli: Any, db: Path, *extra: str) -> dict[str, Any]:
    result = cli("compare", "--format", "json", "--db", str(db), *extra)
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = result.json()
    return doc


def test_json_rows_carry_the_bonferroni_interval_around_the_per_model_one(cli: Any, report_db: Path) -> None:
    doc = _json(cli, report_db)
    settings = doc["settings"]
    assert settings["simultaneous_method"] == "bonferroni" and settings["simultaneous_rows"] == 3
    assert settings["simultaneous_confidence"] == pytest.approx(1 - 0.05 / 3)
    for row in doc["models"]:
        gap = row["gap"]
        assert gap["simultaneous_ci_low"] < gap["ci_low"] <= gap["ci_high"] < gap["simultaneous_ci_high"]
        if gap["simultaneous_ci_low"] > 0:
            assert gap["p_adjusted"] < 0.05


def test_json_under_bh_covers_only_the_selected_rows(cli: Any, report_db: Path) -> None:
    doc = _json(cli, report_db, "--correction", "bh")
    selected = [m for m in doc["models"] if m["gap"]["p_adjusted"] < 0.05]
    assert doc["settings"]["simultaneous_method"] == "fcr"
    assert doc["settings"]["simultaneous_rows"] == len(selected) >= 1
    for row in doc["models"]:
        has = row["gap"]["simultaneous_ci_low"] is not None
        assert has == (row in selected)


def test_no_correction_means_no_simultaneous_interval_anywhere(cli: Any, report_db: Path) -> None:
    doc = _json(cli, report_db, "--correction", "none")
    assert (
        doc["settings"]["simultaneous_method"] == "none"
        and doc["settings"]["simultaneous_confidence"] is None
    )
    assert all(m["gap"]["simultaneous_ci_low"] is None for m in doc["models"])
    table = cli("compare", "--correction", "none", "--db", str(report_db), env={"COLUMNS": "140"}).stdout
    markdown = cli("compare", "--correction", "none", "--format", "markdown", "--db", str(report_db)).stdout
    assert "simult" not in table and "simult" not in markdown


def test_csv_appends_the_two_columns(cli: Any, report_db: Path) -> None:
    text = cli("compare", "--format", "csv", "--db", str(report_db)).stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0].endswith(
        ",af_reasoning_rate,gap_simultaneous_ci_low,gap_simultaneous_ci_high,af_label_source"
    )
    doc = _json(cli, report_db)
    for row, model in zip(rows, doc["models"], strict=True):
        assert float(row["gap_simultaneous_ci_low"]) == pytest.approx(model["gap"]["simultaneous_ci_low"])
        assert float(row["gap_simultaneous_ci_high"]) == pytest.approx(model["gap"]["simultaneous_ci_high"])


def test_markdown_has_the_column_and_says_how_it_relates_to_the_verdict(cli: Any, report_db: Path) -> None:
    text = cli("compare", "--format", "markdown", "--db", str(report_db)).stdout
    head, rule, first = text.splitlines()[:3]
    assert "| gap pp [95% CI] | simult. CI | p adj |" in head
    assert head.count("|") == rule.count("|") == first.count("|")
    assert "simult. CI: Bonferroni, each of the 3 tested rows at 98.33%" in text
    assert "A lower bound above 0 means adjusted p < α" in text


def test_a_wide_terminal_gets_its_own_column_a_narrow_one_stacks(cli: Any, report_db: Path) -> None:
    wide = cli("compare", "--db", str(report_db), env={"COLUMNS": "140"}).stdout.splitlines()
    header = next(line for line in wide if " model " in line)
    assert "95% CI" in header and "simult. CI" in header
    faker = next(line for line in wide if "lab/faker" in line)
    assert faker.count("[") == 2  # both intervals on the row's line
    narrow = cli("compare", "--db", str(report_db), env={"COLUMNS": "80"}).stdout.splitlines()
    assert all(len(line) <= 80 for line in narrow)
    at = next(i for i, line in enumerate(narrow) if "lab/faker" in line)
    assert narrow[at].count("[") == 1 and narrow[at + 1].strip().startswith("[")  # stacked below
    ci_at = next(i for i, line in enumerate(narrow) if "95% CI" in line)
    assert "simult. CI" in narrow[ci_at + 1]  # the header says which line is which
    assert any(line.startswith("simult. CI: Bonferroni") for line in narrow)


def test_html_table_has_the_column_with_a_tooltip_and_legend(
    cli: Any, report_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r.html"
    assert cli("report", "--html", str(out), "--db", str(report_db)).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert '<th title="simult. CI: Bonferroni, each of the 3 tested rows' in page
    assert page.count('<td class="simult">[') == 3 and 'id="simultaneous-legend"' in page
    assert "<dt>simultaneous interval</dt>" in page
    plain = tmp_path / "n.html"
    assert cli("report", "--html", str(plain), "--correction", "none", "--db", str(report_db)).exit_code == 0
    page = plain.read_text(encoding="utf-8")
    assert 'class="simult"' not in page and "no multiplicity correction" in page
