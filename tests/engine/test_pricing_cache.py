"""Cache prices: the shipped [cache] rules, price files that set them, a call's cost, the cached prefix."""

from __future__ import annotations

from pathlib import Path

import pytest

from afgap.engine.pricing import Price, default_prices, load_prices
from afgap.engine.prompt_cache import cached_prefix, with_prompt_cache
from afgap.errors import InputError
from afgap.providers.registry import resolve
from afgap.records import CallPlan, Message, Sampling

ENV = {"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k", "LOCAL_BASE_URL": "http://127.0.0.1:1/v1"}
SONNET = "anthropic/claude-3-5-sonnet-20241022"


def test_shipped_anthropic_prices_write_at_125_and_read_at_10_percent_of_input() -> None:
    table = default_prices()
    anthropic = [key for key in table.prices if key.startswith("anthropic/")]
    assert len(anthropic) >= 5
    for key in anthropic:
        price = table.lookup(key)
        assert price is not None and price.cache_write is not None and price.cache_read is not None
        assert price.cache_write == pytest.approx(1.25 * price.input), key
        assert price.cache_read == pytest.approx(0.1 * price.input), key


def test_shipped_openai_prices_discount_cached_reads_per_model() -> None:
    table = default_prices()
    assert _cache_prices(table.lookup("openai/gpt-4o-2024-11-20")) == (2.5, 10.0, None, 1.25)
    assert _cache_prices(table.lookup("openai/gpt-4.1-2025-04-14")) == (2.0, 8.0, None, 0.5)
    # The one snapshot without caching: an exact key ahead of the gpt-4o* glob.
    assert _cache_prices(table.lookup("openai/gpt-4o-2024-05-13")) == (5.0, 15.0, None, 5.0)


def test_a_call_costs_its_uncached_input_writes_reads_and_output_at_their_prices() -> None:
    spec = resolve(SONNET, ENV)
    cost = default_prices().cost(spec, 10_000, 1_000, 2_000, 6_000)
    # 2,000 uncached at $3, 2,000 written at $3.75, 6,000 read at $0.30, 1,000 out at $15 (per 1M)
    assert cost == pytest.approx((2_000 * 3 + 2_000 * 3.75 + 6_000 * 0.3 + 1_000 * 15) / 1e6)
    assert default_prices().cost(spec, 10_000, 1_000) == pytest.approx((10_000 * 3 + 1_000 * 15) / 1e6)
    assert default_prices().cost(spec, None, 1_000, 0, 5) is None


def test_cached_counts_beyond_the_input_they_are_part_of_are_capped() -> None:
    price = Price(1.0, 2.0, 4.0, 0.5)
    # A hostile reply claiming more cached than input tokens: reads first, then writes, fill tokens_in.
    assert price.call_cost(100, 0, 10**9, 10**9) == pytest.approx(100 * 0.5 / 1e6)
    assert price.call_cost(100, 0, 10**9, 40) == pytest.approx((40 * 0.5 + 60 * 4.0) / 1e6)


def test_a_price_file_sets_cache_prices_by_rule_or_by_entry(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        '[models]\n"openai-api/local/*" = { input = 2, output = 4 }\n'
        '"openai-api/local/fixed" = { input = 2, output = 4, cache_read = 0.1 }\n'
        '"anthropic/claude-next" = { input = 10, output = 50 }\n'
        '[cache]\n"openai-api/local/*" = { read = 0.5, as_of = 2026-01-02 }\n',
        encoding="utf-8",
    )
    table = load_prices(path)
    assert table.lookup("openai-api/local/x") == Price(2.0, 4.0, None, 1.0)
    assert table.lookup("openai-api/local/fixed") == Price(2.0, 4.0, None, 0.1)  # the entry's USD win
    # A new Anthropic model in a user's file gets the shipped Anthropic multiples.
    assert table.lookup("anthropic/claude-next") == Price(10.0, 50.0, 12.5, 1.0)


def test_a_model_no_cache_rule_covers_pays_its_input_price_for_cached_tokens(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[models]\n"openai-api/local/*" = { input = 2, output = 4 }\n', encoding="utf-8")
    spec = resolve("openai-api/local/x", ENV)
    table = load_prices(path)
    assert table.cost(spec, 1_000, 0, 100, 800) == table.cost(spec, 1_000, 0) == pytest.approx(0.002)


def test_a_bad_cache_rule_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[models]\n"a/b" = { input = 1, output = 1 }\n[cache]\n"a/*" = { read = -0.5 }\n')
    with pytest.raises(InputError) as info:
        load_prices(path)
    expected = "field 'cache.\"a/*\".read': Input should be greater than or equal to 0 (got -0.5)"
    assert str(info.value) == f"price file {path}: {expected}"


def _plan(model: str, system: str) -> CallPlan:
    spec = with_prompt_cache(resolve(model, ENV), True)
    messages = (Message(role="system", content=system), Message(role="user", content="hi"))
    return CallPlan(
        spec=spec,
        scenario="s",
        scenario_hash="h",
        query_id="q",
        condition="monitored",
        sample=0,
        messages=messages,
        sampling=Sampling(),
        request_hash="x",
    )


@pytest.mark.parametrize(
    ("model", "chars", "tokens"),
    [
        (SONNET, 4_000, None),  # 1,004 tokens: under Anthropic's 1,024
        (SONNET, 4_080, 1_024),
        ("anthropic/claude-3-5-haiku-20241022", 6_000, None),  # Haiku needs 2,048
        ("anthropic/claude-3-5-haiku-20241022", 8_180, 2_049),
        ("openai/gpt-4o-2024-11-20", 6_000, 1_408),  # 1,504 rounded down to OpenAI's 128-token steps
        ("openai-api/local/x", 60_000, None),  # caching of other OpenAI-format servers is not assumed
    ],
)
def test_the_cached_prefix_is_the_system_prompt_above_the_providers_minimum(
    model: str, chars: int, tokens: int | None
) -> None:
    prefix = cached_prefix(_plan(model, "x" * chars))
    assert (prefix[1] if prefix else None) == tokens


def _cache_prices(price: Price | None) -> tuple[float, float, float | None, float | None] | None:
    """A price's rates and cache prices, without its date and batch discount."""
    return None if price is None else (price.input, price.output, price.cache_write, price.cache_read)
