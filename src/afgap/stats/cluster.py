"""k > 1 samples per query: the query is the cluster, the unit of inference is its mean difference.

d_i = (monitored comply rate of query i) - (unmonitored comply rate of query i); the gap estimate is
the mean of d_i over queries. Three tools:

* a score interval: Tango's interval on the table of within-query pairings, with counts divided by
  the estimated design effect (Rao & Scott 1992). At k = 1 the design effect is exactly 1 and this is
  Tango's interval itself;
* the exact sign-flip permutation test over queries (Fisher 1935; for k = 1 it is exact McNemar);
* the cluster (query-level) percentile bootstrap (Davison & Hinkley 1997, section 3.8).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from afgap.stats.paired import newcombe_bounds, tango_bounds
from afgap.stats.tails import t_ppf

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

P_FLOOR = 1e-12  # smallest exact sign-flip p-value reported
_FFT_BUDGET = 4_000_000  # cells of the (replicates x lattice) array handled at once


@dataclass(frozen=True)
class ClusterTable:
    """Effective paired table (Rao & Scott 1992) from per-query comply rates; fields are broadcast arrays."""

    # df is the Satterthwaite (1946) degrees of freedom of the variance behind it: infinite when the design
    # effect is 1 (a purely binomial variance, nothing estimated), about the number of informative queries
    # when clustering dominates.

    a: FloatArray
    b: FloatArray
    c: FloatArray
    d: FloatArray
    deff: FloatArray
    df: FloatArray


def cluster_table(
    queries: ArrayLike,
    size: ArrayLike,
    sums: Sequence[ArrayLike],
    informative: ArrayLike,
) -> ClusterTable:
    """Rao-Scott (1992) effective 2x2 table from per-query sums."""
    # sums = (sum q_m q_u, sum q_m (1 - q_u), sum q_u (1 - q_m), sum d, sum d^2) over queries, q_c being a
    # query's comply rate and d = q_m - q_u; size is the mean number of samples per query and condition;
    # informative counts queries with q_m (1 - q_u) + q_u (1 - q_m) > 0. Each query stands for `size`
    # within-query pairings, so b / N estimates one pairing's discordance; the design effect is the
    # cluster-robust variance of mean(d) over the variance of that many independent pairings, kept in
    # [1, size]. With at most one informative query the clustering cannot be estimated and the largest
    # design effect, size, is assumed.
    n = np.asarray(queries, dtype=np.float64)
    s = np.maximum(np.asarray(size, dtype=np.float64), 1.0)
    m = np.asarray(informative, dtype=np.float64)
    s_ab, s_b, s_c, s_d, s_d2 = (np.asarray(v, dtype=np.float64) for v in sums)
    with np.errstate(invalid="ignore", divide="ignore"):
        est = np.where(n > 0, s_d / n, 0.0)
        pair_var = (s_b + s_c) / n - est * est
        cluster_var = (s_d2 - n * est * est) / (n - 1.0)
        deff = np.where((pair_var > 1e-12) & (m >= 2), s * cluster_var / pair_var, s)
    deff = np.clip(np.nan_to_num(deff, nan=1.0), 1.0, s)
    # Satterthwaite: the binomial share of the variance is model-based, the excess (deff - 1) is
    # estimated from the m informative queries, so df = (m - 1) (deff / (deff - 1))^2.
    with np.errstate(invalid="ignore", divide="ignore"):
        df = np.where((deff > 1.0 + 1e-9) & (m >= 2), (m - 1.0) * (deff / (deff - 1.0)) ** 2, np.inf)
    scale = s / deff
    s_none = n - s_ab - s_b - s_c
    return ClusterTable(s_ab * scale, s_b * scale, s_c * scale, s_none * scale, deff, df)


def critical_values(df: ArrayLike, confidence: float) -> FloatArray:
    """Two-sided Student t critical values; df = inf gives the normal value."""
    return t_ppf(0.5 + confidence / 2.0, df)


def cluster_tango_bounds(table: ClusterTable, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Tango (1998) interval on Rao-Scott (1992) effective counts with a Satterthwaite t reference."""
    n = table.a + table.b + table.c + table.d
    return tango_bounds(table.b, table.c, n, critical_values(table.df, confidence))


