"""Collection limits and budget from the command line and a TOML config file, merged in one place.

Precedence, most specific first: a provider's own limit (`--provider-limit`, then `[limits.PREFIX]` in the
config file), then the run-wide flag (`--concurrency`, `--rpm`, then `[collect]`), then afgap's per-provider
default for real accounts (providers.pools.DEFAULT_LIMITS), then DEFAULT_CONCURRENCY.

    [collect]
    concurrency = 32
    rpm = 600
    max_cost = 25.0          # USD
    prices = "prices.toml"   # relative to this file
    thinking_budget = 2048   # or reasoning_effort = "high": sampling settings, see docs/collection.md
    cache_prompt = false     # Anthropic's prompt cache mark (on by default)

    [limits.anthropic]
    concurrency = 8
    rpm = 50
    tpm = 40000
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from pydantic import Field

from afgap.engine.run import EngineOptions
from afgap.errors import InputError
from afgap.files import FileRecord, read_toml, validated
from afgap.providers.limits import DEFAULT_LIMITS, ProviderLimits, custom_endpoint_key
from afgap.records import ReasoningEffort
from afgap.settings import DEFAULT_CONCURRENCY, MAX_CONCURRENCY, check_at_most

CONFIG_ENV = "AFGAP_CONFIG"


class LimitsTable(FileRecord):
    """`[limits.PREFIX]` or `--provider-limit`: one provider's limits; a key left out keeps the run's."""

    concurrency: int | None = Field(default=None, ge=1)
    """Calls in flight at once."""
    rpm: float | None = Field(default=None, gt=0)
    """Requests a minute."""
    tpm: float | None = Field(default=None, gt=0)
    """Estimated input tokens a minute (request characters / 4)."""

    def limits(self) -> ProviderLimits:
        """The record the engine's pools take."""
        return ProviderLimits(self.concurrency, self.rpm, self.tpm)


class CollectTable(FileRecord):
    """`[collect]`: run-wide settings; the matching command-line flag wins over each."""

    concurrency: int | None = Field(default=None, ge=1)
    """Calls in flight at once, over all providers."""
    rpm: float | None = Field(default=None, gt=0)
    """Requests a minute, per provider."""
    max_cost: float | None = Field(default=None, ge=0)
    """Budget in USD: collect stops before it would spend more."""
    prices: str | None = None
    """A price file (see `--prices`), relative to the config file."""
    reasoning_effort: ReasoningEffort | None = None
    """`--reasoning-effort` for OpenAI-compatible models: minimal, low, medium or high."""
    thinking_budget: int | None = Field(default=None, ge=1)
    """`--thinking-budget`: Anthropic extended thinking's token budget (at least 1024, below max tokens)."""
    cache_prompt: bool | None = None
    """`--cache-prompt/--no-cache-prompt`: mark the Anthropic system prompt for the prompt cache."""


class ConfigFile(FileRecord):
    """The config file (`--config`, or $AFGAP_CONFIG): a `[collect]` table and `[limits.PREFIX]` tables."""

    collect: CollectTable = CollectTable()
    """Run-wide settings."""
    limits: dict[str, LimitsTable] = Field(default_factory=dict)
    """Per-provider limits, keyed by provider prefix ("anthropic") or prefix and path ("openai-api/local")."""


@dataclass(frozen=True)
class CollectConfig:
    """What a config file says about collection (every field optional)."""

    concurrency: int | None = None
    rpm: float | None = None
    max_cost: float | None = None
    prices: Path | None = None
    limits: Mapping[str, ProviderLimits] = field(default_factory=dict)
    reasoning_effort: ReasoningEffort | None = None
    thinking_budget: int | None = None
    cache_prompt: bool | None = None


def config_path(flag: Path | None, env: Mapping[str, str] | None = None) -> Path | None:
    """--config, else $AFGAP_CONFIG, else no file."""
    env = os.environ if env is None else env
    value = flag or env.get(CONFIG_ENV)
    return Path(value) if value else None


