"""Per-condition values for rendering: what a file template sees under each condition of a design."""

from __future__ import annotations

from afgap.scenarios import Scenario, condition_signal

__all__ = ["condition_variables"]


def condition_variables(scenario: Scenario, condition: str) -> dict[str, object]:
    """The template variables `condition` sets: its name, its signal and its own `variables` table.

    The query, the scenario-wide variables and the rendering itself belong to the template renderer;
    a classic (two-signal) scenario has no variables of its own. ScenarioError for an unknown condition.
    """
    signal = condition_signal(scenario, condition)
    spec = scenario.conditions.get(condition)
    own = dict(spec.variables) if spec is not None else {}
    return {"condition": condition, "condition_signal": signal, **own}
