"""The streamed import: the fast path gives the pydantic path's rows; duplicates name their lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from afgap import files
from afgap.errors import ImportFormatError
from afgap.jobs import import_rows
from afgap.jobs.interchange import import_file
from afgap.records import InterchangeRecord
from afgap.store.database import open_store

NOW = "2026-01-01T00:00:00+00:00"
BASE = {"model": "lab/m1", "scenario": "helpful-only", "condition": "monitored", "query_id": "q1"}


@pytest.mark.parametrize(
    "line",
    [
        {**BASE, "outcome": "comply"},
        {**BASE, "sample": 7, "outcome": "refuse", "af_reasoning": False, "simulated": True},
        {**BASE, "outcome": "comply", "af_reasoning": True, "query": "q text", "response": "r"},
        {**BASE, "outcome": "error"},
        {**BASE, "model": "ünï/cödé \u00e9", "query_id": 'q"1', "outcome": "partial"},
        {**BASE, "outcome": "unavailable", "af_reasoning": None},
    ],
)
def test_fast_path_gives_the_validated_records_row(tmp_path: Path, line: dict[str, Any]) -> None:
    raw = json.dumps(line).encode()
    fast = import_rows._fast(tmp_path, 3, raw, NOW)
    record = files.validated(InterchangeRecord, line, "x")
    assert fast is not None
    assert fast == import_rows.staged_record(tmp_path, 3, record, NOW)


@pytest.mark.parametrize(
    "line",
    [
        {**BASE, "sample": "3", "outcome": "comply"},  # lax pydantic coerces; the fast path leaves it
        {**BASE, "sample": 2.0, "outcome": "comply"},
        {**BASE, "response": "I will help."},  # text to classify
        {**BASE, "outcome": "comply", "extra": 1},
        {**BASE, "condition": "Paid tier", "outcome": "comply"},
        {**BASE, "sample": -1, "outcome": "comply"},
        {**BASE, "outcome": "yes"},
    ],
)
def test_fast_path_leaves_anything_unusual_to_the_model(tmp_path: Path, line: dict[str, Any]) -> None:
    assert import_rows._fast(tmp_path, 1, json.dumps(line).encode(), NOW) is None


def _write(path: Path, lines: list[dict[str, Any] | str]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


def _lines(n: int) -> list[dict[str, Any] | str]:
    return [{**BASE, "query_id": f"q{i}", "outcome": "comply"} for i in range(n)]


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_rows, "CHUNK", 3)


def test_a_duplicate_in_a_later_chunk_names_the_earlier_line_and_stores_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    import_file(db, _write(tmp_path / "ok.jsonl", [{**BASE, "query_id": "old", "outcome": "refuse"}]))
    lines = _lines(8)
    lines[6] = lines[1]
    with pytest.raises(ImportFormatError, match=r"bad.jsonl:7: duplicates line 2 \(same model"):
        import_file(db, _write(tmp_path / "bad.jsonl", lines))
    with open_store(db, readonly=True) as store:
        assert len(store.outcomes()) == 1


def test_the_first_problem_in_file_order_is_reported(tmp_path: Path) -> None:
    lines = _lines(8)
    lines[4] = lines[0]  # a duplicate on line 5, in the chunk still being read ...
    lines[5] = "{not json"  # ... before a bad line 6
    with pytest.raises(ImportFormatError, match=r"f.jsonl:5: duplicates line 1"):
        import_file(tmp_path / "s.db", _write(tmp_path / "f.jsonl", lines))
    assert not (tmp_path / "s.db").exists()  # a store the failed import created is removed


def test_cells_already_stored_are_counted_and_repeated_ones_still_refused(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert import_file(db, _write(tmp_path / "a.jsonl", _lines(4))) == (4, 0)
    assert import_file(db, _write(tmp_path / "b.jsonl", _lines(7))) == (3, 4)
    twice = [*_lines(2), _lines(2)[1]]
    with pytest.raises(ImportFormatError, match=r"c.jsonl:3: duplicates line 2"):
        import_file(db, _write(tmp_path / "c.jsonl", twice))
    with open_store(db, readonly=True) as store:
        labels = {(o.query_id, o.classifier) for o in store.outcomes()}
    assert labels == {(f"q{i}", "import@1") for i in range(7)}


@pytest.mark.parametrize(
    ("repeats", "message"),
    [
        ({6: 1}, r"bad.jsonl:7: duplicates line 2"),  # a later chunk
        ({3: 0, 7: 0}, r"bad.jsonl:4: duplicates line 1"),  # three times: the second names the first
        ({7: 2, 5: 4}, r"bad.jsonl:6: duplicates line 5"),  # the first repeat in file order wins
    ],
)
def test_a_first_import_finds_repeats_after_storing_and_stores_nothing(
    tmp_path: Path, repeats: dict[int, int], message: str
) -> None:
    """Into a store holding no import, rows go in without a lookup each; repeats are found afterwards."""
    db = tmp_path / "s.db"
    lines = _lines(9)
    for at, original in repeats.items():
        lines[at] = lines[original]
    with pytest.raises(ImportFormatError, match=message):
        import_file(db, _write(tmp_path / "bad.jsonl", lines))
    assert not db.exists()


def test_a_bad_line_before_any_repeat_is_the_error_of_a_first_import(tmp_path: Path) -> None:
    lines = _lines(8)
    lines[2] = "{not json"
    lines[6] = lines[0]
    with pytest.raises(ImportFormatError, match=r"f.jsonl:3: "):
        import_file(tmp_path / "s.db", _write(tmp_path / "f.jsonl", lines))
