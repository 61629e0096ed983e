"""How well a scoring classifier does on a labelled set: metrics at a threshold, AUROC with a CI, Youden's J.

Pure: scores and labels in, a frozen record out; randomness only through the ``rng`` passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from afgap.errors import InputError

_CI_LEVEL = 0.95


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """How well scores separate labels: AUROC with its 95 % CI, and metrics at a threshold (score ≥ it)."""

    n: int
    n_positive: int
    auroc: float
    auroc_ci_low: float
    auroc_ci_high: float
    accuracy: float
    precision: float
    recall: float
    f1: float
    threshold: float
    youden_threshold: float


def validate(
    scores: Sequence[float],
    labels: Sequence[bool],
    threshold: float,
    rng: np.random.Generator,
    n_boot: int = 2000,
) -> ValidationResult:
    """Validate scores against boolean labels: AUROC (stratified bootstrap CI) and metrics at threshold."""
    s, y = _checked(scores, labels, n_boot)
    pos, neg = s[y], s[~y]
    low, high = _bootstrap_ci(pos, neg, rng, n_boot)
    accuracy, precision, recall, f1 = _at_threshold(s, y, threshold)
    return ValidationResult(
        n=len(s),
        n_positive=len(pos),
        auroc=auroc(pos, neg),
        auroc_ci_low=low,
        auroc_ci_high=high,
        accuracy=accuracy,
        precision=precision,
        recall=recall,
        f1=f1,
        threshold=threshold,
        youden_threshold=youden_threshold(s, y),
    )


def auroc(positive: NDArray[np.float64], negative: NDArray[np.float64]) -> float:
    """AUROC as the Mann–Whitney U over n₊·n₋ (Hanley & McNeil 1982); ties count one half."""
    return float(_auroc_rows(positive[np.newaxis, :], negative[np.newaxis, :])[0])


def youden_threshold(scores: NDArray[np.float64], labels: NDArray[np.bool_]) -> float:
    """The threshold (predict positive when score ≥ it) maximising Youden's J = TPR − FPR (Youden 1950)."""
    # Candidates are the observed scores; on a tie in J the highest threshold wins (fewest positives called).
    candidates = np.unique(scores)[::-1]
    called = scores[np.newaxis, :] >= candidates[:, np.newaxis]
    tpr = (called & labels).sum(axis=1) / labels.sum()
    fpr = (called & ~labels).sum(axis=1) / (~labels).sum()
    return float(candidates[int(np.argmax(tpr - fpr))])


def _checked(
    scores: Sequence[float], labels: Sequence[bool], n_boot: int
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Scores and labels as arrays, or an InputError naming what is wrong with them."""
    if len(scores) != len(labels):
        raise InputError(f"scores and labels differ in length: {len(scores)} scores, {len(labels)} labels")
    if not scores:
        raise InputError("nothing to validate: no labelled items")
    if n_boot < 1:
        raise InputError(f"n_boot must be at least 1, got {n_boot}")
    s = np.asarray(scores, dtype=np.float64)
    if not np.all(np.isfinite(s)):
        bad = int(np.flatnonzero(~np.isfinite(s))[0])
        raise InputError(f"scores must be finite numbers; item {bad + 1} is {float(s[bad])}")
    y = np.asarray(labels, dtype=np.bool_)
    n_pos = int(y.sum())
    if n_pos in (0, len(y)):
        kind = "positive" if n_pos else "negative"
        raise InputError(f"AUROC undefined: all {len(y)} labels are {kind}")
    return s, y


def _auroc_rows(pos: NDArray[np.float64], neg: NDArray[np.float64]) -> NDArray[np.float64]:
    """Row-wise Mann–Whitney AUROC for (B, n₊) and (B, n₋) arrays, by mid-ranks of the pooled scores."""
    # Here, not at the top: scipy.stats costs a second to import, and compare loads this module unused.
    from scipy.stats import rankdata

    n_pos, n_neg = pos.shape[1], neg.shape[1]
    ranks = rankdata(np.concatenate([pos, neg], axis=1), axis=1)
    u = ranks[:, :n_pos].sum(axis=1) - n_pos * (n_pos + 1) / 2
    return np.asarray(u / (n_pos * n_neg), dtype=np.float64)


def _bootstrap_ci(
    pos: NDArray[np.float64], neg: NDArray[np.float64], rng: np.random.Generator, n_boot: int
) -> tuple[float, float]:
    """Percentile bootstrap CI for the AUROC (Efron & Tibshirani 1993), resampling within each class."""
    # Stratified: each replicate keeps the class sizes, so no replicate is one-class and AUROC stays defined.
    boot_pos = pos[rng.integers(0, len(pos), size=(n_boot, len(pos)))]
    boot_neg = neg[rng.integers(0, len(neg), size=(n_boot, len(neg)))]
    values = _auroc_rows(boot_pos, boot_neg)
    tail = (1 - _CI_LEVEL) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return float(low), float(high)


def _at_threshold(
    scores: NDArray[np.float64], labels: NDArray[np.bool_], threshold: float
) -> tuple[float, float, float, float]:
    """(accuracy, precision, recall, F1) predicting positive when score ≥ threshold; 0/0 counts as 0."""
    called = scores >= threshold
    tp = int((called & labels).sum())
    fp = int((called & ~labels).sum())
    fn = int((~called & labels).sum())
    accuracy = float((called == labels).mean())
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    return accuracy, precision, recall, f1


def _ratio(num: int, den: int) -> float:
    """num/den, with 0/0 as 0.0 (no predicted positives means no precision to speak of)."""
    return num / den if den else 0.0
