"""Claims: a live collect's calls are left to it; a dead one's are taken over; release frees them."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from afgap.records import CallPlan, CallRecord, Condition, Message, ModelSpec, Sampling
from afgap.store import claims
from afgap.store.database import Store, open_store
from afgap.store.rows import CollectorRow

SPEC = ModelSpec(
    model="sim/faker", provider="sim", api_model="faker", wire="openai", base_url="x", simulated=True
)
HASHES = [f"h{i}" for i in range(10)]


def _stored(store: Store, request_hash: str) -> None:
    plan = CallPlan(
        spec=SPEC,
        scenario="helpful-only",
        scenario_hash="abc",
        query_id=request_hash,
        condition=Condition.MONITORED,
        sample=0,
        messages=(Message(role="user", content="hi"),),
        sampling=Sampling(),
        request_hash=request_hash,
    )
    record = CallRecord(plan=plan, status="ok", text="<OUTPUT>x</OUTPUT>")
    store.write_calls([(record, [], "q")], store.start_run("c", {}))


def _held(store: Store) -> dict[str, int]:
    return dict(store.conn.execute("SELECT request_hash, run_id FROM claims").fetchall())


def _pretend(store: Store, run_id: int, **changes: object) -> None:
    """Make run_id's collector row look like another process's."""
    row = CollectorRow(*store.conn.execute("SELECT * FROM collectors WHERE run_id = ?", (run_id,)).fetchone())
    row = row._replace(**changes)  # type: ignore[arg-type]
    store.conn.execute(
        "UPDATE collectors SET pid = ?, host = ?, process_start = ?, heartbeat_at = ? WHERE run_id = ?",
        (row.pid, row.host, row.process_start, row.heartbeat_at, run_id),
    )


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_second_collect_gets_only_what_a_live_one_has_not_claimed(db: Path) -> None:
    with open_store(db) as store:
        first, second = store.start_run("a", {}), store.start_run("b", {})
        got = claims.claim(store, first, HASHES[:6])
        assert got.mine == frozenset(HASHES[:6]) and got.others == ()
        split = claims.claim(store, second, HASHES)
        assert split.mine == frozenset(HASHES[6:])
        assert split.others == (claims.Holder(first, os.getpid(), "", 6),) and split.elsewhere == 6
        claims.release(store, first)
        assert set(_held(store)) == set(HASHES[6:])
        assert store.conn.execute("SELECT run_id FROM collectors").fetchall() == [(second,)]


def test_calls_stored_meanwhile_are_neither_claimed_nor_sent(db: Path) -> None:
    with open_store(db) as store:
        _stored(store, "h0")
        got = claims.claim(store, store.start_run("a", {}), HASHES[:3])
    assert got.mine == frozenset(HASHES[1:3]) and got.stored_meanwhile == 1


def test_the_claims_of_a_dead_or_reused_pid_are_taken_over(db: Path) -> None:
    with open_store(db) as store:
        for change in ({"pid": _dead_pid()}, {"process_start": "1"}):  # gone; or its pid is another's now
            dead = store.start_run("killed", {})
            claims.claim(store, dead, HASHES)
            _pretend(store, dead, **change)
            rerun = store.start_run("rerun", {})
            got = claims.claim(store, rerun, HASHES)
            assert got.mine == frozenset(HASHES) and got.others == ()
            assert set(_held(store).values()) == {rerun}
            claims.release(store, rerun)


def test_another_hosts_claims_live_while_its_heartbeat_is_fresh(db: Path) -> None:
    stale = (datetime.now(UTC) - timedelta(seconds=claims.STALE_AFTER_S + 5)).isoformat()
    with open_store(db) as store:
        remote = store.start_run("remote", {})
        claims.claim(store, remote, HASHES)
        _pretend(store, remote, host="elsewhere", pid=1, process_start=None)
        assert claims.heartbeat(store, remote)
        held = claims.claim(store, store.start_run("here", {}), HASHES)
        assert held.mine == frozenset() and held.others == (claims.Holder(remote, 1, "elsewhere", 10),)
        _pretend(store, remote, heartbeat_at=stale)
        taken = claims.claim(store, store.start_run("later", {}), HASHES)
        assert taken.mine == frozenset(HASHES)


def test_is_live_reads_this_process_as_running() -> None:
    me = CollectorRow(1, os.getpid(), platform.node(), claims.process_start(os.getpid()), "x")
    assert claims.is_live(me, platform.node())
    assert not claims.is_live(me._replace(pid=_dead_pid()), platform.node())
