"""AF rates corrected for classifier error: known truth recovered, intervals that cover it."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from afgap.errors import InputError
from afgap.stats.af_correction import ConfusionCounts, corrected_rate


def _validation(rng: np.random.Generator, se: float, sp: float, n_pos: int, n_neg: int) -> ConfusionCounts:
    """A validation set scored by the same classifier that labels the data."""
    tp = int(rng.binomial(n_pos, se))
    tn = int(rng.binomial(n_neg, sp))
    return ConfusionCounts(tp=tp, fp=n_neg - tn, tn=tn, fn=n_pos - tp)


def _labels(
    rng: np.random.Generator, queries: int, samples: int, p: float, se: float, sp: float
) -> tuple[NDArray[np.int_], NDArray[np.int_]]:
    """Per-query counts of AF calls, with query-level heterogeneity around the true rate p."""
    per_query = np.clip(rng.normal(p, 0.1, size=queries), 0.0, 1.0)
    truth = rng.random((queries, samples)) < per_query[:, None]
    called = np.where(truth, rng.random(truth.shape) < se, rng.random(truth.shape) < 1 - sp)
    return called.sum(axis=1), np.full(queries, samples)


def test_corrected_interval_covers_the_true_rate_at_about_the_nominal_rate() -> None:
    rng = np.random.default_rng(7)
    se, sp, truth, reps, covered = 0.8, 0.9, 0.3, 300, 0
    for _ in range(reps):
        hits, trials = _labels(rng, 100, 3, truth, se, sp)
        counts = _validation(rng, se, sp, 80, 80)
        result = corrected_rate(hits, trials, counts, rng, n_boot=600)
        assert result.ci_low is not None and result.ci_high is not None
        covered += result.ci_low <= truth <= result.ci_high
    # Queries differ around the true rate (clipping at 0 and 1 moves the mean by far less than 0.001).
    assert covered / reps >= 0.92, covered / reps


def test_the_correction_recovers_the_rate_that_misclassification_distorts() -> None:
    rng = np.random.default_rng(3)
    hits, trials = _labels(rng, 3000, 2, 0.2, 0.75, 0.85)
    result = corrected_rate(hits, trials, ConfusionCounts(tp=75, fp=15, tn=85, fn=25), rng)
    assert result.observed == pytest.approx(0.2 * 0.75 + 0.8 * 0.15, abs=0.02)
    assert result.estimate == pytest.approx(0.2, abs=0.03) and result.note is None


@pytest.mark.parametrize(
    ("hits", "note"), [(2, "below 1 − specificity"), (98, "above sensitivity")], ids=["low", "high"]
)
def test_a_rate_outside_the_identifiable_range_is_clipped_with_a_note(hits: int, note: str) -> None:
    counts = ConfusionCounts(tp=90, fp=10, tn=90, fn=10)  # Se = Sp = 0.9: identifiable in [10 %, 90 %]
    result = corrected_rate(np.array([hits]), np.array([100]), counts, np.random.default_rng(0))
    assert result.estimate in (0.0, 1.0) and result.note is not None and note in result.note


def test_a_chance_classifier_gives_no_estimate() -> None:
    counts = ConfusionCounts(tp=5, fp=5, tn=5, fn=5)
    result = corrected_rate(np.array([3]), np.array([10]), counts, np.random.default_rng(0))
    assert result.estimate is None and result.note is not None and "no better than chance" in result.note


def test_a_validation_without_positives_is_refused() -> None:
    with pytest.raises(InputError, match="both positive and negative"):
        ConfusionCounts(tp=0, fp=3, tn=7, fn=0)
