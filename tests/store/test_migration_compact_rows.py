"""Schema 11: names stored once, `responses` a view over compact rows, labels in one B-tree.

The upgrade runs on a store made by schema 10 holding every kind of row: collected responses with text and
an errored one, tag, screen, judge and import labels, judge calls, anti-lab choices, batch rows, designs,
claims and imported responses. Read back through the view, every table is as it was, and the reads
compare, collect and export use still answer from it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from afgap.store.database import open_store
from afgap.store.migrations import MIGRATIONS, SCHEMA_VERSION

TABLES = (
    "runs",
    "prompts",
    "responses",
    "labels",
    "judge_calls",
    "anti_lab_labels",
    "batch_exports",
    "provider_batches",
    "designs",
    "collectors",
    "claims",
)
_INSERT = (
    "INSERT INTO responses (id, run_id, source, request_hash, model, provider, scenario, scenario_hash,"
    " query_id, query_text, condition, sample, status, text, reasoning, tokens_in, cost_usd, error_class,"
    " created_at, prompt_id, cache_read_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " ?, ?, ?)"
)
_COLLECTED = (1, "collect", "sim/faker", "sim", "helpful-only", "abc", "q1", "how?")


def _schema10_store(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:10]:
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(statement)
    conn.execute("PRAGMA user_version = 10")
    conn.execute("INSERT INTO runs VALUES (1, 't0', 't1', '0.9', 'afgap collect', '{}')")
    conn.execute('INSERT INTO prompts VALUES (7, \'[{"role": "user", "content": "hi"}]\')')
    run, source, model, provider, scenario, s_hash, query, text = _COLLECTED
    for rid, condition, status in ((10, "monitored", "ok"), (11, "unmonitored", "ok"), (12, "free", "error")):
        reply = None if status == "error" else "<OUTPUT>sure</OUTPUT>"
        values = (rid, run, source, f"{rid:064x}", model, provider, scenario, s_hash, query, text, condition)
        extra = (0, status, reply, "thinking", 12, 0.5, "Timeout" if status == "error" else None, "t", 7, 3)
        conn.execute(_INSERT, (*values, *extra))
    for rid, condition in ((20, "monitored"), (21, "unmonitored")):
        values = (
            rid,
            None,
            "import",
            f"import:{rid}",
            "lab/m",
            "lab",
            "s",
            "import:s",
            "q9",
            None,
            condition,
        )
        conn.execute(_INSERT, (*values, 4, "ok", None, None, None, None, None, "t2", None, None))
        conn.execute(
            "INSERT INTO labels VALUES (?, 'import@1', 2, 'comply', 1, 'imported', NULL, 't2', NULL)", (rid,)
        )
    conn.execute("INSERT INTO labels VALUES (10, 'tags@1', 0, 'refuse', 0, '', NULL, 't', NULL)")
    conn.execute("INSERT INTO labels VALUES (10, 'screen@2', 1, 'refuse', 0, 'r', 0.1, 't', NULL)")
    conn.execute("INSERT INTO labels VALUES (11, 'judge:sim/judge@1', 3, 'comply', 1, 'r', 0.9, 't', '{}')")
    conn.execute(
        "INSERT INTO judge_calls VALUES ('j1', 11, 'sim/judge', 'compliance', 0, 0, 'yes', 1, 1, 0.0, 1, 't')"
    )
    conn.execute("INSERT INTO anti_lab_labels VALUES (11, 'tags@1', 0, 'decline', '', NULL, NULL, 't')")
    conn.execute(
        "INSERT INTO batch_exports VALUES ('c1', 'h1', 1, 'sim/faker', 's', 'abc', 'q2', 'monitored', 0,"
        " NULL, 'plan', 7, NULL, 't', NULL)"
    )
    conn.execute("INSERT INTO provider_batches VALUES ('b1', 'sim', 'sim/faker', 't', 'running', '[]')")
    conn.execute("INSERT INTO designs VALUES ('abc', 'helpful-only', '[]', 'monitored', '[]')")
    conn.execute("INSERT INTO collectors VALUES (1, 42, 'host', NULL, 't')")
    conn.execute("INSERT INTO claims VALUES ('h99', 1)")
    conn.close()


# Columns a later migration added, left out so the old columns are compared as they were.
_OLD_COLUMNS = {"designs": "scenario_hash, scenario, conditions, reference, levels"}


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as conn:
        return {
            t: conn.execute(f"SELECT {_OLD_COLUMNS.get(t, '*')} FROM {t} ORDER BY 1, 2").fetchall()
            for t in TABLES
        }


def test_the_upgrade_keeps_every_row_as_the_view_shows_it(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _schema10_store(path)
    before = _dump(path)
    with open_store(path) as store:
        conn = store.conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # an imported row keeps no hash; the view derives the same stand-in
        stored = conn.execute(
            "SELECT id FROM response_rows WHERE request_hash IS NULL ORDER BY id"
        ).fetchall()
        assert stored == [(20,), (21,)]
        assert store.completed_hashes() == {f"{10:064x}", f"{11:064x}"}
        assert store.stored_count([f"{12:064x}", "import:20"]) == 1
        counts = store.outcome_counts()
        assert counts is not None and sum(c.responses for c in counts) == 5
        assert {c.model for c in counts} == {"sim/faker", "lab/m"}
        assert conn.execute("SELECT DISTINCT measures FROM designs").fetchall() == [("compliance",)]
    assert _dump(path) == before


def test_labels_still_cascade_and_keep_one_per_classifier(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _schema10_store(path)
    with open_store(path) as store:
        conn = store.conn
        conn.execute("DELETE FROM response_rows WHERE id = 10")
        assert conn.execute("SELECT COUNT(*) FROM labels WHERE response_id = 10").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM anti_lab_labels").fetchone()[0] == 1
        conn.execute("DELETE FROM response_rows WHERE id = 11")
        assert conn.execute("SELECT COUNT(*) FROM judge_calls").fetchone()[0] == 0
        indexes = {row[1] for row in conn.execute("PRAGMA index_list(labels)")}
        assert indexes == {"sqlite_autoindex_labels_1"}  # the key itself; no second index
