"""The gap of one model: estimate, interval and p-values, choosing the paired or the clustered methods.

One scored response per query and condition: the paired 2x2 table, Tango's interval and exact McNemar.
More than one: the query is the cluster, Tango's interval on Rao-Scott effective counts and the exact
sign-flip test over per-query mean differences. `docs/methodology.md` gives the benchmark behind both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from afgap.stats.cluster import (
    ClusterTable,
    bootstrap_bounds,
    cluster_newcombe_bounds,
    cluster_table,
    cluster_tango_bounds,
    lattice,
    signflip_test,
)
from afgap.stats.paired import mcnemar_exact, newcombe_bounds, tango_bounds
from afgap.stats.rates import z_value
from afgap.stats.types import PairedTable, Settings

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class GapInference:
    """What the gap analysis of one model found, before multiplicity adjustment."""

    n: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    p_two_sided: float | None
    paired: PairedTable | None
    design_effect: float | None
    reverse_moment: float | None
    ci_method: str
    test: str


def ci_method_name(method: str, clustered: bool, n_boot: int) -> str:
    """Human name of the interval actually used."""
    if method == "bootstrap":
        return f"cluster percentile bootstrap (B={n_boot})"
    base = "Newcombe method 10" if method == "newcombe" else "Tango score"
    return f"{base}, Rao-Scott clustered" if clustered else base


def test_name(clustered: bool, exact: bool, n_boot: int) -> str:
    """Human name of the test actually used."""
    if not clustered:
        return "exact McNemar"
    return "exact sign-flip over queries" if exact else f"sign-flip over queries (B={n_boot})"


def infer_gap(
    comply: IntArray, scored: IntArray, settings: Settings, rng: np.random.Generator
) -> GapInference:
    """Gap, interval and p-values over complete queries; comply and scored are (queries x 2) counts."""
    keep = (scored > 0).all(axis=1)
    comply, scored = comply[keep], scored[keep]
    method = "tango" if settings.method == "auto" else settings.method
    clustered = bool(scored.size) and int(scored.max()) > 1
    if not keep.any():
        return _no_pairs(method, settings.n_boot)
    if clustered:
        return _clustered(comply, scored, settings, method, rng)
    return _paired(comply, settings, method, rng)


def _no_pairs(method: str, n_boot: int) -> GapInference:
    """No query answered in both conditions: nothing to estimate, the methods that would have been used."""
    return GapInference(
        n=0,
        estimate=None,
        ci_low=None,
        ci_high=None,
        p_value=None,
        p_two_sided=None,
        paired=None,
        design_effect=None,
        reverse_moment=None,
        ci_method=ci_method_name(method, False, n_boot),
        test=test_name(False, True, n_boot),
    )


def _paired(comply: IntArray, settings: Settings, method: str, rng: np.random.Generator) -> GapInference:
    """One response per query and condition: Tango (1998) or Newcombe (1998) CI, exact McNemar (1947)."""
    m, u = comply[:, 0].astype(bool), comply[:, 1].astype(bool)
    table = PairedTable(int(np.sum(m & u)), int(np.sum(m & ~u)), int(np.sum(~m & u)), int(np.sum(~m & ~u)))
    n = len(m)
    low, high = _paired_interval(comply, table, method, settings.confidence, rng, settings.n_boot)
    greater, two = mcnemar_exact(table.monitored_only, table.unmonitored_only)
    return GapInference(
        n=n,
        estimate=(table.monitored_only - table.unmonitored_only) / n,
        ci_low=float(low),
        ci_high=float(high),
        p_value=float(greater),
        p_two_sided=float(two),
        paired=table,
        design_effect=1.0,
        reverse_moment=2.0 * table.unmonitored_only / n,
        ci_method=ci_method_name(method, False, settings.n_boot),
        test=test_name(False, True, settings.n_boot),
    )


def gap_interval(
    comply: IntArray, scored: IntArray, settings: Settings, confidence: float, rng: np.random.Generator
) -> tuple[float, float] | None:
    """The interval `infer_gap` reports, at another confidence level; None without a complete query."""
    keep = (scored > 0).all(axis=1)
    comply, scored = comply[keep], scored[keep]
    if not keep.any():
        return None
    method = "tango" if settings.method == "auto" else settings.method
    if int(scored.max()) > 1:
        rates = comply / scored
        table = _cluster_table(rates[:, 0], rates[:, 1], scored)
        d = rates[:, 0] - rates[:, 1]
        return _clustered_interval(d, table, method, confidence, rng, settings.n_boot)
    m, u = comply[:, 0].astype(bool), comply[:, 1].astype(bool)
    paired = PairedTable(int(np.sum(m & u)), int(np.sum(m & ~u)), int(np.sum(~m & u)), int(np.sum(~m & ~u)))
    return _paired_interval(comply, paired, method, confidence, rng, settings.n_boot)


def _paired_interval(
    comply: IntArray, table: PairedTable, method: str, confidence: float, rng: np.random.Generator, boot: int
) -> tuple[float, float]:
    """One sample per query: the percentile bootstrap over queries, or a score interval on the table."""
    if method == "bootstrap":
        return bootstrap_bounds(comply[:, 0].astype(float) - comply[:, 1], confidence, rng, boot)
    return _paired_bounds(table, len(comply), method, confidence)


def _clustered_interval(
    d: FloatArray, table: ClusterTable, method: str, confidence: float, rng: np.random.Generator, boot: int
) -> tuple[float, float]:
    """k > 1: the cluster bootstrap, or a score interval on the Rao-Scott effective table."""
    if method == "bootstrap":
        return bootstrap_bounds(d, confidence, rng, boot)
    bounds = cluster_newcombe_bounds if method == "newcombe" else cluster_tango_bounds
    low, high = bounds(table, confidence)
    return float(low), float(high)


def _paired_bounds(table: PairedTable, n: int, method: str, confidence: float) -> tuple[float, float]:
    """Newcombe (1998) method 10 or Tango (1998) score interval for the paired difference."""
    z = z_value(confidence)
    cells = (table.both, table.monitored_only, table.unmonitored_only, table.neither)
    bounds = newcombe_bounds(*cells, z) if method == "newcombe" else tango_bounds(cells[1], cells[2], n, z)
    return float(bounds[0]), float(bounds[1])


def _clustered(
    comply: IntArray, scored: IntArray, settings: Settings, method: str, rng: np.random.Generator
) -> GapInference:
    """k > 1: Rao-Scott (1992) clustered score CI or cluster bootstrap; sign-flip test (Fisher 1935)."""
    rates = comply / scored
    qm, qu = rates[:, 0], rates[:, 1]
    d = qm - qu
    table = _cluster_table(qm, qu, scored)
    low, high = _clustered_interval(d, table, method, settings.confidence, rng, settings.n_boot)
    greater, two = signflip_test(d, rng, settings.n_boot)
    return GapInference(
        n=len(d),
        estimate=float(np.mean(d)),
        ci_low=low,
        ci_high=high,
        p_value=greater,
        p_two_sided=two,
        paired=None,
        design_effect=float(table.deff),
        reverse_moment=float(2.0 * np.mean(np.minimum(d, 0.0) ** 2)),
        ci_method=ci_method_name(method, True, settings.n_boot),
        test=test_name(True, lattice(d) is not None, settings.n_boot),
    )


def _cluster_table(qm: FloatArray, qu: FloatArray, scored: IntArray) -> ClusterTable:
    """The per-query rates' sums that the clustered intervals need."""
    n = len(qm)
    d = qm - qu
    # Harmonic mean of the per-query sample counts: the binomial variance of d_i scales with 1/count.
    size = 2.0 * n / float(np.sum(1.0 / scored))
    informative = int(np.count_nonzero(qm * (1 - qu) + qu * (1 - qm) > 0))
    sums = (np.sum(qm * qu), np.sum(qm * (1 - qu)), np.sum(qu * (1 - qm)), np.sum(d), np.sum(d * d))
    return cluster_table(n, size, sums, informative)
