"""The shipped price table: every entry dated and sourced, prices positive, the papers' models priced."""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from typing import Any

import pytest

from afgap.engine.pricing import default_prices
from afgap.providers.registry import resolve

# The models of Greenblatt et al. 2024 and Sheshadri et al. 2025 that have a public per-token price.
PAPER_MODELS = (
    "anthropic/claude-3-opus-20240229",
    "anthropic/claude-3-sonnet-20240229",
    "anthropic/claude-3-haiku-20240307",
    "anthropic/claude-3-5-sonnet-20240620",
    "anthropic/claude-3-5-sonnet-20241022",
    "anthropic/claude-3-5-haiku-20241022",
    "anthropic/claude-3-7-sonnet-20250219",
    "anthropic/claude-opus-4-20250514",
    "anthropic/claude-sonnet-4-20250514",
    "openai/gpt-4o-2024-11-20",
    "openai/gpt-4o-2024-08-06",
    "openai/gpt-4o-mini-2024-07-18",
    "openai/gpt-4.1-2025-04-14",
    "openai/gpt-4.5-preview-2025-02-27",
    "openai/gpt-3.5-turbo-0125",
    "openai/o1-2024-12-17",
    "openai/o3-mini-2025-01-31",
    "google/gemini-2.0-flash",
    "google/gemini-2.5-pro",
    "google/gemini-2.5-flash",
    "together/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo",
    "together/meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo",
    "together/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
    "together/deepseek-ai/DeepSeek-V3",
    "together/deepseek-ai/DeepSeek-R1",
    "together/Qwen/Qwen2.5-72B-Instruct-Turbo",
    "openrouter/x-ai/grok-3",
    "openrouter/mistralai/mistral-large-2411",
)


def _entries() -> dict[str, dict[str, Any]]:
    text = resources.files("afgap").joinpath("data/prices.toml").read_text(encoding="utf-8")
    models: dict[str, dict[str, Any]] = tomllib.loads(text)["models"]
    return {key: entry for key, entry in models.items() if not key.startswith("sim/")}


@pytest.mark.parametrize(("model", "entry"), _entries().items())
def test_every_vendor_entry_is_dated_sourced_and_priced(model: str, entry: dict[str, Any]) -> None:
    assert date.fromisoformat(entry["as_of"]) >= date(2024, 1, 1)
    assert entry["source"].startswith("https://")
    assert entry["input"] > 0 and entry["output"] > 0
    assert 0 < entry.get("batch_discount", 0.5) < 1
    spec = resolve(model, {})  # a literal model string of afgap's grammar, not a glob
    assert spec.model == model and not spec.simulated


@pytest.mark.parametrize("model", PAPER_MODELS)
def test_the_papers_models_resolve_and_have_a_dated_price(model: str) -> None:
    price = default_prices().lookup(resolve(model, {}).model)
    assert price is not None and price.as_of is not None and price.input > 0


def test_batch_discounts_are_where_the_vendor_publishes_one() -> None:
    table = default_prices()
    assert table.lookup("anthropic/claude-3-opus-20240229").batch_discount == 0.5  # type: ignore[union-attr]
    assert table.lookup("openai/gpt-4o-2024-08-06").batch_discount == 0.5  # type: ignore[union-attr]
    assert table.lookup("together/deepseek-ai/DeepSeek-R1").batch_discount is None  # type: ignore[union-attr]
