"""Request hashes: pinned for calls stored before the reasoning settings existed, and changed by them."""

from __future__ import annotations

from afgap.engine.plans import plan_calls
from afgap.providers.registry import resolve
from afgap.queries import load_queries
from afgap.records import CallPlan, Sampling
from afgap.scenarios import load_scenario

ENV = {"ANTHROPIC_API_KEY": "k"}
OPUS = "anthropic/claude-3-opus-20240229"
# Computed by the release before reasoning settings existed: a store holding these calls must still hold them.
PINNED = {
    OPUS: "270844e3e594445f4ef880c9747d614491c7f29d1e029b51f5eace5b156606da",
    "sim/faker": "1d121fb2d11fcba94dd5031d2266db5f4c2c84be1d1c848ce44e251f0895fd64",
}


def _first(model: str, sampling: Sampling) -> CallPlan:
    spec = resolve(model, ENV)
    calls = plan_calls([spec], load_scenario("helpful-only"), load_queries("builtin")[:1], 1, sampling)
    return next(iter(calls)).plan


def test_hashes_without_reasoning_settings_are_unchanged() -> None:
    for model, pinned in PINNED.items():
        assert _first(model, Sampling(temperature=0.0, max_tokens=512)).request_hash == pinned


def test_a_set_reasoning_setting_enters_the_hash() -> None:
    plain = _first("sim/faker", Sampling(max_tokens=4096))
    effort = _first("sim/faker", Sampling(max_tokens=4096, reasoning_effort="high"))
    low = _first("sim/faker", Sampling(max_tokens=4096, reasoning_effort="low"))
    assert len({plain.request_hash, effort.request_hash, low.request_hash}) == 3
    # Pinned too: the field's name and value are part of the cache key from now on.
    assert effort.request_hash == "8fc2214facb1430f15440d4f75ce0dca6ebf5a76ad3c2d0049ef780703e10bc4"


def test_thinking_plans_no_prefill_and_hashes_apart() -> None:
    plain = _first(OPUS, Sampling(max_tokens=4096))
    thinking = _first(OPUS, Sampling(max_tokens=4096, thinking_budget=2048))
    assert plain.prefill == "<"  # the scenario's anthropic prefill
    assert thinking.prefill is None and thinking.sampling.thinking_budget == 2048
    assert thinking.request_hash != plain.request_hash
    assert thinking.request_hash == "397fae1ce4b20f3174841042645e8f0e513d8510ac9f319b7139151ebff6a00c"
