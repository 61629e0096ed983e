"""The async collection engine: send every CallPlan, retry within bounds, hand each result to a sink.

One worker pool per provider endpoint pulls plans from a shared iterator, so 10,000 plans cost
`concurrency` tasks, not 10,000. Each finished call (ok, error or unavailable) goes to `sink` the
moment it completes; a call cut short by cancellation never does.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from afgap.errors import InputError
from afgap.providers.clients import AttemptError, Client, TransportName
from afgap.providers.conversation import Transcript, converse
from afgap.providers.pools import Pool, ProviderLimits, describe, group, open_endpoints
from afgap.providers.transport import RetryPolicy
from afgap.records import CallPlan, CallRecord, CallStatus, ModelSpec
from afgap.settings import DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_S

__all__ = ["EngineOptions", "ProgressEvent", "ProviderLimits", "RunSummary", "run_calls"]

# (spec, tokens in, tokens out, of those in: cache writes, cache reads) → USD, None when unknown.
Price = Callable[[ModelSpec, int | None, int | None, int | None, int | None], float | None]
# The retry bounds' defaults live in RetryPolicy; EngineOptions exposes the ones a caller may change.
_RETRY = RetryPolicy()


@dataclass
class EngineOptions:
    """How hard to push each provider, how long to keep trying, and the optional spending cap."""

    concurrency: int = DEFAULT_CONCURRENCY
    rpm: float | None = None
    max_attempts: int = _RETRY.max_attempts
    max_retry_time_s: float = _RETRY.max_retry_time_s
    timeout_s: float = DEFAULT_TIMEOUT_S
    wait_initial_s: float = _RETRY.wait_initial_s
    wait_max_s: float = _RETRY.wait_max_s
    transport: TransportName = "aiohttp"
    limits: Mapping[str, ProviderLimits] = field(default_factory=dict)
    price: Price | None = None
    max_cost_usd: float | None = None
    estimate_cost: Callable[[CallPlan], float | None] | None = None

    def __post_init__(self) -> None:
        checks: list[tuple[int | None, str, int]] = [
            (self.concurrency, "concurrency", 1),
            (self.max_attempts, "max_attempts", 1),
        ]
        checks += [(lim.concurrency, f"concurrency for {name}", 1) for name, lim in self.limits.items()]
        for value, name, least in checks:
            if value is not None and value < least:
                raise InputError(f"{name} must be at least {least}, got {value}")
        rates = [(self.rpm, "rpm")]
        rates += [(lim.rpm, f"rpm for {n}") for n, lim in self.limits.items()]
        rates += [(lim.tpm, f"tpm for {n}") for n, lim in self.limits.items()]
        for rate, name in rates:
            if rate is not None and not rate > 0:
                raise InputError(f"{name} must be positive, got {rate}")


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """Counts so far, emitted after every finished call (the renderer throttles)."""

    done: int
    total: int
    errors: int
    unavailable: int
    retries: int
    tokens: int
    cost_usd: float
    elapsed: float
    unpriced: int = 0  # answered calls whose cost is unknown (no price for the model, or no usage)


@dataclass(frozen=True)
class RunSummary:
    """What run_calls did: counts by status, retries, tokens, cost, and why anything was left unsent."""

    total: int
    done: int
    ok: int
    errors: int
    unavailable: int
    unsent: int
    retries: int
    tokens_in: int
    tokens_out: int
    cost_usd: float
    elapsed_s: float
    # Key variables a provider rejected (401/403, no credit): that provider's remaining calls were not sent.
    auth_failures: tuple[str, ...] = ()
    auth_messages: Mapping[str, str] = field(default_factory=dict)
    budget_stopped: bool = False
    unpriced: int = 0
    error_classes: Mapping[str, int] = field(default_factory=dict)
    first_errors: Mapping[str, str] = field(default_factory=dict)


NO_CALLS = RunSummary(
    total=0,
    done=0,
    ok=0,
    errors=0,
    unavailable=0,
    unsent=0,
    retries=0,
    tokens_in=0,
    tokens_out=0,
    cost_usd=0.0,
    elapsed_s=0.0,
)
"""The summary of sending nothing."""


def combined(rounds: Sequence[RunSummary]) -> RunSummary:
    """One summary over several runs (rounds, or a batch and its live calls): counts, cost and time
    added, the last run's reasons for stopping."""
    first, last = rounds[0], rounds[-1]
    add = ("total", "done", "ok", "errors", "unavailable", "retries", "tokens_in", "tokens_out", "unpriced")
    summed: dict[str, object] = {name: sum(getattr(r, name) for r in rounds) for name in add}
    return replace(
        last,
        **summed,  # type: ignore[arg-type]
        cost_usd=sum(r.cost_usd for r in rounds),
        elapsed_s=sum(r.elapsed_s for r in rounds),
        first_errors={**last.first_errors, **first.first_errors},
    )


