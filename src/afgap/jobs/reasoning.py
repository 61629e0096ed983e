"""Reasoning settings and prefills for collect, checked against each model's wire format before any call.

`--reasoning-effort` is the OpenAI-compatible `reasoning_effort` field; `--thinking-budget` is Anthropic's
extended thinking. Each wire format takes one of them (its REASONING_SETTING); the other is refused in one
line rather than silently dropped, since a run without the setting would be a different experiment.
"""

from __future__ import annotations

from collections.abc import Sequence

from afgap.errors import InputError
from afgap.providers import prefill
from afgap.providers.registry import wire_format
from afgap.records import ModelSpec, Sampling
from afgap.scenarios import Scenario, prefill_for
from afgap.settings import MIN_THINKING_BUDGET

FLAGS: dict[str, str] = {"reasoning_effort": "--reasoning-effort", "thinking_budget": "--thinking-budget"}


def check_reasoning(sampling: Sampling, specs: Sequence[ModelSpec]) -> None:
    """Refuse a thinking budget the API would reject, and a setting a model's wire format cannot send."""
    budget = sampling.thinking_budget
    if budget is not None:
        if budget < MIN_THINKING_BUDGET:
            raise InputError(f"--thinking-budget must be at least {MIN_THINKING_BUDGET} tokens, got {budget}")
        if budget >= sampling.max_tokens:
            raise InputError(
                f"--thinking-budget must be less than --max-tokens ({sampling.max_tokens}), got {budget}: "
                "thinking counts against the reply's tokens"
            )
        if sampling.temperature != 1.0:
            raise InputError(
                f"--thinking-budget needs --temperature 1 (Anthropic allows no other with extended "
                f"thinking), got {sampling.temperature:g}"
            )
    for spec in specs:
        takes = wire_format(spec).REASONING_SETTING
        for setting, flag in FLAGS.items():
            if getattr(sampling, setting) is not None and setting != takes:
                instead = f"takes {FLAGS[takes]}" if takes else "takes no reasoning setting"
                raise InputError(
                    f"{flag} does not apply to {spec.model}: its {spec.wire} wire format {instead}"
                )


def preflight(sampling: Sampling, specs: Sequence[ModelSpec], scenarios: Sequence[Scenario]) -> list[str]:
    """Refuse settings and prefills the models cannot take, before the store opens; return notices."""
    check_reasoning(sampling, specs)
    for scenario in scenarios:
        for spec in specs:
            prefill.check(spec, prefill_for(scenario, spec.wire))
    return dropped_prefills(sampling, specs, scenarios)


def dropped_prefills(
    sampling: Sampling, specs: Sequence[ModelSpec], scenarios: Sequence[Scenario]
) -> list[str]:
    """One notice per scenario whose Anthropic prefill is not sent because extended thinking is on."""
    if sampling.thinking_budget is None or not any(s.wire == "anthropic" for s in specs):
        return []
    return [
        f"scenario {scenario.name}: its anthropic prefill is not sent "
        "(Anthropic takes no prefilled reply with extended thinking)"
        for scenario in scenarios
        if prefill_for(scenario, "anthropic")
    ]
