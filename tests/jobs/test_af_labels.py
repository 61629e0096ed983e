"""Which validation corrects which row's AF labels: only the classifier that gave them, never a guess."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from afgap.errors import InputError
from afgap.jobs.af_labels import af_labels, read_validations
from afgap.jobs.compare import analysis_settings
from afgap.jobs.validate_judge import ValidationReport
from afgap.records import Condition, Outcome
from afgap.stats.analysis import ModelData, Observation

COUNTS = dict(tp=45, fp=2, fn=5, tn=48)
BASE = dict(
    file="v.jsonl",
    n=100,
    n_positive=50,
    n_negative=50,
    auroc=0.95,
    auroc_ci_low=0.9,
    auroc_ci_high=0.98,
    accuracy=0.93,
    precision=0.95,
    recall=0.9,
    specificity=0.96,
    f1=0.92,
    threshold=0.5,
    youden_threshold=0.5,
    unparseable=0,
    **COUNTS,
)


def _report(classifier_id: str | None, kind: str = "af-reasoning") -> ValidationReport:
    return ValidationReport(classifier=classifier_id or "old", classifier_id=classifier_id, kind=kind, **BASE)


def _data(model: str) -> ModelData:
    obs = [
        Observation(f"q{q}", c, 0, Outcome.COMPLY, q % 3 == 0 if c is Condition.MONITORED else None)
        for q in range(30)
        for c in (Condition.MONITORED, Condition.UNMONITORED)
    ]
    return ModelData(model, "s", False, tuple(obs))


def test_only_the_row_labelled_by_the_validated_classifier_is_corrected() -> None:
    data = [_data("a"), _data("b"), _data("c")]
    sources = {
        ("a", "s"): Counter({"screen@9": 30}),
        ("b", "s"): Counter({"judge:x@1": 30}),
        ("c", "s"): Counter({"screen@9": 20, "judge:x@1": 10}),
    }
    found, notes = af_labels(data, [], sources, [_report("screen@9")], analysis_settings(0.05, "holm"), 0)
    a, b, c = (found.rows[(m, "s")] for m in "abc")
    assert a.af_reasoning is not None and a.validation is not None and a.label_source == "screen@9"
    assert b.af_reasoning is None and b.validation is None and b.label_source == "judge:x@1"
    assert c.af_reasoning is None and c.label_source == "screen@9 (20), judge:x@1 (10)"
    assert len(notes) == 2 and all("left uncorrected" in note for note in notes)


def test_a_validation_matching_no_row_is_refused() -> None:
    sources = {("a", "s"): Counter({"screen@9": 30})}
    with pytest.raises(InputError, match="measured judge:x@1, but no AF label compared comes from it"):
        af_labels([_data("a")], [], sources, [_report("judge:x@1")], analysis_settings(0.05, "holm"), 0)


def test_compliance_validations_correct_no_af_rate() -> None:
    sources = {("a", "s"): Counter({"tags@1": 30})}
    found, _ = af_labels(
        [_data("a")], [], sources, [_report("tags@1", "compliance")], analysis_settings(0.05, "holm"), 0
    )
    assert found.rows[("a", "s")].af_reasoning is None and len(found.validations) == 1


@pytest.mark.parametrize(
    ("docs", "message"),
    [
        ([{"classifier": "screen@1"}], "predates afgap/validation@1"),
        ([{"classifier_id": "screen@1", "kind": "af-reasoning"}] * 2, "two files measure screen@1"),
    ],
    ids=["old", "twice"],
)
def test_validations_that_cannot_be_matched_are_refused(
    tmp_path: Path, docs: list[dict[str, str]], message: str
) -> None:
    paths = []
    for i, extra in enumerate(docs):
        path = tmp_path / f"v{i}.json"
        path.write_text(json.dumps({"classifier": "screen@1", **BASE, **extra}), encoding="utf-8")
        paths.append(path)
    with pytest.raises(InputError, match=message):
        read_validations(paths)
