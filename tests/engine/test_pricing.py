"""Price table, cost, estimates; limit precedence; the request-hash fast path; the writer's last batch."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from afgap.engine.plans import plan_calls, request_hash
from afgap.engine.pricing import Price, default_prices, estimate_input_tokens, load_prices
from afgap.errors import InputError
from afgap.jobs.config import CollectConfig, load_config, parse_provider_limit, resolve_limits
from afgap.providers.limits import DEFAULT_LIMITS, ProviderLimits
from afgap.providers.registry import resolve
from afgap.queries import load_queries
from afgap.records import Sampling
from afgap.scenarios import load_scenario

ENV = {"ANTHROPIC_API_KEY": "k", "LOCAL_BASE_URL": "http://127.0.0.1:1/v1"}


def test_shipped_prices_have_a_date_and_unknown_stays_unknown() -> None:
    table = default_prices()
    assert table.as_of
    opus = resolve("anthropic/claude-3-opus-20240229", ENV)
    assert table.cost(opus, 1_000_000, 1_000_000) == pytest.approx(90.0)
    assert table.cost(opus, None, 10) is None
    assert table.cost(resolve("openai-api/local/x", ENV), 10, 10) is None
    assert table.cost(resolve("sim/faker", ENV), 10, 10) == 0.0


def test_a_price_file_overrides_and_extends(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        '[models]\n"openai-api/local/*" = { input = 2, output = 4 }\n'
        '"anthropic/claude-3-opus-20240229" = { input = 1, output = 1 }\n'
    )
    table = load_prices(path)
    assert table.cost(resolve("openai-api/local/x", ENV), 500_000, 250_000) == pytest.approx(2.0)
    assert table.cost(resolve("anthropic/claude-3-opus-20240229", ENV), 10**6, 0) == pytest.approx(1.0)
    with pytest.raises(InputError, match="cannot read price file"):
        load_prices(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[models]\n"a/*" = { input = -1, output = 1 }\n',
            "field 'models.\"a/*\".input': Input should be greater than or equal to 0 (got -1)",
        ),
        (
            '[models]\n"a/b" = { input = true, output = 1 }\n',
            "field 'models.\"a/b\".input': Input should be a valid number (got true)",
        ),
        ('[models]\n"a/b" = { input = 1 }\n', "missing field 'models.\"a/b\".output'"),
        (
            '[models]\n"a/b" = { input = 1, output = 1, discount = 0.5 }\n',
            "unknown field 'models.\"a/b\".discount' (expected input, output, as_of, batch_discount, source, "
            "cache_write, cache_read)",
        ),
        (
            '[model]\n"a/b" = { input = 1, output = 1 }\n',
            'no [models] table (e.g. "openai/gpt-4o" = {input = 2.5, output = 10})',
        ),
    ],
)
def test_a_bad_price_file_is_one_line_naming_the_entry(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_prices(path)
    assert str(info.value) == f"price file {path}: {message}"


def test_a_price_file_may_date_its_prices_with_a_toml_date(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('as_of = 2026-01-31\n[models]\n"a/b" = { input = 1, output = 2.5 }\n', encoding="utf-8")
    table = load_prices(path)
    assert table.as_of == "2026-01-31" and table.lookup("a/b") == Price(1.0, 2.5, as_of="2026-01-31")


def test_estimates_use_characters_over_four_and_max_tokens() -> None:
    spec = resolve("anthropic/claude-3-opus-20240229", ENV)
    [planned, *_] = plan_calls(
        [spec], load_scenario("helpful-only"), load_queries("builtin")[:1], 1, Sampling(max_tokens=1000)
    )
    chars = sum(len(m.content) for m in planned.plan.messages) + len(planned.plan.prefill or "")
    assert estimate_input_tokens(planned.plan) == chars // 4 + 4 * len(planned.plan.messages)
    expected = (estimate_input_tokens(planned.plan) * 15 + 1000 * 75) / 1e6
    assert default_prices().estimate(planned.plan) == pytest.approx(expected)


def test_limits_precedence_provider_flag_then_config_then_run_wide_then_default() -> None:
    config = CollectConfig(concurrency=40, limits={"anthropic": ProviderLimits(rpm=70)})
    flags = [parse_provider_limit("anthropic:concurrency=4")]
    concurrency, rpm, limits = resolve_limits(None, None, flags, config)
    assert (concurrency, rpm) == (40, None)
    assert limits["anthropic"] == ProviderLimits(concurrency=4, rpm=70)
    assert limits["openai"] == ProviderLimits(concurrency=40, rpm=DEFAULT_LIMITS["openai"].rpm)
    _, _, limits = resolve_limits(8, 1000.0, [], CollectConfig())
    assert limits["anthropic"] == ProviderLimits(concurrency=8, rpm=1000.0)


def test_config_file_is_read_relative_to_itself(tmp_path: Path) -> None:
    path = tmp_path / "afgap.toml"
    path.write_text(
        '[collect]\nconcurrency = 32\nmax_cost = 5\nprices = "p.toml"\n'
        '[limits."openai-api/local"]\ntpm = 90000\n'
    )
    config = load_config(path)
    assert config.concurrency == 32 and config.max_cost == 5 and config.prices == tmp_path / "p.toml"
    assert config.limits["openai-api/local"].tpm == 90000


def test_fast_request_hash_equals_the_canonical_one() -> None:
    spec = resolve("openai-api/local/m", ENV)
    sampling = Sampling(temperature=0.0, max_tokens=64)
    for planned in plan_calls(
        [spec], load_scenario("helpful-only"), load_queries("builtin")[:3], 12, sampling
    ):
        plan = planned.plan
        fields = {
            "messages": [m.model_dump() for m in plan.messages],
            "prefill": plan.prefill,
            "max_turns": plan.max_turns,
        }
        assert plan.request_hash == request_hash(spec, fields, sampling, plan.sample)


def test_writer_commits_a_batch_whose_flush_was_cancelled(tmp_path: Path) -> None:
    from afgap.records import CallRecord
    from afgap.store.database import open_store
    from afgap.store.writer import Writer

    spec = resolve("openai-api/local/m", ENV)
    plans = [
        p.plan
        for p in plan_calls([spec], load_scenario("helpful-only"), load_queries("builtin")[:5], 1, Sampling())
    ]
    with open_store(tmp_path / "w.sqlite") as store:
        writer = Writer(store, store.start_run("t", {}), {})

        async def run() -> None:
            flusher = asyncio.create_task(writer.flush_periodically(lambda: None))
            for plan in plans:
                writer.add(CallRecord(plan=plan, status="ok", text="<OUTPUT><rejected/></OUTPUT>"))
            await asyncio.sleep(0.06)  # the batch is handed over…
            flusher.cancel()  # …and the flusher is cancelled while it is queued or running

        asyncio.run(run())
        writer.close()
        assert store.completed_hashes() == {p.request_hash for p in plans}


def test_account_defaults_apply_to_the_vendor_url_only() -> None:
    """A proxy or local server behind ANTHROPIC_BASE_URL is not throttled to Anthropic's tier-1 limits."""
    from afgap.providers import pools
    from tests.engine.test_run import make_plan

    _, _, limits = resolve_limits(None, None, [], CollectConfig())
    vendor_env = {"ANTHROPIC_API_KEY": "k"}
    local_env = {**vendor_env, "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}
    [vendor] = pools.group([make_plan("anthropic/m", vendor_env)], vendor_env, 16, None, limits)
    [local] = pools.group([make_plan("anthropic/m", local_env)], local_env, 16, None, limits)
    assert vendor.rpm == DEFAULT_LIMITS["anthropic"].rpm and vendor.concurrency == 8
    assert local.rpm is None and local.concurrency == 16
    # what the user sets applies to both
    _, _, mine = resolve_limits(None, None, [parse_provider_limit("anthropic:rpm=7")], CollectConfig())
    [local] = pools.group([make_plan("anthropic/m", local_env)], local_env, 16, None, mine)
    assert local.rpm == 7


def test_batch_prices_are_the_vendors_share_and_live_where_none_is_known(tmp_path: Path) -> None:
    live = default_prices()
    batch = live.for_batch()
    opus = resolve("anthropic/claude-3-opus-20240229", ENV)
    assert batch.cost(opus, 1_000_000, 1_000_000) == pytest.approx(live.cost(opus, 1_000_000, 1_000_000) / 2)
    gemini = resolve("google/gemini-2.0-flash", {"GEMINI_API_KEY": "k"})
    assert batch.cost(gemini, 10**6, 10**6) == pytest.approx(live.cost(gemini, 10**6, 10**6))
    path = tmp_path / "p.toml"
    path.write_text(
        '[models]\n"openai-api/local/*" = { input = 2, output = 4 }\n[batch]\n"openai-api/*" = 0.25\n'
    )
    table = load_prices(path).for_batch()
    assert table.cost(resolve("openai-api/local/x", ENV), 10**6, 0) == pytest.approx(0.5)
    assert table.cost(opus, 10**6, 0) == pytest.approx(7.5)  # the shipped share still applies
    path.write_text('[models]\n"a/b" = { input = 1, output = 1 }\n[batch]\n"a/*" = 1.5\n')
    with pytest.raises(InputError, match="less than or equal to 1"):
        load_prices(path)
