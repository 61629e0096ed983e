"""Collection limits and budget from the command line and a TOML config file, merged in one place.

Precedence, most specific first: a provider's own limit (`--provider-limit`, then `[limits.PREFIX]` in the
config file), then the run-wide flag (`--concurrency`, `--rpm`, then `[collect]`), then afgap's per-provider
default for real accounts (providers.pools.DEFAULT_LIMITS), then DEFAULT_CONCURRENCY.

    [collect]
    concurrency = 32
    rpm = 600
    max_cost = 25.0          # USD
    prices = "prices.toml"   # relative to this file

    [limits.anthropic]
    concurrency = 8
    rpm = 50
    tpm = 40000
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from afgap.errors import InputError
from afgap.providers.limits import DEFAULT_LIMITS, ProviderLimits, custom_endpoint_key

CONFIG_ENV = "AFGAP_CONFIG"
_LIMIT_KEYS = ("concurrency", "rpm", "tpm")
_COLLECT_KEYS = ("concurrency", "rpm", "max_cost", "prices")


@dataclass(frozen=True)
class CollectConfig:
    """What a config file says about collection (every field optional)."""

    concurrency: int | None = None
    rpm: float | None = None
    max_cost: float | None = None
    prices: Path | None = None
    limits: Mapping[str, ProviderLimits] = field(default_factory=dict)


def config_path(flag: Path | None, env: Mapping[str, str] | None = None) -> Path | None:
    """--config, else $AFGAP_CONFIG, else no file."""
    env = os.environ if env is None else env
    value = flag or env.get(CONFIG_ENV)
    return Path(value) if value else None


def load_config(path: Path | None) -> CollectConfig:
    """Parse the config file; InputError naming the file and the bad key."""
    if path is None:
        return CollectConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"config file {path} is not valid TOML: {exc}") from None
    unknown = set(data) - {"collect", "limits"}
    if unknown:
        raise InputError(
            f"config file {path}: unknown section(s) {sorted(unknown)}; expected [collect], [limits.*]"
        )
    collect = _table(data.get("collect", {}), _COLLECT_KEYS, f"{path} [collect]")
    limits = {
        prefix: _limits(_table(value, _LIMIT_KEYS, f"{path} [limits.{prefix}]"), f"{path} [limits.{prefix}]")
        for prefix, value in _table(data.get("limits", {}), None, f"{path} [limits]").items()
    }
    prices = collect.get("prices")
    if prices is not None and not isinstance(prices, str):
        raise InputError(f"config file {path} [collect]: prices must be a file path, got {prices!r}")
    return CollectConfig(
        concurrency=_number(collect.get("concurrency"), f"{path} [collect] concurrency", integer=True),
        rpm=_number(collect.get("rpm"), f"{path} [collect] rpm"),
        max_cost=_number(collect.get("max_cost"), f"{path} [collect] max_cost", zero_ok=True),
        prices=(path.parent / prices) if prices else None,
        limits=limits,
    )


def parse_provider_limit(text: str) -> tuple[str, ProviderLimits]:
    """`anthropic:concurrency=8,rpm=50,tpm=40000` → ("anthropic", ProviderLimits(8, 50, 40000))."""
    prefix, sep, rest = text.partition(":")
    where = f"--provider-limit {text!r}"
    if not sep or not prefix or not rest:
        raise InputError(
            f"{where}: expected PROVIDER:KEY=VALUE[,KEY=VALUE] (e.g. anthropic:concurrency=8,rpm=50)"
        )
    values: dict[str, str] = {}
    for item in rest.split(","):
        key, eq, value = (part.strip() for part in item.partition("="))
        if not eq or key not in _LIMIT_KEYS:
            raise InputError(f"{where}: {item!r} is not one of {', '.join(k + '=N' for k in _LIMIT_KEYS)}")
        values[key] = value
    return prefix, _limits(values, where)


def resolve_limits(
    flag_concurrency: int | None,
    flag_rpm: float | None,
    flag_limits: Sequence[tuple[str, ProviderLimits]],
    config: CollectConfig,
) -> tuple[int | None, float | None, dict[str, ProviderLimits]]:
    """Run-wide concurrency and rpm (None = not set), and every provider's merged limits."""
    _number(flag_concurrency, "--concurrency", integer=True)
    _number(flag_rpm, "--rpm")
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


def _overlay(base: ProviderLimits, top: ProviderLimits) -> ProviderLimits:
    """`base` with every field `top` sets."""
    return replace(
        base, **{f.name: getattr(top, f.name) for f in fields(top) if getattr(top, f.name) is not None}
    )


def _table(value: Any, allowed: Sequence[str] | None, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(f"config file {where} must be a table, got {value!r}")
    unknown = set(value) - set(allowed) if allowed is not None else set()
    if unknown:
        raise InputError(
            f"config file {where}: unknown key(s) {sorted(unknown)}; expected {', '.join(allowed or ())}"
        )
    return value


def _limits(values: Mapping[str, Any], where: str) -> ProviderLimits:
    return ProviderLimits(
        concurrency=_number(values.get("concurrency"), f"{where} concurrency", integer=True),
        rpm=_number(values.get("rpm"), f"{where} rpm"),
        tpm=_number(values.get("tpm"), f"{where} tpm"),
    )


def _number(value: Any, where: str, *, integer: bool = False, zero_ok: bool = False) -> Any:
    """A positive number (or None); strings from the command line are parsed here."""
    if value is None:
        return None
    try:
        number = (int(value) if integer else float(value)) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if integer:
        wanted = "an integer at least 0" if zero_ok else "an integer at least 1"
    else:
        wanted = "a number at least 0" if zero_ok else "a positive number"
    if number is None or number != number or number < 0 or (number == 0 and not zero_ok):
        raise InputError(f"{where} must be {wanted}, got {value!r}")
    return number
