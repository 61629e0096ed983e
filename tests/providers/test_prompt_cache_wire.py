"""Prompt caching on the wire: the Anthropic cache mark, and both formats' cached-token usage fields."""

from __future__ import annotations

from typing import Any

import pytest

from afgap.engine.plans import plan_calls
from afgap.engine.prompt_cache import with_prompt_cache
from afgap.providers import anthropic, openai
from afgap.providers.registry import resolve
from afgap.queries import load_queries
from afgap.records import Message, Sampling
from afgap.scenarios import load_scenario

ENV = {"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k"}
MESSAGES = (Message(role="system", content="You are careful."), Message(role="user", content="hi"))


def test_a_cacheable_spec_sends_the_same_system_text_as_one_marked_block() -> None:
    spec = resolve("anthropic/claude-3-5-sonnet-20241022", ENV)
    plain = anthropic.to_wire(spec, MESSAGES, Sampling())
    marked = anthropic.to_wire(with_prompt_cache(spec, True), MESSAGES, Sampling())
    assert plain["system"] == "You are careful."
    assert marked["system"] == [
        {"type": "text", "text": "You are careful.", "cache_control": {"type": "ephemeral"}}
    ]
    assert {k: v for k, v in marked.items() if k != "system"} == {
        k: v for k, v in plain.items() if k != "system"
    }


def test_the_cache_mark_is_only_for_anthropic_and_leaves_request_hashes_alone() -> None:
    spec = resolve("openai/gpt-4o-2024-11-20", ENV)
    assert with_prompt_cache(spec, True) is spec
    claude = resolve("anthropic/claude-3-5-sonnet-20241022", ENV)
    scenario, queries = load_scenario("helpful-only"), load_queries("builtin")[:3]

    def hashes(on: bool) -> list[str]:
        spec = with_prompt_cache(claude, on)
        return [p.plan.request_hash for p in plan_calls([spec], scenario, queries, 2, Sampling())]

    assert hashes(True) == hashes(False) and len(set(hashes(True))) == 12


def _anthropic_reply(usage: dict[str, Any]) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn", "usage": usage}


@pytest.mark.parametrize(
    ("usage", "tokens_in", "written", "read"),
    [
        ({"input_tokens": 50, "output_tokens": 5, "cache_creation_input_tokens": 1500}, 1550, 1500, None),
        (
            {
                "input_tokens": 50,
                "output_tokens": 5,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 1500,
            },
            1550,
            0,
            1500,
        ),
        ({"input_tokens": 50, "output_tokens": 5}, 50, None, None),
        ({"input_tokens": 50, "output_tokens": 5, "cache_read_input_tokens": "7"}, 50, None, None),
    ],
)
def test_anthropic_usage_keeps_cache_writes_and_reads_inside_tokens_in(
    usage: dict[str, Any], tokens_in: int, written: int | None, read: int | None
) -> None:
    completion = anthropic.from_wire(_anthropic_reply(usage))
    assert completion.tokens_in == tokens_in
    assert (completion.cache_write_tokens, completion.cache_read_tokens) == (written, read)


@pytest.mark.parametrize(
    ("details", "read"),
    [({"cached_tokens": 1280}, 1280), ({"cached_tokens": 0}, 0), ({"cached_tokens": -3}, None), (None, None)],
)
def test_openai_cached_tokens_are_the_read_part_of_prompt_tokens(details: Any, read: int | None) -> None:
    usage: dict[str, Any] = {"prompt_tokens": 1500, "completion_tokens": 9}
    if details is not None:
        usage["prompt_tokens_details"] = details
    body = {"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}], "usage": usage}
    completion = openai.from_wire(body)
    assert completion.tokens_in == 1500
    assert (completion.cache_write_tokens, completion.cache_read_tokens) == (None, read)
