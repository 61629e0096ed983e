"""Hostile replies at the wire boundary: lone surrogates, NULs and absurd token counts never raise."""

from __future__ import annotations

import sqlite3
from types import ModuleType

import pytest

from afgap.engine import wirejson
from afgap.providers import anthropic, openai
from afgap.providers.wire import classify_status, clean_text, optional_count

OPENAI_REPLY = (
    b'{"model": "m\\ud800", "choices": [{"finish_reason": "st\\u0000op", "message": {"role": "assistant",'
    b' "content": "a\\ud800b\\u0000c", "reasoning_content": "r\\udfff"}}],'
    b' "usage": {"prompt_tokens": 1e999, "completion_tokens": NaN}}'
)
ANTHROPIC_REPLY = (
    b'{"model": "m\\ud800", "stop_reason": "end_turn\\u0000", "content": ['
    b'{"type": "thinking", "thinking": "r\\udfff"}, {"type": "text", "text": "a\\ud800b\\u0000c"}],'
    b' "usage": {"input_tokens": -Infinity, "output_tokens": 1e999}}'
)


@pytest.mark.parametrize(("wire", "raw"), [(openai, OPENAI_REPLY), (anthropic, ANTHROPIC_REPLY)])
def test_lone_surrogates_and_nuls_become_replacement_characters(wire: ModuleType, raw: bytes) -> None:
    completion = wire.from_wire(wirejson.loads(raw))
    assert completion.text == "a\ufffdb\ufffdc"
    assert completion.reasoning == "r\ufffd"
    assert completion.provider_model == "m\ufffd"
    assert completion.finish_reason in ("st\ufffdop", "end_turn\ufffd")
    assert (completion.tokens_in, completion.tokens_out) == (None, None)
    # Every text field now encodes, so SQLite stores it.
    with sqlite3.connect(":memory:") as conn:
        conn.execute("SELECT ?, ?, ?", (completion.text, completion.reasoning, completion.provider_model))


@pytest.mark.parametrize(
    "value", [float("inf"), float("-inf"), float("nan"), -1, -0.5, 2.5, 2**53 + 1, 1e300, "7", True, None]
)
def test_absurd_token_counts_are_unknown(value: object) -> None:
    assert optional_count(value) is None


@pytest.mark.parametrize(("value", "count"), [(0, 0), (12, 12), (12.0, 12), (2**53, 2**53)])
def test_plausible_token_counts_are_kept(value: object, count: int) -> None:
    assert optional_count(value) == count


def test_clean_text_leaves_valid_text_alone() -> None:
    text = "plain, émigré, 😀 and \u2028"
    assert clean_text(text) == text
    assert clean_text("x\x00\ud83d") == "x\ufffd\ufffd"


def test_an_error_message_with_a_lone_surrogate_is_cleaned() -> None:
    info = classify_status(500, None, "bad \ud800 gateway\x00", {})
    assert info.message == "HTTP 500: bad \ufffd gateway\ufffd"
