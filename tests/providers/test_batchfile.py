"""The batch file format: request lines per wire, result lines read as a live reply or failure would be."""

from __future__ import annotations

import pytest

from afgap.providers.batchfile import Failed, ResultLine, read_result, request_line
from afgap.providers.registry import resolve
from afgap.records import Completion

CHAT = resolve("vllm/meta-llama/Llama-3.1-8B-Instruct", {})
BASE = resolve("completions/vllm/meta-llama/Llama-3.1-8B", {})
REPLY = {
    "object": "chat.completion",
    "model": "meta-llama/Llama-3.1-8B-Instruct",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 7, "completion_tokens": 1},
}


def _line(**fields: object) -> ResultLine:
    return ResultLine.model_validate({"id": "vllm-1", "custom_id": "c", **fields})


def test_request_lines_name_each_wires_url() -> None:
    assert request_line("c", CHAT, {"model": "m"})["url"] == "/v1/chat/completions"
    assert request_line("c", BASE, {"model": "m"}) == {
        "custom_id": "c",
        "method": "POST",
        "url": "/v1/completions",
        "body": {"model": "m"},
    }


def test_an_answered_line_is_the_wires_completion() -> None:
    line = _line(response={"status_code": 200, "request_id": "r", "body": REPLY}, error=None, extra="ignored")
    reply = read_result(CHAT, line)
    assert reply == Completion(
        text="hi",
        provider_model="meta-llama/Llama-3.1-8B-Instruct",
        finish_reason="stop",
        tokens_in=7,
        tokens_out=1,
    )


@pytest.mark.parametrize(
    "body", [None, {"choices": []}, {"choices": [{"message": ["not", "a", "mapping"]}]}], ids=str
)
def test_a_200_whose_body_is_not_the_wires_shape_is_a_value_error(body: object) -> None:
    with pytest.raises(ValueError):
        read_result(CHAT, _line(response={"status_code": 200, "request_id": "r", "body": body}))


def test_failures_get_the_verdict_a_live_call_would() -> None:
    gone = read_result(
        CHAT, _line(response={"status_code": 404, "body": None}, error={"message": "no model"})
    )
    assert (
        isinstance(gone, Failed) and gone.info.kind == "unavailable" and gone.info.error_class == "not_found"
    )
    bad = read_result(CHAT, _line(response={"status_code": 400, "body": None}, error={"message": "too long"}))
    assert isinstance(bad, Failed) and bad.info.kind == "fatal" and "too long" in bad.info.message
    # No HTTP exchange at all (the runner failed the request itself): a server error, sent again later.
    crashed = read_result(CHAT, _line(response=None, error="engine died"))
    assert isinstance(crashed, Failed) and crashed.info.error_class == "server"


def test_a_line_with_neither_response_nor_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="neither a response nor an error"):
        read_result(CHAT, _line())
