"""OpenAI Chat Completions wire format, spoken by OpenAI and every OpenAI-compatible endpoint.

Pure: builds request bodies and reads response bodies; the engine does the I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from afgap.providers import prefill as prefills
from afgap.providers.wire import (
    NOT_FOUND_CODES,
    ErrorInfo,
    classify_status,
    clean_text,
    error_fields,
    first_choice,
    one_line,
    optional_count,
    optional_text,
)
from afgap.records import Completion, Message, ModelSpec, Sampling

# Chat Completions has no prefill, but vLLM-style servers and OpenRouter continue a final assistant
# message; a prefill for any other provider is refused before collection (afgap.providers.prefill).
SUPPORTS_PREFILL = True
# The reasoning setting this format sends (records.Sampling): the `reasoning_effort` body field.
REASONING_SETTING: str | None = "reasoning_effort"


def url(spec: ModelSpec) -> str:
    """The endpoint: OpenAI-style base URLs include the version (`…/v1`)."""
    return f"{spec.base_url}/chat/completions"


def headers(spec: ModelSpec, key: str | None) -> dict[str, str]:
    """Request headers; no Authorization header at all when the endpoint needs no key."""
    out = {"content-type": "application/json"}
    if key:
        out["authorization"] = f"Bearer {key}"
    return out


def to_wire(
    spec: ModelSpec, messages: tuple[Message, ...], sampling: Sampling, prefill: str | None = None
) -> dict[str, Any]:
    """The request body; a prefill is a final assistant message the server is asked to continue."""
    # OpenAI deprecated max_tokens (its reasoning models reject it); compatible servers know only max_tokens.
    limit_field = "max_completion_tokens" if spec.provider == "openai" else "max_tokens"
    turns = [{"role": m.role, "content": m.content} for m in messages]
    style = prefills.chat_style(spec)
    # A server that cannot continue it would answer a prefill as a new turn: never sent (collect refuses it).
    prefill = prefill if style is not None else None
    if prefill:
        turns.append({"role": "assistant", "content": prefill})
    body: dict[str, Any] = {
        "model": spec.api_model,
        "messages": turns,
        "temperature": sampling.temperature,
        limit_field: sampling.max_tokens,
    }
    if sampling.reasoning_effort is not None:
        body["reasoning_effort"] = sampling.reasoning_effort
    if prefill and style == "continue":
        # vLLM's parameters: extend the last assistant message instead of opening a new one.
        body |= {"continue_final_message": True, "add_generation_prompt": False}
    return body


def from_wire(body: Mapping[str, Any]) -> Completion:
    """A Completion from a chat.completion body; content_filter or a refusal field is an API refusal."""
    choice = first_choice(body)
    message = choice.get("message") or {}
    refusal = message.get("refusal")
    finish = choice.get("finish_reason")
    # DeepSeek and vLLM use reasoning_content; OpenRouter uses reasoning.
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    usage = body.get("usage")
    if not isinstance(usage, Mapping):
        usage = {}
    return Completion(
        text=clean_text(_text(message.get("content")) or (refusal if isinstance(refusal, str) else "")),
        reasoning=clean_text(reasoning) if isinstance(reasoning, str) and reasoning else None,
        provider_model=optional_text(body.get("model")),
        finish_reason=optional_text(finish),
        tokens_in=optional_count(usage.get("prompt_tokens")),
        tokens_out=optional_count(usage.get("completion_tokens")),
        api_refusal=finish == "content_filter" or bool(refusal),
        # Automatic prompt caching: the part of prompt_tokens read from the cache (writes cost nothing extra).
        cache_read_tokens=_cached_tokens(usage),
    )


def _cached_tokens(usage: Mapping[str, Any]) -> int | None:
    details = usage.get("prompt_tokens_details")
    return optional_count(details.get("cached_tokens")) if isinstance(details, Mapping) else None


def _text(content: Any) -> str:
    """Message content as a string; some compatible servers send a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        # A part that is not a text part (or whose text is not a string) is skipped, not a lost reply.
        return "".join(
            p["text"] for p in content if isinstance(p, Mapping) and isinstance(p.get("text"), str)
        )
    return ""


def classify_error(status: int, body: Any, headers: Mapping[str, str]) -> ErrorInfo:
    """Retry, give up, unavailable or auth, from an OpenAI-style error response."""
    code, kind, message = error_fields(body)
    if code == "insufficient_quota":
        # A 429 that no wait will fix: the account is out of credit, so stop this provider like an auth error.
        return ErrorInfo("auth", None, one_line(f"HTTP {status}: {message}"), "quota")
    return classify_status(status, code if code in NOT_FOUND_CODES else kind, message, headers)
