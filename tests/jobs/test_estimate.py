"""The dry-run estimate: per model, priced models summed, unpriced ones named and never counted as 0."""

from __future__ import annotations

import pytest

from afgap.engine.plans import plan_calls
from afgap.engine.pricing import Price, PriceTable, estimate_input_tokens
from afgap.jobs.estimate import estimate_plans
from afgap.providers.registry import resolve
from afgap.queries import load_queries
from afgap.records import CallPlan, Sampling
from afgap.scenarios import load_scenario

ENV = {"LOCAL_BASE_URL": "http://127.0.0.1:1/v1"}


def _plans(model: str, queries: int, max_tokens: int = 100) -> list[CallPlan]:
    spec = resolve(model, ENV)
    chosen = load_queries("builtin")[:queries]
    calls = plan_calls([spec], load_scenario("helpful-only"), chosen, 1, Sampling(max_tokens=max_tokens))
    return [c.plan for c in calls]


def test_each_model_gets_its_line_and_the_total_sums_the_priced_ones() -> None:
    priced, unpriced = _plans("openai-api/local/a", 3, 200), _plans("openai-api/local/b", 2)
    table = PriceTable({"openai-api/local/a": Price(2.0, 10.0, as_of="2025-01-02")}, "2024-12-31")
    est = estimate_plans([*priced, *unpriced], table)
    [a, b] = est.models
    tokens_a = sum(estimate_input_tokens(p) for p in priced)
    assert (a.model, a.calls, a.input_tokens, a.price_as_of) == (
        "openai-api/local/a",
        6,
        tokens_a,
        "2025-01-02",
    )
    assert a.input_cost_usd == pytest.approx(tokens_a * 2.0 / 1e6)
    assert a.max_output_cost_usd == pytest.approx(6 * 200 * 10.0 / 1e6)
    assert (b.calls, b.input_cost_usd, b.max_output_cost_usd) == (4, None, None)
    assert est.input_tokens == tokens_a + b.input_tokens
    assert (est.input_cost_usd, est.max_output_cost_usd) == (a.input_cost_usd, a.max_output_cost_usd)
    assert est.unpriced_models == ("openai-api/local/b",) and est.priced


def test_nothing_priced_is_not_a_cost_of_zero() -> None:
    est = estimate_plans(_plans("openai-api/local/b", 2), PriceTable())
    assert not est.priced and est.unpriced_models == ("openai-api/local/b",)
    assert est.models[0].input_cost_usd is None


def test_a_free_model_is_priced_at_zero() -> None:
    est = estimate_plans(_plans("openai-api/local/a", 1), PriceTable({"openai-api/*": Price(0.0, 0.0)}))
    assert est.priced and est.input_cost_usd == 0.0 and est.unpriced_models == ()
