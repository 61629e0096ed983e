"""The dry-run estimate with prompt caching: one write per model and system prompt, reads after it."""

from __future__ import annotations

import pytest

from afgap.engine.pricing import default_prices
from afgap.engine.prompt_cache import with_prompt_cache
from afgap.jobs.estimate import estimate_plans
from afgap.providers.registry import resolve
from afgap.records import CallPlan, Message, Sampling

ENV = {"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k"}
SONNET = "anthropic/claude-3-5-sonnet-20241022"  # $3 input, $3.75 write, $0.30 read, $15 output per 1M
GPT4O = "openai/gpt-4o-2024-11-20"  # $2.50 input, $1.25 cached read, $10 output
SYSTEM = "s" * 6_000  # 1,504 tokens by the estimate's rule (6,000 / 4 + 4)
PER_CALL = (6_000 + 400) // 4 + 8  # system + a 400-character user turn: 1,608 tokens


def _plans(model: str, calls: int, cache: bool = True, system: str = SYSTEM) -> list[CallPlan]:
    spec = with_prompt_cache(resolve(model, ENV), cache)
    return [
        CallPlan(
            spec=spec,
            scenario="s",
            scenario_hash="h",
            query_id=f"q{i}",
            condition="monitored",
            sample=0,
            messages=(Message(role="system", content=system), Message(role="user", content="u" * 400)),
            sampling=Sampling(max_tokens=100),
            request_hash=f"{model}{i}",
        )
        for i in range(calls)
    ]


def test_anthropic_writes_the_system_prompt_once_and_reads_it_nine_times() -> None:
    cached = estimate_plans(_plans(SONNET, 10), default_prices())
    plain = estimate_plans(_plans(SONNET, 10, cache=False), default_prices())
    assert cached.input_tokens == plain.input_tokens == 10 * PER_CALL
    assert (cached.cache_write_tokens, cached.cache_read_tokens) == (1_504, 9 * 1_504)
    by_hand = (10 * PER_CALL - 10 * 1_504) * 3.0 + 1_504 * 3.75 + 9 * 1_504 * 0.3
    assert cached.input_cost_usd == pytest.approx(by_hand / 1e6)
    assert plain.input_cost_usd == cached.uncached_input_cost_usd == pytest.approx(10 * PER_CALL * 3.0 / 1e6)
    assert cached.input_cost_usd is not None and plain.input_cost_usd is not None
    assert cached.input_cost_usd < 0.45 * plain.input_cost_usd
    assert (plain.cache_write_tokens, plain.cache_read_tokens) == (0, 0)
    assert cached.max_output_cost_usd == plain.max_output_cost_usd == pytest.approx(10 * 100 * 15 / 1e6)


def test_openai_reads_after_the_first_call_in_128_token_steps_without_a_write_charge() -> None:
    estimate = estimate_plans(_plans(GPT4O, 4, cache=False), default_prices())
    assert (estimate.cache_write_tokens, estimate.cache_read_tokens) == (0, 3 * 1_408)
    by_hand = (4 * PER_CALL - 3 * 1_408) * 2.5 + 3 * 1_408 * 1.25
    assert estimate.input_cost_usd == pytest.approx(by_hand / 1e6)


def test_each_model_and_each_system_prompt_pays_its_own_write() -> None:
    other_system = "t" * 6_000
    plans = (
        _plans(SONNET, 3)
        + _plans("anthropic/claude-3-opus-20240229", 3)
        + _plans(SONNET, 3, system=other_system)
    )
    estimate = estimate_plans(plans, default_prices())
    assert (estimate.cache_write_tokens, estimate.cache_read_tokens) == (3 * 1_504, 6 * 1_504)


def test_a_system_prompt_under_the_minimum_is_not_counted_as_cached() -> None:
    estimate = estimate_plans(_plans(SONNET, 5, system="short"), default_prices())
    assert (estimate.cache_write_tokens, estimate.cache_read_tokens) == (0, 0)
    assert estimate.input_cost_usd == estimate.uncached_input_cost_usd
