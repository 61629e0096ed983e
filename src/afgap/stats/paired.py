"""One sample per query: the paired 2x2 table, its score intervals and the exact McNemar test.

Cells follow the paired-table convention with the monitored condition first:
a = comply under both, b = comply only when monitored, c = comply only when unmonitored,
d = comply under neither; the gap is (b - c) / n. Every function takes arrays (so the coverage
benchmark can evaluate thousands of tables at once) and accepts fractional counts (so the cluster
methods can pass Rao-Scott effective counts).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from afgap.stats.rates import wilson_bounds
from afgap.stats.tails import binom_cdf, binom_sf

FloatArray = NDArray[np.float64]

_BISECTIONS = 60


def _tango_p21(delta: FloatArray, b: FloatArray, c: FloatArray, n: FloatArray) -> FloatArray:
    """Constrained MLE of p21 given the difference delta (Tango 1998, eq. 5)."""
    qa = 2.0 * n
    qb = -b - c + (2.0 * n - b + c) * delta
    qc = -c * delta * (1.0 - delta)
    root = np.sqrt(np.maximum(qb * qb - 4.0 * qa * qc, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        # Two algebraically equal forms of the positive root; each avoids cancellation on its side.
        plus = (root - qb) / (2.0 * qa)
        minus = -2.0 * qc / (root + qb)
        p21 = np.where(qb > 0.0, minus, plus)
    return np.where(np.isfinite(p21), np.maximum(p21, 0.0), 0.0)


def tango_statistic(delta: ArrayLike, b: ArrayLike, c: ArrayLike, n: ArrayLike) -> FloatArray:
    """Tango's (1998) score statistic for H0: p12 - p21 = delta; decreasing in delta."""
    dl, bb, cc, nn = (np.asarray(v, dtype=np.float64) for v in (delta, b, c, n))
    p21 = _tango_p21(dl, bb, cc, nn)
    num = bb - cc - nn * dl
    var = nn * (2.0 * p21 + dl * (1.0 - dl))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = num / np.sqrt(var)
    edge = np.where(num > 0.0, np.inf, np.where(num < 0.0, -np.inf, 0.0))
    return np.where(var > 1e-300, z, edge)


def tango_bounds(b: ArrayLike, c: ArrayLike, n: ArrayLike, z: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Tango (1998) score interval for the paired difference, by bisection on the monotone statistic."""
    bb, cc, nn, zz = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (b, c, n, z)))
    with np.errstate(invalid="ignore", divide="ignore"):
        est = np.where(nn > 0, (bb - cc) / nn, 0.0)
    lo_a, hi_a = np.full(est.shape, -1.0), est.copy()
    lo_b, hi_b = est.copy(), np.full(est.shape, 1.0)
    for _ in range(_BISECTIONS):
        mid_a = (lo_a + hi_a) / 2.0
        above = tango_statistic(mid_a, bb, cc, nn) > zz
        lo_a, hi_a = np.where(above, mid_a, lo_a), np.where(above, hi_a, mid_a)
        mid_b = (lo_b + hi_b) / 2.0
        below = tango_statistic(mid_b, bb, cc, nn) < -zz
        lo_b, hi_b = np.where(below, lo_b, mid_b), np.where(below, mid_b, hi_b)
    empty = nn <= 0
    low = np.where(empty, -1.0, np.where(est <= -1.0, -1.0, hi_a))
    high = np.where(empty, 1.0, np.where(est >= 1.0, 1.0, lo_b))
    return np.minimum(low, est), np.maximum(high, est)


def newcombe_bounds(
    a: ArrayLike, b: ArrayLike, c: ArrayLike, d: ArrayLike, z: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Newcombe's (1998) method 10: square-and-add of Wilson limits with a corrected phi."""
    aa, bb, cc, dd = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, c, d)))
    n = aa + bb + cc + dd
    with np.errstate(invalid="ignore", divide="ignore"):
        p1 = np.where(n > 0, (aa + bb) / n, 0.0)
        p2 = np.where(n > 0, (aa + cc) / n, 0.0)
    l1, u1 = wilson_bounds(aa + bb, n, z)
    l2, u2 = wilson_bounds(aa + cc, n, z)
    margins = (aa + bb) * (cc + dd) * (aa + cc) * (bb + dd)
    cross = aa * dd - bb * cc
    # Newcombe's continuity-type shrinkage of a positive phi towards zero (method 10).
    shrunk = np.where(cross > n / 2.0, cross - n / 2.0, np.where(cross >= 0.0, 0.0, cross))
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = np.where(margins > 0, shrunk / np.sqrt(margins), 0.0)
    est = p1 - p2
    dl = np.sqrt(np.maximum((p1 - l1) ** 2 + (u2 - p2) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2), 0.0))
    du = np.sqrt(np.maximum((p2 - l2) ** 2 + (u1 - p1) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1), 0.0))
    low = np.where(n > 0, np.clip(est - dl, -1.0, 1.0), -1.0)
    high = np.where(n > 0, np.clip(est + du, -1.0, 1.0), 1.0)
    return low, high


def mcnemar_exact(b: ArrayLike, c: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Exact conditional McNemar (1947) p-values: (one-sided for b > c, two-sided), binomial on b | b + c."""
    bb = np.asarray(b, dtype=np.int64)
    cc = np.asarray(c, dtype=np.int64)
    m = bb + cc
    greater = np.where(m > 0, binom_sf(bb - 1, m, 0.5), 1.0)
    two = np.where(m > 0, np.minimum(1.0, 2.0 * binom_cdf(np.minimum(bb, cc), m, 0.5)), 1.0)
    return np.asarray(greater, dtype=np.float64), np.asarray(two, dtype=np.float64)