async def run_calls(
    plans: Sequence[CallPlan],
    env: Mapping[str, str],
    sink: Callable[[CallRecord], None],
    options: EngineOptions | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
) -> RunSummary:
    """Send every plan, calling `sink` with each finished CallRecord; MissingKeyError before any send."""
    engine = _Engine(plans, env, sink, options or EngineOptions(), progress)
    try:
        engine.open()
        async with asyncio.TaskGroup() as tasks:
            for pool in engine.pools:
                shared = iter(pool.plans)
                for _ in range(min(pool.concurrency, len(pool.plans))):
                    tasks.create_task(engine.worker(pool, shared))
    except BaseExceptionGroup as failures:
        # A sink error (disk full, …) stops the run; surface it as itself, not wrapped in a group.
        leaf: BaseException = failures
        while isinstance(leaf, BaseExceptionGroup):
            leaf = leaf.exceptions[0]
        raise leaf from None
    finally:
        await engine.aclose()
    return engine.summary()


class _Engine:
    """Shared state of one run: pools, clients, counters."""

    def __init__(
        self,
        plans: Sequence[CallPlan],
        env: Mapping[str, str],
        sink: Callable[[CallRecord], None],
        options: EngineOptions,
        progress: Callable[[ProgressEvent], None] | None,
    ) -> None:
        self.sink, self.options, self.progress, self.env = sink, options, progress, env
        self.policy = RetryPolicy(
            max_attempts=options.max_attempts,
            max_retry_time_s=options.max_retry_time_s,
            wait_initial_s=options.wait_initial_s,
            wait_max_s=options.wait_max_s,
        )
        self.total, self.started = len(plans), time.perf_counter()
        self.status: Counter[str] = Counter()
        self.error_classes: Counter[str] = Counter()
        self.first_errors: dict[str, str] = {}
        self.retries = self.tokens_in = self.tokens_out = self.unpriced = 0
        self.cost = self.reserved = 0.0
        self.auth_failures: dict[str, str] = {}
        self.budget_stopped = False
        self.clients: list[Client] = []
        self.pools = group(plans, env, options.concurrency, options.rpm, options.limits)

    def open(self) -> None:
        """Create the clients (inside the running loop, as aiohttp requires)."""
        self.clients = open_endpoints(self.pools, self.options.transport, self.options.timeout_s)

    async def aclose(self) -> None:
        """Close every client, even when the run was cancelled."""
        for client in self.clients:
            await client.aclose()

    async def worker(self, pool: Pool, plans: Iterator[CallPlan]) -> None:
        """Take plans from the pool's shared iterator until it is empty or the pool must stop."""
        for plan in plans:
            if pool.stopped or self.budget_stopped:
                return
            estimate = self._estimate(plan)
            if self.options.max_cost_usd is not None:
                if self.cost + self.reserved + estimate > self.options.max_cost_usd:
                    self.budget_stopped = True
                    return
                self.reserved += estimate
            record = await self._call(pool, plan)
            self.reserved -= estimate
            self._finish(record, estimate)

    def _estimate(self, plan: CallPlan) -> float:
        if self.options.estimate_cost is None:
            return 0.0
        return self.options.estimate_cost(plan) or 0.0

    async def _call(self, pool: Pool, plan: CallPlan) -> CallRecord:
        """One plan, all its turns: a CallRecord with status ok, error or unavailable."""
        assert pool.endpoint is not None
        spec = plan.spec
        if spec.api_model in pool.unavailable:
            # The provider already said this model is gone: record that without spending a request.
            note = AttemptError("unavailable", "not_found", "unavailable earlier in this run; not sent")
            note.attempts = 0
            return self._failed(pool, plan, note, Transcript(plan.messages, spec.simulated))
        transcript, error = await converse(pool.endpoint, plan, self.policy, self._count_retry)
        if error is not None:
            return self._failed(pool, plan, error, transcript)
        price = self.options.price
        t, cost = transcript, None
        if price is not None:
            cost = price(spec, t.tokens_in, t.tokens_out, t.cache_write_tokens, t.cache_read_tokens)
        return transcript.record(plan, cost)

    def _count_retry(self) -> None:
        self.retries += 1

    def _failed(self, pool: Pool, plan: CallPlan, exc: AttemptError, transcript: Transcript) -> CallRecord:
        """The record of a call that ended without a reply; an auth failure stops its provider."""
        message = describe(pool, exc, self.env)
        if exc.kind == "unavailable":
            pool.unavailable.add(plan.spec.api_model)
        if exc.kind == "auth" and not pool.stopped:
            pool.stopped = True
            self.auth_failures[pool.spec.key_var or pool.spec.provider] = message
        if exc.error_class == "connect":
            # Retries already gave the endpoint a few seconds: it is down or misconfigured, so its other
            # calls stay unsent (a rerun sends them) instead of each failing the same way.
            pool.stopped = True
        status: CallStatus = "unavailable" if exc.kind == "unavailable" else "error"
        return transcript.failed(plan, status, exc.error_class, message)

    def _finish(self, record: CallRecord, estimate: float) -> None:
        """Count a finished call, then hand it to the sink and report progress."""
        self.status[record.status] += 1
        if record.error_class and record.status != "ok":
            self.error_classes[record.error_class] += 1
            self.first_errors.setdefault(record.error_class, record.error_message or "")
        self.tokens_in += record.tokens_in or 0
        self.tokens_out += record.tokens_out or 0
        if record.cost_usd is not None:
            self.cost += record.cost_usd
        elif record.status == "ok":
            # An unknown price still counts at its estimate, so --max-cost cannot be overrun.
            self.cost += estimate
            self.unpriced += 1
        self.sink(record)
        if self.progress is not None:
            self.progress(self._event())

    def _event(self) -> ProgressEvent:
        done, tokens = sum(self.status.values()), self.tokens_in + self.tokens_out
        elapsed = time.perf_counter() - self.started
        errors, unavailable = self.status["error"], self.status["unavailable"]
        return ProgressEvent(
            done, self.total, errors, unavailable, self.retries, tokens, self.cost, elapsed, self.unpriced
        )

    def summary(self) -> RunSummary:
        """The run's totals, for the CLI's closing line and exit code."""
        done = sum(self.status.values())
        return RunSummary(
            total=self.total,
            done=done,
            ok=self.status["ok"],
            errors=self.status["error"],
            unavailable=self.status["unavailable"],
            unsent=self.total - done,
            retries=self.retries,
            tokens_in=self.tokens_in,
            tokens_out=self.tokens_out,
            cost_usd=self.cost,
            elapsed_s=time.perf_counter() - self.started,
            auth_failures=tuple(self.auth_failures),
            auth_messages=dict(self.auth_failures),
            budget_stopped=self.budget_stopped,
            unpriced=self.unpriced,
            error_classes=dict(self.error_classes),
            first_errors=dict(self.first_errors),
        )
