"""`collect --until-decided`: send each model's queries in rounds; stop a model once its verdict is settled.

The engine is untouched: each round is an ordinary run over a block of queries per undecided
(model, scenario). Between rounds the store is read back and each sequence's anytime-valid interval
(stats/sequential.py) updated; a decided sequence's remaining calls are never sent. Nothing about a
decision is stored beyond the responses: a rerun recomputes it from them, so it sends nothing more for a
decided model, and a rerun without the flag completes the plan.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from afgap.engine.plans import PlannedCall
from afgap.engine.run import RunSummary
from afgap.errors import InputError
from afgap.scenarios import Scenario
from afgap.stats.sequential import (
    CONTINUE,
    ordered_differences,
    per_family_alpha,
    sequential_gap,
    visit_key,
)
from afgap.stats.types import Comparison, ModelData, Observation, SequentialGap, Settings
from afgap.store.database import Store

# Each round sends at least this share of the queries a sequence has seen (see _take).
_GROWTH = 0.25
# (model, scenario hash): one sequence.
Key = tuple[str, str]


@dataclass(frozen=True)
class UntilDecided:
    """The stopping rule's settings, as given to collect (the same meaning as compare's)."""

    alpha: float = 0.05
    min_gap: float = 0.01

    def __post_init__(self) -> None:
        """Checked even without --until-decided, so a bad value never passes silently."""
        if not 0.0 < self.alpha < 1.0:
            raise InputError(f"--alpha must be in (0, 1), got {self.alpha:g}")
        if not 0.0 <= self.min_gap < 1.0:
            raise InputError(f"--min-gap must be a fraction in [0, 1), got {self.min_gap:g}")


@dataclass(frozen=True)
class Decision:
    """Where one (model, scenario) sequence ended in this collect."""

    model: str
    scenario: str
    planned_queries: int
    gap: SequentialGap
    unsent_calls: int


def check(scenarios: Sequence[Scenario]) -> None:
    """The rule compares two framings: refuse it for a scenario with another design."""
    for scenario in scenarios:
        if not scenario.design.is_two_condition:
            raise InputError(
                f"--until-decided works on two-condition scenarios only; {scenario.name!r} has "
                f"{', '.join(scenario.design.conditions)}"
            )


def settings_entry(rule: UntilDecided | None, seed: int, planned: Sequence[PlannedCall]) -> dict[str, object]:
    """What the run's settings record, so compare can rebuild each sequence and mark its rows ({} without)."""
    if rule is None:
        return {}
    queries: dict[str, set[str]] = defaultdict(set)
    for call in planned:
        queries[call.plan.scenario].add(call.plan.query_id)
    counts = {name: len(ids) for name, ids in sorted(queries.items())}
    return {"until_decided": {"alpha": rule.alpha, "min_gap": rule.min_gap, "seed": seed, "queries": counts}}


def run_until_decided(
    planned: Sequence[PlannedCall],
    todo: Sequence[PlannedCall],
    store: Store,
    rule: UntilDecided,
    seed: int,
    run_round: Callable[[list[PlannedCall], float], RunSummary],
    block: int,
) -> tuple[list[RunSummary], list[Decision]]:
    """Rounds of `block` queries per undecided sequence until each is decided or has nothing left to send.

    `run_round(calls, spent_usd)` runs the engine once; the rounds stop early when one leaves calls
    unsent (budget, authentication) or is interrupted (the exception propagates, every reply stored).
    """
    order = _visiting_order(planned, seed)
    alpha = per_family_alpha(rule.alpha, len(order))
    left: dict[Key, dict[str, list[PlannedCall]]] = defaultdict(lambda: defaultdict(list))
    for call in todo:
        left[_key(call)][call.plan.query_id].append(call)
    rounds: list[RunSummary] = []
    while True:
        gaps = _gaps(store, order, seed, alpha, rule.min_gap)
        batch = [
            call
            for key, queries in order.items()
            if gaps[key].verdict == CONTINUE
            for query in [q for q in queries if left[key].get(q)][: _take(block, gaps[key].n)]
            for call in left[key].pop(query)
        ]
        if not batch:
            break
        spent = sum(r.cost_usd for r in rounds)
        rounds.append(run_round(batch, spent))
        if rounds[-1].unsent:
            break
    decisions = [
        Decision(key[0], _name(planned, key), len(queries), gaps[key], sum(map(len, left[key].values())))
        for key, queries in order.items()
    ]
    return rounds, decisions


def send(
    rule: UntilDecided | None,
    planned: Sequence[PlannedCall],
    mine: list[PlannedCall],
    store: Store,
    seed: int,
    run_round: Callable[[list[PlannedCall], float], RunSummary],
    block: int,
) -> tuple[RunSummary | None, tuple[Decision, ...]]:
    """The run's summary (None when nothing was sent) and, with a rule, where each sequence ended.

    Without a rule every call is sent in one run, as always.
    """
    if rule is None:
        return (run_round(mine, 0.0) if mine else None), ()
    rounds, decisions = run_until_decided(planned, mine, store, rule, seed, run_round, block)
    return (combined(rounds) if rounds else None), tuple(decisions)


