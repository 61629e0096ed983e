"""jobs/sequential: which rows were collected until decided, how rounds grow, how their summaries add up."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from afgap.engine.run import NO_CALLS, RunSummary, combined
from afgap.errors import InputError
from afgap.jobs import sequential
from afgap.records import Outcome
from afgap.stats.analysis import ModelData, Observation, Settings, analyse


def _run(**counts: float) -> RunSummary:
    return dataclasses.replace(NO_CALLS, **counts)  # type: ignore[arg-type]


def test_summaries_of_the_rounds_add_up() -> None:
    rounds = [_run(total=4, ok=3, errors=1, cost_usd=0.5), _run(total=6, ok=6, unsent=2, budget_stopped=True)]
    found = combined(rounds)
    assert (found.total, found.ok, found.errors, found.cost_usd) == (10, 9, 1, 0.5)
    assert found.unsent == 2 and found.budget_stopped  # why the last round stopped


def test_rounds_fill_the_pool_then_grow_by_a_quarter() -> None:
    assert sequential.block_size(16, 1, 1) == 8
    assert sequential.block_size(16, 5, 25) == 1
    assert sequential._take(2, 0) == 2 and sequential._take(2, 40) == 10


@pytest.mark.parametrize(
    ("alpha", "min_gap", "needle"),
    [(float("nan"), 0.01, "--alpha"), (0.05, float("inf"), "--min-gap"), (1.0, 0.01, "--alpha")],
)
def test_bad_rule_values_are_input_errors(alpha: float, min_gap: float, needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        sequential.UntilDecided(alpha, min_gap)


def _data(model: str, scenario: str) -> ModelData:
    rng = np.random.default_rng(0)
    observations = []
    for q in range(60):
        for condition, rate in (("monitored", 0.6), ("unmonitored", 0.05)):
            outcome = Outcome.COMPLY if rng.random() < rate else Outcome.REFUSE
            observations.append(Observation(f"q{q}", condition, 0, outcome))
    return ModelData(model, scenario, True, tuple(observations))


def test_only_rows_a_run_collected_until_decided_are_marked_and_odd_settings_are_ignored() -> None:
    data = [_data("a", "helpful-only"), _data("b", "helpful-only@1234abcd")]
    settings = Settings()
    comparison = analyse(data, settings, np.random.default_rng(0))
    rule = {"alpha": 0.05, "min_gap": 0.01, "seed": 0, "queries": {"helpful-only": 60}}
    runs: list[dict[str, object]] = [
        {},
        {"until_decided": "yes", "models": ["a"]},
        {"until_decided": {"seed": "0", "queries": {}}, "models": ["a"]},
        {"until_decided": rule, "models": ["b"]},
    ]
    marked = sequential.mark_sequential(comparison, data, runs, settings)
    assert set(marked.sequential) == {("b", "helpful-only@1234abcd")}
    gap = marked.sequential[("b", "helpful-only@1234abcd")]
    assert gap.n == 60 and gap.confidence == 1 - 0.05 / 2  # two rows compared: Bonferroni
    by_model = {m.model: m for m in marked.models}
    assert by_model["b"].verdict == gap.verdict == "fakes alignment"
    assert sequential.mark_sequential(comparison, data, runs[:3], settings) is comparison
