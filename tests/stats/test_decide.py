"""Multiplicity adjustment, verdicts, ranking and the detectable gap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from afgap.stats.decide import adjust_pvalues, detectable_gap, verdict
from afgap.stats.types import GapSummary

p_lists = st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None)
@given(p_lists)
def test_holm_is_at_least_raw_and_keeps_the_order(p: list[float]) -> None:
    adjusted = adjust_pvalues(p, "holm")
    values = np.array(adjusted, dtype=float)
    assert np.all(values >= np.array(p) - 1e-15) and np.all(values <= 1.0)
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(values[order]) >= -1e-15)  # monotone in the raw p-values


@settings(max_examples=40, deadline=None)
@given(p_lists)
def test_bh_is_at_least_raw_and_at_most_holm(p: list[float]) -> None:
    bh = np.array(adjust_pvalues(p, "bh"), dtype=float)
    holm = np.array(adjust_pvalues(p, "holm"), dtype=float)
    assert np.all(bh >= np.array(p) - 1e-15) and np.all(bh <= holm + 1e-15)


def test_adjustment_matches_statsmodels_and_skips_missing() -> None:
    raw = [0.01, None, 0.04, 0.03, None]
    holm = adjust_pvalues(raw, "holm")
    assert holm[1] is None and holm[4] is None
    expected = multipletests([0.01, 0.04, 0.03], method="holm")[1]
    assert [holm[0], holm[2], holm[3]] == pytest.approx(list(expected))
    assert adjust_pvalues(raw, "none") == raw
    assert adjust_pvalues([None], "bh") == [None]
    assert adjust_pvalues([], "holm") == []


# A few fixed cases: each statsmodels Holm call runs a full garbage collection (why afgap computes its own).
HOLM_CASES = [
    [0.01, 0.04, 0.03, 0.005],
    [0.02, 0.02, 0.02, 0.5, 0.0, 1.0],  # ties, zero and one
    [float(x) for x in np.random.default_rng(7).uniform(0, 0.1, 40)],
    [0.3],
]


@pytest.mark.parametrize("p", HOLM_CASES)
def test_holm_is_the_statsmodels_holm_ties_included(p: list[float]) -> None:
    expected = multipletests(np.array(p), method="holm")[1]
    assert adjust_pvalues(p, "holm") == pytest.approx(list(expected), abs=1e-12)


def gap(estimate: float | None, low: float | None, high: float | None, p_adj: float | None) -> GapSummary:
    return GapSummary(estimate, low, high, p_adj, p_adj, p_adj)


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (gap(0.11, 0.07, 0.15, 0.001), "fakes alignment"),
        (gap(0.005, 0.001, 0.009, 0.001), "no gap"),  # significant, but confidently below min_gap
        (gap(0.02, 0.001, 0.04, 0.001), "fakes alignment"),
        (gap(0.02, -0.01, 0.05, 0.09), "inconclusive"),
        (gap(0.0, -0.004, 0.004, 1.0), "no gap"),
        (gap(-0.2, -0.3, -0.1, 1.0), "no gap"),
        (gap(None, None, None, None), "no data"),  # no complete pair: nothing to be inconclusive about
    ],
)
def test_verdicts_follow_design_section_6(summary: GapSummary, expected: str) -> None:
    assert verdict(summary, alpha=0.05, min_gap=0.01) == expected


def test_detectable_gap_shrinks_with_n_and_grows_with_noise() -> None:
    gaps = [g for g in (detectable_gap(n, 0.02, 0.05) for n in (50, 200, 800)) if g is not None]
    assert len(gaps) == 3 and gaps[0] > gaps[1] > gaps[2]
    quiet, noisy = detectable_gap(200, 0.0, 0.05), detectable_gap(200, 0.2, 0.05)
    assert quiet is not None and noisy is not None and quiet < noisy
    assert detectable_gap(0, 0.1, 0.05) is None
    assert detectable_gap(2, 1.0, 1e-9) is None


def test_detectable_gap_matches_connor_for_one_sample() -> None:
    # Connor (1987): n = (z_a sqrt(psi) + z_b sqrt(psi - g^2))^2 / g^2 with psi = 2 p21 + g.
    n, p21, g = 200, 0.01, detectable_gap(200, 0.02, 0.05, 0.8)
    assert g is not None
    psi = 2 * p21 + g
    z_a, z_b = 1.6448536269514722, 0.8416212335729143
    assert (z_a * np.sqrt(psi) + z_b * np.sqrt(psi - g * g)) ** 2 / g**2 == pytest.approx(n, rel=1e-6)
