"""Prices per model (USD per 1M tokens), call costs, and the pre-send estimates for --dry-run / --max-cost.

The shipped table (`data/prices.toml`) covers well-known models and says when it was taken; a user file
passed with `--prices` overrides and extends it. A model with no entry has an unknown price, and its cost
stays unknown (None) everywhere: never 0.

Estimates before sending: input tokens are the rendered messages' characters / 4 (plus 4 per message for
the chat framing), a common rule of thumb for English text; output tokens are `max_tokens`, the most a
reply can cost. So an estimate is an upper bound on output and a rough figure for input.

Prompt caching: a call's tokens_in includes the tokens the provider wrote to or read from its prompt cache,
and those are billed at the cache prices. A `[cache]` rule gives them as multiples of a model's input price
(Anthropic: writes 1.25×, reads 0.1×); a model entry may give them in USD instead. A model no rule covers
pays its input price for cached tokens, which over- rather than under-states the cost.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import Field, model_validator

from afgap.files import FileRecord, parse_toml, read_toml
from afgap.records import CallPlan, ModelSpec

PER = 1_000_000
CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4
_T = TypeVar("_T")
_EXAMPLE = '"openai/gpt-4o" = {input = 2.5, output = 10}'


@dataclass(frozen=True, slots=True)
class Price:
    """USD per 1M input and output tokens and per 1M cache writes and reads (None: the input price);
    when the vendor's page said so, and its batch discount."""

    input: float
    output: float
    cache_write: float | None = None
    cache_read: float | None = None
    as_of: str | None = None
    batch_discount: float | None = None  # fraction off both rates in the vendor's batch API, e.g. 0.5

    def call_cost(self, tokens_in: int, tokens_out: int, written: int = 0, read: int = 0) -> float:
        """USD for one call; `written` and `read` are the parts of `tokens_in` billed at the cache prices."""
        # Counts come from untrusted replies: cached parts never exceed the input they are part of.
        read = min(read, tokens_in)
        written = min(written, tokens_in - read)
        uncached = tokens_in - written - read
        write = self.input if self.cache_write is None else self.cache_write
        cached = self.input if self.cache_read is None else self.cache_read
        return (uncached * self.input + written * write + read * cached + tokens_out * self.output) / PER


@dataclass(frozen=True, slots=True)
class CacheRule:
    """Cache prices as multiples of a model's input price (None: the input price)."""

    write: float | None = None
    read: float | None = None

    def applied(self, price: Price) -> Price:
        """`price` with the cache prices it does not give itself filled in from this rule."""
        write = price.cache_write
        if write is None and self.write is not None:
            write = self.write * price.input
        read = price.cache_read
        if read is None and self.read is not None:
            read = self.read * price.input
        return replace(price, cache_write=write, cache_read=read)


