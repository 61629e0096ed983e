"""Scenarios: the system prompt and user-turn template that frame each query under each condition.

A scenario is a TOML file (docs/scenarios.md); the built-ins live beside this module.
"""

from afgap.scenarios.loading import builtin_files, builtin_scenario_names, load_scenario, parse_scenario
from afgap.scenarios.scenario import (
    CONTINUATION,
    DESIGN_FIELDS,
    HASHED_FIELDS,
    HASHED_WHEN_SET,
    WIRES,
    Scenario,
    condition_signal,
    condition_variables,
    prefill_for,
    render,
    scenario_hash,
)

__all__ = [
    "CONTINUATION",
    "DESIGN_FIELDS",
    "HASHED_FIELDS",
    "HASHED_WHEN_SET",
    "WIRES",
    "Scenario",
    "builtin_files",
    "builtin_scenario_names",
    "condition_signal",
    "condition_variables",
    "load_scenario",
    "parse_scenario",
    "prefill_for",
    "render",
    "scenario_hash",
]
