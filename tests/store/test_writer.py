"""The writer child process: commits what it is sent, survives its parent, reports its own failure."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from afgap.engine.plans import plan_calls
from afgap.errors import Interrupted, StoreError
from afgap.providers.registry import resolve
from afgap.queries import load_queries
from afgap.records import CallPlan, CallRecord, Sampling
from afgap.scenarios import load_scenario
from afgap.store import recovery
from afgap.store.busy import Patience
from afgap.store.database import Store, open_store
from afgap.store.writer import Writer, _same_afgap_env, child_command

ENV = {"LOCAL_BASE_URL": "http://127.0.0.1:1/v1"}
ANSWER = "<OUTPUT><rejected/></OUTPUT>"


def _plans(n: int) -> list[CallPlan]:
    spec = resolve("openai-api/local/m", ENV)
    queries = load_queries("builtin")[:n]
    return [p.plan for p in plan_calls([spec], load_scenario("helpful-only"), queries, 1, Sampling())]


def _labelled(path: Path) -> tuple[int, int]:
    """(responses, tag labels) in the store at path."""
    with sqlite3.connect(path) as conn:
        responses = conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
        labels = conn.execute("SELECT COUNT(*) FROM labels WHERE classifier LIKE 'tags%'").fetchone()[0]
    return int(responses), int(labels)


def test_the_writer_commits_and_labels_everything_by_close(tmp_path: Path) -> None:
    plans = _plans(5)
    with open_store(tmp_path / "w.sqlite") as store:
        writer = Writer(store, store.start_run("t", {}), {p.request_hash: "q" for p in plans})
        for plan in plans:
            writer.add(CallRecord(plan=plan, status="ok", messages_sent=plan.messages, text=ANSWER))
        writer.close()
        assert store.completed_hashes() == {p.request_hash for p in plans}
    assert _labelled(tmp_path / "w.sqlite") == (10, 10)


def test_the_collects_clean_close_regroups_the_kept_counts_not_the_child(tmp_path: Path) -> None:
    """The child's input also ends on Ctrl-C, so it never regroups; the collect does, if it ends well."""
    plans = _plans(3)
    db = tmp_path / "w.sqlite"
    state = "SELECT fresh, kept FROM count_state"
    with open_store(db) as store:
        writer = Writer(store, store.start_run("t", {}), {p.request_hash: "q" for p in plans})
        for plan in plans:
            writer.add(CallRecord(plan=plan, status="ok", messages_sent=plan.messages, text=ANSWER))
        writer.close()
        assert store.conn.execute(state).fetchone() == (0, 1)  # stale: the child left them
    with sqlite3.connect(db) as conn:
        assert conn.execute(state).fetchone() == (1, 1)
        kept = conn.execute("SELECT SUM(count) FROM cell_counts").fetchone()[0]
    assert kept == _labelled(db)[0] == 6


