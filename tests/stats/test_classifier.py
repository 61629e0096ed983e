"""validate(): AUROC against hand-computed values and scipy, bootstrap CI, threshold metrics, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import mannwhitneyu

from afgap.errors import InputError
from afgap.stats.classifier import ValidationResult, auroc, validate, youden_threshold

# Positives 0.9, 0.8, 0.4 vs negatives 0.7, 0.3: of the 6 pairs, only (0.4, 0.7) is misordered → 5/6.
SCORES = [0.9, 0.8, 0.4, 0.7, 0.3]
LABELS = [True, True, True, False, False]


def _run(
    scores: list[float], labels: list[bool], threshold: float = 0.5, n_boot: int = 500
) -> ValidationResult:
    return validate(scores, labels, threshold, np.random.default_rng(1), n_boot=n_boot)


def test_hand_computed_example() -> None:
    result = _run(SCORES, LABELS)
    assert result.auroc == pytest.approx(5 / 6)
    assert (result.n, result.n_positive, result.threshold) == (5, 3, 0.5)
    # Threshold 0.5 calls 0.9, 0.8, 0.7 positive: tp 2, fp 1, fn 1, tn 1.
    assert result.accuracy == pytest.approx(3 / 5)
    assert result.precision == pytest.approx(2 / 3)
    assert result.recall == pytest.approx(2 / 3)
    assert result.f1 == pytest.approx(2 / 3)
    # J: t=0.9 → 1/3; t=0.8 → 2/3; t=0.7 → 2/3 − 1/2; t=0.4 → 1 − 1/2; t=0.3 → 0.
    assert result.youden_threshold == 0.8
    assert result.auroc_ci_low <= result.auroc <= result.auroc_ci_high


def test_ties_count_one_half() -> None:
    # Pairs: (0.5, 0.5) ½, (0.5, 0.1) 1, twice → 3/4.
    assert _run([0.5, 0.5, 0.5, 0.1], [True, True, False, False]).auroc == pytest.approx(0.75)


def test_perfect_and_inverted_separation() -> None:
    perfect = _run([0.9, 0.8, 0.2, 0.1], [True, True, False, False])
    assert (perfect.auroc, perfect.auroc_ci_low, perfect.auroc_ci_high) == (1.0, 1.0, 1.0)
    assert (perfect.accuracy, perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0, 1.0)
    assert _run([0.1, 0.2, 0.8, 0.9], [True, True, False, False]).auroc == 0.0


def test_no_predicted_positive_gives_zero_precision() -> None:
    result = _run(SCORES, LABELS, threshold=2.0)
    assert (result.precision, result.recall, result.f1) == (0.0, 0.0, 0.0)
    assert result.accuracy == pytest.approx(2 / 5)


@given(
    st.lists(st.floats(0, 1), min_size=1, max_size=30),
    st.lists(st.floats(0, 1), min_size=1, max_size=30),
)
def test_auroc_matches_scipy_mann_whitney(pos: list[float], neg: list[float]) -> None:
    expected = mannwhitneyu(pos, neg).statistic / (len(pos) * len(neg))
    assert auroc(np.array(pos), np.array(neg)) == pytest.approx(expected)


def test_bootstrap_is_reproducible_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(7)
    scores = list(rng.random(80))
    labels = [bool(score + rng.normal(0, 0.3) > 0.5) for score in scores]
    first = validate(scores, labels, 0.5, np.random.default_rng(3))
    assert first == validate(scores, labels, 0.5, np.random.default_rng(3))
    assert 0.0 <= first.auroc_ci_low < first.auroc < first.auroc_ci_high <= 1.0


def test_youden_threshold_on_separable_data_splits_the_classes() -> None:
    scores = np.array([0.1, 0.2, 0.6, 0.7])
    labels = np.array([False, False, True, True])
    assert youden_threshold(scores, labels) == 0.6


@pytest.mark.parametrize(
    ("scores", "labels", "message"),
    [
        ([0.1, 0.2, 0.3], [True, True, True], "AUROC undefined: all 3 labels are positive"),
        ([0.1, 0.2], [False, False], "AUROC undefined: all 2 labels are negative"),
        ([], [], "nothing to validate: no labelled items"),
        ([0.1], [True, False], "scores and labels differ in length: 1 scores, 2 labels"),
        ([0.1, float("nan")], [True, False], "scores must be finite numbers; item 2 is nan"),
    ],
)
def test_bad_input_raises_input_error(scores: list[float], labels: list[bool], message: str) -> None:
    with pytest.raises(InputError) as caught:
        _run(scores, labels)
    assert str(caught.value) == message


def test_n_boot_must_be_positive() -> None:
    with pytest.raises(InputError, match="n_boot must be at least 1, got 0"):
        _run(SCORES, LABELS, n_boot=0)
