"""The `collect` job: resolve models, plan, skip what is stored, run the engine, commit and label each result.

I/O lives here (store, simulator, event loop); HTTP is the engine's (afgap.engine.run, afgap.providers).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from afgap.engine import eventloop
from afgap.engine.plans import PlannedCall, plan_calls
from afgap.engine.pricing import PriceTable, load_prices
from afgap.engine.prompt_cache import with_prompt_cache
from afgap.engine.run import EngineOptions, ProgressEvent, RunSummary, run_calls
from afgap.errors import InputError, Interrupted, StoreError
from afgap.jobs import sequential
from afgap.jobs.estimate import Estimate, estimate_plans
from afgap.jobs.reasoning import preflight
from afgap.providers.registry import api_key, bind_simulator, resolve
from afgap.queries import load_queries, sample_queries
from afgap.records import ModelSpec, Query, Sampling
from afgap.scenarios import Scenario, load_scenario, scenario_hash
from afgap.settings import (
    DEFAULT_LOCK_TIMEOUT_S,
    DEFAULT_QUERIES,
    DEFAULT_SAMPLES,
    DEFAULT_SCENARIO,
    DEFAULT_SEED,
    MAX_LOCK_TIMEOUT_S,
    MAX_SAMPLES,
    MAX_TOKENS,
    check_at_most,
    check_seed,
    check_timeout,
)
from afgap.sim.settings import SimSettings
from afgap.store import claims
from afgap.store.busy import Patience
from afgap.store.database import Store, open_store
from afgap.store.recovery import import_pending
from afgap.store.writer import Writer

if TYPE_CHECKING:  # imported where --batch needs it: a live collect skips its start-up
    from afgap.jobs import batch_collect

# Stopped by Ctrl-C: how long the run's end time may wait for another process's lock.
_STOPPED_LOCK_WAIT_S = 2.0


@dataclass(frozen=True)
class CollectRequest:
    """Everything `afgap collect` was asked to do."""

    models: Sequence[str]
    db: Path
    scenarios: Sequence[str] = (DEFAULT_SCENARIO,)
    # None: each scenario's own query set (its `queries` key), else the built-in set.
    queries: str | None = None
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
    # Anthropic: mark the shared system prompt cacheable (afgap.engine.prompt_cache).
    cache_prompt: bool = True
    command: str = "afgap collect"
    # Seconds a write waits for another process's lock before the replies go to a recovery file.
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
    # The loopback simulator started for `sim/…` models (by default on a free port).
    simulator: SimSettings = field(default_factory=SimSettings)
    # --batch: first turns go through the vendors' batch APIs (jobs/batch_collect.py); None: live.
    batch: batch_collect.BatchOptions | None = None
    # Set: stop sending to a (model, scenario) once its verdict is settled (jobs/sequential.py).
    until_decided: sequential.UntilDecided | None = None


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
    elsewhere: int = 0  # calls left to other collects running on the same store
    holders: tuple[tuple[int, int, str], ...] = ()  # those collects: (run id, pid, host or "" if this)
    estimate: Estimate = field(default_factory=Estimate)
    first_errors: Mapping[str, str] = field(default_factory=dict)
    decisions: tuple[sequential.Decision, ...] = ()  # --until-decided: where each sequence ended

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
    if not req.lock_timeout_s >= 0:
        raise InputError(f"--lock-timeout must be a number of seconds >= 0, got {req.lock_timeout_s:g}")
    check_at_most("--lock-timeout", req.lock_timeout_s, MAX_LOCK_TIMEOUT_S)
    if not 0.0 <= req.sampling.temperature <= 2.0:
        raise InputError(f"--temperature must be in [0, 2], got {req.sampling.temperature}")
    if req.batch is not None and req.until_decided is not None:
        # a batch answers all its calls at once: there is no moment at which to stop sending
        raise InputError("--until-decided and --batch cannot be combined: a batch is sent whole")


def resolve_models(models: Sequence[str], env: Mapping[str, str], keys: bool = True) -> list[ModelSpec]:
    """Resolve every model string and, when `keys` (about to send), check its key is set."""
    specs = [resolve(m, env) for m in dict.fromkeys(models)]
    for spec in specs if keys else ():
        api_key(spec, env)
    return specs


def collect(
    req: CollectRequest,
    env: Mapping[str, str],
    progress: Callable[[ProgressEvent], None] | None = None,
    notice: Callable[[str], None] | None = None,
    on_split: Callable[[CollectSummary], None] | None = None,
) -> CollectSummary:
    """Run (or plan, with dry_run) a collection; every finished call is committed as it arrives.

    `notice` hears what the user must know even in a quiet run (a wait for another process's lock, replies
    recovered from an earlier run's recovery file). Calls another live collect on the same store is making
    are left to it (store/claims.py); `on_split` gets the summary of that split before anything is sent.
    """
    validate_request(req)
    notice = notice or (lambda _line: None)
    specs = [
        with_prompt_cache(s, req.cache_prompt) for s in resolve_models(req.models, env, keys=not req.dry_run)
    ]
    prices = load_prices(req.prices)
    _check_budget_is_enforceable(req, specs, prices)
    if req.batch is not None:
        from afgap.jobs import batch_collect

        batch_collect.check_batchable(specs, req.max_cost_usd)
    scenarios = [load_scenario(name) for name in dict.fromkeys(req.scenarios)]
    if req.until_decided is not None:
        sequential.check(scenarios)
    for line in preflight(req.sampling, specs, scenarios):
        notice(line)
    queries = [select_queries(req, s) for s in scenarios]
    patience = Patience(req.lock_timeout_s, notice)
    # A dry run only reads: it works on a store this process cannot write.
    readonly = req.dry_run and req.db.exists()
    with (
        _simulator_if_needed(specs, req) as specs,
        open_store(req.db, readonly=readonly, patience=patience) as store,
    ):
        if not readonly:
            _recover(store, notice)
        done = store.completed_hashes()
        planned = [
            call
            for scenario, chosen in zip(scenarios, queries, strict=True)
            for call in plan_calls(specs, scenario, chosen, req.samples, req.sampling)
        ]
        todo = [p for p in planned if p.plan.request_hash not in done]
        base = CollectSummary(planned=len(planned), cached=len(planned) - len(todo), to_send=len(todo))
        if req.dry_run or not todo:
            estimate = estimate_plans([p.plan for p in todo], prices.for_batch() if req.batch else prices)
            return dataclasses.replace(base, dry_run=req.dry_run, estimate=estimate)
        # Before any response: a response's scenario version always has its design stored beside it.
        store.write_designs((scenario_hash(s), s.name, s.design, s.measures) for s in scenarios)
        run_id = store.start_run(req.command, _settings(req, planned))
        try:
            share = claims.claim(store, run_id, [p.plan.request_hash for p in todo])
            base = _with_share(base, share)
            if on_split is not None and share.others:
                on_split(base)
            mine = [p for p in todo if p.plan.request_hash in share.mine]
            engine = _with_prices(req, prices)
            decisions: tuple[sequential.Decision, ...] = ()
            if req.batch is None or not mine:
                block = sequential.block_size(req.engine.concurrency, req.samples, len(req.models))
                rounds = sequential.rounds(req.until_decided, planned, mine, store, req.query_seed, block)
                summary = _run(mine, store, run_id, env, engine, progress, notice, rounds) if mine else None
                decisions = () if rounds is None else rounds.decisions
                if rounds is not None:
                    base = dataclasses.replace(base, to_send=0 if summary is None else summary.total)
            else:
                summary = batch_collect.run_batches(
                    mine, store, run_id, env, engine, prices, req.batch, notice
                )
        except StoreError:
            raise  # it took nothing more (the replies are in a recovery file), nor would it the end time
        except BaseException:
            # Stopped (Ctrl-C): the end time is not worth another wait for a lock.
            with contextlib.suppress(StoreError):
                claims.release(store, run_id, patience_s=_STOPPED_LOCK_WAIT_S)
                store.finish_run(run_id, patience_s=_STOPPED_LOCK_WAIT_S)
            raise
        claims.release(store, run_id)
        store.finish_run(run_id)
    base = dataclasses.replace(base, decisions=decisions)
    return base if summary is None else _with_outcome(base, summary)


def _recover(store: Store, notice: Callable[[str], None]) -> None:
    """Import the replies an earlier run saved to recovery files, before planning what is missing."""
    for done in import_pending(store):
        already = f" ({done.already} were already stored)" if done.already else ""
        notice(f"recovered {done.stored} replies from {done.path}{already}")


def _with_share(base: CollectSummary, share: claims.Share) -> CollectSummary:
    """The plan's counts, less what other collects stored meanwhile or are making now."""
    holders = tuple((h.run_id, h.pid, h.host) for h in share.others)
    cached, mine = base.cached + share.stored_meanwhile, len(share.mine)
    return dataclasses.replace(base, cached=cached, to_send=mine, elsewhere=share.elsewhere, holders=holders)


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
    cap, estimate = req.max_cost_usd, prices.estimate if req.max_cost_usd is not None else None
    return dataclasses.replace(req.engine, price=prices.cost, max_cost_usd=cap, estimate_cost=estimate)


def select_queries(req: CollectRequest, scenario: Scenario | None = None) -> list[Query]:
    """The query set, then a reproducible random subset (--sample-queries), then the first N (--limit)."""
    # --queries when given; else the scenario's own set (the anti-lab offers, say); else the built-in set
    own = scenario.queries if scenario is not None else ""
    queries = load_queries(
        req.queries if req.queries is not None else own or DEFAULT_QUERIES, req.queries_column
    )
    if req.sample_queries is not None:
        queries = sample_queries(queries, req.sample_queries, req.query_seed)
    return queries[: req.limit]


def _settings(req: CollectRequest, planned: Sequence[PlannedCall]) -> dict[str, object]:
    """What the store records of this request beside the run."""
    limits = {name: dataclasses.asdict(limit) for name, limit in req.engine.limits.items()}
    return sequential.settings_entry(req.until_decided, req.query_seed, planned) | {
        "models": list(req.models),
        "scenarios": list(req.scenarios),
        "queries": req.queries or "per scenario",
        "samples": req.samples,
        "limit": req.limit,
        "sampling": req.sampling.model_dump(),
        "concurrency": req.engine.concurrency,
        "rpm": req.engine.rpm,
        "limits": limits,
        "max_cost_usd": req.max_cost_usd,
        "cache_prompt": req.cache_prompt,
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
    notice: Callable[[str], None],
    rounds: sequential.Rounds | None = None,
) -> RunSummary:
    """Send `todo` in one engine run, or in the rounds of --until-decided, through one store writer."""
    writer = Writer(store, run_id, {p.plan.request_hash: p.query_text for p in todo}, notice)

    def one_round(calls: list[PlannedCall], spent: float) -> Awaitable[RunSummary]:
        # The budget spans the rounds: each gets what the earlier ones left.
        cap = None if options.max_cost_usd is None else max(0.0, options.max_cost_usd - spent)
        left = dataclasses.replace(options, max_cost_usd=cap)
        return run_calls([p.plan for p in calls], env, writer.add, left, progress)

    def send() -> Awaitable[RunSummary]:
        return one_round(todo, 0.0) if rounds is None else rounds.send(one_round)

    try:
        return eventloop.run(_drive(send, writer, lambda: claims.heartbeat(store, run_id)))
    except (KeyboardInterrupt, asyncio.CancelledError):
        if writer.error is not None:
            raise writer.error from None
        raise Interrupted(
            "interrupted: every completed call is stored; rerun the same command to resume"
        ) from None
    finally:
        writer.close()  # a clean stop (Ctrl-C, SIGTERM, error) never loses a completed call


async def _drive(
    send: Callable[[], Awaitable[RunSummary]], writer: Writer, beat: Callable[[], object]
) -> RunSummary:
    main = asyncio.current_task()
    loop = asyncio.get_running_loop()

    def stop() -> None:
        if main is not None:
            main.cancel()

    # SIGTERM stops like Ctrl-C: cancel, flush, exit 130 (the runner already turns SIGINT into this).
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, stop)
    # A store that takes nothing (disk full, locked too long) stops the run the same way; _run raises
    # the writer's error, which names the recovery file holding every reply received.
    flusher = asyncio.create_task(writer.flush_periodically(stop))
    beating = asyncio.create_task(_heartbeat(beat))
    try:
        return await send()
    finally:
        flusher.cancel()
        beating.cancel()


async def _heartbeat(beat: Callable[[], object]) -> None:
    """Keep this run's claims live for collects on other hosts (store/claims.py); off the loop."""
    while True:
        await asyncio.sleep(claims.HEARTBEAT_S)
        await asyncio.to_thread(beat)
