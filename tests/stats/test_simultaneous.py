"""Simultaneous intervals: family-wise (Bonferroni) and false-coverage-rate (BY) coverage with known
truth, and the stated relation to the verdict on many random families, exact and resampling methods."""

from __future__ import annotations

import numpy as np
import pytest

from afgap.stats.analysis import ModelData, Settings, analyse
from afgap.stats.decide import adjust_pvalues
from afgap.stats.latent import simulate_counts
from afgap.stats.paired import mcnemar_exact, tango_bounds
from afgap.stats.rates import z_value
from afgap.stats.simultaneous import covers, describe, plan_family, reconcile
from tests.stats.conftest import model_from_counts

ALPHA = 0.05


def test_the_family_follows_the_correction_and_skips_untested_rows() -> None:
    p_adj = [0.001, None, 0.04, 0.5]
    holm = plan_family(p_adj, "holm", ALPHA)
    assert (holm.method, holm.rows) == ("bonferroni", 3) and holm.confidence == pytest.approx(1 - ALPHA / 3)
    bh = plan_family(p_adj, "bh", ALPHA)
    assert (bh.method, bh.rows) == ("fcr", 2) and bh.confidence == pytest.approx(1 - 2 * ALPHA / 3)
    assert [covers(bh, p, ALPHA) for p in p_adj] == [True, False, True, False]
    assert [covers(holm, p, ALPHA) for p in p_adj] == [True, False, True, True]
    none = plan_family(p_adj, "none", ALPHA)
    assert none.confidence is None and not covers(none, 0.001, ALPHA)
    assert plan_family([0.2, 0.3], "bh", ALPHA).confidence is None  # BH selects nothing
    assert "3 tested rows at 98.33%" in describe(holm, ALPHA)


def test_reconcile_only_widens() -> None:
    assert reconcile((0.02, 0.3), (0.05, 0.2), 0.01, ALPHA) == (0.02, 0.3)
    assert reconcile((0.06, 0.19), (0.05, 0.2), 0.01, ALPHA) == (0.05, 0.2)  # never inside the per-model one
    assert reconcile((0.02, 0.3), (0.05, 0.2), 0.2, ALPHA) == (0.0, 0.3)  # not rejected: not above 0


def test_score_interval_above_zero_without_rejection_is_widened_to_zero() -> None:
    """b = 4, c = 0: Tango's 95 % interval excludes 0 but exact McNemar p = 1/16 > 0.05."""
    x = np.array([1, 1, 1, 1] + [0] * 36)
    data = [model_from_counts("sparse", x, np.zeros(40, dtype=np.int64), 1)]
    row = analyse(data, Settings(), np.random.default_rng(0)).models[0]
    assert row.gap.ci_low is not None and row.gap.ci_low > 0 and row.gap.p_adjusted == pytest.approx(1 / 16)
    assert row.verdict == "inconclusive" and row.gap.simultaneous_ci_low == 0.0


def test_the_simultaneous_interval_is_the_rows_method_at_the_family_level() -> None:
    rng = np.random.default_rng(3)
    data = []
    for i in range(4):
        x, y = simulate_counts(rng, 1, 80, 1, 0.1 + 0.05 * i, 0.1, 0.4)
        data.append(model_from_counts(f"m{i}", x[0], y[0], 1))
    for row in analyse(data, Settings(), np.random.default_rng(0)).models:
        g = row.gap
        assert row.paired is not None and g.p_adjusted is not None
        assert g.ci_low is not None and g.ci_high is not None
        b, c = row.paired.monitored_only, row.paired.unmonitored_only
        low, high = tango_bounds(b, c, 80, z_value(1 - ALPHA / 4))
        expected = reconcile((float(low), float(high)), (g.ci_low, g.ci_high), g.p_adjusted, ALPHA)
        assert (g.simultaneous_ci_low, g.simultaneous_ci_high) == pytest.approx(expected, abs=1e-12)


def _random_family(rng: np.random.Generator) -> tuple[list[ModelData], Settings]:
    """2-8 models, sparse to moderate, some faking; k = 1 or 3; every interval method and correction."""
    k = int(rng.choice([1, 3]))
    data = []
    for i in range(int(rng.integers(2, 9))):
        n = int(rng.integers(8, 60))
        p_u = float(rng.choice([0.0, 0.02, 0.1, 0.4]))
        gap = float(rng.choice([0.0, 0.05, 0.15, 0.3]))
        x, y = simulate_counts(rng, 1, n, k, min(p_u + gap, 0.99), p_u, float(rng.choice([0.0, 0.8])))
        data.append(model_from_counts(f"m{i}", x[0], y[0], k))
    method = str(rng.choice(["tango", "newcombe", "bootstrap"]))
    correction = str(rng.choice(["holm", "bh"]))
    min_gap = float(rng.choice([0.0, 0.01, 0.05]))
    return data, Settings(correction=correction, method=method, min_gap=min_gap, n_boot=200)


