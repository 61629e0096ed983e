"""Schema 10: an imported response's request hash becomes `import:<id>`; nothing else changes.

The upgrade runs on a store made by schema 9 holding collected responses with text and their labels, judge
labels and calls, batch rows, and responses imported with the old key (the cell as JSON); afterwards an
import of the same cells finds them already present.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from afgap.jobs.interchange import export_store, import_file
from afgap.store.database import open_store
from afgap.store.migrations import MIGRATIONS, SCHEMA_VERSION

TABLES = ("runs", "prompts", "labels", "judge_calls", "batch_exports", "provider_batches")
OLD_KEY = 'import:["lab/m","s","q{q}","monitored",0]'


def _schema9_store(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:9]:
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(statement)
    conn.execute("PRAGMA user_version = 9")
    conn.execute("INSERT INTO runs VALUES (1, 't0', 't1', '0.9', 'afgap collect', '{}')")
    conn.execute('INSERT INTO prompts VALUES (7, \'[{"role": "user", "content": "hi"}]\')')
    insert = (
        "INSERT INTO responses (id, run_id, source, request_hash, model, provider, scenario, scenario_hash,"
        " query_id, condition, sample, status, text, created_at, prompt_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?, 0, 'ok', ?, 't', ?)"
    )
    for rid, condition in ((10, "monitored"), (11, "unmonitored")):
        values = (rid, 1, "collect", f"{rid:064x}", "sim/faker", "sim", "s", "abc", "q1", condition, "hi", 7)
        conn.execute(insert, values)
    for rid, q in ((20, 1), (21, 2)):
        values = (rid, None, "import", OLD_KEY.format(q=q), "lab/m", "lab", "s", "import:s", f"q{q}")
        conn.execute(insert, (*values, "monitored", None, None))
        conn.execute(
            "INSERT INTO labels VALUES (?, 'import@1', 2, 'comply', 1, 'imported', NULL, 't', NULL)", (rid,)
        )
    conn.execute("INSERT INTO labels VALUES (10, 'tags@1', 0, 'refuse', 0, '', NULL, 't', NULL)")
    conn.execute("INSERT INTO labels VALUES (11, 'judge:sim/judge@1', 3, 'comply', 1, 'r', 0.9, 't', '{}')")
    conn.execute(
        "INSERT INTO judge_calls VALUES ('j1', 11, 'sim/judge', 'compliance', 0, 0, 'yes', 1, 1, 0.0, 1, 't')"
    )
    conn.execute(
        "INSERT INTO batch_exports VALUES ('c1', 'h1', 1, 'sim/faker', 's', 'abc', 'q2', 'monitored', 0,"
        " NULL, 'plan', 7, NULL, 't', NULL)"
    )
    conn.execute("INSERT INTO provider_batches VALUES ('b1', 'sim', 'sim/faker', 't', 'running', '[]')")
    conn.close()


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as conn:
        found = {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in TABLES}
        found["responses"] = conn.execute("SELECT * FROM responses ORDER BY id").fetchall()
    return found


def test_imported_keys_are_shortened_and_every_other_value_kept(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _schema9_store(path)
    before = _dump(path)
    with open_store(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    after = _dump(path)
    hashes = {row[0]: row[3] for row in after["responses"]}
    assert hashes == {10: f"{10:064x}", 11: f"{11:064x}", 20: "import:20", 21: "import:21"}
    strip = [row[:3] + row[4:] for row in before.pop("responses")]
    assert [row[:3] + row[4:] for row in after.pop("responses")] == strip
    assert after == before


def test_after_the_upgrade_the_same_cells_are_already_present(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _schema9_store(path)
    lines = [
        {
            "model": "lab/m",
            "scenario": "s",
            "condition": "monitored",
            "query_id": f"q{q}",
            "outcome": "comply",
        }
        for q in (1, 2, 3)
    ]
    records = tmp_path / "again.jsonl"
    records.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert import_file(path, records) == (1, 2)
    with open_store(path, readonly=True) as store:
        # Line 3 of the file, after the largest id before the import (21).
        found = store.conn.execute("SELECT id, request_hash FROM responses WHERE id > 21").fetchall()
        assert found == [(24, "import:24")]
    exported = tmp_path / "out.jsonl"
    with exported.open("w") as out:
        assert export_store(path, out) == 5
