"""The completions wire and its document prompt: bodies in, Completions out, hostile replies survived."""

from __future__ import annotations

from typing import Any

import pytest

from afgap.errors import InputError, UnknownModelError
from afgap.providers import completions, document
from afgap.providers.registry import resolve, wire_format
from afgap.providers.wire import MalformedResponse
from afgap.records import Message, Sampling

SPEC = resolve("completions/vllm/meta-llama/Llama-3.1-405B", {})
MESSAGES = (
    Message(role="system", content="Be helpful."),
    Message(role="user", content="Hi"),
)


def reply(text: Any, finish: Any = "stop", stop_reason: Any = None, usage: Any = None) -> dict[str, Any]:
    """A text_completion object as OpenAI's and vLLM's references show it."""
    choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish, "stop_reason": stop_reason}
    return {
        "id": "cmpl-1",
        "object": "text_completion",
        "model": "meta-llama/Llama-3.1-405B",
        "choices": [choice],
        "usage": usage if usage is not None else {"prompt_tokens": 9, "completion_tokens": 3},
    }


def test_model_string_keeps_the_provider_and_switches_the_wire() -> None:
    assert (SPEC.provider, SPEC.api_model, SPEC.wire) == ("vllm", "meta-llama/Llama-3.1-405B", "completions")
    assert SPEC.model == "completions/vllm/meta-llama/Llama-3.1-405B"
    assert completions.url(SPEC) == "http://localhost:8000/v1/completions"
    assert wire_format(SPEC) is completions
    custom = resolve("completions/openai-api/lab/base", {"LAB_BASE_URL": "http://h:1/v1"})
    assert (custom.provider, custom.wire, custom.key_var) == ("openai-api/lab", "completions", "LAB_API_KEY")


@pytest.mark.parametrize("provider", ["anthropic", "google"])
def test_providers_without_a_completions_endpoint_are_refused(provider: str) -> None:
    with pytest.raises(InputError, match=f"^{provider} has no completions endpoint"):
        resolve(f"completions/{provider}/some-model", {})


def test_the_prefix_is_given_once() -> None:
    with pytest.raises(UnknownModelError, match="completions/ is given once"):
        resolve("completions/completions/vllm/m", {})


def test_to_wire_sends_the_document_its_stops_and_temperature_zero() -> None:
    body = completions.to_wire(
        SPEC, MESSAGES, Sampling(temperature=0.0, max_tokens=50), "<", "human-assistant"
    )
    assert body == {
        "model": "meta-llama/Llama-3.1-405B",
        "prompt": "Be helpful.\n\nHuman: Hi\n\nAssistant: <",
        "max_tokens": 50,
        "temperature": 0.0,
        "stop": ["\n\nHuman:", "</OUTPUT>"],
    }


def test_transcript_framing_states_the_system_prompt_as_preamble_and_ends_at_the_assistant() -> None:
    turns = (*MESSAGES, Message(role="assistant", content="<A>"), Message(role="user", content="<NEXT/>"))
    text = document.render(turns, "transcript", None)
    assert text.startswith(document.TRANSCRIPT_HEADER + "\n\n### Operator instructions\nBe helpful.")
    assert text.endswith("### User\nHi\n\n### Assistant\n<A>\n\n### User\n<NEXT/>\n\n### Assistant\n")
    assert len(document.stops("transcript")) <= 4  # OpenAI's limit


def test_unknown_framing_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown document framing"):
        document.render(MESSAGES, "chatml")


@pytest.mark.parametrize(
    ("text", "finish", "stop_reason", "expected"),
    [
        ("<OUTPUT>Sure", "stop", "</OUTPUT>", "<OUTPUT>Sure</OUTPUT>"),  # vLLM names the stop
        ("<OUTPUT>Sure", "stop", "\n\nHuman:", "<OUTPUT>Sure"),  # cut at another stop: nothing added
        ("<OUTPUT>Sure", "stop", None, "<OUTPUT>Sure</OUTPUT>"),  # OpenAI says only "stop"
        ("<OUTPUT>Sure", "length", None, "<OUTPUT>Sure"),  # truncated, not stopped
        ("<OUTPUT>a</OUTPUT> then", "stop", None, "<OUTPUT>a</OUTPUT> then"),  # already closed
        ("plain", "stop", 50256, "plain"),  # a stop token's id says nothing about the tag
    ],
)
def test_a_reply_cut_at_its_closing_tag_gets_it_back(
    text: str, finish: str, stop_reason: Any, expected: str
) -> None:
    got = completions.from_wire(reply(text, finish, stop_reason))
    assert got.text == expected and got.finish_reason == finish
    assert (got.tokens_in, got.tokens_out, got.provider_model) == (9, 3, "meta-llama/Llama-3.1-405B")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"choices": []},
        {"choices": ["x"]},
        {"choices": [{"text": None}]},
        {"choices": [{"text": 7}]},
        {"error": {"message": "boom"}},
    ],
)
def test_bodies_without_a_text_are_malformed(body: dict[str, Any]) -> None:
    with pytest.raises(MalformedResponse):
        completions.from_wire(body)


def test_hostile_fields_are_cleaned_or_read_as_unknown() -> None:
    usage = {"prompt_tokens": float("inf"), "completion_tokens": "7"}
    got = completions.from_wire(reply("a\x00b\ud800", finish=["odd"], stop_reason={"x": 1}, usage=usage))
    assert got.text == "a\ufffdb\ufffd"
    assert (got.finish_reason, got.tokens_in, got.tokens_out) == (None, None, None)
    assert completions.from_wire({**reply("x"), "usage": "none"}).tokens_in is None


def test_errors_are_classified_as_on_the_chat_wire() -> None:
    info = completions.classify_error(429, {"error": {"message": "slow down", "type": "requests"}}, {})
    assert info.kind == "retry"
    assert completions.classify_error(404, {"error": {"message": "no"}}, {}).kind == "unavailable"
