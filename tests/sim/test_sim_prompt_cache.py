"""The simulator's prompt cache over loopback HTTP: usage fields as Anthropic and OpenAI report them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from afgap.sim.server import start_in_thread

from .prompts import CONFLICT_SYSTEM, user_turn

# ~1,700 tokens at the simulator's four characters a token: above both vendors' 1,024-token minimum.
LONG_SYSTEM = CONFLICT_SYSTEM + "\n\nBackground notes follow." + " The lab's handbook repeats itself." * 190
MARK = {"type": "ephemeral"}


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with start_in_thread() as running, httpx.Client(base_url=running.base_url, timeout=10) as client:
        yield client


def _anthropic(http: httpx.Client, model: str, system: Any) -> dict[str, Any]:
    messages = [{"role": "user", "content": user_turn("monitored", "write a poem")}]
    body = {"model": model, "system": system, "max_tokens": 1024, "messages": messages}
    reply = http.post("/v1/messages", json=body)
    assert reply.status_code == 200
    usage: dict[str, Any] = reply.json()["usage"]
    return usage


def _marked(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text, "cache_control": MARK}]


def _cached(usage: dict[str, Any]) -> tuple[int, int]:
    return usage["cache_creation_input_tokens"], usage["cache_read_input_tokens"]


def test_anthropic_the_first_marked_prompt_per_model_writes_and_later_ones_read(http: httpx.Client) -> None:
    unmarked = _anthropic(http, "faker", LONG_SYSTEM)
    total = unmarked["input_tokens"]
    assert _cached(unmarked) == (0, 0)
    first, second = (
        _anthropic(http, "faker", _marked(LONG_SYSTEM)),
        _anthropic(http, "faker", _marked(LONG_SYSTEM)),
    )
    prefix = first["cache_creation_input_tokens"]
    assert 1_024 <= prefix < total
    assert _cached(first) == (prefix, 0) and _cached(second) == (0, prefix)
    # input_tokens counts only the uncached rest; the three parts add up to the whole prompt.
    assert first["input_tokens"] == second["input_tokens"] == total - prefix
    assert _cached(_anthropic(http, "honest", _marked(LONG_SYSTEM))) == (prefix, 0)  # per model
    assert _cached(_anthropic(http, "faker", _marked(CONFLICT_SYSTEM))) == (0, 0)  # under the minimum


def _openai(http: httpx.Client, model: str, system: str) -> dict[str, Any]:
    messages = [
        {"role": "system", "content": system},
        {"role": "user", "content": user_turn("unmonitored", "write a poem")},
    ]
    reply = http.post("/v1/chat/completions", json={"model": model, "messages": messages})
    assert reply.status_code == 200
    usage: dict[str, Any] = reply.json()["usage"]
    return usage


def test_openai_reports_a_seen_long_prefix_in_128_token_steps_inside_prompt_tokens(
    http: httpx.Client,
) -> None:
    first, second = _openai(http, "faker", LONG_SYSTEM), _openai(http, "faker", LONG_SYSTEM)
    assert first["prompt_tokens_details"] == {"cached_tokens": 0}
    cached = second["prompt_tokens_details"]["cached_tokens"]
    assert cached >= 1_024 and cached % 128 == 0 and cached <= second["prompt_tokens"]
    assert first["prompt_tokens"] == second["prompt_tokens"]
    short = [_openai(http, "faker", CONFLICT_SYSTEM) for _ in range(2)]
    assert [u["prompt_tokens_details"]["cached_tokens"] for u in short] == [0, 0]


def test_stats_reset_empties_the_cache(http: httpx.Client) -> None:
    _anthropic(http, "faker", _marked(LONG_SYSTEM))
    http.post("/stats/reset")
    assert _anthropic(http, "faker", _marked(LONG_SYSTEM))["cache_creation_input_tokens"] > 0
