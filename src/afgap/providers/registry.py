"""Model strings → ModelSpec (the Inspect AI grammar), key lookup, and lazy wire modules.

Nothing here imports httpx or a wire module at import time, so `afgap --help` stays fast.
"""

from __future__ import annotations

import importlib
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from afgap.errors import InputError, MissingKeyError, UnknownModelError
from afgap.records import ModelSpec

if TYPE_CHECKING:
    from afgap.providers import anthropic as _anthropic
    from afgap.providers import completions as _completions
    from afgap.providers import openai as _openai
    from afgap.providers.wire import WireFormat

    # mypy checks here that the wire modules satisfy the protocol; at run time they load lazily.
    _CONFORMS: tuple[WireFormat, ...] = (_openai, _anthropic, _completions)

Wire = Literal["openai", "anthropic"]

# `completions/<model string>`: the same provider's OpenAI-compatible completions endpoint, for base models.
COMPLETIONS_PREFIX = "completions"


@dataclass(frozen=True, slots=True)
class Provider:
    """One model-string prefix: its wire format, default base URL and environment variable names."""

    wire: Wire
    base_url: str
    key_var: str | None
    base_url_var: str | None
    key_required: bool = True
    key_fallbacks: tuple[str, ...] = ()
    completions: bool = True  # serves `POST {base}/completions` (base models)


PROVIDERS: dict[str, Provider] = {
    "openai": Provider("openai", "https://api.openai.com/v1", "OPENAI_API_KEY", "OPENAI_BASE_URL"),
    # Anthropic's base URL has no version: requests go to {base}/v1/messages, as in its SDK.
    "anthropic": Provider(
        "anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", completions=False
    ),
    "openrouter": Provider(
        "openai", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "OPENROUTER_BASE_URL"
    ),
    "together": Provider("openai", "https://api.together.xyz/v1", "TOGETHER_API_KEY", "TOGETHER_BASE_URL"),
    # Gemini's OpenAI-compatible endpoint; Google documents GEMINI_API_KEY, its SDK also reads GOOGLE_API_KEY.
    "google": Provider(
        "openai",
        "https://generativelanguage.googleapis.com/v1beta/openai",
        "GEMINI_API_KEY",
        "GOOGLE_BASE_URL",
        key_fallbacks=("GOOGLE_API_KEY",),
        completions=False,
    ),
    "vllm": Provider(
        "openai", "http://localhost:8000/v1", "VLLM_API_KEY", "VLLM_BASE_URL", key_required=False
    ),
    "ollama": Provider("openai", "http://localhost:11434/v1", None, "OLLAMA_BASE_URL", key_required=False),
}

# Prefixes with their own grammar, listed in error messages beside PROVIDERS.
SPECIAL_PREFIXES = ("openai-api/<name>", "sim", "completions/<model string>")

_WIRE_MODULES: dict[str, str] = {
    "openai": "afgap.providers.openai",
    "anthropic": "afgap.providers.anthropic",
    "completions": "afgap.providers.completions",
}

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def known_prefixes() -> list[str]:
    """Every prefix a model string may start with, for help and error messages."""
    return [*PROVIDERS, *SPECIAL_PREFIXES]


def resolve(model: str, env: Mapping[str, str]) -> ModelSpec:
    """Resolve a model string like `openai/gpt-4o` to where and how to call it; keys are not read here."""
    prefix, _, rest = model.partition("/")
    if not rest or not prefix or model != model.strip() or any(c.isspace() for c in model):
        raise _unknown(model, "expected provider/model")
    if prefix == COMPLETIONS_PREFIX:
        return _resolve_completions(model, rest, env)
    if prefix == "sim":
        # The simulator's address is only known once it is started: see bind_simulator().
        return ModelSpec(
            model=model, provider="sim", api_model=rest, wire="openai", base_url="", simulated=True
        )
    if prefix == "openai-api":
        return _resolve_openai_api(model, rest, env)
    provider = PROVIDERS.get(prefix)
    if provider is None:
        raise _unknown(model, f"unknown provider {prefix!r}")
    base = env.get(provider.base_url_var or "") or provider.base_url
    _check_base(provider.base_url_var or "", base)
    return ModelSpec(
        model=model,
        provider=prefix,
        api_model=rest,
        wire=provider.wire,
        base_url=base.rstrip("/"),
        key_var=_key_var(provider, env),
        base_url_var=provider.base_url_var,
    )


