"""Prefill on OpenAI-compatible chat servers: who continues an assistant turn, and how they are asked."""

from __future__ import annotations

import pytest

from afgap.errors import InputError
from afgap.providers import openai, prefill
from afgap.providers.registry import resolve
from afgap.records import Message, Sampling

MESSAGES = (Message(role="user", content="Hi"),)
ENV = {"LAB_BASE_URL": "http://h:1/v1"}


def test_vllm_style_servers_get_the_assistant_message_and_the_continue_flags() -> None:
    for model in ("vllm/m", "openai-api/lab/m", "sim/faker"):
        body = openai.to_wire(resolve(model, ENV), MESSAGES, Sampling(), "<")
        assert body["messages"][-1] == {"role": "assistant", "content": "<"}
        assert body["continue_final_message"] is True and body["add_generation_prompt"] is False


def test_openrouter_continues_a_final_assistant_message_without_extra_fields() -> None:
    body = openai.to_wire(resolve("openrouter/meta-llama/llama-3.1-405b", {}), MESSAGES, Sampling(), "<")
    assert body["messages"][-1] == {"role": "assistant", "content": "<"}
    assert "continue_final_message" not in body


def test_no_prefill_leaves_the_body_as_before() -> None:
    body = openai.to_wire(resolve("vllm/m", {}), MESSAGES, Sampling(), None)
    assert set(body) == {"model", "messages", "temperature", "max_tokens"}


@pytest.mark.parametrize("model", ["openai/gpt-4o", "google/gemini-2.0-flash", "together/x/y", "ollama/l"])
def test_servers_without_support_are_refused_in_one_line(model: str) -> None:
    spec = resolve(model, {})
    with pytest.raises(InputError) as caught:
        prefill.check(spec, "<")
    message = str(caught.value)
    assert message.startswith(f"{spec.provider} cannot continue a prefilled assistant turn; remove")
    assert "\n" not in message and "vllm" in message
    prefill.check(spec, None)  # no prefill: nothing to refuse
    # and the body never carries one, whoever builds it
    assert len(openai.to_wire(spec, MESSAGES, Sampling(), "<")["messages"]) == 1


def test_other_wires_are_not_this_check_s_business() -> None:
    prefill.check(resolve("anthropic/claude", {}), "<")
    prefill.check(resolve("completions/together/x/y", {}), "<")