def cluster_newcombe_bounds(table: ClusterTable, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Newcombe (1998) method 10 on Rao-Scott (1992) effective counts with a Satterthwaite t reference."""
    z = critical_values(table.df, confidence)
    return newcombe_bounds(table.a, table.b, table.c, table.d, z)


def signflip_pvalues(magnitudes: ArrayLike, totals: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Exact sign-flip permutation p-values (Fisher 1935) for integer per-query differences."""
    # magnitudes[r, j] counts the queries of replicate r whose |difference| is j + 1 lattice units;
    # totals[r] is the observed sum of differences. Under H0 (the two conditions exchangeable within a
    # query) the sum is distributed as sum_i s_i |a_i| with independent fair signs s_i; its exact law is
    # recovered from the characteristic function prod_j cos(w j)^m_j by one FFT. Returns
    # (P(T >= t), two-sided 2 * P(T >= |t|) capped at 1). Accurate to about 1e-12 absolute.
    mags = np.atleast_2d(np.asarray(magnitudes, dtype=np.float64))
    t_obs = np.atleast_1d(np.asarray(totals, dtype=np.int64))
    reach = mags @ np.arange(1, mags.shape[1] + 1, dtype=np.float64)
    length = 2 * int(reach.max(initial=0.0)) + 2
    rows = max(1, _FFT_BUDGET // length)
    greater = np.empty(t_obs.shape, dtype=np.float64)
    upper_abs = np.empty(t_obs.shape, dtype=np.float64)
    for start in range(0, mags.shape[0], rows):
        part = slice(start, start + rows)
        tail = _upper_tails(mags[part], length)
        idx = np.arange(tail.shape[0])
        up = np.clip(t_obs[part], 0, length // 2)
        down = np.clip(1 - t_obs[part], 0, length // 2)
        greater[part] = np.where(t_obs[part] >= 1, tail[idx, up], 1.0 - tail[idx, down])
        upper_abs[part] = tail[idx, np.clip(np.abs(t_obs[part]), 0, length // 2)]
    greater = np.clip(greater, 0.0, 1.0)
    two = np.where(t_obs == 0, 1.0, np.clip(2.0 * upper_abs, 0.0, 1.0))
    return greater, two


def _upper_tails(mags: FloatArray, length: int) -> FloatArray:
    """P(T >= s) for s = 0 .. length // 2, per row, from the characteristic function (see above)."""
    omega = 2.0 * np.pi * np.arange(length) / length
    cosines = np.cos(np.outer(np.arange(1, mags.shape[1] + 1), omega))
    with np.errstate(divide="ignore"):
        log_abs = np.maximum(np.log(np.abs(cosines)), -1e30)
    log_phi = mags @ log_abs
    odd = (mags @ (cosines < 0).astype(np.float64)) % 2.0
    phi = np.exp(log_phi) * (1.0 - 2.0 * odd)
    pmf = np.fft.rfft(phi, axis=1).real / length
    return np.asarray(np.cumsum(pmf[:, ::-1], axis=1)[:, ::-1], dtype=np.float64)


def lattice(diffs: ArrayLike, max_units: int = 64) -> tuple[IntArray, int] | None:
    """Per-query differences as integers on a common grid 1/units, or None when no small grid fits."""
    d = np.asarray(diffs, dtype=np.float64)
    for units in range(1, max_units + 1):
        scaled = d * units
        rounded = np.rint(scaled)
        if np.all(np.abs(scaled - rounded) < 1e-9):
            return rounded.astype(np.int64), units
    return None


def signflip_test(diffs: ArrayLike, rng: np.random.Generator, draws: int) -> tuple[float, float]:
    """Sign-flip test of mean(d) = 0 (Fisher 1935): exact on a lattice, else Monte Carlo (`draws` flips)."""
    d = np.asarray(diffs, dtype=np.float64)
    if d.size == 0:
        return 1.0, 1.0
    grid = lattice(d)
    if grid is not None:
        ints, _ = grid
        mags = np.bincount(np.abs(ints), minlength=2)[1:]
        exact_greater, exact_two = signflip_pvalues(mags[None, :], np.array([ints.sum()]))
        # The FFT resolves p-values to ~1e-13; below that, report the resolution (a valid upper bound).
        return max(float(exact_greater[0]), P_FLOOR), max(float(exact_two[0]), P_FLOOR)
    # Monte Carlo p-values counting the observed arrangement, so they are valid (Phipson & Smyth 2010).
    signs = rng.choice(np.array([-1.0, 1.0]), size=(draws, d.size))
    flipped = signs @ np.abs(d)
    observed = d.sum()
    tol = 1e-12 * max(1.0, float(np.abs(d).sum()))
    greater = (1.0 + np.count_nonzero(flipped >= observed - tol)) / (draws + 1.0)
    two = (1.0 + np.count_nonzero(np.abs(flipped) >= abs(observed) - tol)) / (draws + 1.0)
    return greater, min(two, 1.0)


def bootstrap_bounds(
    diffs: ArrayLike, confidence: float, rng: np.random.Generator, draws: int
) -> tuple[float, float]:
    """Percentile cluster bootstrap (Davison & Hinkley 1997, s3.8): resample queries, keep their pairing."""
    d = np.asarray(diffs, dtype=np.float64)
    if d.size == 0:
        return -1.0, 1.0
    means = np.empty(draws)
    rows = max(1, 2_000_000 // d.size)
    for start in range(0, draws, rows):
        stop = min(draws, start + rows)
        idx = rng.integers(0, d.size, size=(stop - start, d.size))
        means[start:stop] = d[idx].mean(axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = (float(v) for v in np.quantile(means, [tail, 1.0 - tail]))
    centre = float(d.mean())
    return min(low, centre), max(high, centre)
