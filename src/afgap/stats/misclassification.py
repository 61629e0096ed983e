"""The compliance gap corrected for classifier error (Rogan & Gladen 1978), with validation uncertainty.

If the classifier calls a truly compliant response "comply" with probability Se (sensitivity) and a
non-compliant one "comply" with probability 1 − Sp, the observed rate is p_obs = Sp' + p·(Se + Sp − 1)
with Sp' = 1 − Sp, so p = (p_obs + Sp − 1) / J with J = Se + Sp − 1 (Youden's J). Assuming the error rates
are the same under both conditions (non-differential misclassification), the constant cancels in the
difference: gap = gap_obs / J. A classifier no better than chance (J ≤ 0) leaves the gap unidentified.

Interval: a percentile bootstrap that resamples two sources of error together. The paired data are
resampled by query (cluster bootstrap, as the gap's own CI); Se and Sp are drawn from Jeffreys
Beta(x + ½, n − x + ½) distributions given their validation counts — a parametric bootstrap of the
validation in the manner of Lang & Reiczigel (2014), which, unlike a binomial redraw, still carries
uncertainty when validation saw no errors (Se = 1). Without validation counts Se and Sp are treated as
known exactly, and the result says so. Draws with J ≤ 0 make the gap unbounded; if they are more than
the interval's tail, no interval is given. Pure: randomness only through the ``rng`` argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from afgap.errors import InputError
from afgap.stats.tabulate import tabulate
from afgap.stats.types import Observation

METHOD = "Rogan-Gladen; query-cluster bootstrap x Jeffreys-Beta draws of Se, Sp (Lang & Reiczigel 2014)"


@dataclass(frozen=True)
class ClassifierAccuracy:
    """Measured sensitivity and specificity for `comply`, with the validation sizes behind them."""

    sensitivity: float
    specificity: float
    n_positive: int | None = None
    n_negative: int | None = None

    def __post_init__(self) -> None:
        for name, value in (("sensitivity", self.sensitivity), ("specificity", self.specificity)):
            if not 0.0 <= value <= 1.0:
                raise InputError(f"{name} must be in [0, 1], got {value}")
        for name, n in (("n_positive", self.n_positive), ("n_negative", self.n_negative)):
            if n is not None and n < 1:
                raise InputError(f"{name} must be a positive count, got {n}")
        if (self.n_positive is None) != (self.n_negative is None):
            raise InputError("give both validation counts (positives and negatives) or neither")


@dataclass(frozen=True)
class CorrectedGap:
    """The observed paired gap, the gap corrected for misclassification, and its interval."""

    observed: float | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    monitored_rate: float | None
    unmonitored_rate: float | None
    sensitivity: float
    specificity: float
    youden_j: float
    n_queries: int
    validation_uncertainty: bool
    method: str
    note: str | None = None


def corrected_gap(
    observations: Sequence[Observation],
    accuracy: ClassifierAccuracy,
    rng: np.random.Generator,
    confidence: float = 0.95,
    n_boot: int = 2000,
) -> CorrectedGap:
    """Rogan–Gladen-corrected gap over complete query pairs, with a bootstrap interval (see module doc)."""
    se, sp = accuracy.sensitivity, accuracy.specificity
    j = se + sp - 1.0
    tab = tabulate(tuple(observations))
    keep = tab.complete
    rates = tab.comply[keep] / tab.scored[keep]
    base = CorrectedGap(
        None,
        None,
        None,
        None,
        None,
        None,
        se,
        sp,
        j,
        int(keep.sum()),
        accuracy.n_positive is not None,
        METHOD,
    )
    if not keep.any():
        return _note(base, "no complete query pairs")
    diff = rates[:, 0] - rates[:, 1]
    observed = float(diff.mean())
    base = replace(base, observed=observed)
    if j <= 0:
        return _note(base, "sensitivity + specificity ≤ 1: the classifier is no better than chance")
    p_mon, p_unmon = (float(np.clip((rates[:, k].mean() + sp - 1.0) / j, 0.0, 1.0)) for k in (0, 1))
    base = replace(base, estimate=observed / j, monitored_rate=p_mon, unmonitored_rate=p_unmon)
    draws = diff[rng.integers(0, len(diff), size=(n_boot, len(diff)))].mean(axis=1)
    j_draws = accuracy_draws(se, accuracy.n_positive, rng, n_boot)
    j_draws = j_draws + accuracy_draws(sp, accuracy.n_negative, rng, n_boot) - 1.0
    tail = (1.0 - confidence) / 2.0
    unbounded = float(np.mean(j_draws <= 0))
    if unbounded > tail:
        return _note(base, f"{unbounded:.0%} of validation draws have Se + Sp ≤ 1: the interval is unbounded")
    # The few draws with J ≤ 0 sit beyond the interval's tails; dropping them leaves the percentiles inside.
    valid = j_draws > 0
    low, high = np.quantile(draws[valid] / j_draws[valid], [tail, 1.0 - tail])
    return replace(base, ci_low=float(low), ci_high=float(high))


def accuracy_draws(value: float, n: int | None, rng: np.random.Generator, size: int) -> NDArray[np.float64]:
    """Draws of a proportion measured as value on n items (Jeffreys Beta); fixed when n is unknown."""
    if n is None:
        return np.full(size, value)
    hits = round(value * n)
    return rng.beta(hits + 0.5, n - hits + 0.5, size=size)


def _note(result: CorrectedGap, note: str) -> CorrectedGap:
    return replace(result, note=note)
