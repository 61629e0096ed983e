"""OpenAI Chat Completions converters, on bodies shaped as OpenAI's API reference documents them."""

from __future__ import annotations

from typing import Any

import pytest

from afgap.providers import openai
from afgap.providers.registry import resolve
from afgap.providers.wire import MalformedResponse
from afgap.records import Message, Sampling

SPEC = resolve("openai/gpt-4o-2024-08-06", {})
MESSAGES = (Message(role="system", content="Be helpful."), Message(role="user", content="Hi"))


def completion(message: dict[str, Any], finish: str = "stop") -> dict[str, Any]:
    """A chat.completion object as in the API reference."""
    return {
        "id": "chatcmpl-123",
        "object": "chat.completion",
        "created": 1677652288,
        "model": "gpt-4o-2024-08-06",
        "system_fingerprint": "fp_44709d6fcb",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", **message},
                "logprobs": None,
                "finish_reason": finish,
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21},
    }


def test_url_and_headers() -> None:
    assert openai.url(SPEC) == "https://api.openai.com/v1/chat/completions"
    assert openai.headers(SPEC, "k")["authorization"] == "Bearer k"
    assert "authorization" not in openai.headers(SPEC, None)


def test_to_wire_keeps_system_as_a_message_and_sends_temperature_zero() -> None:
    body = openai.to_wire(SPEC, MESSAGES, Sampling(temperature=0.0, max_tokens=100), prefill="<")
    assert body == {
        "model": "gpt-4o-2024-08-06",
        "messages": [{"role": "system", "content": "Be helpful."}, {"role": "user", "content": "Hi"}],
        "temperature": 0.0,
        "max_completion_tokens": 100,
    }


def test_compatible_servers_get_max_tokens() -> None:
    spec = resolve("together/meta-llama/Llama-3-70b", {})
    body = openai.to_wire(spec, MESSAGES, Sampling(max_tokens=5), None)
    assert body["max_tokens"] == 5 and "max_completion_tokens" not in body
    assert body["model"] == "meta-llama/Llama-3-70b"


def test_from_wire_reads_text_model_finish_and_usage() -> None:
    result = openai.from_wire(completion({"content": "Hello there.", "refusal": None}))
    assert (result.text, result.provider_model, result.finish_reason) == (
        "Hello there.",
        "gpt-4o-2024-08-06",
        "stop",
    )
    assert (result.tokens_in, result.tokens_out, result.api_refusal, result.reasoning) == (9, 12, False, None)


@pytest.mark.parametrize(
    ("usage", "model", "tokens"),
    [
        ({"prompt_tokens": "9", "completion_tokens": -1}, 42, (None, None)),
        ({"prompt_tokens": 9.0, "completion_tokens": True}, None, (9, None)),
        ("not a mapping", {"id": 1}, (None, None)),
    ],
)
def test_odd_metadata_is_unknown_and_the_answer_is_kept(usage: Any, model: Any, tokens: Any) -> None:
    body = completion({"content": "Hello there."}, finish=7)  # type: ignore[arg-type]
    body.update(usage=usage, model=model)
    result = openai.from_wire(body)
    assert result.text == "Hello there." and (result.tokens_in, result.tokens_out) == tokens
    assert result.provider_model is None and result.finish_reason is None


def test_content_filter_is_an_api_refusal() -> None:
    result = openai.from_wire(completion({"content": None}, finish="content_filter"))
    assert result.api_refusal and result.text == ""


def test_refusal_field_is_an_api_refusal() -> None:
    result = openai.from_wire(completion({"content": None, "refusal": "I can't help with that."}))
    assert result.api_refusal and result.text == "I can't help with that."


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])  # DeepSeek/vLLM, OpenRouter
def test_reasoning_fields_are_kept_apart(field: str) -> None:
    result = openai.from_wire(completion({"content": "<OUTPUT>x</OUTPUT>", field: "thinking…"}))
    assert (result.text, result.reasoning) == ("<OUTPUT>x</OUTPUT>", "thinking…")


