"""Binomial and Student t tails from scipy.special, the same numbers scipy.stats gives.

Importing scipy.stats costs about a second of CPU (it loads nearly all of scipy), more than a classic
comparison of a million responses spends on its statistics; scipy.special holds the functions its
distributions call. Each function here repeats scipy.stats' handling of the support's edges, so the
values are the same bits (tests/stats/test_tails.py checks them against scipy.stats).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import _ufuncs, stdtrit

FloatArray = NDArray[np.float64]
# The Boost kernels scipy.stats.binom calls sit in scipy.special from scipy 1.12 on; an older scipy keeps
# them inside scipy.stats, whose distribution is then asked directly (the same numbers, a slower import).
_HAS_KERNELS = hasattr(_ufuncs, "_binom_sf") and hasattr(_ufuncs, "_binom_cdf")


def binom_sf(k: ArrayLike, n: ArrayLike, p: float) -> FloatArray:
    """P(X > k) for X ~ Binomial(n, p), n >= 0 integers: as scipy.stats.binom.sf."""
    if not _HAS_KERNELS:
        from scipy.stats import binom

        return np.asarray(binom.sf(k, n, p), dtype=np.float64)
    kk, nn = np.broadcast_arrays(np.asarray(k, dtype=np.float64), np.asarray(n, dtype=np.float64))
    inside = (kk >= 0) & (kk < nn)
    out = np.where(kk < 0, 1.0, 0.0)
    if inside.any():
        out[inside] = np.clip(_ufuncs._binom_sf(np.floor(kk[inside]), nn[inside], p), 0, 1)
    return np.asarray(out, dtype=np.float64)


def binom_cdf(k: ArrayLike, n: ArrayLike, p: float) -> FloatArray:
    """P(X <= k) for X ~ Binomial(n, p), n >= 0 integers: as scipy.stats.binom.cdf."""
    if not _HAS_KERNELS:
        from scipy.stats import binom

        return np.asarray(binom.cdf(k, n, p), dtype=np.float64)
    kk, nn = np.broadcast_arrays(np.asarray(k, dtype=np.float64), np.asarray(n, dtype=np.float64))
    inside = (kk >= 0) & (kk < nn)
    out = np.where(kk >= nn, 1.0, 0.0)
    if inside.any():
        out[inside] = np.clip(_ufuncs._binom_cdf(np.floor(kk[inside]), nn[inside], p), 0, 1)
    return np.asarray(out, dtype=np.float64)


def t_ppf(q: float, df: ArrayLike) -> FloatArray:
    """The q quantile (0 < q < 1) of Student's t with df degrees of freedom: as scipy.stats.t.ppf."""
    dd = np.asarray(df, dtype=np.float64)
    # scipy.stats answers NaN where df is not positive (NaN included) and calls stdtrit elsewhere.
    return np.asarray(np.where(dd > 0, stdtrit(np.where(dd > 0, dd, 1.0), q), np.nan), dtype=np.float64)
