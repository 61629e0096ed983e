"""Prices per model (USD per 1M tokens), call costs, and the pre-send estimates for --dry-run / --max-cost.

The shipped table (`data/prices.toml`) covers well-known models and says when it was taken; a user file
passed with `--prices` overrides and extends it. A model with no entry has an unknown price, and its cost
stays unknown (None) everywhere: never 0.

Estimates before sending: input tokens are the rendered messages' characters / 4 (plus 4 per message for
the chat framing), a common rule of thumb for English text; output tokens are `max_tokens`, the most a
reply can cost. So an estimate is an upper bound on output and a rough figure for input.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, model_validator

from afgap.files import FileRecord, parse_toml, read_toml
from afgap.records import CallPlan, ModelSpec

PER = 1_000_000
CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4
_EXAMPLE = '"openai/gpt-4o" = {input = 2.5, output = 10}'


@dataclass(frozen=True, slots=True)
class Price:
    """USD per 1M input and output tokens."""

    input: float
    output: float


@dataclass(frozen=True)
class PriceTable:
    """Model string (or glob) → Price; `as_of` says when the shipped prices were taken."""

    prices: dict[str, Price] = field(default_factory=dict)
    as_of: str | None = None
    # Model string (or glob) → the share of the live price its vendor's batch API charges (0.5: half).
    batch: dict[str, float] = field(default_factory=dict)
    # lookup() runs once per call; glob matching is memoised per model string.
    _found: dict[str, Price | None] = field(default_factory=dict, repr=False, compare=False)

    def lookup(self, model: str) -> Price | None:
        """The price for a model string: an exact entry first, then the first matching glob."""
        if model not in self._found:
            exact = self.prices.get(model)
            globbed = (p for key, p in self.prices.items() if fnmatch.fnmatchcase(model, key))
            self._found[model] = exact if exact is not None else next(globbed, None)
        return self._found[model]

    def cost(self, spec: ModelSpec, tokens_in: int | None, tokens_out: int | None) -> float | None:
        """USD for one call, or None when the price or either token count is unknown."""
        price = self.lookup(spec.model)
        if price is None or tokens_in is None or tokens_out is None:
            return None
        return (tokens_in * price.input + tokens_out * price.output) / PER

    def estimate(self, plan: CallPlan) -> float | None:
        """Upper-bound USD for one plan before sending: estimated input, max_tokens output."""
        price = self.lookup(plan.spec.model)
        if price is None:
            return None
        return (estimate_input_tokens(plan) * price.input + plan.sampling.max_tokens * price.output) / PER

    def merged(self, other: PriceTable) -> PriceTable:
        """This table with `other`'s entries added; other's win, and are tried before this table's globs."""
        kept = {key: price for key, price in self.prices.items() if key not in other.prices}
        batch = {**other.batch, **{k: v for k, v in self.batch.items() if k not in other.batch}}
        return PriceTable({**other.prices, **kept}, other.as_of or self.as_of, batch)

    def for_batch(self) -> PriceTable:
        """The prices a batch API charges: each model's live price times its batch share, if it has one.

        A model with no batch entry keeps its live price, so a batch estimate is never too low.
        """
        scaled = {key: self._batch_price(key, price) for key, price in self.prices.items()}
        return PriceTable(scaled, self.as_of, {})

    def _batch_price(self, key: str, price: Price) -> Price:
        exact = self.batch.get(key)
        share = (
            exact
            if exact is not None
            else next((v for glob, v in self.batch.items() if fnmatch.fnmatchcase(key, glob)), 1.0)
        )
        return Price(price.input * share, price.output * share)


class PriceEntry(FileRecord):
    """One model's (or glob's) prices in a price file."""

    input: float = Field(ge=0)
    """USD per 1M input tokens."""
    output: float = Field(ge=0)
    """USD per 1M output tokens."""


class PriceFile(FileRecord):
    """A price file: the shipped `data/prices.toml`, or one passed with `--prices`."""

    as_of: str | date | None = None
    """When the prices were taken from the vendors' pages."""
    models: dict[str, PriceEntry]
    """Model string (`*` and `?` match as in shell globs) → its prices."""
    batch: dict[str, Annotated[float, Field(gt=0, le=1)]] = Field(default_factory=dict)
    """Model string or glob → the share of its live price the vendor's batch API charges (0.5: half)."""

    @model_validator(mode="before")
    @classmethod
    def _has_models(cls, data: Any) -> Any:
        # The usual mistake is a file of entries without the table header: say what the file should hold.
        if isinstance(data, dict) and "models" not in data:
            raise ValueError(f"no [models] table (e.g. {_EXAMPLE})")
        return data

    def table(self) -> PriceTable:
        """The prices as the lookup table the engine uses."""
        prices = {key: Price(entry.input, entry.output) for key, entry in self.models.items()}
        return PriceTable(prices, None if self.as_of is None else str(self.as_of), dict(self.batch))


def estimate_input_tokens(plan: CallPlan) -> int:
    """Input tokens of a plan's first turn: characters / 4 plus a few per message (see module docstring)."""
    chars = sum(len(m.content) for m in plan.messages) + len(plan.prefill or "")
    return chars // CHARS_PER_TOKEN + TOKENS_PER_MESSAGE * len(plan.messages)


def default_prices() -> PriceTable:
    """The price table shipped with afgap."""
    text = resources.files("afgap").joinpath("data/prices.toml").read_text(encoding="utf-8")
    return parse_toml(text, PriceFile, "the shipped price table").table()


def load_prices(path: Path | None) -> PriceTable:
    """The shipped table, overridden by the file at `path` when given."""
    table = default_prices()
    if path is None:
        return table
    return table.merged(read_toml(path, PriceFile, f"price file {path}").table())