def test_list_content_parts_are_joined() -> None:
    result = openai.from_wire(
        completion({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]})
    )
    assert result.text == "ab"


@pytest.mark.parametrize(
    "body",
    [{}, {"choices": []}, {"error": {"message": "upstream failed", "code": 502}}],
)
def test_bodies_without_choices_are_malformed(body: dict[str, Any]) -> None:
    with pytest.raises(MalformedResponse):
        openai.from_wire(body)


def error(message: str, kind: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


@pytest.mark.parametrize(
    ("status", "body", "kind", "error_class"),
    [
        (
            404,
            error("The model `gpt-9` does not exist", "invalid_request_error", "model_not_found"),
            "unavailable",
            "not_found",
        ),
        (
            400,
            error("gpt-9 is not a valid model", "invalid_request_error", "model_not_found"),
            "unavailable",
            "not_found",
        ),
        (
            401,
            error("Incorrect API key provided: sk-abc***xyz.", "invalid_request_error", "invalid_api_key"),
            "auth",
            "auth",
        ),
        (403, error("Country not supported", "invalid_request_error", "unsupported_country"), "auth", "auth"),
        (
            429,
            error("You exceeded your current quota", "insufficient_quota", "insufficient_quota"),
            "auth",
            "quota",
        ),
        (400, error("Invalid 'messages'", "invalid_request_error", None), "fatal", "bad_request"),
        (422, {"detail": [{"msg": "field required"}]}, "fatal", "bad_request"),
        (429, error("Rate limit reached", "requests", "rate_limit_exceeded"), "retry", "rate_limit"),
        (500, error("The server had an error", "server_error", None), "retry", "server"),
        (502, "<html>Bad gateway</html>", "retry", "server"),
        (503, error("Slow down", "server_error", None), "retry", "server"),
        (408, None, "retry", "timeout"),
        (409, None, "retry", "conflict"),
    ],
)
def test_classify_error(status: int, body: Any, kind: str, error_class: str) -> None:
    info = openai.classify_error(status, body, {})
    assert (info.kind, info.error_class) == (kind, error_class)
    assert info.message.startswith(f"HTTP {status}") and "\n" not in info.message


def test_rate_limit_honours_retry_after_and_reset_hints() -> None:
    body = error("Rate limit reached", "requests", "rate_limit_exceeded")
    assert openai.classify_error(429, body, {"Retry-After": "7"}).retry_after == 7.0
    assert openai.classify_error(429, body, {"retry-after-ms": "250"}).retry_after == 0.25
    hints = {
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "1m6s",
        "x-ratelimit-remaining-tokens": "100",
        "x-ratelimit-reset-tokens": "20ms",
    }
    assert openai.classify_error(429, body, hints).retry_after == 66.0
    assert openai.classify_error(429, body, {}).retry_after is None


def test_reasoning_effort_is_sent_only_when_set() -> None:
    body = openai.to_wire(SPEC, MESSAGES, Sampling(reasoning_effort="high"), None)
    assert body["reasoning_effort"] == "high"
    assert "reasoning_effort" not in openai.to_wire(SPEC, MESSAGES, Sampling(), None)
    assert "thinking" not in openai.to_wire(SPEC, MESSAGES, Sampling(thinking_budget=2048), None)


def test_reasoning_tokens_are_inside_completion_tokens() -> None:
    body = completion({"role": "assistant", "content": "ok", "reasoning_content": "Hmm."})
    body["usage"] = {
        "prompt_tokens": 10,
        "completion_tokens": 900,
        "completion_tokens_details": {"reasoning_tokens": 880},
    }
    # OpenAI bills reasoning as output and counts it in completion_tokens: the cost's output count.
    result = openai.from_wire(body)
    assert (result.tokens_out, result.reasoning) == (900, "Hmm.")
