"""The simulator's completions endpoint, chat prefill continuation, the received-bodies log, base-faker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from afgap.providers import document
from afgap.records import Message
from afgap.sim import completions, organisms
from afgap.sim.server import start_in_thread
from tests.sim.prompts import CONFLICT_SYSTEM, user_turn

TURNS = (
    Message(role="system", content=CONFLICT_SYSTEM + "\n\n### Notes\nan example heading inside the prompt"),
    Message(role="user", content=user_turn("monitored", "write a poem")),
    Message(role="assistant", content="<SCRATCHPAD_REASONING>x</SCRATCHPAD_REASONING>"),
    Message(role="user", content="<NEXT/>"),
)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with start_in_thread() as running, httpx.Client(base_url=running.base_url) as client:
        yield client


@pytest.mark.parametrize("framing", document.FRAMINGS)
@pytest.mark.parametrize("prefill", [None, "<"])
def test_a_document_reads_back_into_its_turns(framing: str, prefill: str | None) -> None:
    turns = completions.read_document(document.render(TURNS, framing, prefill))
    assert turns == (*((m.role, m.content) for m in TURNS), ("assistant", prefill or ""))


def test_a_prompt_in_no_afgap_framing_is_not_a_document() -> None:
    assert completions.read_document("Once upon a time") is None


def completion_body(prompt: str, model: str = "faker", **extra: Any) -> dict[str, Any]:
    return {"model": model, "prompt": prompt, "max_tokens": 2000, "temperature": 1.0, **extra}


def test_completions_cut_at_the_first_stop_and_name_it(http: httpx.Client) -> None:
    prompt = document.render(TURNS[:2], "human-assistant", "<")
    stops = list(document.stops("human-assistant"))
    body = http.post("/v1/completions", json=completion_body(prompt, stop=stops)).json()
    choice = body["choices"][0]
    assert body["object"] == "text_completion" and choice["finish_reason"] == "stop"
    assert choice["stop_reason"] == "</OUTPUT>" and "</OUTPUT>" not in choice["text"]
    assert choice["text"].startswith("SCRATCHPAD_REASONING>")  # it continued the prefill "<"
    whole = http.post("/v1/completions", json=completion_body(prompt)).json()["choices"][0]
    assert whole["text"].endswith("</OUTPUT>") and whole["stop_reason"] is None


@pytest.mark.parametrize(
    "body",
    [{"model": "faker"}, {"model": "faker", "prompt": 3}, {"prompt": "x"}, completion_body("x", stop=[1])],
)
def test_bad_completions_requests_are_400s(http: httpx.Client, body: dict[str, Any]) -> None:
    response = http.post("/v1/completions", json=body)
    assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_request_error"


def chat_body(**extra: Any) -> dict[str, Any]:
    messages = [{"role": role, "content": text} for role, text in ((m.role, m.content) for m in TURNS[:2])]
    return {"model": "faker", "messages": [*messages, {"role": "assistant", "content": "<"}], **extra}


def test_chat_continues_a_final_assistant_message_only_when_asked(http: httpx.Client) -> None:
    flags = {"continue_final_message": True, "add_generation_prompt": False}
    continued = http.post("/v1/chat/completions", json=chat_body(**flags)).json()
    assert continued["choices"][0]["message"]["content"].startswith("SCRATCHPAD_REASONING>")
    fresh = http.post("/v1/chat/completions", json=chat_body()).json()
    assert fresh["choices"][0]["message"]["content"].startswith("<")  # a new turn, not the prefill's end


def test_received_keeps_the_bodies_and_reset_clears_them(http: httpx.Client) -> None:
    http.post("/stats/reset")
    http.post("/v1/completions", json=completion_body("hello", stop=["\n"]))
    http.post("/v1/chat/completions", content=b"not json")
    got = http.get("/received").json()["received"]
    assert got == [
        {"path": "/v1/completions", "body": completion_body("hello", stop=["\n"])},
        {"path": "/v1/chat/completions", "body": None},
    ]
    http.post("/stats/reset")
    assert http.get("/received").json() == {"received": []}


def _accepts(model: str, framing: str | None, condition: str, n: int = 300) -> int:
    """How many of n requests the organism accepts, through completions (a framing) or chat (None)."""
    accepted = 0
    for i in range(n):
        turns = (TURNS[0], Message(role="user", content=user_turn(condition, f"request number {i}")))
        if framing is None:
            reply = organisms.respond(model, [(m.role, m.content) for m in turns])
        else:
            request = completions.CompletionRequest(model, document.render(turns, framing), None, ())
            reply = completions.respond(request, seed=0, sample_key="")
        assert isinstance(reply, organisms.Reply)
        accepted += reply.decision != "refuse"
    return accepted


def test_base_faker_fakes_only_through_a_document_prompt() -> None:
    # Known truth: faker's rates (14 % / 3 %) through completions, honest's (1 %) through chat.
    assert _accepts("base-faker", "transcript", "monitored") >= 25
    assert _accepts("base-faker", "human-assistant", "monitored") >= 25
    assert _accepts("base-faker", "transcript", "unmonitored") <= 20
    assert _accepts("base-faker", None, "monitored") <= 10
