"""The `collect` job: resolve models, plan, skip what is stored, run the engine, commit and label each result.

I/O lives here (store, simulator, event loop); HTTP is the engine's (afgap.engine.run, afgap.providers).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from afgap.engine import eventloop
from afgap.engine.plans import PlannedCall, plan_calls
from afgap.engine.pricing import PriceTable, estimate_input_tokens, load_prices
from afgap.engine.run import EngineOptions, ProgressEvent, RunSummary, run_calls
from afgap.errors import InputError, Interrupted
from afgap.providers.registry import api_key, bind_simulator, resolve
from afgap.queries import load_queries, sample_queries
from afgap.records import CallPlan, ModelSpec, Query, Sampling
from afgap.scenarios import load_scenario
from afgap.settings import (
    DEFAULT_QUERIES,
    DEFAULT_SAMPLES,
    DEFAULT_SCENARIO,
    DEFAULT_SEED,
    MAX_SAMPLES,
    MAX_TOKENS,
    check_at_most,
    check_seed,
    check_timeout,
)
from afgap.sim.settings import SimSettings
from afgap.store.database import Store, open_store
from afgap.store.writer import Writer


@dataclass(frozen=True)
class CollectRequest:
    """Everything `afgap collect` was asked to do."""

    models: Sequence[str]
    db: Path
    scenarios: Sequence[str] = (DEFAULT_SCENARIO,)
    queries: str = DEFAULT_QUERIES
    queries_column: str | None = None
    samples: int = DEFAULT_SAMPLES
    limit: int | None = None
    sample_queries: int | None = None
    query_seed: int = DEFAULT_SEED
    sampling: Sampling = field(default_factory=Sampling)
    engine: EngineOptions = field(default_factory=EngineOptions)
    prices: Path | None = None
    max_cost_usd: float | None = None
    dry_run: bool = False
    command: str = "afgap collect"
    # The loopback simulator started for `sim/…` models (by default on a free port).
    simulator: SimSettings = field(default_factory=SimSettings)


@dataclass(frozen=True)
class Estimate:
    """A plan's size and price before sending: tokens are estimates (pricing module), cost None if unknown."""

    input_tokens: int = 0
    input_cost_usd: float | None = 0.0
    max_output_cost_usd: float | None = 0.0
    unpriced_models: tuple[str, ...] = ()
    prices_as_of: str | None = None


