"""Counts in SQL are offered only when they equal counting the responses one by one."""

from __future__ import annotations

from pathlib import Path

from afgap.records import InterchangeRecord, Label, Outcome
from afgap.store.database import open_store


def _record(sample: int, condition: str = "monitored") -> InterchangeRecord:
    return InterchangeRecord(model="m/a", scenario="s", condition=condition, query_id="q", sample=sample)


def _label(outcome: Outcome, classifier: str = "import@1") -> Label:
    return Label(outcome=outcome, classifier=classifier, rule="imported")


def test_counts_group_responses_by_cell_and_outcome(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite") as store:
        store.import_records([(_record(i), [_label(Outcome.COMPLY)]) for i in range(3)])
        store.import_records([(_record(0, "unmonitored"), [_label(Outcome.REFUSE)])])
        found = store.outcome_counts()
    assert found is not None
    assert sorted((c.condition, c.outcome, c.responses) for c in found) == [
        ("monitored", Outcome.COMPLY, 3),
        ("unmonitored", Outcome.REFUSE, 1),
    ]


def test_no_counts_when_a_response_has_two_equally_preferred_labels(tmp_path: Path) -> None:
    """Reading row by row keeps one of them; a sum over groups would count the response twice."""
    with open_store(tmp_path / "s.sqlite") as store:
        store.import_records([(_record(0), [_label(Outcome.COMPLY), _label(Outcome.REFUSE, "import@2")])])
        assert store.outcome_counts() is None


def test_no_counts_when_a_cell_is_stored_twice(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite") as store:
        store.import_records([(_record(0), [_label(Outcome.COMPLY)])])
        store.conn.execute(
            "INSERT INTO response_rows (source, request_hash, model_ref, provider_ref, scenario_ref,"
            " scenario_hash_ref, query_ref, condition_ref, sample, status, created_ref)"
            " SELECT source, 'again', model_ref, provider_ref, scenario_ref, scenario_hash_ref, query_ref,"
            " condition_ref, sample, status, created_ref FROM response_rows"
        )
        assert store.outcome_counts() is None
