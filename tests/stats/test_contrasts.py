"""Contrasts against a reference: the paired machinery per contrast, one multiplicity family for all."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from afgap.errors import InputError
from afgap.records import TWO_CONDITION, Design, Outcome
from afgap.stats.analysis import ModelData, Observation, Settings, analyse
from afgap.stats.contrasts import analyse_designs, contrast_label, split_contrasts
from afgap.stats.decide import adjust_pvalues
from tests.stats.conftest import Factory, multi_condition, true_shift

PROBE = Design(
    ("unmonitored", "throughput", "risk-low", "risk-high"), "unmonitored", ("risk-low", "risk-high")
)


def test_a_two_condition_design_gives_the_classic_rows_under_contrast_labels(synthetic: Factory) -> None:
    data = [synthetic("a", 0.6, 0.3, 40, k=3, seed=1), synthetic("b", 0.4, 0.4, 40, k=3, seed=2)]
    classic = analyse(data, Settings(), np.random.default_rng(0))
    designs = {"helpful-only": TWO_CONDITION}
    multi = analyse_designs(data, designs, Settings(), np.random.default_rng(0)).comparison
    label = contrast_label("helpful-only", "monitored", "unmonitored")
    assert [replace(m, scenario="helpful-only") for m in multi.models] == list(classic.models)
    assert {m.scenario for m in multi.models} == {label} and multi.simultaneous == classic.simultaneous


def test_each_contrast_sets_its_condition_against_the_reference() -> None:
    data = multi_condition(
        {"unmonitored": 0.0, "throughput": 0.0, "risk-low": 0.2, "risk-high": 0.4},
        n=60,
        k=3,
        rng=np.random.default_rng(3),
    )
    parts = split_contrasts(data, PROBE)
    assert [c.condition for c, _ in parts] == ["throughput", "risk-low", "risk-high"]
    for contrast, part in parts:
        assert contrast.reference == "unmonitored" and part.scenario == contrast.label
        mine = sorted(o.query_id for o in data.observations if o.condition == contrast.condition)
        assert sorted(o.query_id for o in part.observations if o.condition == "monitored") == mine
    result = analyse_designs([data], {"probe": PROBE}, Settings(), np.random.default_rng(0))
    gaps = {result.contrast_of(m).condition: m.gap.estimate for m in result.comparison.models}
    assert gaps["throughput"] == pytest.approx(0.0, abs=0.08)
    assert gaps["risk-low"] == pytest.approx(true_shift(0.2), abs=0.08)
    assert gaps["risk-high"] == pytest.approx(true_shift(0.4), abs=0.08)


def test_holm_runs_across_contrasts_and_models() -> None:
    rng = np.random.default_rng(5)
    effects = {"unmonitored": 0.0, "throughput": 0.05, "risk-low": 0.1, "risk-high": 0.3}
    data = [multi_condition(effects, 40, 2, rng, model=name) for name in ("a", "b")]
    result = analyse_designs(data, {"probe": PROBE}, Settings(correction="holm"), np.random.default_rng(0))
    rows = result.comparison.models
    assert len(rows) == 6 and {m.model for m in rows} == {"a", "b"}
    raw = [m.gap.p_value for m in rows]
    assert [m.gap.p_adjusted for m in rows] == adjust_pvalues(raw, "holm")
    # Six tests in the family: the smallest p-value is multiplied by six.
    smallest = min(p for p in raw if p is not None)
    assert min(m.gap.p_adjusted or 1.0 for m in rows) == pytest.approx(min(1.0, 6 * smallest))
    assert result.comparison.simultaneous.rows == 6


def test_a_condition_outside_the_design_is_one_line_error() -> None:
    data = ModelData("m", "probe", False, (Observation("q", "elsewhere", 0, Outcome.COMPLY),))
    with pytest.raises(InputError, match="'elsewhere', which its design"):
        split_contrasts(data, PROBE)


def test_trends_are_computed_for_levelled_designs_and_adjusted_together() -> None:
    rng = np.random.default_rng(8)
    rising = {"unmonitored": 0.0, "throughput": 0.0, "risk-low": 0.1, "risk-high": 0.4}
    data = [multi_condition(rising, 50, 3, rng, model=name) for name in ("a", "b")]
    result = analyse_designs(data, {"probe": PROBE}, Settings(), np.random.default_rng(0))
    assert [t.model for t in result.trends] == ["a", "b"]
    raw = [t.p_value for t in result.trends]
    assert [t.p_adjusted for t in result.trends] == adjust_pvalues(raw, "holm")
    assert all(t.slope is not None and t.slope > 0.1 for t in result.trends)
