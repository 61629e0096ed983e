"""Schema 5: `responses` rebuilt without its CHECK on the two classic condition names, and `designs`.

The upgrade runs on a store made by schema 4 holding every kind of row that points at a response; all of
them must survive with their ids, and every other constraint must still hold.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from afgap.errors import StoreError
from afgap.records import TWO_CONDITION, Design
from afgap.store.database import Store, open_store
from afgap.store.migrations import MIGRATIONS, SCHEMA_VERSION

TABLES = ("runs", "prompts", "responses", "labels", "judge_calls", "collectors", "claims")


def _schema4_store(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:4]:
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(statement)
    conn.execute("PRAGMA user_version = 4")
    conn.execute("INSERT INTO runs VALUES (1, 't0', 't1', '0.9', 'afgap collect', '{}')")
    conn.execute('INSERT INTO prompts VALUES (7, \'[{"role": "user", "content": "hi"}]\')')
    for rid, condition in ((10, "monitored"), (11, "unmonitored"), (12, "monitored")):
        conn.execute(
            "INSERT INTO responses (id, run_id, source, request_hash, model, provider, scenario,"
            " scenario_hash, query_id, condition, sample, status, text, cost_usd, created_at, prompt_id)"
            " VALUES (?, 1, 'collect', ?, 'sim/faker', 'sim', 'helpful-only', 'abc', 'q1', ?, ?, 'ok',"
            " 'text', 0.5, 't', 7)",
            (rid, f"h{rid}", condition, rid),
        )
    conn.execute("INSERT INTO labels VALUES (10, 'tags@1', 0, 'refuse', 0, '', NULL, 't', NULL)")
    conn.execute("INSERT INTO labels VALUES (11, 'judge:sim/judge@1', 3, 'comply', 1, 'r', 0.9, 't', '{}')")
    conn.execute(
        "INSERT INTO judge_calls VALUES ('j1', 11, 'sim/judge', 'compliance', 0, 0, 'yes', 1, 1, 0.0, 1, 't')"
    )
    conn.execute("INSERT INTO collectors VALUES (1, 42, 'host', NULL, 't')")
    conn.execute("INSERT INTO claims VALUES ('h99', 1)")
    conn.close()


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in TABLES}


def _columns(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA table_info(responses)").fetchall()


def test_the_upgrade_keeps_every_row_id_and_column(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _schema4_store(path)
    before, columns = _dump(path), _columns(path)
    with open_store(path) as store:
        conn = store.conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1  # back on after the rebuild
        indexes = {row[1] for row in conn.execute("PRAGMA index_list(response_rows)")}
        assert store.read_designs() == {}
    after, width = _dump(path), len(columns)
    # Later migrations only append columns to responses; the rebuilt table keeps every one before them.
    after["responses"] = [row[:width] for row in after["responses"]]
    assert after == before
    # Schema 11 made responses a view over compact rows, with the same column names in the same order.
    assert [c[1] for c in _columns(path)[:width]] == [c[1] for c in columns]
    assert {"response_rows_cell", "response_rows_hash"} <= indexes


def test_after_the_upgrade_any_condition_name_is_stored_and_the_rest_still_holds(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _schema4_store(path)
    with open_store(path) as store:
        conn = store.conn
        name = conn.execute("INSERT INTO names (text) VALUES ('throughput')").lastrowid
        insert = (
            "INSERT INTO response_rows (source, request_hash, model_ref, provider_ref, scenario_ref,"
            " scenario_hash_ref, query_ref, condition_ref, sample, status, created_ref)"
            f" VALUES ('collect', ?, {name}, {name}, {name}, {name}, {name}, ?, 0, ?, {name})"
        )
        conn.execute(insert, ("new", name, "ok"))
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            conn.execute(insert, ("bad-status", name, "maybe"))
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            conn.execute(insert, ("new", name, "ok"))
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            conn.execute("INSERT INTO labels VALUES (999, 'tags@1', 0, 'refuse', 0, '', NULL, 't', NULL)")
        # a label still goes with its response
        conn.execute("DELETE FROM response_rows WHERE id = 10")
        assert conn.execute("SELECT COUNT(*) FROM labels WHERE response_id = 10").fetchone()[0] == 0


def test_designs_are_stored_once_per_scenario_version_and_read_back(tmp_path: Path) -> None:
    design = Design(("free", "paid", "throughput"), "paid", ("free", "throughput"))
    with open_store(tmp_path / "s.sqlite") as store:
        store.write_designs([("h3", "tiers", design), ("h2", "helpful-only", TWO_CONDITION)])
        store.write_designs([("h3", "tiers", design)])
        assert store.read_designs() == {"h3": design, "h2": TWO_CONDITION}
        assert store.conn.execute("SELECT COUNT(*) FROM designs").fetchone()[0] == 2
        with pytest.raises(StoreError, match="not storing condition 'Free!'"):
            store.write_designs([("h4", "x", Design(("Free!", "paid"), "paid"))])


def test_a_schema4_store_read_as_it_is_has_no_designs(tmp_path: Path) -> None:
    # a read-only store too old to upgrade is read without migrating: it has no designs table
    path = tmp_path / "old.sqlite"
    _schema4_store(path)
    with sqlite3.connect(path) as conn:
        assert Store(conn, path).read_designs() == {}
