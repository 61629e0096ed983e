"""`collect --until-decided`: send each model's queries in rounds; stop a model once its verdict is settled.

The engine is untouched: each round is an ordinary run over a block of queries per undecided
(model, scenario). Between rounds the store is read back and each sequence's anytime-valid interval
(stats/sequential.py) updated; a decided sequence's remaining calls are never sent. Nothing about a
decision is stored beyond the responses: a rerun recomputes it from them, so it sends nothing more for a
decided model, and a rerun without the flag completes the plan.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from afgap.engine.plans import PlannedCall
from afgap.engine.run import NO_CALLS, RunSummary, combined
from afgap.errors import InputError
from afgap.scenarios import Scenario
from afgap.store.database import Store

# The statistics are imported where they compute: an ordinary collect never needs them, and they
# cost every collect tens of milliseconds of start-up (tests/jobs/test_collect_imports.py).
if TYPE_CHECKING:
    from afgap.stats.types import Comparison, ModelData, SequentialGap, Settings

# Each round sends at least this share of the queries a sequence has seen (see _take).
_GROWTH = 0.25
# How long a round waits for the writer to commit its calls before reading what is there; the verdict
# is valid whatever it reads, the wait only keeps the decision from lagging a round behind.
_COMMIT_WAIT_S, _POLL_S = 30.0, 0.02
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


# One engine run over some calls, given what earlier rounds spent (USD).
RoundRunner = Callable[[list[PlannedCall], float], Awaitable[RunSummary]]


class Rounds:
    """The rounds of one collect until decided; `decisions` says where each sequence ended."""

    def __init__(
        self,
        rule: UntilDecided,
        planned: Sequence[PlannedCall],
        mine: Sequence[PlannedCall],
        store: Store,
        seed: int,
        block: int,
    ) -> None:
        self.rule, self.planned, self.store, self.seed, self.block = rule, planned, store, seed, block
        from afgap.stats.sequential import per_family_alpha

        self.order = _visiting_order(planned, seed)
        self.alpha = per_family_alpha(rule.alpha, len(self.order))
        self.left: dict[Key, dict[str, list[PlannedCall]]] = defaultdict(lambda: defaultdict(list))
        for call in mine:
            self.left[_key(call)][call.plan.query_id].append(call)
        self.decisions: tuple[Decision, ...] = ()

    async def send(self, run_round: RoundRunner) -> RunSummary:
        """Rounds of queries per undecided sequence until each is decided or has nothing left to send.

        They stop early when one leaves calls unsent (budget, authentication); an interrupt propagates
        with every reply stored. Between rounds the store is read once the writer has committed them.
        """
        rounds: list[RunSummary] = []
        while True:
            gaps = await asyncio.to_thread(self._gaps)
            batch = self._next(gaps)
            if not batch:
                break
            rounds.append(await run_round(batch, sum(r.cost_usd for r in rounds)))
            await asyncio.to_thread(
                _wait_stored, self.store, [c.plan.request_hash for c in batch], rounds[-1]
            )
            if rounds[-1].unsent:
                gaps = await asyncio.to_thread(self._gaps)
                break
        self.decisions = tuple(
            Decision(key[0], _name(self.planned, key), len(queries), gaps[key], self._unsent(key))
            for key, queries in self.order.items()
        )
        return combined(rounds) if rounds else NO_CALLS

    def _next(self, gaps: dict[Key, SequentialGap]) -> list[PlannedCall]:
        """The next queries of every undecided sequence, taken off what is left to send."""
        from afgap.stats.sequential import CONTINUE

        return [
            call
            for key, queries in self.order.items()
            if gaps[key].verdict == CONTINUE
            for query in [q for q in queries if self.left[key].get(q)][: _take(self.block, gaps[key].n)]
            for call in self.left[key].pop(query)
        ]

    def _unsent(self, key: Key) -> int:
        return sum(map(len, self.left[key].values()))

    def _gaps(self) -> dict[Key, SequentialGap]:
        return _gaps(self.store, self.order, self.seed, self.alpha, self.rule.min_gap)


def rounds(
    rule: UntilDecided | None,
    planned: Sequence[PlannedCall],
    mine: Sequence[PlannedCall],
    store: Store,
    seed: int,
    block: int,
) -> Rounds | None:
    """The rounds of a collect until decided; None for an ordinary collect (one run sends everything)."""
    return None if rule is None else Rounds(rule, planned, mine, store, seed, block)


def _wait_stored(store: Store, hashes: Sequence[str], done: RunSummary) -> None:
    """Wait (a while at most) until the writer has committed every call the round finished."""
    deadline = time.monotonic() + _COMMIT_WAIT_S
    while store.stored_count(hashes) < done.done and time.monotonic() < deadline:
        time.sleep(_POLL_S)


def block_size(concurrency: int, samples: int, sequences: int) -> int:
    """Queries per sequence per round: enough to fill the pool, no more (a larger block overshoots)."""
    return max(1, math.ceil(concurrency / max(1, 2 * samples * sequences)))


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
    from afgap.stats.sequential import visit_key

    return sorted(ids, key=lambda q: visit_key(seed, model, scenario, q))


def _gaps(
    store: Store, order: dict[Key, list[str]], seed: int, alpha: float, min_gap: float
) -> dict[Key, SequentialGap]:
    """Each sequence's interval and verdict from what the store holds now."""
    from afgap.stats.sequential import ordered_differences, sequential_gap
    from afgap.stats.types import Observation

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
    from afgap.stats.sequential import ordered_differences, per_family_alpha, sequential_gap

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
