"""compare/report --validation on a simulator store: label sources named, AF rates corrected, wider CIs."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema

from afgap.classify.screen import CLASSIFIER as SCREEN

ROOT = Path(__file__).resolve().parents[2]
VALIDATION = ROOT / "tests" / "data" / "af_validation.jsonl"
SCHEMA = json.loads(files("afgap.report").joinpath("compare.schema.json").read_text(encoding="utf-8"))


def _validation(cli: Any, tmp_path: Path, set_name: str, **counts: Any) -> Path:
    """A validate-judge document of the screen; given counts stand for a set where it did that well."""
    result = cli("validate-judge", str(VALIDATION), "--set-name", set_name, "--format", "json")
    doc = {**result.json(), **counts}
    path = tmp_path / f"v{len(list(tmp_path.glob('v*.json')))}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_validated_af_rates_are_corrected_with_wider_intervals(cli: Any, tmp_path: Path) -> None:
    db = str(tmp_path / "sim.sqlite")
    assert cli("demo", "--samples", "1", "--db", db).exit_code == 0
    plain = cli("compare", "--db", db)
    assert "AF: offline screen" in plain.stdout and "on real text its specificity is" in plain.stdout
    good = dict(tp=48, fn=2, tn=49, fp=1, recall=0.96, sensitivity=0.96, specificity=0.98)
    valid = _validation(cli, tmp_path, "real, held-out, 100 items", **good)
    doc = cli("compare", "--db", db, "--validation", str(valid), "--format", "json").json()
    jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert "AUROC" in doc["settings"]["af_labels"] and len(doc["settings"]["validations"]) == 1
    widened = []
    for row in doc["models"]:
        for name in ("af_reasoning", "af_reasoning_compliant"):
            figure = row[name]
            assert figure["label_source"] == SCREEN and figure["validation"]["set_name"].startswith("real")
            corrected = figure["corrected"]
            if corrected["note"] is None:  # a note: the estimate was clipped to 0 or 1
                assert corrected["ci_high"] - corrected["ci_low"] > figure["ci_high"] - figure["ci_low"]
                widened.append((row["model"], name))
    # The faker has AF reasoning to correct; the others' AF rates are 0, clipped with a note.
    assert {("sim/faker", "af_reasoning"), ("sim/faker", "af_reasoning_compliant")} <= set(widened)


def test_a_validation_of_another_classifier_is_refused(cli: Any, tmp_path: Path) -> None:
    db = str(tmp_path / "sim.sqlite")
    assert cli("demo", "--samples", "1", "--db", db).exit_code == 0
    other = _validation(cli, tmp_path, "x", classifier_id="judge:sim/judge@1")
    result = cli("compare", "--db", db, "--validation", str(other))
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "--validation measured judge:sim/judge@1, but no AF label compared comes from it" in result.stderr
    hostile = _validation(cli, tmp_path, "<script>alert(1)</script>")
    page = tmp_path / "r.html"
    assert cli("report", "--db", db, "--validation", str(hostile), "--html", str(page)).exit_code == 0
    text = page.read_text(encoding="utf-8")
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)" in text and 'id="af-labels"' in text


def test_markdown_carries_the_af_column_its_source_and_corrected_rates(cli: Any, tmp_path: Path) -> None:
    """A table for a paper shows each AF rate with its interval, what the labels rest on, and corrections."""
    db = str(tmp_path / "sim.sqlite")
    assert cli("demo", "--samples", "1", "--db", db).exit_code == 0
    doc = cli("compare", "--db", db, "--format", "json").json()
    text = cli("compare", "--db", db, "--format", "markdown").stdout
    head, rule, *rows = text.splitlines()[: 2 + len(doc["models"])]
    assert head.endswith("| AF % [95% CI] |") and head.count("|") == rule.count("|")
    for row, line in zip(doc["models"], rows, strict=True):
        af = row["af_reasoning"]
        shown = f"{100 * af['rate']:.1f} [{100 * af['ci_low']:.1f}, {100 * af['ci_high']:.1f}]"
        assert line.count("|") == head.count("|") and line.endswith(f"| {shown} |")
    assert "AF% column — AF: offline screen (screen@2), on real text its specificity is" in text
    assert "AF corrected" not in text
    good = dict(tp=48, fn=2, tn=49, fp=1, recall=0.96, sensitivity=0.96, specificity=0.98)
    valid = _validation(cli, tmp_path, "held out", **good)
    corrected = cli("compare", "--db", db, "--validation", str(valid), "--format", "markdown").stdout
    assert (
        "corrected for its Se/Sp" in corrected and "AF corrected: sim/faker · helpful-only: AF" in corrected
    )
    md = tmp_path / "table.md"
    assert cli("report", "--markdown", str(md), "--db", db).exit_code == 0
    assert md.read_text(encoding="utf-8").splitlines()[0] == head


def test_markdown_without_af_labels_has_no_af_column(cli: Any, tmp_path: Path) -> None:
    records = tmp_path / "r.jsonl"
    lines = [
        {"model": "m/a", "scenario": "s", "condition": c, "query_id": f"q{q}", "outcome": "refuse"}
        for q in range(4)
        for c in ("monitored", "unmonitored")
    ]
    records.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    db = str(tmp_path / "plain.sqlite")
    assert cli("import", str(records), "--db", db).exit_code == 0
    text = cli("compare", "--db", db, "--format", "markdown").stdout
    assert "AF %" not in text and "AF% column" not in text
