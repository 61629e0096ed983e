"""The batch wire formats: request lines carry the live first turn's body, results parse like live replies."""

from __future__ import annotations

import json

import pytest

from afgap.engine.plans import plan_calls
from afgap.providers import anthropic, openai
from afgap.providers import batch_format as fmt
from afgap.providers.registry import resolve
from afgap.queries import load_queries
from afgap.records import CallPlan, Sampling
from afgap.scenarios import load_scenario

ENV = {"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k", "TOGETHER_API_KEY": "k"}


def _plan(model: str, scenario: str = "helpful-only") -> CallPlan:
    spec = resolve(model, ENV)
    calls = plan_calls([spec], load_scenario(scenario), load_queries("builtin")[:1], 1, Sampling())
    return next(iter(calls)).plan


def test_openai_line_is_the_live_body_keyed_by_the_request_hash() -> None:
    plan = _plan("openai/gpt-4o")
    line = fmt.openai_line(plan)
    assert line == {
        "custom_id": plan.request_hash,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": openai.to_wire(plan.spec, plan.messages, plan.sampling, plan.prefill),
    }
    lines = fmt.openai_file([plan, plan]).splitlines()
    assert len(lines) == 2 and json.loads(lines[0]) == json.loads(json.dumps(line))
    assert fmt.openai_create("file-1") == {
        "input_file_id": "file-1",
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    }


def test_anthropic_request_carries_the_prefill_a_live_first_turn_sends() -> None:
    plan = _plan("anthropic/claude-3-opus-20240229")
    assert plan.prefill  # the helpful-only scenario prefills
    [item] = fmt.anthropic_create([plan])["requests"]
    assert item["custom_id"] == plan.request_hash
    assert len(item["custom_id"]) == 64  # within Anthropic's 64-character custom_id limit
    assert item["params"] == anthropic.to_wire(plan.spec, plan.messages, plan.sampling, plan.prefill)
    assert item["params"]["messages"][-1] == {"role": "assistant", "content": plan.prefill}


@pytest.mark.parametrize(
    ("model", "vendor"),
    [
        ("openai/gpt-4o", "openai"),
        ("anthropic/claude-3-opus-20240229", "anthropic"),
        ("sim/faker", "openai"),
        ("together/meta-llama/x", None),
        ("completions/openai/davinci-002", None),
    ],
)
def test_vendor_names_only_providers_with_a_batch_api(model: str, vendor: str | None) -> None:
    assert fmt.vendor(resolve(model, ENV)) == vendor


def test_openai_result_lines() -> None:
    body = {"choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}], "usage": {}}
    ok = fmt.openai_result({"custom_id": "a", "response": {"status_code": 200, "body": body}, "error": None})
    assert ok.completion is not None and ok.completion.text == "hi" and ok.failure is None
    expired = fmt.openai_result({"custom_id": "b", "error": {"code": "batch_expired", "message": "late"}})
    assert (expired.failure, expired.error_class) == ("expired", "batch_expired")
    bad = {"status_code": 400, "body": {"error": {"message": "bad", "type": "invalid_request_error"}}}
    assert fmt.openai_result({"custom_id": "c", "response": bad}).failure == "fatal"
    busy = {"status_code": 429, "body": {"error": {"message": "slow down"}}}
    assert fmt.openai_result({"custom_id": "d", "response": busy}).failure == "retry"
    garbled = {"status_code": 200, "body": {"choices": []}}
    assert fmt.openai_result({"custom_id": "e", "response": garbled}).error_class == "bad_response"


def test_anthropic_result_lines() -> None:
    message = {"content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn", "usage": {}}
    ok = fmt.anthropic_result({"custom_id": "a", "result": {"type": "succeeded", "message": message}})
    assert ok.completion is not None and ok.completion.text == "ok"
    assert fmt.anthropic_result({"custom_id": "b", "result": {"type": "expired"}}).failure == "expired"
    assert fmt.anthropic_result({"custom_id": "b", "result": {"type": "canceled"}}).failure == "canceled"
    invalid = {"type": "error", "error": {"type": "invalid_request_error", "message": "no"}}
    errored = fmt.anthropic_result({"custom_id": "c", "result": {"type": "errored", "error": invalid}})
    assert (errored.failure, errored.error_class, errored.message) == ("fatal", "invalid_request_error", "no")
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
    again = fmt.anthropic_result({"custom_id": "d", "result": {"type": "errored", "error": overloaded}})
    assert again.failure == "retry"


def test_results_skip_lines_that_are_not_json() -> None:
    raw = b'{"custom_id": "x", "result": {"type": "expired"}}\nnot json\n\n[1]\n'
    assert [r.custom_id for r in fmt.results("anthropic", raw)] == ["x"]


def test_batch_states() -> None:
    assert fmt.openai_state({"status": "in_progress"}).phase == "running"
    done = fmt.openai_state({"status": "completed", "output_file_id": "f1", "error_file_id": "f2"})
    assert (done.phase, done.results) == ("ended", ("f1", "f2"))
    assert fmt.openai_state({"status": "expired", "output_file_id": "f1"}).results == ("f1",)
    failed = fmt.openai_state({"status": "failed", "errors": {"data": [{"message": "bad line 3"}]}})
    assert (failed.phase, failed.message) == ("failed", "bad line 3")
    assert fmt.anthropic_state({"processing_status": "in_progress"}).phase == "running"
    ended = fmt.anthropic_state({"processing_status": "ended", "results_url": "https://x/r"})
    assert (ended.phase, ended.results) == ("ended", ("https://x/r",))
