"""A trend in compliance across ordered levels (e.g. rising deployment risk), clustered by query. Pure.

Queries are the independent units (a cluster-level analysis, Donner & Klar 2000): each query's
least-squares slope of its compliance rate on centred level scores 0..k-1, then a test on the mean slope.
The test is the sign-flip permutation test (Fisher 1935) from stats/cluster.py: reversing the level order
within a query negates its slope, so under "the level does not matter for any query" each slope is
symmetric about 0 however much queries differ; exact when the slopes sit on a small grid. The interval is
Student's t on the per-query slopes. Cochran-Armitage is the unclustered analogue; it treats responses as
independent, which repeated samples of one query are not. docs/methodology.md ("Trend across levels").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from afgap.records import Outcome
from afgap.stats.cluster import signflip_test
from afgap.stats.tails import t_ppf
from afgap.stats.types import ModelData, Observation

FloatArray = NDArray[np.float64]
METHOD = "per-query least-squares slope; sign-flip test over queries; t interval"
_DRAWS = 9999  # Monte Carlo sign flips when the slopes fit no small grid
_SCORED = {Outcome.COMPLY, Outcome.PARTIAL, Outcome.REFUSE}


@dataclass(frozen=True)
class Trend:
    """The mean per-query slope of compliance per level step (a fraction; x100 for pp per level)."""

    model: str
    scenario: str
    levels: tuple[str, ...]
    n_queries: int
    dropped_queries: int  # queries without a scored response at every level
    slope: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None  # one-sided, H1: compliance increases with the level
    p_two_sided: float | None
    p_adjusted: float | None = None  # the one-sided p adjusted across all trend rows
    method: str = METHOD

    def adjusted(self, p_adjusted: float | None) -> Trend:
        """This trend with its adjusted p-value."""
        return replace(self, p_adjusted=p_adjusted)


def level_rates(observations: Sequence[Observation], levels: Sequence[str]) -> tuple[FloatArray, int]:
    """(queries x levels) compliance among scored responses, complete queries only; and how many dropped."""
    column = {name: j for j, name in enumerate(levels)}
    comply: dict[str, NDArray[np.int64]] = {}
    scored: dict[str, NDArray[np.int64]] = {}
    for obs in observations:
        j = column.get(obs.condition)
        if j is None:
            continue
        comply.setdefault(obs.query_id, np.zeros(len(levels), np.int64))
        scored.setdefault(obs.query_id, np.zeros(len(levels), np.int64))
        if obs.outcome in _SCORED:
            scored[obs.query_id][j] += 1
            comply[obs.query_id][j] += obs.outcome == Outcome.COMPLY
    # Sorted query ids, so the result does not depend on the order the store returned rows in.
    keep = [q for q in sorted(scored) if (scored[q] > 0).all()]
    rates = np.array([comply[q] / scored[q] for q in keep], dtype=np.float64).reshape(len(keep), len(levels))
    return rates, len(scored) - len(keep)


def query_slopes(rates: FloatArray) -> FloatArray:
    """Least-squares slope of each row on the centred scores 0..k-1 (rate per level step)."""
    scores = np.arange(rates.shape[1], dtype=np.float64)
    centred = scores - scores.mean()
    return np.asarray(rates @ centred / float(centred @ centred), dtype=np.float64)


def trend_test(data: ModelData, levels: Sequence[str], confidence: float, rng: np.random.Generator) -> Trend:
    """The trend of one model under one scenario across `levels` (lowest first)."""
    rates, dropped = level_rates(data.observations, levels)
    slopes = query_slopes(rates)
    n = slopes.size
    empty = Trend(data.model, data.scenario, tuple(levels), n, dropped, None, None, None, None, None)
    if n == 0:
        return empty
    mean = float(slopes.mean())
    p_one, p_two = signflip_test(slopes, rng, _DRAWS)
    low, high = _t_interval(slopes, confidence)
    return replace(empty, slope=mean, ci_low=low, ci_high=high, p_value=p_one, p_two_sided=p_two)


def _t_interval(slopes: FloatArray, confidence: float) -> tuple[float | None, float | None]:
    """Student's t interval for the mean slope; None with a single query (no spread to estimate)."""
    n = slopes.size
    if n < 2:
        return None, None
    half = float(t_ppf(0.5 + confidence / 2, n - 1)) * float(slopes.std(ddof=1)) / np.sqrt(n)
    mean = float(slopes.mean())
    return mean - half, mean + half
