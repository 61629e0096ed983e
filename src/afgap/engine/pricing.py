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
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from afgap.errors import InputError
from afgap.records import CallPlan, ModelSpec

PER = 1_000_000
CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4


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
        return PriceTable({**other.prices, **{k: v for k, v in self.prices.items() if k not in other.prices}},
                          other.as_of or self.as_of)  # fmt: skip


def estimate_input_tokens(plan: CallPlan) -> int:
    """Input tokens of a plan's first turn: characters / 4 plus a few per message (see module docstring)."""
    chars = sum(len(m.content) for m in plan.messages) + len(plan.prefill or "")
    return chars // CHARS_PER_TOKEN + TOKENS_PER_MESSAGE * len(plan.messages)


def default_prices() -> PriceTable:
    """The price table shipped with afgap."""
    text = resources.files("afgap").joinpath("data/prices.toml").read_text(encoding="utf-8")
    return parse_prices(text, "the shipped price table")


def load_prices(path: Path | None) -> PriceTable:
    """The shipped table, overridden by the file at `path` when given."""
    table = default_prices()
    if path is None:
        return table
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read price file {path}: {exc.strerror or exc}") from None
    return table.merged(parse_prices(text, str(path)))


def parse_prices(text: str, source: str) -> PriceTable:
    """A PriceTable from TOML `[models] "provider/model" = {input = …, output = …}`; InputError if bad."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"price file {source} is not valid TOML: {exc}") from None
    models = data.get("models")
    if not isinstance(models, dict):
        raise InputError(
            f'price file {source} has no [models] table (e.g. "openai/gpt-4o" = {{input = 2.5, output = 10}})'
        )
    as_of = data.get("as_of")
    return PriceTable({key: _price(key, value, source) for key, value in models.items()},
                      str(as_of) if as_of is not None else None)  # fmt: skip


def _price(key: str, value: Any, source: str) -> Price:
    numbers = {name: value.get(name) if isinstance(value, dict) else None for name in ("input", "output")}
    for name, number in numbers.items():
        if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
            raise InputError(
                f"price file {source}: {key!r} needs {name} = USD per 1M tokens (a number >= 0), "
                f"got {number!r}"
            )
    return Price(float(numbers["input"] or 0), float(numbers["output"] or 0))
