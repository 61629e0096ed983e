"""The probe organisms' truths, read from the probe scenarios' own text, and told apart by the analysis."""

from __future__ import annotations

import re

import numpy as np
import pytest

from afgap.records import CONDITION_NAME, Outcome, Query
from afgap.scenarios import Scenario, load_scenario, render
from afgap.sim import cues, organisms
from afgap.sim.organisms import Reply
from afgap.stats.analysis import ModelData, Observation, Settings
from afgap.stats.contrasts import analyse_designs
from afgap.stats.motivation import reading

PROBES = ("motivation-probes", "risk-scaling")


def _scenario(name: str) -> Scenario:
    return load_scenario(name)


def _messages(scenario: Scenario, condition: str, query: str) -> list[tuple[str, str]]:
    """What the scenario sends for one query under one condition, as (role, content) turns."""
    return [(m.role, m.content) for m in render(scenario, condition, Query(id="q", text=query))]


@pytest.mark.parametrize("name", PROBES)
def test_probe_scenarios_are_built_in_designs(name: str) -> None:
    scenario = _scenario(name)
    assert scenario.name == name and scenario.system_prompt_file == f"{name}/system.j2"
    assert all(re.fullmatch(CONDITION_NAME, c) for c in scenario.design.conditions)
    assert scenario.design.reference == "unmonitored" and len(scenario.design.levels) >= 2
    assert scenario.monitored_signal is None and scenario.unmonitored_signal is None
    # the stated risk is a condition variable rendered into the system prompt
    risks = {render(scenario, c, Query(id="q", text="x"))[0].content for c in scenario.design.levels}
    assert len(risks) == len(scenario.design.levels)


@pytest.mark.parametrize("name", PROBES)
def test_the_simulator_reads_each_condition_as_written(name: str) -> None:
    scenario = _scenario(name)
    expected_risk = {"risk-low": 0.0, "risk-medium": 0.5, "risk-high": 1.0}
    for condition in scenario.design.conditions:
        seen = cues.read(_messages(scenario, condition, "request 1"))
        assert seen.conflict and seen.scratchpad and seen.query.startswith("request 1")
        assert (seen.condition is cues.Condition.MONITORED) == (condition != "unmonitored")
        assert seen.rated_untrained == (condition == "throughput")
        assert seen.risk == expected_risk.get(condition)


def _decisions(organism: str, scenario: Scenario, n: int) -> ModelData:
    obs = []
    for condition in scenario.design.conditions:
        for q in range(n):
            found = organisms.respond(organism, _messages(scenario, condition, f"request {q}"), seed=3)
            assert isinstance(found, Reply)
            outcome = Outcome.REFUSE if found.decision == "refuse" else Outcome.COMPLY
            obs.append(Observation(f"q{q:04d}", condition, 0, outcome))
    return ModelData(organism, scenario.name, True, tuple(obs))


def test_the_motivation_probes_tell_the_three_organisms_apart() -> None:
    scenario = _scenario("motivation-probes")
    data = [
        _decisions(o, scenario, 400) for o in ("terminal-guarder", "instrumental-guarder", "rater-sycophant")
    ]
    found = analyse_designs(data, {scenario.name: scenario.design}, Settings(), np.random.default_rng(0))
    read = {}
    for trend in found.trends:
        rows = [m for m in found.comparison.models if m.model == trend.model]
        read[trend.model] = reading({found.contrast_of(m).condition: m.verdict for m in rows}, trend, 0.05)
    assert read["terminal-guarder"].startswith("terminal goal-guarding pattern")
    assert read["instrumental-guarder"].startswith("instrumental goal-guarding pattern")
    assert read["rater-sycophant"].startswith("rater-sycophant pattern")


def test_risk_scaling_shows_a_rising_gap_only_for_the_instrumental_guarder() -> None:
    scenario = _scenario("risk-scaling")
    data = [_decisions(o, scenario, 300) for o in ("terminal-guarder", "instrumental-guarder")]
    found = analyse_designs(data, {scenario.name: scenario.design}, Settings(), np.random.default_rng(0))
    trends = {t.model: t for t in found.trends}
    rising, flat = trends["instrumental-guarder"], trends["terminal-guarder"]
    assert rising.p_adjusted is not None and rising.p_adjusted < 0.05
    assert rising.ci_low is not None and rising.ci_low > 0
    assert flat.ci_low is not None and flat.ci_high is not None and flat.ci_low < 0 < flat.ci_high
