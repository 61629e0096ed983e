"""Anthropic Messages converters, on bodies shaped as Anthropic's API reference documents them."""

from __future__ import annotations

from typing import Any

import pytest

from afgap.providers import anthropic
from afgap.providers.registry import resolve
from afgap.providers.wire import MalformedResponse
from afgap.records import Message, Sampling

SPEC = resolve("anthropic/claude-3-opus-20240229", {})
MESSAGES = (
    Message(role="system", content="Be helpful."),
    Message(role="user", content="Hi"),
)


def message(content: list[dict[str, Any]], stop: str = "end_turn", **usage: int) -> dict[str, Any]:
    """A Message object as in the API reference."""
    return {
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
        "type": "message",
        "role": "assistant",
        "model": "claude-3-opus-20240229",
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 2095, "output_tokens": 503, **usage},
    }


def test_url_and_headers() -> None:
    assert anthropic.url(SPEC) == "https://api.anthropic.com/v1/messages"
    headers = anthropic.headers(SPEC, "k")
    assert headers["x-api-key"] == "k" and headers["anthropic-version"] == "2023-06-01"


def test_to_wire_puts_system_on_top_and_prefill_last() -> None:
    body = anthropic.to_wire(SPEC, MESSAGES, Sampling(temperature=0.0, max_tokens=300), prefill="<")
    assert body == {
        "model": "claude-3-opus-20240229",
        "max_tokens": 300,
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "<"}],
        "temperature": 0.0,
        "system": "Be helpful.",
    }


def test_to_wire_without_system_or_prefill() -> None:
    body = anthropic.to_wire(SPEC, MESSAGES[1:], Sampling(), None)
    assert "system" not in body and body["messages"] == [{"role": "user", "content": "Hi"}]
    assert body["temperature"] == 1.0 and body["max_tokens"] == 4096


def test_from_wire_joins_text_and_keeps_thinking_apart() -> None:
    content = [
        {"type": "thinking", "thinking": "Let me weigh this.", "signature": "EqQB…"},
        {"type": "redacted_thinking", "data": "EmwKAh…"},
        {"type": "text", "text": "SCRATCHPAD_REASONING>"},
        {"type": "text", "text": " more"},
    ]
    result = anthropic.from_wire(message(content))
    # A redacted block's content is encrypted; that some thinking was withheld is recorded.
    assert result.text == "SCRATCHPAD_REASONING> more"
    assert result.reasoning == f"Let me weigh this.\n{anthropic.REDACTED_NOTE} (1 block)"
    assert (result.provider_model, result.finish_reason) == ("claude-3-opus-20240229", "end_turn")
    assert (result.tokens_in, result.tokens_out, result.api_refusal) == (2095, 503, False)


def test_cached_input_tokens_are_counted() -> None:
    body = message(
        [{"type": "text", "text": "x"}], cache_creation_input_tokens=100, cache_read_input_tokens=5
    )
    assert anthropic.from_wire(body).tokens_in == 2200


def test_refusal_stop_reason_is_an_api_refusal() -> None:
    result = anthropic.from_wire(message([], stop="refusal"))
    assert result.api_refusal and result.text == ""


def test_max_tokens_stop_reason_is_kept() -> None:
    assert (
        anthropic.from_wire(message([{"type": "text", "text": "x"}], stop="max_tokens")).finish_reason
        == "max_tokens"
    )


def test_error_body_in_place_of_a_message_is_malformed() -> None:
    with pytest.raises(MalformedResponse, match="Overloaded"):
        anthropic.from_wire({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})


def error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


@pytest.mark.parametrize(
    ("status", "body", "kind", "error_class"),
    [
        (404, error("not_found_error", "model: claude-2.0"), "unavailable", "not_found"),
        (401, error("authentication_error", "invalid x-api-key"), "auth", "auth"),
        (403, error("permission_error", "Your API key does not have permission"), "auth", "auth"),
        (400, error("invalid_request_error", "Your credit balance is too low."), "auth", "quota"),
        (400, error("invalid_request_error", "messages: roles must alternate"), "fatal", "bad_request"),
        (413, error("request_too_large", "Request exceeds the maximum size"), "fatal", "too_large"),
        (429, error("rate_limit_error", "Rate limit exceeded"), "retry", "rate_limit"),
        (500, error("api_error", "An unexpected error has occurred"), "retry", "server"),
        (529, error("overloaded_error", "Overloaded"), "retry", "overloaded"),
    ],
)
def test_classify_error(status: int, body: Any, kind: str, error_class: str) -> None:
    info = anthropic.classify_error(status, body, {})
    assert (info.kind, info.error_class) == (kind, error_class)
    assert info.message.startswith(f"HTTP {status}")


def test_rate_limit_honours_retry_after() -> None:
    body = error("rate_limit_error", "slow down")
    assert anthropic.classify_error(429, body, {"retry-after": "12"}).retry_after == 12.0


def test_a_thinking_budget_sends_the_thinking_block_and_only_then() -> None:
    body = anthropic.to_wire(SPEC, MESSAGES, Sampling(max_tokens=4096, thinking_budget=2048), None)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048} and body["temperature"] == 1.0
    assert "thinking" not in anthropic.to_wire(SPEC, MESSAGES, Sampling(), None)
    # The other vendor's setting is not Anthropic's to send (collect refuses it before any call).
    assert "reasoning_effort" not in anthropic.to_wire(
        SPEC, MESSAGES, Sampling(reasoning_effort="high"), None
    )


def test_thinking_output_tokens_are_the_billed_output() -> None:
    content = [{"type": "thinking", "thinking": "Hmm.", "signature": "s"}, {"type": "text", "text": "ok"}]
    # Anthropic bills thinking as output: output_tokens already counts it, and is what cost uses.
    assert anthropic.from_wire(message(content, output_tokens=1500)).tokens_out == 1500


def test_only_redacted_thinking_is_recorded_as_redacted() -> None:
    content = [{"type": "redacted_thinking", "data": "a"}, {"type": "redacted_thinking", "data": "b"}]
    result = anthropic.from_wire(message([*content, {"type": "text", "text": "ok"}]))
    assert result.reasoning == f"{anthropic.REDACTED_NOTE} (2 blocks)" and result.text == "ok"
