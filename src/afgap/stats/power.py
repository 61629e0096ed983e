"""Planning: how many queries a study needs, and the smallest gap a given number of queries can detect.

Both use the latent-threshold model of `latent.py` with within-query correlation rho, and the normal
approximation to the one-sided paired test (Connor 1987; Miettinen 1968): with d_i the per-query mean
difference over k samples per condition,

    n = (z_a sqrt(E d^2) + z_b sqrt(Var d))^2 / g^2,

where E d^2 is the sign-flip test's null variance and Var d = E d^2 - g^2 the spread under the
alternative. For k = 1, E d^2 = p12 + p21 (the discordance) and this is Connor's McNemar formula.
The unpaired comparison is the two-proportion z-test on per-query means (Fleiss, Levin & Paik 2003,
eq. 4.14) with the same k, i.e. what the same effort buys when the pairing is thrown away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri
from scipy.stats import binom

from afgap.errors import InputError
from afgap.settings import DEFAULT_ALPHA, DEFAULT_POWER, DEFAULT_RHO, DEFAULT_SAMPLES
from afgap.stats.latent import difference_moments, mean_variance, pair_probabilities

_EXACT_LIMIT = 20_000


@dataclass(frozen=True)
class Plan:
    """Queries needed for the paired design (afgap's test) and for an unpaired analysis of the same design."""

    baseline: float
    gap: float
    samples: int
    alpha: float
    power: float
    rho: float
    models: int
    queries_paired: int
    queries_unpaired: int
    responses_paired: int
    responses_unpaired: int
    exact_power: float | None
    test: str


def _check_gap(baseline: float, gap: float) -> None:
    """One-line InputErrors for an impossible gap."""
    if not gap > 0.0:
        raise InputError(f"gap must be > 0, got {gap}")
    if baseline + gap > 1.0 + 1e-12:
        raise InputError(f"baseline + gap must be at most 1, got {baseline} + {gap} = {baseline + gap:g}")


def _check(baseline: float, samples: int, alpha: float, power: float, rho: float, models: int) -> None:
    """One-line InputErrors naming the bad value."""
    if not 0.0 <= baseline <= 1.0:
        raise InputError(f"baseline compliance must be in [0, 1], got {baseline}")
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be in (0, 1), got {alpha}")
    if not 0.0 < power < 1.0:
        raise InputError(f"power must be in (0, 1), got {power}")
    if samples < 1:
        raise InputError(f"samples per query must be at least 1, got {samples}")
    if not 0.0 <= rho < 1.0:
        raise InputError(f"rho (within-query correlation) must be in [0, 1), got {rho}")
    if models < 1:
        raise InputError(f"models must be at least 1, got {models}")


def _paired_n(baseline: float, gap: float, samples: int, alpha: float, power: float, rho: float) -> float:
    """Connor (1987) normal-approximation query count, generalised to k samples (see module docstring)."""
    _, second = difference_moments(baseline + gap, baseline, rho, samples)
    z_a, z_b = float(ndtri(1.0 - alpha)), float(ndtri(power))
    return (z_a * math.sqrt(second) + z_b * math.sqrt(max(second - gap * gap, 0.0))) ** 2 / gap**2


def _unpaired_n(baseline: float, gap: float, samples: int, alpha: float, power: float, rho: float) -> float:
    """Two-proportion z-test sample size per condition (Fleiss, Levin & Paik 2003) on per-query means."""
    v_m = mean_variance(baseline + gap, rho, samples)
    v_u = mean_variance(baseline, rho, samples)
    v_pooled = mean_variance(baseline + gap / 2.0, rho, samples)
    z_a, z_b = float(ndtri(1.0 - alpha)), float(ndtri(power))
    return (z_a * math.sqrt(2.0 * v_pooled) + z_b * math.sqrt(v_m + v_u)) ** 2 / gap**2


def mcnemar_power(n: int, baseline: float, gap: float, alpha: float, rho: float) -> float:
    """Exact power of the one-sided exact McNemar (1947) test at n pairs (sum over the discordant count)."""
    _, p12, p21, _ = pair_probabilities(baseline + gap, baseline, rho)
    discordance = p12 + p21
    if discordance <= 0.0:
        return 0.0
    m = np.arange(1, n + 1)
    # b rejects when P(B >= b | m, 1/2) <= alpha, i.e. b - 1 >= isf(alpha); sum P(m discordant) P(reject | m).
    last_accepted = binom.isf(alpha, m, 0.5)
    return float(np.sum(binom.pmf(m, n, discordance) * binom.sf(last_accepted, m, p12 / discordance)))


def _exact_queries(start: int, baseline: float, gap: float, alpha: float, power: float, rho: float) -> int:
    """Smallest n from the normal approximation upwards at which exact McNemar reaches the power."""
    # The exact test is conservative, so the approximation (Connor 1987) undershoots; exact power is a
    # slightly saw-toothed function of n, so this searches by bisection up to four times the start.
    low, high = start, 4 * start
    if mcnemar_power(low, baseline, gap, alpha, rho) >= power:
        return low
    if mcnemar_power(high, baseline, gap, alpha, rho) < power:
        return high
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if mcnemar_power(mid, baseline, gap, alpha, rho) >= power else (mid, high)
    return high


def plan(
    baseline: float,
    gap: float,
    samples: int = DEFAULT_SAMPLES,
    alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
    rho: float = DEFAULT_RHO,
    models: int = 1,
) -> Plan:
    """Queries needed to detect `gap` over unmonitored compliance `baseline` (one-sided, alpha / models)."""
    _check(baseline, samples, alpha, power, rho, models)
    _check_gap(baseline, gap)
    level = alpha / models  # Bonferroni: what Holm's first step demands of the strongest model
    paired, exact = _paired_queries(baseline, gap, samples, level, power, rho)
    unpaired = max(2, math.ceil(_unpaired_n(baseline, gap, samples, level, power, rho) - 1e-9))
    return Plan(
        baseline=baseline,
        gap=gap,
        samples=samples,
        alpha=alpha,
        power=power,
        rho=rho,
        models=models,
        queries_paired=paired,
        queries_unpaired=unpaired,
        responses_paired=2 * samples * paired,
        responses_unpaired=2 * samples * unpaired,
        exact_power=exact,
        test="exact McNemar" if samples == 1 else "exact sign-flip over queries",
    )


def _paired_queries(
    baseline: float, gap: float, samples: int, level: float, power: float, rho: float
) -> tuple[int, float | None]:
    """Queries for the paired design, and their exact power when one sample per cell allows McNemar's."""
    paired = max(2, math.ceil(_paired_n(baseline, gap, samples, level, power, rho) - 1e-9))
    # Past a few thousand pairs the normal approximation is accurate and the exact sum is costly.
    if samples != 1 or paired > _EXACT_LIMIT:
        return paired, None
    paired = _exact_queries(paired, baseline, gap, level, power, rho)
    return paired, mcnemar_power(paired, baseline, gap, level, rho)


def minimum_detectable_gap(
    queries: int,
    baseline: float,
    samples: int = DEFAULT_SAMPLES,
    alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
    rho: float = DEFAULT_RHO,
    models: int = 1,
) -> float | None:
    """Smallest gap detectable with `queries` queries; None when even the largest possible gap is not."""
    _check(baseline, samples, alpha, power, rho, models)
    if queries < 1:
        raise InputError(f"queries must be at least 1, got {queries}")
    level = alpha / models
    low, high = 0.0, 1.0 - baseline
    if high <= 0.0 or _paired_n(baseline, high, samples, level, power, rho) > queries:
        return None
    for _ in range(60):
        mid = (low + high) / 2.0
        low, high = (
            (mid, high) if _paired_n(baseline, mid, samples, level, power, rho) > queries else (low, mid)
        )
    return high
