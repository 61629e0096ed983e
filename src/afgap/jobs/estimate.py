"""What a collect would cost before anything is sent: tokens and prices of the calls still to make."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from afgap.engine.pricing import PriceTable, estimate_input_tokens
from afgap.records import CallPlan


@dataclass(frozen=True)
class Estimate:
    """A plan's size and price before sending: tokens are estimates (pricing module), cost None if unknown."""

    input_tokens: int = 0
    input_cost_usd: float | None = 0.0
    max_output_cost_usd: float | None = 0.0
    unpriced_models: tuple[str, ...] = ()
    prices_as_of: str | None = None


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
