"""The store's record of batch lines: plans kept exactly, a first turn exported again starting afresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from afgap.engine.plans import plan_calls
from afgap.providers.registry import resolve
from afgap.queries import load_queries
from afgap.records import CallPlan, Sampling
from afgap.scenarios import load_scenario
from afgap.store import batchfiles
from afgap.store.database import open_store
from afgap.store.rows import BatchExportRow


def _plan(model: str) -> CallPlan:
    spec = resolve(model, {})
    sampling = Sampling(temperature=0.7, max_tokens=300, reasoning_effort="low")
    calls = plan_calls([spec], load_scenario("helpful-only"), load_queries("builtin")[:1], 2, sampling)
    return list(calls)[-1].plan


@pytest.mark.parametrize("model", ["vllm/org/chat-model", "completions/vllm/org/base-model", "sim/faker"])
def test_a_plan_comes_back_exactly(model: str) -> None:
    plan = _plan(model)
    assert batchfiles.stored_plan(batchfiles.plan_json(plan), batchfiles.messages_json(plan)) == plan


def _row(plan: CallPlan, turn: int) -> batchfiles.Exported:
    custom_id = plan.request_hash if turn == 1 else f"{plan.request_hash}:{turn}"
    row = BatchExportRow(
        custom_id,
        plan.request_hash,
        turn,
        plan.spec.model,
        plan.scenario,
        plan.scenario_hash,
        plan.query_id,
        plan.condition,
        plan.sample,
        "q",
        batchfiles.plan_json(plan),
        0,
        None,
        "now",
    )
    return row, batchfiles.messages_json(plan)


def test_exporting_a_first_turn_again_drops_its_old_continuations(db: Path) -> None:
    plan = _plan("sim/faker")
    with open_store(db) as store:
        batchfiles.record_exports(store, [_row(plan, 1), _row(plan, 2)])
        assert [row.turn for row, _ in batchfiles.open_continuations(store)] == [2]
        found = batchfiles.exported(store, [plan.request_hash, "missing"])
        assert list(found) == [plan.request_hash]
        row, messages = found[plan.request_hash]
        assert batchfiles.stored_plan(row.plan, messages) == plan
        batchfiles.record_exports(store, [_row(plan, 1)])
        assert batchfiles.open_continuations(store) == []
        # The messages are stored once, shared with responses through `prompts`.
        assert store.conn.execute("SELECT COUNT(*) FROM prompts").fetchone() == (1,)