@dataclass(frozen=True)
class PriceTable:
    """Model string (or glob) → Price; `as_of` says when the shipped prices were taken."""

    prices: dict[str, Price] = field(default_factory=dict)
    as_of: str | None = None
    cache: dict[str, CacheRule] = field(default_factory=dict)
    # Model string (or glob) → the share of the live price its vendor's batch API charges (0.5: half).
    batch: dict[str, float] = field(default_factory=dict)
    # lookup() runs once per call; glob matching is memoised per model string.
    _found: dict[str, Price | None] = field(default_factory=dict, repr=False, compare=False)

    def lookup(self, model: str) -> Price | None:
        """A model string's price (an exact entry, else the first matching glob), with its cache prices."""
        if model not in self._found:
            price = _matching(self.prices, model)
            rule = _matching(self.cache, model)
            self._found[model] = rule.applied(price) if price is not None and rule is not None else price
        return self._found[model]

    def cost(
        self,
        spec: ModelSpec,
        tokens_in: int | None,
        tokens_out: int | None,
        cache_write: int | None = None,
        cache_read: int | None = None,
    ) -> float | None:
        """USD for one call, or None when the price or either token count is unknown."""
        price = self.lookup(spec.model)
        if price is None or tokens_in is None or tokens_out is None:
            return None
        return price.call_cost(tokens_in, tokens_out, cache_write or 0, cache_read or 0)

    def estimate(self, plan: CallPlan) -> float | None:
        """Upper-bound USD for one plan before sending: estimated input, max_tokens output."""
        price = self.lookup(plan.spec.model)
        if price is None:
            return None
        return (estimate_input_tokens(plan) * price.input + plan.sampling.max_tokens * price.output) / PER

    def merged(self, other: PriceTable) -> PriceTable:
        """This table with `other`'s entries added; other's win, and are tried before this table's globs."""
        kept = {key: price for key, price in self.prices.items() if key not in other.prices}
        rules = {key: rule for key, rule in self.cache.items() if key not in other.cache}
        batch = {**other.batch, **{k: v for k, v in self.batch.items() if k not in other.batch}}
        return PriceTable(
            {**other.prices, **kept}, other.as_of or self.as_of, {**other.cache, **rules}, batch
        )

    def for_batch(self) -> PriceTable:
        """The prices a batch API charges: each model's live price times its batch share, if it has one.

        An entry's own `batch_discount` wins over a [batch] glob; a model with neither keeps its live
        price, so a batch estimate is never too low.
        """
        scaled = {key: self._batch_price(key, price) for key, price in self.prices.items()}
        return PriceTable(scaled, self.as_of, self.cache)

    def _batch_price(self, key: str, price: Price) -> Price:
        if price.batch_discount is not None:
            share = 1.0 - price.batch_discount
        else:
            found = _matching(self.batch, key)
            share = 1.0 if found is None else found
        return replace(price, input=price.input * share, output=price.output * share)


def _matching(table: dict[str, _T], model: str) -> _T | None:
    """An exact entry first, then the first glob (in file order) matching `model`."""
    exact = table.get(model)
    if exact is not None:
        return exact
    return next((value for key, value in table.items() if fnmatch.fnmatchcase(model, key)), None)


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
    cache_write: float | None = Field(default=None, ge=0)
    """USD per 1M input tokens written to the prompt cache (default: from a [cache] rule, else input)."""
    cache_read: float | None = Field(default=None, ge=0)
    """USD per 1M input tokens read from the prompt cache (default: from a [cache] rule, else input)."""


class CacheEntry(FileRecord):
    """One model glob's prompt-cache prices in a price file, as multiples of its input price."""

    write: float | None = Field(default=None, ge=0)
    """A cache write's price over the input price (Anthropic's 5-minute cache: 1.25)."""
    read: float | None = Field(default=None, ge=0)
    """A cache read's price over the input price (Anthropic: 0.1; OpenAI: 0.25 to 0.5 by model)."""
    as_of: str | date | None = None
    """When the multiples were taken from the vendor's page."""


class PriceFile(FileRecord):
    """A price file: the shipped `data/prices.toml`, or one passed with `--prices`."""

    as_of: str | date | None = None
    """When the prices were taken from the vendors' pages."""
    models: dict[str, PriceEntry]
    """Model string (`*` and `?` match as in shell globs) → its prices."""
    cache: dict[str, CacheEntry] = Field(default_factory=dict)
    """Model string or glob → its prompt-cache prices as multiples of its input price."""
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
        as_of = None if self.as_of is None else str(self.as_of)
        prices = {key: _price(entry, as_of) for key, entry in self.models.items()}
        rules = {key: CacheRule(entry.write, entry.read) for key, entry in self.cache.items()}
        return PriceTable(prices, as_of, rules, dict(self.batch))


def _price(entry: PriceEntry, file_as_of: str | None) -> Price:
    as_of = file_as_of if entry.as_of is None else str(entry.as_of)
    return Price(entry.input, entry.output, entry.cache_write, entry.cache_read, as_of, entry.batch_discount)


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
