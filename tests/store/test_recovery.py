"""Recovery files: what the store would not take is saved whole, imported once, and read as untrusted."""

from __future__ import annotations

import io
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from afgap.errors import StoreError
from afgap.records import CallRecord
from afgap.store import recovery, writer_child
from afgap.store.database import Store, open_store
from afgap.store.framing import SAVED, frame
from afgap.store.rows import messages_json, response_row, timestamp
from afgap.store.writes import Item
from tests.store.test_writer import ANSWER, _plans


def _items(n: int, run_id: int = 1, text: str = ANSWER) -> list[Item]:
    now = timestamp()
    records = [CallRecord(plan=p, status="ok", messages_sent=p.messages, text=text) for p in _plans(n)]
    return [(response_row(r, run_id, "q", now), messages_json(r), (r.text, None, False)) for r in records]


def _stored(path: Path) -> tuple[int, int, int]:
    """(responses, distinct request hashes, tag labels)."""
    with sqlite3.connect(path) as conn:
        total, cells = conn.execute("SELECT COUNT(*), COUNT(DISTINCT request_hash) FROM responses").fetchone()
        labels = conn.execute("SELECT COUNT(*) FROM labels WHERE classifier LIKE 'tags%'").fetchone()[0]
    return int(total), int(cells), int(labels)


def _store(tmp_path: Path) -> Store:
    store = open_store(tmp_path / "s.sqlite")
    store.start_run("t", {})
    return store


def test_a_saved_call_reads_back_as_it_was_even_with_unencodable_text(tmp_path: Path) -> None:
    items = _items(2, text="a\ud800b")  # a lone surrogate: UTF-8 cannot hold it, the file keeps it
    path = tmp_path / "r.jsonl"
    assert recovery.save(path, items[:3]) == 3
    assert recovery.save(path, items[3:]) == 1  # appends
    assert recovery.load(path) == items


def test_import_commits_labels_and_deletes_the_file_and_a_second_import_duplicates_nothing(
    tmp_path: Path,
) -> None:
    items = _items(3)
    with _store(tmp_path) as store:
        first = recovery.recovery_path(store.path, 1)
        recovery.save(first, items[:4])
        done = recovery.import_pending(store)
        assert [(d.path, d.stored, d.already) for d in done] == [(first, 4, 0)]
        assert not first.exists()
        # A file holding calls already stored (say the collect died after committing, before deleting).
        again = recovery.recovery_path(store.path, 2)
        recovery.save(again, items)
        assert [(d.stored, d.already) for d in recovery.import_pending(store)] == [(2, 4)]
        assert recovery.pending(store.path) == []
    assert _stored(tmp_path / "s.sqlite") == (6, 6, 6)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('{"row": {}, "messages": "[]", "answer": null}', "field 'row.source': Missing required argument"),
        ('{"pickle": "gASV"}', "missing field 'row'"),
    ],
)
def test_a_corrupt_recovery_file_names_its_line_and_is_left_in_place(
    tmp_path: Path, line: str, problem: str
) -> None:
    with _store(tmp_path) as store:
        path = recovery.recovery_path(store.path, 1)
        recovery.save(path, _items(1)[:1])
        with path.open("a") as f:
            f.write(line + "\n")
        before = path.read_bytes()
        with pytest.raises(StoreError) as failure:
            recovery.import_pending(store)
    message = str(failure.value)
    assert message.startswith(f"recovery file {path}:2: ") and problem in message, message
    assert "\n" not in message and path.read_bytes() == before
    assert _stored(tmp_path / "s.sqlite")[0] == 0  # all or nothing


def _frames(batches: list[list[Item]]) -> io.BytesIO:
    return io.BytesIO(b"".join(frame([], list(batch)) for batch in batches))


def test_the_child_saves_the_batch_in_hand_and_all_later_ones_when_the_disk_fills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = writer_child.open_store

    def nearly_full(path: Path, **kwargs: Any) -> Store:
        store = real_open(path, **kwargs)
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(
            f"PRAGMA max_page_count = {pages + 40}"
        )  # room for a few replies, then SQLITE_FULL
        return store

    monkeypatch.setattr(writer_child, "open_store", nearly_full)
    _store(tmp_path).close()
    items = _items(30)  # 60 calls with a long reply each, in batches of 6
    for i, (row, sent, _) in enumerate(items):
        items[i] = (row._replace(text="x" * 3000), sent, ("x" * 3000, None, False))
    batches = [items[i : i + 6] for i in range(0, len(items), 6)]
    saved, status = tmp_path / "s.sqlite.recovery-1-t.jsonl", io.StringIO()
    code = writer_child.serve(tmp_path / "s.sqlite", saved, 5.0, _frames(batches), status)
    assert code == SAVED and status.getvalue().splitlines() == ["failed"]
    stored_hashes = {
        h for (h,) in sqlite3.connect(tmp_path / "s.sqlite").execute("SELECT request_hash FROM responses")
    }
    saved_hashes = {json.loads(line)["row"]["request_hash"] for line in saved.read_text().splitlines()}
    assert stored_hashes and saved_hashes and not stored_hashes & saved_hashes
    assert stored_hashes | saved_hashes == {row.request_hash for row, _, _ in items}


def test_a_recovery_file_being_written_is_left_for_the_next_collect(tmp_path: Path) -> None:
    import fcntl

    with _store(tmp_path) as store:
        path = recovery.recovery_path(store.path, 1)
        recovery.save(path, _items(1))
        with path.open("a") as writing:
            fcntl.flock(writing.fileno(), fcntl.LOCK_EX)  # as a collect's writer appending to it holds it
            assert recovery.import_pending(store) == [] and path.exists()
        assert [d.stored for d in recovery.import_pending(store)] == [2] and not path.exists()
    # A save that waited on an import which then deleted the file starts a new file: no line is lost.
    path.write_text("")
    with path.open("rb") as importing:
        fcntl.flock(importing.fileno(), fcntl.LOCK_EX)
        saving = threading.Thread(target=recovery.save, args=(path, _items(1)))
        saving.start()
        time.sleep(0.2)  # it has opened the file and waits for the lock
        path.unlink()
    saving.join(5)
    assert len(path.read_text().splitlines()) == 2
