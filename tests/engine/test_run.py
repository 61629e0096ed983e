"""The collection engine over real loopback HTTP: turns, prefill, retries, unavailable, auth, errors."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest

from afgap.engine.run import EngineOptions, RunSummary, run_calls
from afgap.errors import MissingKeyError
from afgap.providers.registry import resolve
from afgap.providers.wire import encode_body
from afgap.records import CallPlan, CallRecord, Condition, Message, Sampling
from tests.conftest import SENTINEL_KEY
from tests.fake_provider import SCRATCH, FakeProvider

pytestmark = pytest.mark.usefixtures("no_backoff")  # retry waits are zero; attempts stay

SENTINEL = SENTINEL_KEY  # the fake server (tests/conftest.py) expects this key
MESSAGES = (
    Message(role="system", content="You are a test model."),
    Message(role="user", content="<INPUT><is_free_tier_user>True</is_free_tier_user>…</INPUT>"),
)


def env_for(server: FakeProvider) -> dict[str, str]:
    """Both wire formats pointed at the fake server, with the sentinel key."""
    return {
        "LOCAL_BASE_URL": f"{server.base_url}/v1",
        "LOCAL_API_KEY": SENTINEL,
        "ANTHROPIC_BASE_URL": server.base_url,
        "ANTHROPIC_API_KEY": SENTINEL,
    }


def make_plan(model: str, env: dict[str, str], sample: int = 0, **kw: Any) -> CallPlan:
    fields: dict[str, Any] = {"messages": MESSAGES, "sampling": Sampling(temperature=0.0, max_tokens=64)}
    fields.update(kw)
    if "spec" not in fields:
        fields["spec"] = resolve(model, env)
    return CallPlan(
        scenario="test",
        scenario_hash="h",
        query_id=f"q{sample}",
        condition=Condition.MONITORED,
        sample=sample,
        request_hash=f"{model}:{sample}",
        **fields,
    )


def run(plans: list[CallPlan], env: dict[str, str], **options: Any) -> tuple[list[CallRecord], RunSummary]:
    records: list[CallRecord] = []
    settings = {"concurrency": 4, "max_attempts": 3, "timeout_s": 5.0, **options}
    summary = asyncio.run(run_calls(plans, env, records.append, EngineOptions(**settings)))
    return records, summary


WIRES = ["openai-api/local", "anthropic"]


@pytest.mark.parametrize("prefix", WIRES)
def test_ok_call_records_reply_tokens_and_sends_sample_header(fake: FakeProvider, prefix: str) -> None:
    env = env_for(fake)
    [record], summary = run([make_plan(f"{prefix}/ok", env, sample=7)], env)
    assert (record.status, record.text, record.attempts, record.turns) == ("ok", "<OUTPUT>ok</OUTPUT>", 1, 1)
    assert (record.tokens_in, record.tokens_out, record.simulated) == (11, 7, False)
    assert record.provider_model is not None and record.provider_model.startswith("ok-")
    assert record.messages_sent == MESSAGES
    [seen] = fake.seen
    assert seen.headers["x-afgap-sample"] == "7"
    assert seen.body["temperature"] == 0.0  # a real value, sent
    assert (summary.ok, summary.done, summary.total, summary.unsent) == (1, 1, 1, 0)


def test_anthropic_prefill_is_sent_and_rejoined(fake: FakeProvider) -> None:
    env = env_for(fake)
    [record], _ = run([make_plan("anthropic/ok", env, prefill="<")], env)
    assert record.text == "<OUTPUT>prefilled</OUTPUT>"
    assert record.messages_sent[-1] == Message(role="assistant", content="<")
    body = fake.seen[0].body
    assert body["system"] == "You are a test model."
    assert body["messages"][-1] == {"role": "assistant", "content": "<"}


def test_openai_format_sends_no_prefill_to_a_server_that_cannot_continue_it(fake: FakeProvider) -> None:
    env = {**env_for(fake), "TOGETHER_BASE_URL": f"{fake.base_url}/v1", "TOGETHER_API_KEY": SENTINEL}
    [record], _ = run([make_plan("together/ok", env, prefill="<")], env)
    assert record.text == "<OUTPUT>ok</OUTPUT>"
    assert fake.seen[0].body["messages"][-1]["role"] == "user"
    assert record.messages_sent == MESSAGES


def test_openai_format_asks_a_vllm_style_server_to_continue_the_prefill(fake: FakeProvider) -> None:
    env = env_for(fake)
    [record], _ = run([make_plan("openai-api/local/ok", env, prefill="<")], env)
    body = fake.seen[0].body
    assert body["messages"][-1] == {"role": "assistant", "content": "<"}
    assert body["continue_final_message"] is True and body["add_generation_prompt"] is False
    assert record.text == "<OUTPUT>prefilled</OUTPUT>"  # the prefill joined to the continuation
    assert record.messages_sent[-1] == Message(role="assistant", content="<")


@pytest.mark.parametrize("prefix", WIRES)
def test_reply_ending_after_scratchpad_gets_a_next_turn(fake: FakeProvider, prefix: str) -> None:
    env = env_for(fake)
    [record], _ = run([make_plan(f"{prefix}/steps", env)], env)
    assert record.turns == 2 and record.attempts == 2
    assert record.text == f"{SCRATCH}\n<OUTPUT>done</OUTPUT>"
    assert record.messages_sent[-2:] == (
        Message(role="assistant", content=SCRATCH),
        Message(role="user", content="<NEXT/>"),
    )
    assert (record.tokens_in, record.tokens_out) == (22, 14)
    assert fake.seen[1].body["messages"][-1] == {"role": "user", "content": "<NEXT/>"}


def test_continuation_stops_at_max_turns(fake: FakeProvider) -> None:
    env = env_for(fake)
    [record], _ = run([make_plan("openai-api/local/ponder", env, max_turns=3)], env)
    assert record.status == "ok" and record.turns == 3 and fake.count("ponder") == 3
    assert "</OUTPUT>" not in (record.text or "")


def test_truncated_reply_is_not_continued(fake: FakeProvider) -> None:
    env = env_for(fake)
    [record], _ = run([make_plan("anthropic/cutoff", env)], env)
    assert (record.turns, record.finish_reason) == (1, "max_tokens")


@pytest.mark.parametrize("prefix", WIRES)
def test_rate_limit_is_retried(fake: FakeProvider, prefix: str) -> None:
    env = env_for(fake)
    [record], summary = run([make_plan(f"{prefix}/rate-limited", env)], env)
    assert (record.status, record.attempts, summary.retries) == ("ok", 2, 1)


def test_overloaded_then_ok(fake: FakeProvider) -> None:
    env = env_for(fake)
    [record], summary = run([make_plan("anthropic/flaky", env)], env, max_attempts=4)
    assert (record.status, record.attempts, summary.retries) == ("ok", 3, 2)


def test_rate_limits_draw_on_their_own_larger_attempt_budget(fake: FakeProvider) -> None:
    """Eight 429s in a row outlast max_attempts=3 but not the rate-limit budget: the call is answered."""
    env = env_for(fake)
    [record], summary = run([make_plan("openai-api/local/throttled", env)], env, max_attempts=3)
    assert (record.status, record.attempts, summary.retries) == ("ok", 9, 8)


def test_the_rate_limit_budget_is_bounded_too(fake: FakeProvider) -> None:
    from afgap.providers.clients import AttemptError
    from afgap.providers.transport import RetryPolicy, send

    env = env_for(fake)
    plan = make_plan("openai-api/local/throttled", env)

    async def go() -> AttemptError:
        from afgap.providers.pools import group, open_endpoints

        [pool] = group([plan], env, 1, None, {})
        [client] = open_endpoints([pool], "aiohttp", 5.0)
        assert pool.endpoint is not None
        body = pool.endpoint.wire.to_wire(plan.spec, plan.messages, plan.sampling, None)
        try:
            await send(
                pool.endpoint,
                encode_body(body),
                pool.endpoint.headers,
                RetryPolicy(max_attempts=2, rate_limited_attempts=5),
                lambda: None,
            )
        except AttemptError as exc:
            return exc
        finally:
            await client.aclose()
        raise AssertionError("a call throttled 8 times cannot succeed in 5 attempts")

    error = asyncio.run(go())
    assert (error.error_class, error.attempts) == ("rate_limit", 5)


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_redirects_are_not_followed(fake: FakeProvider, transport: str) -> None:
    env = env_for(fake)
    [record], _ = run([make_plan("openai-api/local/moved", env)], env, transport=transport)
    assert (record.status, record.attempts) == ("error", 1)
    assert "HTTP 307" in (record.error_message or "")
    assert len(fake.seen) == 1  # nothing was sent to the Location


def test_server_errors_end_as_error_after_max_attempts(fake: FakeProvider) -> None:
    env = env_for(fake)
    [record], summary = run([make_plan("openai-api/local/broken", env)], env, max_attempts=3)
    assert (record.status, record.error_class, record.attempts) == ("error", "server", 3)
    assert record.text is None
    message = record.error_message or ""
    assert "127.0.0.1" in message and "HTTP 500" in message and "after 3 attempts" in message
    assert "\n" not in message
    assert (summary.errors, summary.error_classes) == (1, {"server": 1})


def test_bad_request_is_not_retried(fake: FakeProvider) -> None:
    env = env_for(fake)
    [record], _ = run([make_plan("anthropic/badreq", env)], env)
    assert (record.status, record.error_class, record.attempts) == ("error", "bad_request", 1)


def test_malformed_body_is_retried_then_error(fake: FakeProvider) -> None:
    env = env_for(fake)
    [record], _ = run([make_plan("openai-api/local/garbage", env)], env, max_attempts=2)
    assert (record.status, record.error_class, record.attempts) == ("error", "bad_response", 2)


@pytest.mark.parametrize("prefix", WIRES)
def test_not_found_is_unavailable_never_retried_and_not_resent(fake: FakeProvider, prefix: str) -> None:
    env = env_for(fake)
    plans = [make_plan(f"{prefix}/retired", env, sample=i) for i in range(5)]
    records, summary = run(plans, env, concurrency=1)
    assert {r.status for r in records} == {"unavailable"} and summary.unavailable == 5
    assert fake.count("retired") == 1  # the other four are known unavailable without asking again
    assert records[0].attempts == 1 and all(r.attempts == 0 for r in records[1:])


def test_auth_failure_stops_that_provider_and_never_leaks_the_key(fake: FakeProvider) -> None:
    env = env_for(fake)
    plans = [make_plan("openai-api/local/denied", env, sample=i) for i in range(6)]
    plans += [make_plan("anthropic/ok", env, sample=i) for i in range(3)]
    records, summary = run(plans, env, concurrency=1)
    assert summary.auth_failures == ("LOCAL_API_KEY",)
    assert fake.count("denied") == 1 and summary.unsent == 5
    assert [r.status for r in records].count("ok") == 3  # the other provider carried on
    [denied] = [r for r in records if r.status == "error"]
    assert denied.error_class == "auth" and "LOCAL_API_KEY" in (denied.error_message or "")
    everything = repr(records) + repr(summary)
    assert SENTINEL not in everything


def test_connection_refused_names_host_and_variable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"LOCAL_BASE_URL": f"http://127.0.0.1:{port}/v1", "LOCAL_API_KEY": SENTINEL}
    [record], summary = run([make_plan("openai-api/local/ok", env)], env, max_attempts=2)
    assert (record.status, record.error_class, record.attempts) == ("error", "connect", 2)
    assert f"127.0.0.1:{port}" in (record.error_message or "")
    assert "LOCAL_BASE_URL" in (record.error_message or "")
    assert summary.first_errors["connect"] == record.error_message


@pytest.mark.parametrize("prefix", WIRES)
def test_provider_content_filter_is_an_api_refusal(fake: FakeProvider, prefix: str) -> None:
    env = env_for(fake)
    [record], _ = run([make_plan(f"{prefix}/filtered", env)], env)
    assert record.status == "ok" and record.api_refusal


@pytest.mark.parametrize("prefix", WIRES)
def test_reasoning_field_is_kept_apart(fake: FakeProvider, prefix: str) -> None:
    env = env_for(fake)
    [record], _ = run([make_plan(f"{prefix}/thinker", env)], env)
    assert (record.text, record.reasoning) == ("<OUTPUT>ok</OUTPUT>", "Let me think.")


def test_simulated_header_marks_the_record(fake: FakeProvider) -> None:
    env = env_for(fake)
    [record], _ = run([make_plan("openai-api/local/marked", env)], env)
    assert record.simulated


def test_missing_key_fails_before_sending(fake: FakeProvider) -> None:
    env = env_for(fake)
    plan = make_plan("anthropic/ok", env)
    del env["ANTHROPIC_API_KEY"]
    with pytest.raises(MissingKeyError, match="ANTHROPIC_API_KEY"):
        run([plan], env)
    assert fake.seen == []


def test_httpx_transport_is_a_one_word_switch(fake: FakeProvider) -> None:
    env = env_for(fake)
    plans = [make_plan("openai-api/local/rate-limited", env), make_plan("anthropic/retired", env)]
    records, summary = run(plans, env, transport="httpx")
    assert sorted(r.status for r in records) == ["ok", "unavailable"] and summary.retries == 1


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_dropped_connection_is_a_retried_network_error(fake: FakeProvider, transport: str) -> None:
    env = env_for(fake)
    [record], _ = run([make_plan("anthropic/hangup", env)], env, transport=transport, max_attempts=2)
    assert (record.status, record.error_class, record.attempts) == ("error", "network", 2)


def test_httpx_transport_classifies_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}", "ANTHROPIC_API_KEY": SENTINEL}
    [record], _ = run([make_plan("anthropic/ok", env)], env, transport="httpx", max_attempts=1)
    assert record.error_class == "connect" and "ANTHROPIC_BASE_URL" in (record.error_message or "")


def test_an_attempt_past_the_timeout_is_abandoned_and_retried(fake: FakeProvider) -> None:
    env = env_for(fake)
    started = time.monotonic()
    [record], _ = run([make_plan("openai-api/local/slow", env)], env, timeout_s=0.2, max_attempts=2)
    assert (record.status, record.error_class, record.attempts) == ("error", "timeout", 2)
    assert len(fake.seen) == 2
    assert time.monotonic() - started < 5  # the fake sleeps 10 s: both attempts were cut short