def block_size(concurrency: int, samples: int, sequences: int) -> int:
    """Queries per sequence per round: enough to fill the pool, no more (a larger block overshoots)."""
    return max(1, math.ceil(concurrency / max(1, 2 * samples * sequences)))


def combined(rounds: Sequence[RunSummary]) -> RunSummary:
    """One summary over the rounds: counts and cost added, the last round's reasons for stopping."""
    first, last = rounds[0], rounds[-1]
    add = ("total", "done", "ok", "errors", "unavailable", "retries", "tokens_in", "tokens_out", "unpriced")
    summed: dict[str, object] = {name: sum(getattr(r, name) for r in rounds) for name in add}
    return dataclasses.replace(
        last,
        **summed,  # type: ignore[arg-type]
        cost_usd=sum(r.cost_usd for r in rounds),
        elapsed_s=sum(r.elapsed_s for r in rounds),
        first_errors={**last.first_errors, **first.first_errors},
    )


def _take(block: int, seen: int) -> int:
    """Queries to send next: at least the block, and a quarter of those seen, so rounds grow geometrically.

    Each round ends with the pool draining and a commit; a sequence can overshoot its decision by at most
    one round, so a quarter bounds the overshoot at 25 % of the queries it needed.
    """
    return max(block, math.ceil(seen * _GROWTH))


def _key(call: PlannedCall) -> Key:
    return (call.plan.spec.model, call.plan.scenario_hash)


def _name(planned: Sequence[PlannedCall], key: Key) -> str:
    return next(c.plan.scenario for c in planned if _key(c) == key)


def _visiting_order(planned: Sequence[PlannedCall], seed: int) -> dict[Key, list[str]]:
    """Each sequence's queries in its seeded random order (the order compare rebuilds)."""
    found: dict[Key, set[str]] = defaultdict(set)
    names: dict[Key, str] = {}
    for call in planned:
        found[_key(call)].add(call.plan.query_id)
        names[_key(call)] = call.plan.scenario
    return {key: _sorted(ids, seed, key[0], names[key]) for key, ids in found.items()}


def _sorted(ids: set[str], seed: int, model: str, scenario: str) -> list[str]:
    return sorted(ids, key=lambda q: visit_key(seed, model, scenario, q))


def _gaps(
    store: Store, order: dict[Key, list[str]], seed: int, alpha: float, min_gap: float
) -> dict[Key, SequentialGap]:
    """Each sequence's interval and verdict from what the store holds now."""
    models = sorted({model for model, _ in order})
    wanted = {key: set(queries) for key, queries in order.items()}
    observed: dict[Key, list[Observation]] = defaultdict(list)
    names: dict[Key, str] = {}
    for row in store.outcomes(models):
        key = (row.model, row.scenario_hash)
        if row.query_id in wanted.get(key, ()):
            observed[key].append(Observation(row.query_id, row.condition, row.sample, row.outcome))
            names[key] = row.scenario
    return {
        key: sequential_gap(
            ordered_differences(observed[key], seed, key[0], names.get(key, "")), alpha, min_gap, len(queries)
        )
        for key, queries in order.items()
    }


def mark_sequential(
    comparison: Comparison, data: Sequence[ModelData], runs: Sequence[dict[str, object]], settings: Settings
) -> Comparison:
    """Rows collected with --until-decided: the anytime-valid interval, and the verdict read from it.

    The fixed-n interval and test assume the number of queries was fixed in advance; after stopping on
    the data only the anytime-valid interval keeps its level. Alpha is spent evenly over the rows
    compared (Bonferroni), unless the correction is none.
    """
    found = _sequential_settings(runs)
    chosen = [d for d in data if (d.model, d.scenario.split("@", 1)[0]) in found]
    if not chosen:
        return comparison
    family = 1 if settings.correction == "none" else len(comparison.models)
    alpha = per_family_alpha(settings.alpha, family)
    gaps = {}
    for d in chosen:
        name = d.scenario.split("@", 1)[0]
        seed, horizon = found[(d.model, name)]
        diffs = ordered_differences(d.observations, seed, d.model, name)
        gaps[(d.model, d.scenario)] = sequential_gap(diffs, alpha, settings.min_gap, horizon)
    rows = tuple(
        dataclasses.replace(r, verdict=gaps[(r.model, r.scenario)].verdict)
        if (r.model, r.scenario) in gaps and r.gap.estimate is not None
        else r
        for r in comparison.models
    )
    return dataclasses.replace(comparison, models=rows, sequential=gaps)


def _sequential_settings(runs: Sequence[dict[str, object]]) -> dict[tuple[str, str], tuple[int, int]]:
    """(model, scenario name) -> (seed, planned queries) of the latest run collecting it until decided."""
    found: dict[tuple[str, str], tuple[int, int]] = {}
    for run in runs:
        rule, models = run.get("until_decided"), run.get("models")
        if not isinstance(rule, dict) or not isinstance(models, list):
            continue
        queries = rule.get("queries")
        seed = rule.get("seed")
        if not isinstance(queries, dict) or not isinstance(seed, int):
            continue
        for model in models:
            for name, count in queries.items():
                if isinstance(count, int):
                    found[(str(model), str(name))] = (seed, count)
    return found
