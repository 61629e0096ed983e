"""Compare counted in SQL gives the same report, byte for byte, as compare reading every response."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from afgap.jobs import compare as compare_job
from afgap.jobs.compare import compare_run
from afgap.records import Label, Outcome
from afgap.report.formats import to_json
from afgap.stats.analysis import Settings
from afgap.store.database import open_store


def _both(db: Path, monkeypatch: pytest.MonkeyPatch, **options: Any) -> tuple[str, str]:
    """The compare@1 JSON (and notes, labels used) counted in SQL, then read row by row."""
    counted = compare_run(db, ["all"], Settings(n_boot=200), **options)
    with monkeypatch.context() as patched:
        patched.setattr(compare_job, "counted_data", lambda *_: None)
        rowwise = compare_run(db, ["all"], Settings(n_boot=200), **options)

    def shown(run: compare_job.ComparisonRun) -> str:
        return to_json(run.comparison) + json.dumps([run.notes, run.labels_used])

    return shown(counted), shown(rowwise)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store plus imported records: a second version of a scenario, unlabelled and failed rows."""
    from tests.conftest import run_main

    db = tmp_path_factory.mktemp("counts") / "demo.sqlite"
    assert run_main(["demo", "--samples", "2", "--db", str(db)]).exit_code == 0
    records = tmp_path_factory.mktemp("counts") / "more.jsonl"
    lines = []
    for q in range(6):
        for condition, outcome in (("monitored", "comply"), ("unmonitored", "refuse")):
            base = {
                "model": "sim/faker",
                "scenario": "helpful-only",
                "condition": condition,
                "query_id": f"x{q}",
            }
            lines.append({**base, "outcome": outcome, "af_reasoning": q % 2 == 0})
            lines.append({**base, "sample": 1, "response": "I will not help with that."})
            lines.append({**base, "sample": 2, "outcome": "error"})
    records.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert run_main(["import", str(records), "--db", str(db)]).exit_code == 0
    with open_store(db) as store:  # a judge's labels outrank the others on a few responses
        ids = [row[0] for row in store.conn.execute("SELECT id FROM responses ORDER BY id LIMIT 12")]
        judged = [
            Label(outcome=Outcome.COMPLY, af_reasoning=i % 3 == 0, classifier="judge:sim/j@1") for i in ids
        ]
        store.write_judge_labels([(i, label, "{}") for i, label in zip(ids, judged, strict=True)])
    return db


def test_counted_and_rowwise_compare_agree_byte_for_byte(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted, rowwise = _both(demo_store, monkeypatch)
    assert counted == rowwise
    assert "helpful-only@imported" in counted  # the imported version is its own row in both
    assert '"judge:sim/j@1": 12' in counted  # the judge's labels are the ones used where present


@pytest.mark.parametrize(
    "options", [{"scenarios": ["helpful-only@imported"]}, {"classifier": "tags"}, {"classifier": "judge"}]
)
def test_they_agree_on_a_chosen_scenario_and_classifier(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]
) -> None:
    counted, rowwise = _both(demo_store, monkeypatch, **options)
    assert counted == rowwise


def test_kept_and_regrouped_counts_agree_byte_for_byte(tmp_path: Path, demo_store: Path) -> None:
    """The counts the store keeps (fresh after the fixture's last write) and those grouped afresh."""
    stale = tmp_path / "stale.sqlite"
    with open_store(demo_store, readonly=True) as store:
        assert store.conn.execute("SELECT fresh, kept FROM count_state").fetchone() == (1, 1)
    shutil.copyfile(demo_store, stale)
    with sqlite3.connect(stale) as conn:
        conn.execute("UPDATE count_state SET fresh = 0")
    kept = compare_run(demo_store, ["all"], Settings(n_boot=200))
    regrouped = compare_run(stale, ["all"], Settings(n_boot=200))
    assert to_json(kept.comparison) == to_json(regrouped.comparison).replace(str(stale), str(demo_store))
    assert kept.labels_used == regrouped.labels_used


def test_the_counted_path_is_the_one_taken(demo_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Otherwise the comparisons above would compare the row-wise path with itself."""
    monkeypatch.setattr(compare_job, "with_anti_lab_rows", lambda *_: pytest.fail("read row by row"))
    compare_run(demo_store, ["all"], Settings(n_boot=200))


def test_they_agree_on_a_store_with_one_label_per_response(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Imported responses only: each has one label, so counting joins labels on the response alone."""
    from tests.conftest import run_main

    records = tmp_path / "one.jsonl"
    lines = [
        {"model": f"m{m}", "scenario": "s", "condition": c, "query_id": f"q{q}", "sample": k, "outcome": o}
        | ({"af_reasoning": (q + k) % 2 == 0} if o == "comply" else {})
        for m in range(2)
        for q in range(5)
        for k in range(3)
        for c, o in (("monitored", ("comply", "refuse", "error")[(q + k) % 3]), ("unmonitored", "refuse"))
    ]
    records.write_text("".join(json.dumps(line) + "\n" for line in lines))
    db = tmp_path / "one.sqlite"
    assert run_main(["import", str(records), "--db", str(db)]).exit_code == 0
    with open_store(db) as store:
        several = "SELECT COUNT(*) - COUNT(DISTINCT response_id) FROM labels"
        assert store.conn.execute(several).fetchone()[0] == 0
    counted, rowwise = _both(db, monkeypatch)
    assert counted == rowwise
    assert '{"import@1": 50, "none (unlabelled)": 10}' in counted  # failed calls carry no label
