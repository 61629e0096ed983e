"""The --batch job: a recorded batch is read by every collect that plans its calls, and collected by it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from afgap.engine import eventloop
from afgap.engine.plans import plan_calls
from afgap.jobs.batch_collect import BatchOptions
from afgap.jobs.collect import CollectRequest, collect, select_queries
from afgap.providers.batches import BatchApi
from afgap.providers.registry import resolve
from afgap.records import CallPlan, Sampling
from afgap.scenarios import load_scenario
from afgap.sim.server import start_in_thread
from afgap.sim.settings import SimSettings
from afgap.store import provider_batches as recorded
from afgap.store.database import open_store


async def _submit(plans: list[CallPlan]) -> str:
    api = BatchApi(plans[0].spec, "k", 30.0)
    try:
        return await api.submit(plans)
    finally:
        await api.aclose()


def test_a_batch_of_another_scenario_is_read_but_left_for_the_collect_that_plans_it(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with start_in_thread(SimSettings(seed=9)) as sim:
        env = {"OPENAI_BASE_URL": f"{sim.base_url}/v1", "OPENAI_API_KEY": "k"}
        first = CollectRequest(
            models=["openai/faker"], db=db, scenarios=["helpful-only-no-cot"], limit=3, batch=BatchOptions()
        )
        scenario = load_scenario("helpful-only-no-cot")
        spec = resolve("openai/faker", env)
        plans = [c.plan for c in plan_calls([spec], scenario, select_queries(first, scenario), 1, Sampling())]
        # As a collect killed while polling leaves it: submitted and recorded, nothing stored.
        batch_id = eventloop.run(_submit(plans))
        with open_store(db) as store:
            recorded.record(
                store, batch_id, "openai", "openai/faker", [p.request_hash for p in plans], "submitted"
            )
        other = CollectRequest(
            models=["openai/faker"], db=db, scenarios=["baseline-no-conflict"], limit=3, batch=BatchOptions()
        )
        notices: list[str] = []
        assert collect(other, env, notice=notices.append).ok == 6
        assert "resuming 1 recorded batch" in notices
        assert _status(db)[batch_id] == "completed"  # read, not collected: its calls were not planned
        summary = collect(first, env, notice=notices.append)
        counts: dict[str, Any] = sim.simulator.batches.counts()
    assert (summary.ok, summary.to_send) == (6, 6)
    assert set(_status(db).values()) == {"collected"} and len(_status(db)) == 2
    assert counts["resubmitted"] == 0 and counts["items"] == 12


def _status(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT batch_id, status FROM provider_batches").fetchall())
