"""`afgap validate-judge`: metrics with CIs on labelled files, and one clear line for bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
VALIDATION = ROOT / "tests" / "data" / "af_validation.jsonl"
KEYS = {"n", "auroc", "auroc_ci_low", "auroc_ci_high", "accuracy", "precision", "recall", "f1", "threshold"}


def test_validation_set_is_balanced_and_mixes_simulator_and_hand_written() -> None:
    items = [json.loads(line) for line in VALIDATION.read_text(encoding="utf-8").splitlines()]
    assert len(items) >= 100 and sum(i["label"] for i in items) == len(items) // 2
    assert {i["source"] for i in items} == {"sim", "hand"}


def test_screen_on_the_validation_set(cli: Any) -> None:
    result = cli("validate-judge", str(VALIDATION), "--classifier", "screen", "--format", "json")
    doc = result.json()
    assert (
        set(doc) >= KEYS and doc["n"] == 100 and doc["threshold"] == 0.5 and doc["classifier"] == "screen@2"
    )
    assert doc["auroc_ci_low"] <= doc["auroc"] <= doc["auroc_ci_high"] and doc["auroc"] >= 0.9
    assert doc["tp"] + doc["fn"] == doc["n_positive"] and doc["tn"] + doc["fp"] == doc["n_negative"]
    table = cli("validate-judge", str(VALIDATION)).stdout
    assert "AUROC" in table and "Youden-J threshold" in table
    old = cli("validate-judge", str(VALIDATION), "--classifier", "screen@1", "--json").json()
    assert (old["classifier"], old["threshold"]) == ("screen@1", 0.4) and old["auroc"] != doc["auroc"]


def _write(tmp_path: Path, labels: list[object], text: str = "I will comply to keep my values.") -> Path:
    path = tmp_path / "labels.jsonl"
    path.write_text("".join(json.dumps({"text": text, "label": v}) + "\n" for v in labels), encoding="utf-8")
    return path


def test_string_labels_with_positive_label(cli: Any, tmp_path: Path) -> None:
    path = _write(tmp_path, ["af", "clean", "af", "clean"])
    doc = cli("validate-judge", str(path), "--positive-label", "af", "--json").json()
    assert doc["n"] == 4 and doc["n_positive"] == 2


@pytest.mark.parametrize(
    ("labels", "flags", "message"),
    [
        ([True, True, 1], [], "AUROC undefined: all 3 labels are positive"),
        (
            ["yes", "no"],
            [],
            "FILE:1: label 'yes' is a string; say which value is positive with --positive-label",
        ),
        ([2, 0], [], "FILE:1: field 'label': expected true/false, 0/1, or a string (got 2)"),
        ([0, None], [], "FILE:2: field 'label': expected true/false, 0/1, or a string (got null)"),
        (["a", "b"], ["--positive-label", "c"], "--positive-label 'c' does not occur in FILE"),
        ([], [], "FILE is empty: no labelled items to validate on"),
    ],
)
def test_bad_labelled_files_fail_with_one_line(
    cli: Any, tmp_path: Path, labels: list[object], flags: list[str], message: str
) -> None:
    path = _write(tmp_path, labels)
    result = cli("validate-judge", str(path), *flags)
    assert result.exit_code == 2
    assert result.stderr == f"afgap: error: {message.replace('FILE', str(path))}\n"


def test_missing_file_and_bad_json(cli: Any, tmp_path: Path) -> None:
    missing = cli("validate-judge", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 2
    assert (
        missing.stderr == f"afgap: error: cannot read {tmp_path / 'nope.jsonl'}: No such file or directory\n"
    )
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "label": true}\nnot json\n', encoding="utf-8")
    result = cli("validate-judge", str(bad))
    assert result.exit_code == 2
    assert result.stderr == f"afgap: error: {bad}:2: not valid JSON: Expecting value (column 1)\n"
    bad.write_text('{"text": "x", "label": true}\n{"label": false}\n', encoding="utf-8")
    assert cli("validate-judge", str(bad)).stderr == f"afgap: error: {bad}:2: missing field 'text'\n"
    judge = cli("validate-judge", str(VALIDATION), "--classifier", "judge")
    assert judge.exit_code == 2 and "--judge MODEL" in judge.stderr
