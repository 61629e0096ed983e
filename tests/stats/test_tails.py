"""The scipy.special tails give scipy.stats' values to the bit, edges of the support included."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom, t

from afgap.stats import tails
from afgap.stats.tails import binom_cdf, binom_sf, t_ppf


@pytest.mark.parametrize("kernels", [True, False], ids=["scipy.special", "older-scipy"])
@pytest.mark.parametrize("p", [0.5, 0.03, 0.97])
def test_binomial_tails_match_scipy_stats_bit_for_bit(
    p: float, kernels: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An older scipy has no Boost kernels in scipy.special: the fallback must give the same bits.
    monkeypatch.setattr(tails, "_HAS_KERNELS", kernels and tails._HAS_KERNELS)
    n = np.repeat(np.arange(0, 400), 7)
    k = np.tile(np.arange(-2, 5), 400) * (n // 4) + np.tile(np.arange(-2, 5), 400)
    assert binom_sf(k, n, p).tobytes() == np.asarray(binom.sf(k, n, p), dtype=np.float64).tobytes()
    assert binom_cdf(k, n, p).tobytes() == np.asarray(binom.cdf(k, n, p), dtype=np.float64).tobytes()


@pytest.mark.parametrize("q", [0.975, 0.95, 0.5, 0.9999])
def test_t_quantiles_match_scipy_stats_bit_for_bit(q: float) -> None:
    df = np.array([0.0, -1.0, np.nan, 0.3, 1.0, 1.7, 2.0, 3.5, 10.0, 29.0, 1e3, 1e9, np.inf])
    assert t_ppf(q, df).tobytes() == np.asarray(t.ppf(q, df), dtype=np.float64).tobytes()
