"""What a collect would cost before anything is sent: tokens and prices of the calls still to make.

With prompt caching (afgap.engine.prompt_cache), the estimate assumes the run keeps each model's cache
warm: the shared system prompt is written once per model (and system prompt) and read by every later
call. A cache entry lives 5 minutes and each read renews it, so this holds while calls keep flowing; a
run that pauses longer (a slow rate limit, a resumed run) pays another write after each pause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from afgap.engine.pricing import PER, Price, PriceTable, estimate_input_tokens
from afgap.engine.prompt_cache import cache_kind, cached_prefix
from afgap.records import CallPlan


@dataclass(frozen=True)
class ModelEstimate:
    """One model's share of a plan; its costs are None when the model has no price."""

    model: str
    calls: int
    input_tokens: int
    input_cost_usd: float | None
    max_output_cost_usd: float | None
    price_as_of: str | None = None


@dataclass(frozen=True)
class Estimate:
    """A plan's size and price before sending: tokens are estimates (pricing module).

    The costs sum the priced models only; `unpriced_models` names the others, whose cost is unknown.
    """

    input_tokens: int = 0
    input_cost_usd: float = 0.0
    max_output_cost_usd: float = 0.0
    unpriced_models: tuple[str, ...] = ()
    prices_as_of: str | None = None
    models: tuple[ModelEstimate, ...] = ()
    # Parts of input_tokens expected to be written to and read from a prompt cache; the input cost
    # above prices them so, and this is what the priced input would cost with no caching at all.
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    uncached_input_cost_usd: float = 0.0

    @property
    def priced(self) -> bool:
        """Whether any model in the plan has a price (else there is no cost to show)."""
        return any(m.input_cost_usd is not None for m in self.models)


@dataclass
class _Sums:
    """One model's running totals while the plan is walked."""

    calls: int = 0
    tokens: int = 0
    written: int = 0
    read: int = 0
    input_cost: float = 0.0
    uncached_cost: float = 0.0
    output_cost: float = 0.0


def estimate_plans(plans: Sequence[CallPlan], prices: PriceTable) -> Estimate:
    """Estimated input tokens and cost of sending `plans` (first turns only; see afgap.engine.pricing)."""
    sums: dict[str, _Sums] = {}
    warm: set[tuple[str, str]] = set()  # (model, system prompt) already in the cache
    for plan in plans:
        n = estimate_input_tokens(plan)
        written, read = _cached(plan, warm)
        model = sums.setdefault(plan.spec.model, _Sums())
        model.calls, model.tokens = model.calls + 1, model.tokens + n
        model.written, model.read = model.written + written, model.read + read
        price = prices.lookup(plan.spec.model)
        if price is not None:
            model.input_cost += price.call_cost(n, 0, written, read)
            model.uncached_cost += n * price.input / PER
            model.output_cost += plan.sampling.max_tokens * price.output / PER
    found = {name: (s, prices.lookup(name)) for name, s in sums.items()}
    models = tuple(_model_estimate(name, s, price) for name, (s, price) in found.items())
    priced = [s for s, price in found.values() if price is not None]
    return Estimate(
        input_tokens=sum(s.tokens for s in sums.values()),
        input_cost_usd=sum(s.input_cost for s in priced),
        max_output_cost_usd=sum(s.output_cost for s in priced),
        unpriced_models=tuple(sorted(name for name, (_, price) in found.items() if price is None)),
        prices_as_of=prices.as_of,
        models=models,
        cache_write_tokens=sum(s.written for s in sums.values()),
        cache_read_tokens=sum(s.read for s in sums.values()),
        uncached_input_cost_usd=sum(s.uncached_cost for s in priced),
    )


def _model_estimate(model: str, s: _Sums, price: Price | None) -> ModelEstimate:
    if price is None:
        return ModelEstimate(model, s.calls, s.tokens, None, None)
    return ModelEstimate(model, s.calls, s.tokens, s.input_cost, s.output_cost, price.as_of)


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
