"""Reasoning settings are checked against the API's rules and each model's wire format before any call."""

from __future__ import annotations

import pytest

from afgap.errors import InputError
from afgap.jobs.reasoning import check_reasoning, dropped_prefills
from afgap.providers.registry import resolve
from afgap.records import Sampling
from afgap.scenarios import load_scenario

ENV = {"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k"}
CLAUDE = resolve("anthropic/claude-sonnet-4-5", ENV)
GPT = resolve("openai/o3", ENV)
SIM = resolve("sim/faker", ENV)


@pytest.mark.parametrize(
    ("sampling", "needle"),
    [
        (Sampling(thinking_budget=1023), "--thinking-budget must be at least 1024 tokens, got 1023"),
        (Sampling(thinking_budget=-1), "--thinking-budget must be at least 1024 tokens, got -1"),
        (
            Sampling(max_tokens=2048, thinking_budget=2048),
            "--thinking-budget must be less than --max-tokens (2048), got 2048",
        ),
        (Sampling(temperature=0.0, thinking_budget=2048), "--thinking-budget needs --temperature 1"),
    ],
)
def test_a_budget_the_api_would_refuse_is_one_line(sampling: Sampling, needle: str) -> None:
    with pytest.raises(InputError) as caught:
        check_reasoning(sampling, [CLAUDE])
    assert needle in str(caught.value) and "\n" not in str(caught.value)


def test_each_wire_takes_only_its_own_setting() -> None:
    check_reasoning(Sampling(thinking_budget=2048), [CLAUDE])
    check_reasoning(Sampling(reasoning_effort="minimal"), [GPT, SIM])
    with pytest.raises(InputError, match=r"--thinking-budget does not apply to openai/o3: its openai wire"):
        check_reasoning(Sampling(thinking_budget=2048), [CLAUDE, GPT])
    with pytest.raises(InputError, match=r"--reasoning-effort does not apply to anthropic/claude-sonnet-4-5"):
        check_reasoning(Sampling(reasoning_effort="high"), [SIM, CLAUDE])


def test_a_dropped_anthropic_prefill_is_announced() -> None:
    scenario = load_scenario("helpful-only")
    notes = dropped_prefills(Sampling(thinking_budget=2048), [CLAUDE], [scenario])
    assert notes == [
        "scenario helpful-only: its anthropic prefill is not sent "
        "(Anthropic takes no prefilled reply with extended thinking)"
    ]
    assert dropped_prefills(Sampling(), [CLAUDE], [scenario]) == []
    assert dropped_prefills(Sampling(thinking_budget=2048), [SIM], [scenario]) == []
