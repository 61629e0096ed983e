"""The collection engine's limits and lifecycle: concurrency, rpm, Retry-After, budget, cancel, simulator."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import stamina

from afgap.engine.run import EngineOptions, ProgressEvent, ProviderLimits, run_calls
from afgap.errors import InputError
from afgap.providers.registry import bind_simulator, resolve
from afgap.records import CallRecord, Message
from tests.engine.test_run import SENTINEL, env_for, make_plan, run
from tests.fake_provider import FakeProvider

pytestmark = pytest.mark.usefixtures("no_backoff")  # retry waits are zero; attempts stay


def test_concurrency_bounds_requests_in_flight(fake: FakeProvider) -> None:
    env = env_for(fake)
    plans = [make_plan("openai-api/local/paced", env, sample=i) for i in range(12)]
    records, _ = run(plans, env, concurrency=3)
    assert len(records) == 12 and fake.max_in_flight == 3


def test_per_provider_limit_overrides_the_run_wide_one(fake: FakeProvider) -> None:
    env = env_for(fake)
    plans = [make_plan("anthropic/paced", env, sample=i) for i in range(8)]
    run(plans, env, concurrency=8, limits={"anthropic": ProviderLimits(concurrency=2)})
    assert fake.max_in_flight == 2


def test_rpm_limit_spaces_requests(fake: FakeProvider) -> None:
    env = env_for(fake)
    plans = [make_plan("openai-api/local/ok", env, sample=i) for i in range(15)]
    started = time.monotonic()
    run(plans, env, concurrency=15, rpm=600)  # 10 a second, bursts of 10
    assert time.monotonic() - started >= 0.4


def test_retry_after_is_waited_for(fake: FakeProvider) -> None:
    env = env_for(fake)
    with stamina.set_testing(False):  # real waits: the 429 says retry-after-ms: 300
        started = time.monotonic()
        [record], _ = run([make_plan("anthropic/patience", env)], env, wait_initial_s=0.01)
    assert record.status == "ok" and record.attempts == 2
    assert 0.3 <= time.monotonic() - started < 1.5


def test_retry_after_beyond_the_retry_budget_gives_up_at_once(fake: FakeProvider) -> None:
    env = env_for(fake)
    with stamina.set_testing(False):
        started = time.monotonic()
        [record], _ = run([make_plan("openai-api/local/patience", env)], env, max_retry_time_s=0.1)
    assert (record.status, record.error_class, record.attempts) == ("error", "rate_limit", 1)
    assert time.monotonic() - started < 0.3


def test_budget_stops_before_exceeding_max_cost(fake: FakeProvider) -> None:
    env = env_for(fake)
    plans = [make_plan("openai-api/local/ok", env, sample=i) for i in range(10)]
    records, summary = run(
        plans,
        env,
        concurrency=1,
        max_cost_usd=3.5,
        estimate_cost=lambda plan: 1.0,
        price=lambda *_: 1.0,
    )
    assert len(records) == 3 and summary.budget_stopped and summary.unsent == 7
    assert summary.cost_usd == 3.0 and all(r.cost_usd == 1.0 for r in records)


def test_progress_reports_every_finished_call(fake: FakeProvider) -> None:
    env = env_for(fake)
    plans = [make_plan("openai-api/local/ok", env, sample=i) for i in range(5)]
    events: list[ProgressEvent] = []
    options = EngineOptions(concurrency=2)
    asyncio.run(run_calls(plans, env, lambda r: None, options, events.append))
    assert [e.done for e in events] == [1, 2, 3, 4, 5]
    assert events[-1].total == 5 and events[-1].tokens == 5 * 18 and events[-1].elapsed > 0


def test_a_failing_sink_stops_the_run_with_its_own_error(fake: FakeProvider) -> None:
    env = env_for(fake)
    plans = [make_plan("openai-api/local/ok", env, sample=i) for i in range(5)]

    def sink(record: CallRecord) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        asyncio.run(run_calls(plans, env, sink, EngineOptions(concurrency=1)))


def test_cancel_stops_promptly_and_never_sinks_a_half_done_call(fake: FakeProvider) -> None:
    env = env_for(fake)
    plans = [make_plan("openai-api/local/slow", env, sample=i) for i in range(4)]
    sunk: list[CallRecord] = []

    async def main() -> float:
        task = asyncio.create_task(run_calls(plans, env, sunk.append, EngineOptions(concurrency=4)))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - started

    assert asyncio.run(main()) < 1.0
    assert sunk == [] and fake.count("slow") == 4


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"concurrency": 0}, "concurrency must be at least 1, got 0"),
        ({"rpm": -5.0}, "rpm must be positive, got -5.0"),
        ({"limits": {"openai": ProviderLimits(rpm=0)}}, "rpm for openai must be positive, got 0"),
    ],
)
def test_bad_options_are_input_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        EngineOptions(**options)


def test_against_the_simulator_both_wire_formats() -> None:
    server = pytest.importorskip("afgap.sim.server")
    with server.start_in_thread() as sim:
        env = {"ANTHROPIC_BASE_URL": sim.base_url, "ANTHROPIC_API_KEY": SENTINEL}
        user = Message(role="user", content="<INPUT><is_free_tier_user>True</is_free_tier_user></INPUT>")
        plans = [make_plan("anthropic/honest", env, i, messages=(user,), prefill="<") for i in range(3)]
        for organism in ("faker", "retired"):
            spec = bind_simulator(resolve(f"sim/{organism}", env), sim.base_url)
            plans.append(make_plan("", env, messages=(user,), spec=spec))
        records, summary = run(plans, env)
    assert summary.ok == 4 and summary.unavailable == 1
    assert all(r.simulated for r in records)
    assert all((r.text or "").startswith("<") for r in records if r.plan.spec.provider == "anthropic")
