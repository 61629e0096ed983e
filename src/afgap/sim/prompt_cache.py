"""The simulator's prompt cache: usage fields that report cached tokens the way each vendor does.

Anthropic caches a system prompt marked with `cache_control`: the first request with it (per model)
writes it (`cache_creation_input_tokens`), later ones read it (`cache_read_input_tokens`), and
`input_tokens` counts only the rest. OpenAI caches by itself: a prompt of 1024 tokens or more whose
system prompt it has seen reports that prefix, in steps of 128 tokens, as
`prompt_tokens_details.cached_tokens`, inside `prompt_tokens`. Entries never expire here (a simulator
run is far shorter than the vendors' five minutes).
"""

from __future__ import annotations

import hashlib
from typing import Any

from afgap.sim.organisms import Wire, estimate_tokens, organism_name
from afgap.sim.shapes import ChatRequest

# The vendors' shortest cached prefix (Anthropic's Haiku models: twice that) and OpenAI's step.
MIN_TOKENS = 1024
MIN_TOKENS_HAIKU = 2048
OPENAI_STEP = 128
# Forget every entry past this many, so a long `sim serve` stays bounded (a cleared entry is written again).
_MAX_ENTRIES = 100_000


class PromptCache:
    """Which (wire, model, system prompt) the simulator has seen; not thread-safe (one event loop)."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str, str]] = set()

    def clear(self) -> None:
        """Forget every cached prompt."""
        self._seen.clear()

    def usage(self, wire: Wire, chat: ChatRequest, usage: dict[str, Any]) -> dict[str, Any]:
        """`usage` of a successful reply to `chat`, with the cache fields the vendor would send."""
        tokens, hit = self._lookup(wire, chat)
        if wire == "anthropic":
            written, read = (0, tokens) if hit else (tokens, 0)
            return {
                **usage,
                "input_tokens": max(usage["input_tokens"] - written - read, 0),
                "cache_creation_input_tokens": written,
                "cache_read_input_tokens": read,
            }
        cached = tokens - tokens % OPENAI_STEP if hit and usage["prompt_tokens"] >= MIN_TOKENS else 0
        return {**usage, "prompt_tokens_details": {"cached_tokens": cached}}

    def _lookup(self, wire: Wire, chat: ChatRequest) -> tuple[int, bool]:
        """(tokens of the cacheable prefix, whether it was cached before); (0, False) if too short."""
        if chat.cacheable is None:
            return 0, False
        tokens = estimate_tokens(chat.cacheable) + 3  # as the organisms count a message
        haiku = wire == "anthropic" and "haiku" in chat.model
        if tokens < (MIN_TOKENS_HAIKU if haiku else MIN_TOKENS):
            return 0, False
        key = (wire, organism_name(chat.model), hashlib.sha256(chat.cacheable.encode()).hexdigest())
        if key in self._seen:
            return tokens, True
        if len(self._seen) >= _MAX_ENTRIES:
            self._seen.clear()
        self._seen.add(key)
        return tokens, False
