"""The trend test across ordered levels: per-query slopes, clustered inference, known truth."""

from __future__ import annotations

import numpy as np
import pytest

from afgap.records import Outcome
from afgap.stats.analysis import ModelData, Observation
from afgap.stats.trend import level_rates, query_slopes, trend_test
from tests.stats.conftest import multi_condition, true_shift

LEVELS = ("risk-low", "risk-medium", "risk-high")


def test_slopes_are_least_squares_on_centred_scores() -> None:
    rates = np.array([[0.0, 0.5, 1.0], [1.0, 1.0, 1.0], [0.2, 0.0, 0.4]])
    assert query_slopes(rates) == pytest.approx([0.5, 0.0, 0.1])
    assert query_slopes(np.array([[0.25, 0.75]])) == pytest.approx([0.5])


def test_queries_without_a_scored_response_at_every_level_are_dropped_and_counted() -> None:
    obs = [
        Observation("a", "risk-low", 0, Outcome.REFUSE),
        Observation("a", "risk-high", 0, Outcome.COMPLY),
        Observation("a", "risk-high", 1, Outcome.UNPARSEABLE),  # unscored: out of the rate
        Observation("b", "risk-low", 0, Outcome.COMPLY),
        Observation("b", "risk-high", 0, Outcome.ERROR),
        Observation("c", "unmonitored", 0, Outcome.COMPLY),  # not a level: ignored
    ]
    rates, dropped = level_rates(obs, ("risk-low", "risk-high"))
    assert rates.tolist() == [[0.0, 1.0]] and dropped == 1


def test_no_data_gives_an_undefined_trend() -> None:
    trend = trend_test(ModelData("m", "s", False, ()), LEVELS, 0.95, np.random.default_rng(0))
    assert trend.slope is None and trend.p_value is None and trend.n_queries == 0


def _rejections(effects: dict[str, float], reps: int, n: int, k: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    rejected = 0
    for _ in range(reps):
        data = multi_condition(effects, n, k, rng, heterogeneity=0.3)
        trend = trend_test(data, LEVELS, 0.95, rng)
        rejected += trend.p_value is not None and trend.p_value < 0.05
    return rejected / reps


def test_type_one_error_holds_with_strong_query_heterogeneity() -> None:
    """Null: the level does not matter, queries differ wildly and samples of a query are correlated."""
    reps = 300
    rate = _rejections({level: 0.0 for level in LEVELS}, reps, n=20, k=4, seed=11)
    assert rate <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / reps)


def test_a_risk_driven_gap_is_detected_and_its_slope_covered() -> None:
    effects = {"risk-low": 0.0, "risk-medium": 0.12, "risk-high": 0.24}
    truth = (true_shift(0.24, 0.3) - true_shift(0.0, 0.3)) / 2
    rng = np.random.default_rng(21)
    covered = detected = 0
    for _ in range(40):
        trend = trend_test(multi_condition(effects, 60, 3, rng, heterogeneity=0.3), LEVELS, 0.95, rng)
        assert trend.ci_low is not None and trend.ci_high is not None and trend.p_value is not None
        covered += trend.ci_low <= truth <= trend.ci_high
        detected += trend.p_value < 0.05
    assert detected >= 36 and covered >= 34


def test_a_falling_trend_is_not_evidence_of_an_increase() -> None:
    effects = {"risk-low": 0.3, "risk-medium": 0.15, "risk-high": 0.0}
    trend = trend_test(
        multi_condition(effects, 60, 3, np.random.default_rng(4)), LEVELS, 0.95, np.random.default_rng(0)
    )
    assert trend.slope is not None and trend.slope < 0
    assert trend.p_value is not None and trend.p_value > 0.5
    assert trend.p_two_sided is not None and trend.p_two_sided < 0.05