def test_the_child_is_in_its_own_session_so_ctrl_c_reaches_only_the_collect(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite") as store:
        writer = Writer(store, store.start_run("t", {}), {})
        try:
            assert os.getsid(writer._child.pid) != os.getsid(0)
        finally:
            writer.close()


def test_a_killed_collect_still_has_what_it_sent_committed(tmp_path: Path) -> None:
    db = tmp_path / "k.sqlite"
    script = (
        "import os, signal\n"
        "from pathlib import Path\n"
        "from tests.store.test_writer import ANSWER, _plans\n"
        "from afgap.records import CallRecord\n"
        "from afgap.store.database import open_store\n"
        "from afgap.store.writer import Writer\n"
        f"store = open_store(Path({str(db)!r}))\n"
        "writer = Writer(store, store.start_run('t', {}), {})\n"
        "batch = [CallRecord(plan=p, status='ok', text=ANSWER) for p in _plans(20)]\n"
        "writer._send(writer._frame(batch))\n"
        "os.kill(os.getpid(), signal.SIGKILL)  # no close(), no flush of anything else\n"
    )
    root = Path(__file__).resolve().parents[2]
    child = subprocess.run([sys.executable, "-c", script], cwd=root, timeout=60, check=False)
    assert child.returncode == -9
    deadline = time.monotonic() + 10
    while _labelled(db) != (40, 40) and time.monotonic() < deadline:
        time.sleep(0.05)  # the orphaned writer commits on its own, then exits
    assert _labelled(db) == (40, 40)


def test_a_failing_child_stops_the_run_with_its_reason(tmp_path: Path) -> None:
    # A Store whose file is not an afgap store: the child cannot open it, exits 1 and says why.
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database " * 100)
    with open_store(tmp_path / "real.sqlite") as real:
        store = Store(real.conn, garbage)
        writer = Writer(store, real.start_run("t", {}), {})
        stopped: list[bool] = []

        async def run() -> None:
            flusher = asyncio.create_task(writer.flush_periodically(lambda: stopped.append(True)))
            for plan in _plans(3):
                writer.add(CallRecord(plan=plan, status="ok", text=ANSWER))
            await asyncio.wait_for(flusher, timeout=20)

        asyncio.run(run())
        assert stopped == [True] and isinstance(writer.error, StoreError)
        with pytest.raises(StoreError, match="could not write to the store") as failure:
            writer.close()
    assert "not a usable afgap store" in str(failure.value) and str(garbage) in str(failure.value)
    # The six replies it was sent (three queries, two conditions) are in the recovery file it names.
    assert f"6 received replies saved to {writer.recovery}" in str(failure.value)
    assert len(writer.recovery.read_text().splitlines()) == 6


def test_the_child_imports_this_afgap_whatever_put_it_on_the_path(monkeypatch: pytest.MonkeyPatch) -> None:
    import afgap
    from afgap.store.writer import _same_afgap_env

    monkeypatch.setenv("PYTHONPATH", "/somewhere/else")
    first, *rest = _same_afgap_env()["PYTHONPATH"].split(os.pathsep)
    assert (Path(first) / "afgap" / "__init__.py").resolve() == Path(afgap.__file__).resolve()
    assert rest == ["/somewhere/else"]


def test_an_unwritable_row_becomes_an_error_row_and_the_rest_of_its_batch_is_committed(
    tmp_path: Path,
) -> None:
    plans = _plans(2)  # two queries, both conditions
    bad_text = CallRecord(plan=plans[0], status="ok", messages_sent=plans[0].messages, text="a\ud800b")
    bad_count = CallRecord(
        plan=plans[1], status="ok", messages_sent=plans[1].messages, text=ANSWER, tokens_out=2**70
    )
    good = [CallRecord(plan=p, status="ok", messages_sent=p.messages, text=ANSWER) for p in plans[2:]]
    with open_store(tmp_path / "u.sqlite") as store:
        writer = Writer(store, store.start_run("t", {}), {})
        for record in [bad_text, *good, bad_count]:
            writer.add(record)
        writer.close()  # one batch; before, the child died and took all of it with it
    with sqlite3.connect(tmp_path / "u.sqlite") as conn:
        rows = dict(
            conn.execute("SELECT request_hash, status || ' ' || coalesce(error_class, '') FROM responses")
        )
        messages = [m for (m,) in conn.execute("SELECT error_message FROM responses WHERE status = 'error'")]
    assert rows == {
        plans[0].request_hash: "error unstorable",
        plans[1].request_hash: "error unstorable",
        plans[2].request_hash: "ok ",
        plans[3].request_hash: "ok ",
    }
    assert sorted(messages) == [
        "the store rejected this reply: OverflowError: Python int too large to convert to SQLite INTEGER",
        "the store rejected this reply: UnicodeEncodeError: 'utf-8' codec can't encode character '\\ud800'"
        " in position 1: surrogates not allowed",
    ]


def test_a_second_ctrl_c_while_the_store_is_locked_loses_no_reply(tmp_path: Path) -> None:
    # Ctrl-C raises KeyboardInterrupt here even where the test runner was started with SIGINT ignored.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _second_ctrl_c(tmp_path)
    finally:
        signal.signal(signal.SIGINT, previous)


def _second_ctrl_c(tmp_path: Path) -> None:
    db = tmp_path / "w.sqlite"
    plans = _plans(100)  # 200 calls of 2 kB: more than the pipe holds while the child waits
    records = [CallRecord(plan=p, status="ok", messages_sent=p.messages, text="x" * 2000) for p in plans]
    with open_store(db, patience=Patience(30.0)) as store:
        writer = Writer(store, store.start_run("t", {}), {})
        # Batches of 10, as the flusher would have queued them: the child takes the first and waits.
        writer.pending = [writer._frame(records[i : i + 10]) for i in range(0, len(records), 10)]
        locker = sqlite3.connect(db, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        ctrl_c = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
        ctrl_c.start()
        try:
            with pytest.raises(Interrupted) as stop:
                writer.close()  # blocked: the child waits for the lock, the pipe is full
        finally:
            ctrl_c.join()
            locker.execute("ROLLBACK")
            locker.close()
    assert writer._child.wait(timeout=30) == 0  # it committed what it held once the lock was gone
    (own,) = tmp_path.glob("w.sqlite.recovery-*.jsonl")
    message = str(stop.value)
    assert f"saved to {own}; writer process {writer._child.pid} goes on storing the rest" in message
    with sqlite3.connect(db) as conn:
        stored = {h for (h,) in conn.execute("SELECT request_hash FROM responses")}
    saved = {h.request_hash for h, _, _ in recovery.load(own)}
    assert stored | saved == {p.request_hash for p in plans}
    assert saved - stored  # some were never sent to the child: only the file has them


def test_a_stray_stdlib_name_in_the_working_directory_does_not_break_the_writer_child(
    cli: Any, tmp_path: Path
) -> None:
    """`python -m` puts the working directory first on the path; the writer child must not."""
    # sqlite3: a module the child imports that no interpreter has loaded at start-up (enum may be).
    (tmp_path / "sqlite3.py").write_text("raise ImportError('shadowed the standard library')\n")
    db = tmp_path / "stray.sqlite"
    result = cli("collect", "-m", "sim/faker", "--limit", "3", "--samples", "1", "--quiet", "--db", str(db))
    assert result.exit_code == 0, result.stderr
    with open_store(db, readonly=True) as store:
        assert len(store.completed_hashes()) == 6


def test_the_writer_child_starts_on_the_standard_library_and_afgap_alone(tmp_path: Path) -> None:
    """It runs without `site`: a third-party import (pydantic, say) would fail in a source checkout, and
    would cost every collect a tenth of a second of the child's start-up where it did not fail."""
    command = child_command(tmp_path / "s.sqlite", tmp_path / "r.jsonl", 1.0)
    flags = command[: command.index("-m")]
    assert "-S" in flags
    probe = (
        "import sys\n"
        "import afgap.store.writer_child, afgap.store.recovery_files\n"
        "top = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(top - set(sys.stdlib_module_names) - {'afgap', '__main__'}))"
    )
    found = subprocess.run(
        [*flags, "-c", probe], env=_same_afgap_env(), capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]", found.stdout