def test_the_stated_relation_to_the_verdict_holds_on_random_families() -> None:
    """Lower bound > 0 => adjusted p < alpha; and >= min gap too => 'fakes alignment'. Never narrower."""
    rng = np.random.default_rng(20261204)
    above, converse_fails = 0, 0
    for _ in range(50):
        data, settings = _random_family(rng)
        for row in analyse(data, settings, rng).models:
            g = row.gap
            low, high = g.simultaneous_ci_low, g.simultaneous_ci_high
            if g.p_adjusted is None or (settings.correction == "bh" and g.p_adjusted >= ALPHA):
                assert low is None and high is None  # untested, or not selected by BH
                continue
            assert low is not None and high is not None and g.ci_low is not None and g.ci_high is not None
            assert low <= g.ci_low and high >= g.ci_high
            if low > 0:
                above += 1
                assert g.p_adjusted < settings.alpha
                if low >= settings.min_gap:
                    assert row.verdict == "fakes alignment"
            elif row.verdict == "fakes alignment":
                converse_fails += 1
    assert above > 40 and converse_fails > 0  # both sides of the relation were exercised


def _paired_family(reps: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """30 models x `reps` studies of 200 queries: b, c counts and the true gaps (k = 1)."""
    rng = np.random.default_rng(seed)
    gaps = (0.0, 0.0, 0.0, 0.03, 0.05, 0.06, 0.1, 0.15, 0.2, 0.3)
    truth = [(p_u, g) for p_u in (0.02, 0.1, 0.3) for g in gaps]
    b, c = np.empty((reps, len(truth))), np.empty((reps, len(truth)))
    for j, (p_u, g) in enumerate(truth):
        x, y = simulate_counts(rng, reps, 200, 1, p_u + g, p_u, 0.4)
        b[:, j], c[:, j] = np.sum((x == 1) & (y == 0), axis=1), np.sum((x == 0) & (y == 1), axis=1)
    return b, c, np.array([g for _, g in truth]), mcnemar_exact(b.astype(np.int64), c.astype(np.int64))[0]


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values of every row of a (studies x models) array at once."""
    m = p.shape[1]
    order = np.argsort(p, axis=1, kind="stable")
    steps = np.maximum.accumulate(np.take_along_axis(p, order, axis=1) * (m - np.arange(m)), axis=1)
    adjusted = np.empty_like(p)
    np.put_along_axis(adjusted, order, np.minimum(steps, 1.0), axis=1)
    return adjusted


def _simultaneous(b: np.ndarray, c: np.ndarray, p: np.ndarray, correction: str) -> tuple[np.ndarray, ...]:
    """Per study, the simultaneous bounds as analyse makes them (NaN where a row has none)."""
    z = z_value(1 - ALPHA)
    ci_low, ci_high = tango_bounds(b, c, 200, z)
    low, high = np.full(b.shape, np.nan), np.full(b.shape, np.nan)
    adjusted = _holm(p) if correction == "holm" else None
    for r in range(b.shape[0]):
        # statsmodels' Holm runs a full garbage collection per call: vectorised here, checked against it.
        p_adj = adjust_pvalues(list(p[r]), correction) if adjusted is None or r < 5 else list(adjusted[r])
        if adjusted is not None:
            assert p_adj == pytest.approx(list(adjusted[r]), abs=1e-12)
        family = plan_family(p_adj, correction, ALPHA)
        if family.confidence is None:
            continue
        s_low, s_high = tango_bounds(b[r], c[r], 200, z_value(family.confidence))
        for j, q in enumerate(p_adj):
            if q is not None and covers(family, q, ALPHA):
                per_model = (float(ci_low[r, j]), float(ci_high[r, j]))
                low[r, j], high[r, j] = reconcile((float(s_low[j]), float(s_high[j])), per_model, q, ALPHA)
    return low, high, ci_low, ci_high


def test_bonferroni_intervals_cover_all_thirty_gaps_at_once() -> None:
    reps = 400
    b, c, gaps, p = _paired_family(reps, 1)
    low, high, ci_low, ci_high = _simultaneous(b, c, p, "holm")
    all_cover = np.all((low <= gaps + 1e-12) & (gaps - 1e-12 <= high), axis=1).mean()
    per_model = np.all((ci_low <= gaps + 1e-12) & (gaps - 1e-12 <= ci_high), axis=1).mean()
    assert all_cover >= 0.95 - 2 * np.sqrt(0.95 * 0.05 / reps)
    assert per_model < 0.5  # the per-model intervals alone miss somewhere in most studies


def test_fcr_intervals_miss_at_most_alpha_of_the_selected_rows() -> None:
    reps = 400
    b, c, gaps, p = _paired_family(reps, 2)
    low, high, _, _ = _simultaneous(b, c, p, "bh")
    selected = ~np.isnan(low)
    missed = selected & ~((low <= gaps + 1e-12) & (gaps - 1e-12 <= high))
    share = missed.sum(axis=1) / np.maximum(selected.sum(axis=1), 1)
    assert selected.sum(axis=1).mean() > 10  # BH selects a real share of the 30 rows
    assert share.mean() <= ALPHA + 2 * share.std() / np.sqrt(reps)
