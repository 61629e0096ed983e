"""The counts a store keeps equal grouping its responses afresh, whatever wrote them, or are never read."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afgap.errors import ImportFormatError
from afgap.records import Label, Outcome
from afgap.store import count_summary
from afgap.store.count_summary import Summary
from afgap.store.database import Store, open_store
from afgap.store.imports import Staged, import_values
from afgap.store.rows import classifier_strength

NOW = "2026-01-01T00:00:00Z"


def _state(store: Store) -> tuple[bool, bool] | None:
    return Summary(store.conn).state()


def _kept(store: Store) -> list[tuple[Any, ...]]:
    return Summary(store.conn).rows("", [])


def _regrouped(store: Store) -> list[tuple[Any, ...]] | None:
    return store._grouped("", [], None)


def _line(
    number: int,
    cell: tuple[str, str, str, str, int],
    outcome: str,
    labels: list[tuple[str, str, bool | None]],
    simulated: bool = False,
) -> Staged:
    """One staged import line: its row, and labels as (classifier, outcome, af_reasoning)."""
    status = outcome if outcome in ("error", "unavailable") else "ok"
    row = import_values(cell, status, NOW, None, None, simulated)
    found = [(c, classifier_strength(c), o, af, "r", None) for c, o, af in labels]
    return number, row, found


def _duplicate(line: int, earlier: int) -> Exception:
    return ImportFormatError(f"line {line} repeats line {earlier}")


def _import(store: Store, lines: list[Staged]) -> None:
    store.import_chunks([lines], _duplicate)


def test_a_new_store_keeps_fresh_empty_counts(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite") as store:
        assert _state(store) == (True, True)
        assert store.outcome_counts() == []


def test_an_import_keeps_the_groups_regrouping_would_give(tmp_path: Path) -> None:
    lines = [
        _line(1, ("m/a", "s", "q1", "monitored", 0), "comply", [("import@1", "comply", True)]),
        _line(2, ("m/a", "s", "q1", "monitored", 1), "comply", [("import@1", "comply", False)], True),
        _line(3, ("m/a", "s", "q1", "unmonitored", 0), "error", []),
        _line(4, ("m/b", "s", "q1", "unmonitored", 0), "refuse", [("import@1", "refuse", None)]),
        # two labels of different strength: the judge's is preferred
        _line(
            5,
            ("m/b", "s", "q2", "monitored", 0),
            "comply",
            [("tags@1", "refuse", None), ("judge:x@1", "comply", True)],
        ),
        _line(6, ("m/b", "s", "q2", "monitored", 1), "comply", []),
    ]
    with open_store(tmp_path / "s.sqlite") as store:
        _import(store, lines)
        assert _state(store) == (True, True)
        assert _kept(store) == _regrouped(store)
        assert sum(row[10] for row in _kept(store)) == 6


def test_a_second_import_adds_to_the_kept_groups(tmp_path: Path) -> None:
    first = [_line(1, ("m/a", "s", "q1", "monitored", 0), "comply", [("import@1", "comply", True)])]
    second = [
        _line(1, ("m/a", "s", "q1", "monitored", 0), "comply", [("import@1", "comply", True)]),  # present
        _line(2, ("m/a", "s", "q1", "monitored", 1), "comply", [("import@1", "comply", True)]),
        _line(3, ("m/a", "s", "q9", "monitored", 0), "refuse", [("import@1", "refuse", False)]),
    ]
    with open_store(tmp_path / "s.sqlite") as store:
        _import(store, first)
        _import(store, second)
        assert _state(store) == (True, True)
        assert _kept(store) == _regrouped(store)
        assert sorted(row[10] for row in _kept(store)) == [1, 2]


def test_equally_preferred_labels_are_kept_as_uncountable(tmp_path: Path) -> None:
    tie = [("import@1", "comply", None), ("import@2", "refuse", None)]
    with open_store(tmp_path / "s.sqlite") as store:
        _import(store, [_line(1, ("m/a", "s", "q", "monitored", 0), "comply", tie)])
        assert _state(store) == (True, False)
        assert store.outcome_counts() is None


def test_any_write_marks_the_counts_stale_and_they_are_never_read_so(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with open_store(db) as store:
        _import(
            store, [_line(1, ("m/a", "s", "q", "monitored", 0), "comply", [("import@1", "comply", None)])]
        )
        (response_id,) = store.conn.execute("SELECT id FROM response_rows").fetchone()
        store.write_judge_labels([(response_id, Label(outcome=Outcome.REFUSE, classifier="judge:j@1"), "{}")])
        assert _state(store) == (False, True)
        assert _kept(store)[0][6] == "comply"  # what was kept is out of date ...
        counted = store.outcome_counts()
        assert counted is not None and [c.outcome for c in counted] == [Outcome.REFUSE]  # ... and unread
    with open_store(db) as store:  # closing after the write regrouped them
        assert _state(store) == (True, True)
        assert _kept(store) == _regrouped(store)
        assert _kept(store)[0][6] == "refuse"


@pytest.mark.parametrize(
    "write",
    [
        "DELETE FROM response_rows",
        "UPDATE response_rows SET status = 'error'",
        "UPDATE response_rows SET simulated = 1",
        "UPDATE labels SET outcome = 'refuse'",
        "UPDATE labels SET af_reasoning = 1",
        "DELETE FROM labels",
    ],
)
def test_another_programs_write_marks_the_counts_stale(tmp_path: Path, write: str) -> None:
    db = tmp_path / "s.sqlite"
    with open_store(db) as store:
        _import(
            store, [_line(1, ("m/a", "s", "q", "monitored", 0), "comply", [("import@1", "comply", None)])]
        )
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(write)
    with open_store(db, readonly=True) as store:
        assert _state(store) == (False, True)
        regrouped = store.outcome_counts()
    with open_store(db):  # a writing command's close regroups them
        pass
    with open_store(db, readonly=True) as store:
        assert _state(store) == (True, True)
        assert store.outcome_counts() == regrouped


def test_a_write_that_changes_no_count_leaves_them_fresh(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with open_store(db) as store:
        _import(
            store, [_line(1, ("m/a", "s", "q", "monitored", 0), "comply", [("import@1", "comply", None)])]
        )
        store.conn.execute("UPDATE response_rows SET cost_usd = 0.5")
        assert _state(store) == (True, True)


def test_a_failed_command_and_a_reader_leave_stale_counts_and_the_file_alone(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with open_store(db) as store:
        _import(
            store, [_line(1, ("m/a", "s", "q", "monitored", 0), "comply", [("import@1", "comply", None)])]
        )
    with pytest.raises(RuntimeError), open_store(db) as store:
        store.conn.execute("UPDATE labels SET outcome = 'refuse'")
        raise RuntimeError("the command failed")
    before = db.read_bytes()
    with open_store(db, readonly=True) as store:
        assert _state(store) == (False, True)
        assert store.outcome_counts() is not None
    assert db.read_bytes() == before


def test_an_import_that_fails_leaves_the_counts_and_triggers_as_they_were(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with open_store(db) as store:
        _import(
            store, [_line(1, ("m/a", "s", "q", "monitored", 0), "comply", [("import@1", "comply", None)])]
        )
        kept = _kept(store)
        twice = [_line(n, ("m/a", "s", "q", "monitored", 5), "comply", []) for n in (1, 2)]
        with pytest.raises(ImportFormatError):
            _import(store, twice)
        assert _state(store) == (True, True) and _kept(store) == kept
        triggers = store.conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'")
        assert triggers.fetchone() == (6,)


_CELLS = st.tuples(
    st.sampled_from(["m/a", "m/b"]),
    st.sampled_from(["s", "t"]),
    st.sampled_from(["q1", "q2", "q3"]),
    st.sampled_from(["monitored", "unmonitored"]),
    st.integers(0, 3),
)
_LABEL = st.tuples(
    st.sampled_from(["import@1", "tags@1", "judge:j@1"]),
    st.sampled_from(["comply", "refuse", "partial"]),
    st.sampled_from([None, True, False]),
)
_LINE = st.tuples(
    _CELLS,
    st.sampled_from(["comply", "refuse", "error"]),
    st.lists(_LABEL, max_size=2, unique_by=lambda x: x[0]),
    st.booleans(),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(_LINE, max_size=12, unique_by=lambda x: x[0]), min_size=1, max_size=3))
def test_kept_counts_after_imports_equal_regrouping(
    tmp_path_factory: pytest.TempPathFactory, batches: Any
) -> None:
    """Imports one after another (cells already present skipped): kept counts are fresh and exact, or
    uncountable exactly when regrouping says so."""
    db = tmp_path_factory.mktemp("imports") / "s.sqlite"
    with open_store(db) as store:
        for batch in batches:
            lines = [
                _line(n, cell, outcome, labels if outcome != "error" else [], sim)
                for n, (cell, outcome, labels, sim) in enumerate(batch, 1)
            ]
            _import(store, lines)
        state = _state(store)
        regrouped = _regrouped(store)
        assert state is not None and state[0]
        if state[1]:
            assert _kept(store) == regrouped
        else:
            assert regrouped is None


def test_an_older_store_with_responses_is_upgraded_with_stale_counts(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with open_store(db) as store:
        _import(
            store, [_line(1, ("m/a", "s", "q", "monitored", 0), "comply", [("import@1", "comply", None)])]
        )
    with sqlite3.connect(db) as conn:  # as schema 11 left it: no kept counts
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DROP TABLE cell_counts")
        conn.execute("DROP TABLE count_state")
        # without DROP COLUMN, which SQLite before 3.35 lacks
        old_columns = "scenario_hash, scenario, conditions, reference, levels"
        conn.execute(f"CREATE TABLE designs_11 AS SELECT {old_columns} FROM designs")
        conn.execute("DROP TABLE designs")
        conn.execute("ALTER TABLE designs_11 RENAME TO designs")
        conn.execute("PRAGMA user_version = 11")
    with pytest.raises(RuntimeError), open_store(db) as store:  # upgraded; a failing command regroups nothing
        assert _state(store) == (False, True)
        raise RuntimeError
    with open_store(db) as store:
        assert _state(store) == (False, True)
    with open_store(db, readonly=True) as store:
        assert _state(store) == (True, True)
        assert _kept(store) == _regrouped(store) and len(_kept(store)) == 1


def test_groups_nearly_as_many_as_responses_are_not_kept(tmp_path: Path) -> None:
    """Reading them would save nothing over grouping; readers group afresh, and get the same counts."""
    lines = [
        _line(n, ("m/a", "s", f"q{n}", "monitored", 0), "comply", [("import@1", "comply", None)])
        for n in range(1, 1202)
    ]
    with open_store(tmp_path / "s.sqlite") as store:
        _import(store, lines)
        assert _state(store) == (True, False) and _kept(store) == []
        counted = store.outcome_counts()
        assert counted is not None and sum(c.responses for c in counted) == 1201


def test_an_import_past_the_tally_limit_keeps_no_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(count_summary, "MAX_TALLY", 3)
    lines = [
        _line(n, ("m/a", "s", f"q{n % 5}", "monitored", n), "comply", [("import@1", "comply", None)])
        for n in range(1, 21)
    ]
    with open_store(tmp_path / "s.sqlite") as store:
        _import(store, lines)
        assert _state(store) == (True, False) and _kept(store) == []
        counted = store.outcome_counts()
        assert counted is not None and sorted(c.responses for c in counted) == [4] * 5
