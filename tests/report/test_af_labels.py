"""The line on the AF column: which classifier, validated (AUROC) or not; the JSON fields added only."""

from __future__ import annotations

from typing import Any

import pytest

from afgap.classify.screen import CLASSIFIER as SCREEN
from afgap.report.af_labels import AfFigures, AfLabels, af_note, methods_html, with_af_labels

VALID = {
    "classifier_id": "judge:x@1",
    "auroc": 0.9,
    "auroc_ci_low": 0.8,
    "auroc_ci_high": 0.95,
    "set_name": "real, held-out, 80 items",
}


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        (AfFigures(SCREEN), f"AF: offline screen ({SCREEN}), on real text its specificity is"),
        (AfFigures("screen@1"), "AF: offline screen (screen@1), on real text AUROC 0.70 [0.60, 0.79]"),
        (AfFigures("screen@9"), "AF: offline screen (screen@9), unvalidated on real text"),
        (AfFigures("judge:x@1"), "AF: judge:x@1, unvalidated"),
        (
            AfFigures("judge:x@1", VALID),
            "AF: judge:x@1, AUROC 0.900 [0.800, 0.950] on real, held-out, 80 items",
        ),
        (AfFigures(None), None),
    ],
    ids=["screen", "screen@1", "unmeasured-screen", "judge", "validated", "none"],
)
def test_the_af_note_says_where_labels_come_from(figures: AfFigures, expected: str | None) -> None:
    note = af_note(AfLabels({("m", "s"): figures}))
    assert note == expected if expected is None else note is not None and note.startswith(expected)


def test_fields_are_added_to_each_af_figure_and_the_rest_kept() -> None:
    figure = {"n": 10, "count": 1, "rate": 0.1, "ci_low": 0.0, "ci_high": 0.4}
    doc: dict[str, Any] = {
        "settings": {"alpha": 0.05},
        "models": [
            {"model": "m", "scenario": "s", "af_reasoning": dict(figure), "af_reasoning_compliant": None}
        ],
    }
    out = with_af_labels(doc, AfLabels({("m", "s"): AfFigures(SCREEN)}))
    row = out["models"][0]
    assert row["af_reasoning"] == {**figure, "label_source": SCREEN, "validation": None, "corrected": None}
    assert row["af_reasoning_compliant"] is None and out["settings"]["alpha"] == 0.05


def test_methods_escape_what_a_validation_file_says() -> None:
    hostile = {
        **VALID,
        "set_name": "<img src=x onerror=alert(1)>",
        "kind": "af-reasoning",
        "n": 2,
        "tp": 1,
        "fp": 0,
        "tn": 1,
        "fn": 0,
        "threshold": 0.5,
        "sensitivity": 1.0,
        "specificity": 1.0,
        "file": "a&b",
        "file_sha256": "0" * 64,
    }
    html = methods_html(AfLabels({("m", "s"): AfFigures("judge:x@1", hostile)}, (hostile,)))
    assert "<img" not in html and "&lt;img src=x" in html and "a&amp;b" in html
