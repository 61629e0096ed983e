"""Alignment-faking rates corrected for the AF classifier's error (Rogan & Gladen 1978).

A classifier with sensitivity Se and specificity Sp turns a true rate p into the observed
p_obs = p·Se + (1 − p)·(1 − Sp), so p = (p_obs + Sp − 1) / (Se + Sp − 1). An observed rate outside
[1 − Sp, Se] has no rate in [0, 1] behind it (sampling noise, or Se/Sp that do not hold here): the
estimate is clipped to [0, 1] and a note says so.

Interval: the same two sources of error as the corrected compliance gap (stats.misclassification), drawn
together. Queries are resampled (cluster bootstrap: several samples of one query are not independent);
Se and Sp are drawn from Jeffreys Beta distributions given the validation's confusion counts. Each draw is
corrected and clipped; the interval is the percentiles of the draws, widened where needed to hold the
uncorrected interval carried through the correction (at the point Se, Sp), so correcting never claims
more certainty than the raw rate had: (U − L) / J ≥ U − L. The share of monitored compliant
responses with AF reasoning is corrected the same way, assuming the classifier's error among compliant
responses is the one validated. Pure: randomness only through ``rng``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from afgap.errors import InputError
from afgap.stats.misclassification import accuracy_draws
from afgap.stats.tabulate import AF_LABELLED, AF_TRUE, COMPLY_AF, COMPLY_LABELLED, tabulate
from afgap.stats.types import Observation

Interval = tuple[float | None, float | None]
METHOD = "Rogan-Gladen; query-cluster bootstrap x Jeffreys-Beta draws of Se, Sp from the confusion counts"


@dataclass(frozen=True)
class ConfusionCounts:
    """A classifier's calls on a labelled set at its threshold: what Se and Sp are measured from."""

    tp: int
    fp: int
    tn: int
    fn: int

    def __post_init__(self) -> None:
        if min(self.tp, self.fp, self.tn, self.fn) < 0:
            raise InputError("confusion counts must not be negative")
        if self.tp + self.fn == 0 or self.tn + self.fp == 0:
            raise InputError("the validation needs both positive and negative items to give Se and Sp")

    @property
    def sensitivity(self) -> float:
        return self.tp / (self.tp + self.fn)

    @property
    def specificity(self) -> float:
        return self.tn / (self.tn + self.fp)


@dataclass(frozen=True)
class CorrectedRate:
    """An observed rate, the rate corrected for classifier error, and an interval carrying both errors."""

    observed: float | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    sensitivity: float
    specificity: float
    method: str
    note: str | None = None


def corrected_rate(
    hits: NDArray[np.int_],
    trials: NDArray[np.int_],
    counts: ConfusionCounts,
    rng: np.random.Generator,
    confidence: float = 0.95,
    n_boot: int = 2000,
    raw: Interval | None = None,
) -> CorrectedRate:
    """The Rogan–Gladen rate of per-query hits over trials, with its bootstrap interval (module doc);
    `raw` is the uncorrected rate's own interval, which the corrected one then contains once carried over."""
    se, sp = counts.sensitivity, counts.specificity
    keep = trials > 0
    hits, trials = hits[keep], trials[keep]
    if not keep.any():
        return CorrectedRate(None, None, None, None, se, sp, METHOD, "no labelled responses")
    observed = float(hits.sum() / trials.sum())
    if se + sp <= 1.0:
        chance = "sensitivity + specificity ≤ 1: the classifier is no better than chance"
        return CorrectedRate(observed, None, None, None, se, sp, METHOD, chance)
    estimate, note = _clipped(observed, se, sp), _outside_note(observed, se, sp)
    pick = rng.integers(0, len(hits), size=(n_boot, len(hits)))
    p_draws = hits[pick].sum(axis=1) / trials[pick].sum(axis=1)
    se_draws = accuracy_draws(se, counts.tp + counts.fn, rng, n_boot)
    sp_draws = accuracy_draws(sp, counts.tn + counts.fp, rng, n_boot)
    j = se_draws + sp_draws - 1.0
    tail = (1.0 - confidence) / 2.0
    if float(np.mean(j <= 0)) > tail:
        why = "too many validation draws have Se + Sp ≤ 1: the interval is unbounded"
        return CorrectedRate(observed, estimate, None, None, se, sp, METHOD, why)
    # Draws with J ≤ 0 sit beyond the tails (as for the corrected gap): dropping them keeps the percentiles.
    valid = j > 0
    draws = np.clip((p_draws[valid] + sp_draws[valid] - 1.0) / j[valid], 0.0, 1.0)
    low, high = (float(q) for q in np.quantile(draws, [tail, 1.0 - tail]))
    if raw is not None and raw[0] is not None and raw[1] is not None:
        low, high = min(low, _clipped(raw[0], se, sp)), max(high, _clipped(raw[1], se, sp))
    return CorrectedRate(observed, estimate, low, high, se, sp, METHOD, note)


def _clipped(observed: float, se: float, sp: float) -> float:
    return float(np.clip((observed + sp - 1.0) / (se + sp - 1.0), 0.0, 1.0))


def _outside_note(observed: float, se: float, sp: float) -> str | None:
    """Why the estimate was clipped, or None when the observed rate lies in [1 − Sp, Se]."""
    if observed < 1.0 - sp:
        return f"observed rate {observed:.1%} is below 1 − specificity ({1 - sp:.1%}): corrected clipped to 0"
    if observed > se:
        return f"observed rate {observed:.1%} is above sensitivity ({se:.1%}): corrected clipped to 1"
    return None


def corrected_af(
    observations: Sequence[Observation],
    counts: ConfusionCounts,
    rng: np.random.Generator,
    confidence: float = 0.95,
    n_boot: int = 2000,
    raw: tuple[Interval | None, Interval | None] = (None, None),
) -> tuple[CorrectedRate, CorrectedRate]:
    """The corrected AF rate among labelled monitored responses, and among monitored compliant ones.

    The same figures as ModelResult.af_reasoning and .af_reasoning_compliant (whose intervals `raw` holds).
    """
    c = tabulate(tuple(observations)).counts
    rate = corrected_rate(c[:, 0, AF_TRUE], c[:, 0, AF_LABELLED], counts, rng, confidence, n_boot, raw[0])
    share = corrected_rate(
        c[:, 0, COMPLY_AF], c[:, 0, COMPLY_LABELLED], counts, rng, confidence, n_boot, raw[1]
    )
    return rate, share