def _resolve_openai_api(model: str, rest: str, env: Mapping[str, str]) -> ModelSpec:
    """`openai-api/<name>/<model>`: an OpenAI-compatible endpoint from <NAME>_BASE_URL, <NAME>_API_KEY."""
    name, _, api_model = rest.partition("/")
    if not api_model or not _NAME.fullmatch(name):
        raise _unknown(model, "expected openai-api/<name>/<model>")
    stem = name.upper().replace("-", "_")
    base_var, key_var = f"{stem}_BASE_URL", f"{stem}_API_KEY"
    base = env.get(base_var)
    if not base:
        raise MissingKeyError(
            f"model {model!r} needs its endpoint: set {base_var} (e.g. http://host:8000/v1)"
        )
    _check_base(base_var, base)
    return ModelSpec(
        model=model,
        provider=f"openai-api/{name}",
        api_model=api_model,
        wire="openai",
        base_url=base.rstrip("/"),
        key_var=key_var,
        base_url_var=base_var,
    )


def _resolve_completions(model: str, rest: str, env: Mapping[str, str]) -> ModelSpec:
    """`completions/<model string>`: that model through its provider's completions endpoint."""
    if rest.partition("/")[0] == COMPLETIONS_PREFIX:
        raise _unknown(model, "completions/ is given once")
    chat = resolve(rest, env)
    provider = PROVIDERS.get(chat.provider)
    if provider is not None and not provider.completions:
        able = ", ".join(name for name, p in PROVIDERS.items() if p.completions)
        raise InputError(
            f"{chat.provider} has no completions endpoint for {model!r}; "
            f"completions/ works with {able}, openai-api/<name> and sim"
        )
    return chat.model_copy(update={"model": model, "wire": "completions"})


def _check_base(var: str, base: str) -> None:
    """Refuse credentials in a base URL: they would be logged and stored with it. Never echo the value."""
    if "@" in urllib.parse.urlsplit(base).netloc:
        raise InputError(
            f"{var} must not contain credentials (user:password@); put the key in the key variable"
        )


def _key_var(provider: Provider, env: Mapping[str, str]) -> str | None:
    """The key variable to read: the primary one, unless only a documented fallback is set."""
    if provider.key_var is None or env.get(provider.key_var):
        return provider.key_var
    return next((var for var in provider.key_fallbacks if env.get(var)), provider.key_var)


def bind_simulator(spec: ModelSpec, server_url: str) -> ModelSpec:
    """A `sim/…` spec pointed at a running simulator (`http://127.0.0.1:PORT`, no /v1)."""
    return spec.model_copy(update={"base_url": f"{server_url.rstrip('/')}/v1"})


def api_key(spec: ModelSpec, env: Mapping[str, str]) -> str | None:
    """The API key for `spec` from `env`; raises MissingKeyError naming the variable (never a value)."""
    if spec.key_var is None:
        return None
    key = env.get(spec.key_var) or None
    if key is None and _key_required(spec):
        provider = PROVIDERS.get(spec.provider)
        also = f" (or {', '.join(provider.key_fallbacks)})" if provider and provider.key_fallbacks else ""
        raise MissingKeyError(f"no API key for {spec.model}: set {spec.key_var}{also}")
    return key


def _key_required(spec: ModelSpec) -> bool:
    provider = PROVIDERS.get(spec.provider)
    return provider.key_required if provider is not None else not spec.simulated


def is_vendor_endpoint(spec: ModelSpec) -> bool:
    """Whether spec talks to its provider's own default base URL (where account rate limits apply)."""
    provider = PROVIDERS.get(spec.provider)
    return provider is not None and spec.base_url.rstrip("/") == provider.base_url.rstrip("/")


def wire_format(spec: ModelSpec) -> WireFormat:
    """The wire module for a spec, imported on first use."""
    module: WireFormat = importlib.import_module(_WIRE_MODULES[spec.wire])
    return module


def _unknown(model: str, why: str) -> UnknownModelError:
    return UnknownModelError(
        f"unknown model string {model!r} ({why}); known prefixes: {', '.join(known_prefixes())}"
    )
