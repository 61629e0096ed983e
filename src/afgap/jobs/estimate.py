"""What a collect would cost before anything is sent: tokens and prices of the calls still to make."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from afgap.engine.pricing import PER, Price, PriceTable, estimate_input_tokens
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

    @property
    def priced(self) -> bool:
        """Whether any model in the plan has a price (else there is no cost to show)."""
        return any(m.input_cost_usd is not None for m in self.models)


def estimate_plans(plans: Sequence[CallPlan], prices: PriceTable) -> Estimate:
    """Estimated input tokens and cost of sending `plans` (first turns only; see afgap.engine.pricing)."""
    by_model: dict[str, list[CallPlan]] = {}
    for plan in plans:
        by_model.setdefault(plan.spec.model, []).append(plan)
    models = tuple(_estimate_model(model, group, prices.lookup(model)) for model, group in by_model.items())
    return Estimate(
        input_tokens=sum(m.input_tokens for m in models),
        input_cost_usd=sum(m.input_cost_usd or 0.0 for m in models),
        max_output_cost_usd=sum(m.max_output_cost_usd or 0.0 for m in models),
        unpriced_models=tuple(sorted(m.model for m in models if m.input_cost_usd is None)),
        prices_as_of=prices.as_of,
        models=models,
    )


def _estimate_model(model: str, plans: Sequence[CallPlan], price: Price | None) -> ModelEstimate:
    tokens = sum(estimate_input_tokens(p) for p in plans)
    if price is None:
        return ModelEstimate(model, len(plans), tokens, None, None)
    max_output = sum(p.sampling.max_tokens for p in plans)
    return ModelEstimate(
        model, len(plans), tokens, tokens * price.input / PER, max_output * price.output / PER, price.as_of
    )
