"""Per-provider pools for the engine: which plans share an endpoint, its client, its limits, its messages.

A pool is one (provider, base URL, key variable): rate limits and rejected keys are per account, so
that is the unit that gets its own concurrency, requests-per-minute bucket, and stop switch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from afgap.providers import registry
from afgap.providers.clients import AttemptError, Client, TransportName, make_client
from afgap.providers.limits import ProviderLimits, custom_endpoint_key
from afgap.providers.transport import Endpoint
from afgap.records import CallPlan, ModelSpec

if TYPE_CHECKING:
    from aiolimiter import AsyncLimiter

__all__ = ["Pool", "ProviderLimits", "describe", "group", "open_endpoints", "rpm_limiter"]


@dataclass(slots=True)
class Pool:
    """One provider endpoint: its plans, its limits, and whether it must stop (rejected key)."""

    spec: ModelSpec
    key: str | None
    concurrency: int
    rpm: float | None
    tpm: float | None = None
    plans: list[CallPlan] = field(default_factory=list)
    endpoint: Endpoint | None = None
    stopped: bool = False
    unavailable: set[str] = field(default_factory=set)


def group(
    plans: Sequence[CallPlan],
    env: Mapping[str, str],
    concurrency: int,
    rpm: float | None,
    limits: Mapping[str, ProviderLimits],
) -> list[Pool]:
    """Pools for `plans`, in first-seen order; every key is read here, before anything is sent."""
    pools: dict[tuple[str, str, str | None, str], Pool] = {}
    for plan in plans:
        spec = plan.spec
        # The wire is part of the key: chat and completions to one server are different URLs and bodies.
        where = (spec.provider, spec.base_url, spec.key_var, spec.wire)
        pool = pools.get(where)
        if pool is None:
            if not spec.base_url:
                raise ValueError(f"{spec.model} has no base URL: call registry.bind_simulator() first")
            own = limits.get(spec.provider, ProviderLimits())
            if not registry.is_vendor_endpoint(spec):
                own = limits.get(custom_endpoint_key(spec.provider), own)
            key = registry.api_key(spec, env)
            pool = Pool(spec, key, own.concurrency or concurrency, own.rpm or rpm, own.tpm)
            pools[where] = pool
        pool.plans.append(plan)
    return list(pools.values())


def open_endpoints(pools: Sequence[Pool], transport: TransportName, timeout_s: float) -> list[Client]:
    """Give each pool its endpoint; one client per base URL, sized for every pool that uses it."""
    connections: Counter[str] = Counter()
    for pool in pools:
        connections[pool.spec.base_url] += pool.concurrency
    clients = {base: make_client(transport, count, timeout_s, base) for base, count in connections.items()}
    for pool in pools:
        spec, wire = pool.spec, registry.wire_format(pool.spec)
        limiter = rpm_limiter(pool.rpm) if pool.rpm else None
        # A token bucket holding a minute's budget: one call asks for its estimate, capped at the bucket.
        tokens = token_limiter(pool.tpm) if pool.tpm else None
        headers = wire.headers(spec, pool.key)
        pool.endpoint = Endpoint(clients[spec.base_url], wire.url(spec), headers, wire, limiter, tokens)
    return list(clients.values())


def rpm_limiter(rpm: float) -> AsyncLimiter:
    """A leaky bucket allowing `rpm` requests a minute in bursts of at most one second's worth."""
    from aiolimiter import AsyncLimiter  # only when a limit is set (afgap.providers.transport says why)

    burst = max(1.0, rpm / 60.0)
    return AsyncLimiter(burst, burst * 60.0 / rpm)


def token_limiter(tpm: float) -> AsyncLimiter:
    """A token bucket holding a minute's budget of `tpm` tokens."""
    from aiolimiter import AsyncLimiter

    return AsyncLimiter(tpm, 60.0)


def describe(pool: Pool, exc: AttemptError, env: Mapping[str, str]) -> str:
    """One line naming the model and host and, for connection trouble, the variable that set the URL."""
    spec = pool.spec
    host = urlsplit(spec.base_url).netloc or spec.base_url
    where, var = f"{spec.model} at {host}", spec.base_url_var
    if exc.error_class == "connect":
        if spec.simulated:
            where = f"cannot connect to the simulator at {host}"
        elif var and env.get(var):
            where = f"cannot connect to {host} (base URL from {var})"
        else:
            hint = f"; set {var} to change it" if var else ""
            where = f"cannot connect to {host} (default base URL{hint})"
    elif exc.kind == "auth":
        where = f"{spec.provider} rejected the key in {spec.key_var or 'its key variable'} ({host})"
    tries = f" after {exc.attempts} attempts" if exc.attempts > 1 else ""
    line = f"{where}: {exc.message}{tries}"
    # Providers echo parts of a rejected key back; the value must never reach the store or a log.
    return line.replace(pool.key, "***") if pool.key else line
