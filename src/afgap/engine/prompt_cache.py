"""Prompt caching: which calls reuse a cached system prompt, and how many tokens of it. Pure.

Every call of a scenario sends the same system prompt, so the providers that cache prompt prefixes bill
it in full once and at a fraction after that. Anthropic caches only what a request marks (`cache_control`,
sent when the spec's `cache_prompt` is on); OpenAI caches every prompt of 1024 tokens or more by itself,
in steps of 128 tokens. Neither caches a prefix shorter than its minimum, and neither changes the text
the model sees, which is why the mark is not part of the request hash.
"""

from __future__ import annotations

from typing import Literal

from afgap.records import CallPlan, ModelSpec

CacheKind = Literal["marked", "automatic"]

# The shortest prefix either provider caches; Anthropic's Haiku models need twice as much.
MIN_CACHED_TOKENS = 1024
MIN_CACHED_TOKENS_HAIKU = 2048
# OpenAI caches the longest previously seen prefix, rounded down to a multiple of this.
AUTOMATIC_STEP = 128
# The estimate's token rule (engine.pricing): characters / 4, plus a few for the message's framing.
_CHARS_PER_TOKEN = 4
_TOKENS_PER_MESSAGE = 4


def with_prompt_cache(spec: ModelSpec, on: bool) -> ModelSpec:
    """`spec` set to mark its system prompt cacheable, where its wire format has the mark (Anthropic)."""
    if spec.wire != "anthropic" or spec.cache_prompt == on:
        return spec
    return spec.model_copy(update={"cache_prompt": on})


def cache_kind(spec: ModelSpec) -> CacheKind | None:
    """How a model's provider caches the system prompt: when marked, by itself, or not (as far as known)."""
    if spec.wire == "anthropic":
        return "marked" if spec.cache_prompt else None
    return "automatic" if spec.wire == "openai" and spec.provider == "openai" else None


def cached_prefix(plan: CallPlan) -> tuple[str, int] | None:
    """The system prompt a plan's provider would cache and its estimated tokens; None if none would be."""
    kind = cache_kind(plan.spec)
    system = next((m.content for m in plan.messages if m.role == "system"), None)
    if kind is None or plan.document is not None or not system:
        return None
    tokens = len(system) // _CHARS_PER_TOKEN + _TOKENS_PER_MESSAGE
    if kind == "automatic":
        tokens -= tokens % AUTOMATIC_STEP
    haiku = kind == "marked" and "haiku" in plan.spec.api_model
    least = MIN_CACHED_TOKENS_HAIKU if haiku else MIN_CACHED_TOKENS
    return (system, tokens) if tokens >= least else None