@dataclass(frozen=True)
class CollectSummary:
    """What a collect did: planned cells, how many were already stored, and how the sent ones ended."""

    planned: int
    cached: int
    to_send: int
    ok: int = 0
    errors: int = 0
    unavailable: int = 0
    unsent: int = 0
    retries: int = 0
    elapsed_s: float = 0.0
    cost_usd: float = 0.0
    unpriced: int = 0
    dry_run: bool = False
    budget_stopped: bool = False
    auth_failures: tuple[str, ...] = ()
    estimate: Estimate = field(default_factory=Estimate)
    first_errors: Mapping[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        """Calls that ended without a scorable answer."""
        return self.errors + self.unavailable


def validate_request(req: CollectRequest) -> None:
    """Reject impossible settings before anything is opened or sent."""
    if not req.models:
        raise InputError("no model given: pass at least one -m/--model (e.g. -m sim/faker)")
    if req.samples < 1:
        raise InputError(f"--samples must be at least 1, got {req.samples}")
    check_at_most("--samples", req.samples, MAX_SAMPLES)
    if req.limit is not None and req.limit < 1:
        raise InputError(f"--limit must be a positive number of queries, got {req.limit}")
    check_seed(req.query_seed)
    if req.sample_queries is not None and req.sample_queries < 1:
        raise InputError(f"--sample-queries must be a positive number of queries, got {req.sample_queries}")
    if not req.scenarios:
        raise InputError("no scenario given")
    if req.max_cost_usd is not None and not req.max_cost_usd >= 0:
        raise InputError(f"--max-cost must be a number of USD >= 0, got {req.max_cost_usd:g}")
    if req.sampling.max_tokens < 1:
        raise InputError(f"--max-tokens must be at least 1, got {req.sampling.max_tokens}")
    check_at_most("--max-tokens", req.sampling.max_tokens, MAX_TOKENS)
    check_timeout(req.engine.timeout_s)
    if not 0.0 <= req.sampling.temperature <= 2.0:
        raise InputError(f"--temperature must be in [0, 2], got {req.sampling.temperature}")


def resolve_models(models: Sequence[str], env: Mapping[str, str]) -> list[ModelSpec]:
    """Resolve every model string and check its key is set, before anything is sent."""
    specs = [resolve(m, env) for m in dict.fromkeys(models)]
    for spec in specs:
        api_key(spec, env)
    return specs


def collect(
    req: CollectRequest,
    env: Mapping[str, str],
    progress: Callable[[ProgressEvent], None] | None = None,
) -> CollectSummary:
    """Run (or plan, with dry_run) a collection; every finished call is committed as it arrives."""
    validate_request(req)
    specs = resolve_models(req.models, env)
    prices = load_prices(req.prices)
    _check_budget_is_enforceable(req, specs, prices)
    scenarios = [load_scenario(name) for name in dict.fromkeys(req.scenarios)]
    queries = select_queries(req)
    with _simulator_if_needed(specs, req) as specs, open_store(req.db) as store:
        done = store.completed_hashes()
        planned = [
            call
            for scenario in scenarios
            for call in plan_calls(specs, scenario, queries, req.samples, req.sampling)
        ]
        todo = [p for p in planned if p.plan.request_hash not in done]
        base = CollectSummary(planned=len(planned), cached=len(planned) - len(todo), to_send=len(todo))
        if req.dry_run or not todo:
            estimate = estimate_plans([p.plan for p in todo], prices)
            return dataclasses.replace(base, dry_run=req.dry_run, estimate=estimate)
        run_id = store.start_run(req.command, _settings(req))
        try:
            summary = _run(todo, store, run_id, env, _with_prices(req, prices), progress)
        finally:
            store.finish_run(run_id)
    return _with_outcome(base, summary)


def _with_outcome(base: CollectSummary, run: RunSummary) -> CollectSummary:
    """The plan's counts, with how the sent calls ended."""
    return dataclasses.replace(
        base,
        ok=run.ok,
        errors=run.errors,
        unavailable=run.unavailable,
        unsent=run.unsent,
        retries=run.retries,
        elapsed_s=run.elapsed_s,
        cost_usd=run.cost_usd,
        unpriced=run.unpriced,
        budget_stopped=run.budget_stopped,
        auth_failures=tuple(run.auth_failures),
        first_errors=dict(run.first_errors),
    )


def estimate_plans(plans: Sequence[CallPlan], prices: PriceTable) -> Estimate:
    """Estimated input tokens and cost of sending `plans` (first turns only; see afgap.engine.pricing)."""
    tokens, input_cost, output_cost, unpriced = 0, 0.0, 0.0, set()
    for plan in plans:
        n = estimate_input_tokens(plan)
        tokens += n
        price = prices.lookup(plan.spec.model)
        if price is None:
            unpriced.add(plan.spec.model)
            continue
        input_cost += n * price.input / 1e6
        output_cost += plan.sampling.max_tokens * price.output / 1e6
    known = not unpriced
    return Estimate(
        tokens,
        input_cost if known else None,
        output_cost if known else None,
        tuple(sorted(unpriced)),
        prices.as_of,
    )


def _check_budget_is_enforceable(req: CollectRequest, specs: Sequence[ModelSpec], prices: PriceTable) -> None:
    """--max-cost needs a price for every model: an unknown price cannot be held to a budget."""
    if req.max_cost_usd is None:
        return
    missing = [s.model for s in specs if prices.lookup(s.model) is None]
    if missing:
        raise InputError(
            f"--max-cost needs a price for every model; none for {', '.join(missing)}: "
            "add it to a price file and pass --prices FILE"
        )


def _with_prices(req: CollectRequest, prices: PriceTable) -> EngineOptions:
    """The engine options with the price hooks, and the budget when one was given."""
    budget = req.max_cost_usd is not None
    return dataclasses.replace(
        req.engine,
        price=prices.cost,
        max_cost_usd=req.max_cost_usd,
        estimate_cost=prices.estimate if budget else None,
    )


def select_queries(req: CollectRequest) -> list[Query]:
    """The query set, then a reproducible random subset (--sample-queries), then the first N (--limit)."""
    queries = load_queries(req.queries, column=req.queries_column)
    if req.sample_queries is not None:
        queries = sample_queries(queries, req.sample_queries, req.query_seed)
    return queries[: req.limit]


def _settings(req: CollectRequest) -> dict[str, object]:
    """What the store records of this request beside the run."""
    limits = {name: dataclasses.asdict(limit) for name, limit in req.engine.limits.items()}
    return {
        "models": list(req.models),
        "scenarios": list(req.scenarios),
        "queries": req.queries,
        "samples": req.samples,
        "limit": req.limit,
        "sampling": req.sampling.model_dump(),
        "concurrency": req.engine.concurrency,
        "rpm": req.engine.rpm,
        "limits": limits,
        "max_cost_usd": req.max_cost_usd,
    }


@contextlib.contextmanager
def _simulator_if_needed(specs: list[ModelSpec], req: CollectRequest) -> Iterator[list[ModelSpec]]:
    """Start the loopback simulator when any model is sim/… and point those specs at it."""
    if not any(s.simulated and s.provider == "sim" for s in specs):
        yield specs
        return
    from afgap.sim.server import start_in_thread

    with start_in_thread(req.simulator) as sim:
        yield [bind_simulator(s, sim.base_url) if s.provider == "sim" else s for s in specs]


def _run(
    todo: list[PlannedCall],
    store: Store,
    run_id: int,
    env: Mapping[str, str],
    options: EngineOptions,
    progress: Callable[[ProgressEvent], None] | None,
) -> RunSummary:
    writer = Writer(store, run_id, {p.plan.request_hash: p.query_text for p in todo})
    try:
        return eventloop.run(_drive([p.plan for p in todo], writer, env, options, progress))
    except (KeyboardInterrupt, asyncio.CancelledError):
        if writer.error is not None:
            raise writer.error from None
        raise Interrupted(
            "interrupted: every completed call is stored; rerun the same command to resume"
        ) from None
    finally:
        writer.close()  # a clean stop (Ctrl-C, SIGTERM, error) never loses a completed call


async def _drive(
    plans: list[CallPlan],
    writer: Writer,
    env: Mapping[str, str],
    options: EngineOptions,
    progress: Callable[[ProgressEvent], None] | None,
) -> RunSummary:
    main = asyncio.current_task()
    loop = asyncio.get_running_loop()

    def stop() -> None:
        if main is not None:
            main.cancel()

    # SIGTERM stops like Ctrl-C: cancel, flush, exit 130 (the runner already turns SIGINT into this).
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, stop)
    # A write error (disk full, …) stops the run the same way; _run re-raises it as itself.
    flusher = asyncio.create_task(writer.flush_periodically(stop))
    try:
        return await run_calls(plans, env, writer.add, options, progress)
    finally:
        flusher.cancel()
