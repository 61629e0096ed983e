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
from typing import Any

from pydantic import Field, model_validator

from afgap.files import FileRecord, parse_toml, read_toml
from afgap.records import CallPlan, ModelSpec

PER = 1_000_000
CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4
_EXAMPLE = '"openai/gpt-4o" = {input = 2.5, output = 10}'


@dataclass(frozen=True, slots=True)
class Price:
    """USD per 1M input and output tokens; when the vendor's page said so, and its batch discount."""

    input: float
    output: float
    as_of: str | None = None
    batch_discount: float | None = None  # fraction off both rates in the vendor's batch API, e.g. 0.5


@dataclass(frozen=True)
class PriceTable:
    """Model string (or glob) → Price; `as_of` says when the shipped prices were taken."""

    prices: dict[str, Price] = field(default_factory=dict)
    as_of: str | None = None
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
        return PriceTable({**other.prices, **kept}, other.as_of or self.as_of)


class PriceEntry(FileRecord):
    """One model's (or glob's) prices in a price file."""

    input: float = Field(ge=0)
    """USD per 1M input tokens."""
    output: float = Field(ge=0)
    """USD per 1M output tokens."""
    as_of: str | date | None = None
    """When this price was read from the vendor's page (else the file's `as_of` holds)."""
    batch_discount: float | None = Field(default=None, ge=0, lt=1)
    """Fraction off both rates in the vendor's batch API (0.5: half price), where the vendor publishes one."""
    source: str | None = None
    """Where the price was read (a vendor pricing page)."""


class PriceFile(FileRecord):
    """A price file: the shipped `data/prices.toml`, or one passed with `--prices`."""

    as_of: str | date | None = None
    """When the prices were taken from the vendors' pages."""
    models: dict[str, PriceEntry]
    """Model string (`*` and `?` match as in shell globs) → its prices."""

    @model_validator(mode="before")
    @classmethod
    def _has_models(cls, data: Any) -> Any:
        # The usual mistake is a file of entries without the table header: say what the file should hold.
        if isinstance(data, dict) and "models" not in data:
            raise ValueError(f"no [models] table (e.g. {_EXAMPLE})")
        return data

    def table(self) -> PriceTable:
        """The prices as the lookup table the engine uses."""
        as_of = None if self.as_of is None else str(self.as_of)
        prices = {key: _price(entry, as_of) for key, entry in self.models.items()}
        return PriceTable(prices, as_of)


def _price(entry: PriceEntry, file_as_of: str | None) -> Price:
    as_of = file_as_of if entry.as_of is None else str(entry.as_of)
    return Price(entry.input, entry.output, as_of, entry.batch_discount)


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
