"""What a collect would cost before anything is sent: tokens and prices of the calls still to make.

With prompt caching (afgap.engine.prompt_cache), the estimate assumes the run keeps each model's cache
warm: the shared system prompt is written once per model (and system prompt) and read by every later
call. A cache entry lives 5 minutes and each read renews it, so this holds while calls keep flowing; a
run that pauses longer (a slow rate limit, a resumed run) pays another write after each pause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from afgap.engine.pricing import PriceTable, estimate_input_tokens
from afgap.engine.prompt_cache import cache_kind, cached_prefix
from afgap.records import CallPlan


@dataclass(frozen=True)
class Estimate:
    """A plan's size and price before sending: tokens are estimates (pricing module), cost None if unknown."""

    input_tokens: int = 0
    input_cost_usd: float | None = 0.0
    max_output_cost_usd: float | None = 0.0
    unpriced_models: tuple[str, ...] = ()
    prices_as_of: str | None = None
    # Parts of input_tokens expected to be written to and read from a prompt cache; the input cost
    # above prices them so, and this is what the input would cost with no caching at all.
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    uncached_input_cost_usd: float | None = 0.0


def estimate_plans(plans: Sequence[CallPlan], prices: PriceTable) -> Estimate:
    """Estimated input tokens and cost of sending `plans` (first turns only; see afgap.engine.pricing)."""
    tokens, written, read, input_cost, uncached_cost, output_cost = 0, 0, 0, 0.0, 0.0, 0.0
    unpriced: set[str] = set()
    warm: set[tuple[str, str]] = set()  # (model, system prompt) already in the cache
    for plan in plans:
        n = estimate_input_tokens(plan)
        w, r = _cached(plan, warm)
        tokens, written, read = tokens + n, written + w, read + r
        price = prices.lookup(plan.spec.model)
        if price is None:
            unpriced.add(plan.spec.model)
            continue
        input_cost += price.call_cost(n, 0, w, r)
        uncached_cost += n * price.input / 1e6
        output_cost += plan.sampling.max_tokens * price.output / 1e6
    known = not unpriced
    return Estimate(
        tokens,
        input_cost if known else None,
        output_cost if known else None,
        tuple(sorted(unpriced)),
        prices.as_of,
        written,
        read,
        uncached_cost if known else None,
    )


def _cached(plan: CallPlan, warm: set[tuple[str, str]]) -> tuple[int, int]:
    """(tokens written, tokens read) of a plan's system prompt, marking it warm for the calls after it."""
    prefix = cached_prefix(plan)
    if prefix is None:
        return 0, 0
    system, n = prefix
    key = (plan.spec.model, system)
    if key in warm:
        return 0, n
    warm.add(key)
    # The first call pays for its prompt in full; only a marked cache bills that as a write.
    return (n, 0) if cache_kind(plan.spec) == "marked" else (0, 0)
