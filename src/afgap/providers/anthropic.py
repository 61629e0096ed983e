"""Anthropic Messages wire format.

Pure: builds request bodies and reads response bodies; the engine does the I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from afgap.providers.wire import (
    ErrorInfo,
    MalformedResponse,
    classify_status,
    clean_text,
    error_fields,
    one_line,
    optional_count,
    optional_text,
)
from afgap.records import Completion, Message, ModelSpec, Sampling

API_VERSION = "2023-06-01"

# Stored as (part of) the reasoning of a reply whose thinking the provider redacted.
REDACTED_NOTE = "[redacted thinking: withheld by the provider]"

# Messages continues a final assistant message, so a scenario's prefill (e.g. "<") is sent.
SUPPORTS_PREFILL = True
# The reasoning setting this format sends (records.Sampling): extended thinking's token budget.
REASONING_SETTING: str | None = "thinking_budget"


def url(spec: ModelSpec) -> str:
    """The endpoint: ANTHROPIC_BASE_URL has no version, the path carries it."""
    return f"{spec.base_url}/v1/messages"


def headers(spec: ModelSpec, key: str | None) -> dict[str, str]:
    """Request headers: x-api-key and the pinned API version."""
    out = {"content-type": "application/json", "anthropic-version": API_VERSION}
    if key:
        out["x-api-key"] = key
    return out


def to_wire(
    spec: ModelSpec, messages: tuple[Message, ...], sampling: Sampling, prefill: str | None = None
) -> dict[str, Any]:
    """The request body: system at top level, max_tokens always, prefill as a final assistant turn."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    turns = [{"role": m.role, "content": m.content} for m in messages if m.role != "system"]
    if prefill:
        turns.append({"role": "assistant", "content": prefill})
    body: dict[str, Any] = {
        "model": spec.api_model,
        "max_tokens": sampling.max_tokens,
        "messages": turns,
        # Always sent, 0.0 included: the API default is 1.0, so omitting 0.0 would change the experiment.
        "temperature": sampling.temperature,
    }
    if system:
        body["system"] = _cacheable(system) if spec.cache_prompt else system
    if sampling.thinking_budget is not None:
        # The API takes only temperature 1 and no prefill with thinking; collect checks both before sending.
        body["thinking"] = {"type": "enabled", "budget_tokens": sampling.thinking_budget}
    return body


def from_wire(body: Mapping[str, Any]) -> Completion:
    """A Completion from a Messages body: text blocks joined, thinking blocks as reasoning."""
    content = body.get("content")
    if not isinstance(content, list):
        _, _, reason = error_fields(body) if "error" in body else (None, None, "no content in response")
        raise MalformedResponse(reason or "no content in response")
    text = _joined(content, "text", "")
    thinking = "\n".join(part for part in (_joined(content, "thinking", "\n"), _redacted(content)) if part)
    usage = body.get("usage")
    if not isinstance(usage, Mapping):
        usage = {}
    tokens_in = optional_count(usage.get("input_tokens"))
    written = optional_count(usage.get("cache_creation_input_tokens"))
    read = optional_count(usage.get("cache_read_input_tokens"))
    if tokens_in is not None:
        # Cached prompt tokens are billed and counted separately from input_tokens.
        tokens_in += (written or 0) + (read or 0)
    return Completion(
        text=clean_text(text),
        reasoning=clean_text(thinking) or None,
        provider_model=optional_text(body.get("model")),
        finish_reason=optional_text(body.get("stop_reason")),
        tokens_in=tokens_in,
        tokens_out=optional_count(usage.get("output_tokens")),
        api_refusal=body.get("stop_reason") == "refusal",
        cache_write_tokens=written,
        cache_read_tokens=read,
    )


def _cacheable(system: str) -> list[dict[str, Any]]:
    """The system prompt as one text block marked for the 5-minute prompt cache: the model sees the same."""
    return [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}]


def _joined(content: list[Any], kind: str, sep: str) -> str:
    """The `kind` blocks' strings joined; an odd block (wrong type, a non-string field) is skipped."""
    parts = (b.get(kind) for b in content if isinstance(b, Mapping) and b.get("type") == kind)
    return sep.join(p for p in parts if isinstance(p, str))


def _redacted(content: list[Any]) -> str:
    """A note of the thinking the provider withheld (encrypted `redacted_thinking` blocks): it was there."""
    count = sum(1 for b in content if isinstance(b, Mapping) and b.get("type") == "redacted_thinking")
    return f"{REDACTED_NOTE} ({count} block{'s' if count > 1 else ''})" if count else ""


def classify_error(status: int, body: Any, headers: Mapping[str, str]) -> ErrorInfo:
    """Retry, give up, unavailable or auth, from an Anthropic error response."""
    _, kind, message = error_fields(body)
    if status == 400 and "credit balance" in message.lower():
        # No retry fixes an empty account: stop this provider like an auth error.
        return ErrorInfo("auth", None, one_line(f"HTTP {status}: {message}"), "quota")
    return classify_status(status, kind, message, headers)
