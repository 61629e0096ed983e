"""The afgap/validation@1 document: its shipped schema matches the model, and old documents still read."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema

from afgap.jobs.validate_judge import read_report, validation_schema

SHIPPED = json.loads(files("afgap.report").joinpath("validation.schema.json").read_text(encoding="utf-8"))
VALIDATION = Path(__file__).resolve().parents[2] / "tests" / "data" / "af_validation.jsonl"


def test_the_shipped_schema_is_the_models_own() -> None:
    assert validation_schema() == SHIPPED
    jsonschema.Draft202012Validator.check_schema(SHIPPED)


def test_real_output_validates_and_names_what_was_measured(cli: Any) -> None:
    args = ("validate-judge", str(VALIDATION), "--set-name", "sim + hand, 100 items", "--format", "json")
    doc = cli(*args).json()
    jsonschema.validate(doc, SHIPPED, cls=jsonschema.Draft202012Validator)
    assert doc["schema"] == "afgap/validation@1" and doc["kind"] == "af-reasoning"
    assert doc["classifier_id"] == doc["classifier"] and doc["set_name"] == "sim + hand, 100 items"
    assert len(doc["file_sha256"]) == 64 and doc["sensitivity"] == doc["recall"]


def test_a_document_from_before_validation_1_still_reads(tmp_path: Path) -> None:
    old = {
        "classifier": "screen@1",
        "file": "x.jsonl",
        "n": 4,
        "n_positive": 2,
        "n_negative": 2,
        "auroc": 1.0,
        "auroc_ci_low": 1.0,
        "auroc_ci_high": 1.0,
        "accuracy": 1.0,
        "precision": 1.0,
        "recall": 1.0,
        "specificity": 1.0,
        "f1": 1.0,
        "threshold": 0.4,
        "youden_threshold": 0.4,
        "tp": 2,
        "fp": 0,
        "fn": 0,
        "tn": 2,
        "unparseable": 0,
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    report = read_report(path)
    assert report.classifier_id is None and report.schema_ is None and report.tp == 2
