"""The store: migrations pinned, foreign files refused, writes atomic and idempotent."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from afgap.errors import StoreError
from afgap.records import (
    CallPlan,
    CallRecord,
    Condition,
    InterchangeRecord,
    Label,
    Message,
    ModelSpec,
    Outcome,
    Sampling,
)
from afgap.store.database import open_store
from afgap.store.migrations import SCHEMA_VERSION
from afgap.store.rows import classifier_strength

SPEC = ModelSpec(
    model="sim/faker", provider="sim", api_model="faker", wire="openai", base_url="x", simulated=True
)


def _plan(query_id: str = "q1", condition: Condition = Condition.MONITORED, h: str = "h1") -> CallPlan:
    return CallPlan(
        spec=SPEC,
        scenario="helpful-only",
        scenario_hash="abc",
        query_id=query_id,
        condition=condition,
        sample=0,
        messages=(Message(role="user", content="hi"),),
        sampling=Sampling(),
        request_hash=h,
    )


def _record(plan: CallPlan, status: str = "ok") -> CallRecord:
    return CallRecord(plan=plan, status=status, text="<OUTPUT><rejected/></OUTPUT>")  # type: ignore[arg-type]


REFUSE = Label(outcome=Outcome.REFUSE, classifier="tags@1", rule="rejected")


def test_schema_is_pinned(db: Path) -> None:
    """A migration edited after release would change this; append a new one instead."""
    with open_store(db) as store:
        version = store.conn.execute("PRAGMA user_version").fetchone()[0]
        columns = [row[1] for row in store.conn.execute("PRAGMA table_info(responses)")]
        mode = store.conn.execute("PRAGMA journal_mode").fetchone()[0]
        design_columns = [row[1] for row in store.conn.execute("PRAGMA table_info(designs)")]
        anti_lab_columns = [row[1] for row in store.conn.execute("PRAGMA table_info(anti_lab_labels)")]
        count_columns = [row[1] for row in store.conn.execute("PRAGMA table_info(cell_counts)")]
        triggers = store.conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'").fetchone()
    assert version == SCHEMA_VERSION == 13
    assert mode == "wal"
    assert columns[:6] == ["id", "run_id", "source", "request_hash", "model", "provider"]
    assert "condition" in columns and "cost_usd" in columns and "simulated" in columns
    # prompt_id: added by migration 3 and kept last when migration 5 rebuilds; then migration 7's two
    assert columns[-3:] == ["prompt_id", "cache_write_tokens", "cache_read_tokens"]
    assert design_columns == ["scenario_hash", "scenario", "conditions", "reference", "levels", "measures"]
    assert anti_lab_columns[:4] == ["response_id", "classifier", "strength", "choice"]
    assert count_columns[-3:] == ["simulated", "count", "first_id"] and triggers == (6,)


def test_not_an_sqlite_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"this is not a database, just some bytes " * 100)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a usable afgap store"):
        open_store(path)
    assert path.read_bytes() == before


def test_foreign_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(StoreError, match="not an afgap store"):
        open_store(path)


def test_missing_store_is_not_created_for_reads(db: Path) -> None:
    with pytest.raises(StoreError, match="no afgap store"):
        open_store(db, create=False)
    assert not db.exists()


def test_write_is_idempotent_and_errors_are_replaced(db: Path) -> None:
    with open_store(db) as store:
        run = store.start_run("afgap collect", {})
        store.write_calls([(_record(_plan(), "error"), [], "q")], run)
        assert store.completed_hashes() == set()  # an error is retried on the next run
        store.write_calls([(_record(_plan()), [REFUSE], "q")], run)
        store.write_calls([(_record(_plan()), [REFUSE], "q")], run)
        assert store.completed_hashes() == {"h1"}
        [row] = store.outcomes()
    assert row.outcome is Outcome.REFUSE and row.classifier == "tags@1"


def test_strongest_label_wins(db: Path) -> None:
    judge = Label(outcome=Outcome.COMPLY, classifier="judge:sim/judge@1", rule="score>0")
    with open_store(db) as store:
        store.write_calls([(_record(_plan()), [REFUSE, judge], "q")], store.start_run("c", {}))
        [preferred] = store.outcomes()
        [tags] = store.outcomes(classifier="tags")
    assert preferred.outcome is Outcome.COMPLY and tags.outcome is Outcome.REFUSE
    assert classifier_strength("judge:x@1") > classifier_strength("import@1") > classifier_strength("tags@1")


def test_unlabelled_answer_counts_as_unparseable_never_refuse(db: Path) -> None:
    with open_store(db) as store:
        store.write_calls([(_record(_plan()), [], "q")], store.start_run("c", {}))
        [row] = store.outcomes()
    assert row.outcome is Outcome.UNPARSEABLE


def test_import_is_all_or_nothing(db: Path) -> None:
    good = InterchangeRecord(
        model="m", scenario="s", condition=Condition.MONITORED, query_id="q", outcome=Outcome.COMPLY
    )
    with open_store(db) as store:
        with pytest.raises(sqlite3.IntegrityError):
            # the second record violates the condition CHECK via a raw write: the first must roll back too
            store.import_records([(good, []), (good.model_copy(update={"query_id": None}), [])])  # type: ignore[list-item]
        assert store.models() == []
        assert store.import_records([(good, [])]) == (1, 0)
        assert store.import_records([(good, [])]) == (0, 1)
        # the names the rolled-back import stored are gone, and so are their cached ids
        assert store.models() == ["m"]
        assert store.conn.execute("SELECT COUNT(*) FROM names WHERE text = 's'").fetchone() == (1,)


def _messages_of(store_path: Path) -> list[tuple[str, str | None]]:
    """(request_hash, the messages JSON it was sent) through the prompts table."""
    with sqlite3.connect(store_path) as conn:
        rows = conn.execute(
            "SELECT r.request_hash, p.messages FROM responses r LEFT JOIN prompts p ON p.id = r.prompt_id "
            "ORDER BY r.request_hash"
        )
        return [(h, m) for h, m in rows]


def _sent(plan: CallPlan) -> CallRecord:
    return dataclasses.replace(_record(plan), messages_sent=plan.messages)


def test_each_conversation_is_stored_once(db: Path) -> None:
    plans = [_plan(h=f"h{i}") for i in range(3)] + [_plan("q2", h="other")]
    with open_store(db) as store:
        run = store.start_run("c", {})
        store.write_calls([(_sent(p), [REFUSE], "q") for p in plans[:2]], run)
        store.write_calls([(_sent(p), [REFUSE], "q") for p in plans[2:]], run)
        (count,) = store.conn.execute("SELECT COUNT(*) FROM prompts").fetchone()
    assert count == 1  # all four plans sent the same one-turn conversation
    sent = '[{"role": "user", "content": "hi"}]'
    assert _messages_of(db) == [(h, sent) for h in ("h0", "h1", "h2", "other")]


def test_a_failed_batch_forgets_the_prompts_it_inserted(db: Path) -> None:
    with open_store(db) as store:
        run = store.start_run("c", {})
        bad = dataclasses.replace(_sent(_plan(h="x")), status="bogus")  # violates the CHECK
        with pytest.raises(sqlite3.IntegrityError):
            store.write_calls([(bad, [], "q")], run)
        assert store.conn.execute("SELECT COUNT(*) FROM prompts").fetchone() == (0,)
        store.write_calls([(_sent(_plan()), [REFUSE], "q")], run)  # the cached id must not dangle
    assert _messages_of(db) == [("h1", '[{"role": "user", "content": "hi"}]')]


def test_migration_3_moves_stored_messages_into_prompts(tmp_path: Path) -> None:
    from afgap.store.migrations import MIGRATIONS

    path = tmp_path / "v2.sqlite"
    with sqlite3.connect(path) as conn:
        for statement in ";".join(MIGRATIONS[:2]).split(";"):
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 2")
        for h, messages in (("a", "[1]"), ("b", "[1]"), ("c", "[2]"), ("d", None)):
            conn.execute(
                "INSERT INTO responses (source, request_hash, model, provider, scenario, scenario_hash, "
                "query_id, condition, sample, messages, status, created_at) "
                "VALUES ('collect', ?, 'm', 'p', 's', 'sh', 'q', 'monitored', 0, ?, 'ok', 'now')",
                (h, messages),
            )
    with open_store(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        (left,) = store.conn.execute("SELECT COUNT(messages) FROM responses").fetchone()
        (prompts,) = store.conn.execute("SELECT COUNT(*) FROM prompts").fetchone()
    assert left == 0 and prompts == 2
    assert _messages_of(path) == [("a", "[1]"), ("b", "[1]"), ("c", "[2]"), ("d", None)]
