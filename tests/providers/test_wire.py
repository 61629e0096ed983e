"""Shared wire helpers: Retry-After parsing, durations, header lookup, and request-body encoding."""

from __future__ import annotations

import email.utils
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afgap.providers.wire import encode_body, header, one_line, parse_duration, retry_after


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"retry-after-ms": "20", "retry-after": "9"}, 0.02),
        ({"retry-after": "-4"}, None),
        ({"retry-after-ms": "-5000"}, None),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after(headers) == expected


def test_retry_after_as_http_date() -> None:
    now = 1_700_000_000.0
    when = email.utils.formatdate(now + 30, usegmt=True)
    assert retry_after({"retry-after": when}, now=now) == pytest.approx(30.0)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("20ms", 0.02),
        ("1h2m3.5s", 3723.5),
        ("0.5", 0.5),
        ("", None),
        ("1x", None),
    ],
)
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


def test_header_lookup_ignores_case() -> None:
    assert header({"Retry-After": "2"}, "retry-after") == "2"


def test_one_line() -> None:
    assert one_line("a\n  b\tc") == "a b c"
    assert len(one_line("x" * 1000)) == 300


LONG = 'You are an AI made by a lab. "Quoted", ünïcode, \u2028 and\nnewlines. ' * 200


@given(
    user=st.text(),
    system=st.sampled_from(["", "short system prompt", LONG]),
    temperature=st.floats(0, 2),
)
def test_encode_body_is_compact_json_that_round_trips(user: str, system: str, temperature: float) -> None:
    body: dict[str, Any] = {
        "model": "m",
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        "temperature": temperature,
        "max_tokens": 10,
    }
    if system:
        body["system"] = system
    assert json.loads(encode_body(body)) == body  # also bodies orjson refuses (lone surrogates): json's


def test_encode_body_is_compact_utf8() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": 'ünï "q"'}], "temperature": 0.5}
    expected = '{"model":"m","messages":[{"role":"user","content":"ünï \\"q\\""}],"temperature":0.5}'
    assert encode_body(body) == expected.encode()