def load_config(path: Path | None) -> CollectConfig:
    """Parse the config file; InputError naming the file and the bad key."""
    if path is None:
        return CollectConfig()
    config = read_toml(path, ConfigFile, f"config file {path}")
    collect = config.collect
    return CollectConfig(
        concurrency=collect.concurrency,
        rpm=collect.rpm,
        max_cost=collect.max_cost,
        prices=(path.parent / collect.prices) if collect.prices else None,
        limits={prefix: table.limits() for prefix, table in config.limits.items()},
        reasoning_effort=collect.reasoning_effort,
        thinking_budget=collect.thinking_budget,
        cache_prompt=collect.cache_prompt,
    )


def parse_provider_limit(text: str) -> tuple[str, ProviderLimits]:
    """`anthropic:concurrency=8,rpm=50,tpm=40000` → ("anthropic", ProviderLimits(8, 50, 40000))."""
    prefix, sep, rest = text.partition(":")
    where = f"--provider-limit {text!r}"
    if not sep or not prefix or not rest:
        raise InputError(
            f"{where}: expected PROVIDER:KEY=VALUE[,KEY=VALUE] (e.g. anthropic:concurrency=8,rpm=50)"
        )
    keys = tuple(LimitsTable.model_fields)
    values: dict[str, str] = {}
    for item in rest.split(","):
        key, eq, value = (part.strip() for part in item.partition("="))
        if not eq or key not in keys:
            raise InputError(f"{where}: {item!r} is not one of {', '.join(k + '=N' for k in keys)}")
        values[key] = value
    # Values typed on the command line are text: parsed as numbers here, where the file must hold numbers.
    return prefix, validated(LimitsTable, values, where, strict=False).limits()


def resolve_limits(
    flag_concurrency: int | None,
    flag_rpm: float | None,
    flag_limits: Sequence[tuple[str, ProviderLimits]],
    config: CollectConfig,
) -> tuple[int | None, float | None, dict[str, ProviderLimits]]:
    """Run-wide concurrency and rpm (None = not set), and every provider's merged limits."""
    _check_flags(flag_concurrency, flag_rpm)
    concurrency = flag_concurrency if flag_concurrency is not None else config.concurrency
    rpm = flag_rpm if flag_rpm is not None else config.rpm
    run_wide = ProviderLimits(concurrency, rpm)
    merged: dict[str, ProviderLimits] = {}
    for prefix in {*DEFAULT_LIMITS, *config.limits, *(p for p, _ in flag_limits)}:
        user = _overlay(run_wide, config.limits.get(prefix, ProviderLimits()))
        for name, own in flag_limits:
            if name == prefix:
                user = _overlay(user, own)
        merged[prefix] = _overlay(DEFAULT_LIMITS.get(prefix, ProviderLimits()), user)
        # The account defaults describe the vendor's own API; the same prefix pointed elsewhere (a proxy,
        # a local server via ANTHROPIC_BASE_URL) gets only what the user set.
        merged[custom_endpoint_key(prefix)] = user
    return concurrency, rpm, merged


def engine_options(
    flag_concurrency: int | None,
    flag_rpm: float | None,
    provider_limits: Sequence[str],
    config: CollectConfig,
) -> EngineOptions:
    """The engine's limits from the flags (`--provider-limit` texts unparsed) and the config file."""
    own = [parse_provider_limit(text) for text in provider_limits]
    concurrency, rpm, limits = resolve_limits(flag_concurrency, flag_rpm, own, config)
    run_wide = DEFAULT_CONCURRENCY if concurrency is None else concurrency
    return EngineOptions(concurrency=run_wide, rpm=rpm, limits=limits)


def _overlay(base: ProviderLimits, top: ProviderLimits) -> ProviderLimits:
    """`base` with every field `top` sets."""
    return replace(
        base, **{f.name: getattr(top, f.name) for f in fields(top) if getattr(top, f.name) is not None}
    )


def _check_flags(concurrency: int | None, rpm: float | None) -> None:
    if concurrency is not None and concurrency < 1:
        raise InputError(f"--concurrency must be an integer at least 1, got {concurrency!r}")
    if concurrency is not None:
        check_at_most("--concurrency", concurrency, MAX_CONCURRENCY)
    if rpm is not None and not rpm > 0:  # `not >`: NaN is no rate either
        raise InputError(f"--rpm must be a positive number, got {rpm!r}")
    if rpm is not None and not math.isfinite(rpm):
        raise InputError(f"--rpm must be finite, got {rpm!r}")
