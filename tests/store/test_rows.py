"""Typed rows: each row's fields are its table's columns, so the generated INSERTs cannot drift."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

from afgap.records import (
    CallPlan,
    CallRecord,
    Condition,
    InterchangeRecord,
    Message,
    ModelSpec,
    Outcome,
    Sampling,
)
from afgap.store.database import open_store
from afgap.store.imports import IMPORT_COLUMNS
from afgap.store.rows import (
    COLUMNS,
    ResponseRow,
    imported_values,
    insert_statement,
    response_row,
)

# Columns no row writes: ids SQLite assigns, and the pre-`prompts` messages column, kept empty.
UNWRITTEN = {"runs": {"id"}, "prompts": {"id"}, "responses": {"id", "messages"}}


def _table_info(db: Path, table: str) -> list[tuple[str, str | None]]:
    """(name, default as SQL text) of each column of `table` in a freshly created store."""
    with open_store(db) as store:
        rows = store.conn.execute(f"PRAGMA table_info({table})").fetchall()
    return [(name, default) for _, name, _, _, default, _ in rows]


def test_every_table_the_store_has_has_a_row(db: Path) -> None:
    with open_store(db) as store:
        sql = "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
        tables = {name for (name,) in store.conn.execute(sql)}
    # responses is a view over response_rows, which holds names' ids (store/names.py writes both); the
    # kept counts are written by store/count_summary.py from the responses, never from a row type
    assert tables == {*COLUMNS, "response_rows", "names", "cell_counts", "count_state"}


def test_each_rows_fields_are_its_tables_columns(db: Path) -> None:
    """Every column a row writes exists, once, and every column it leaves out is meant to be."""
    for table, columns in COLUMNS.items():
        stored = [name for name, _ in _table_info(db, table)]
        written = [c for c in stored if c not in UNWRITTEN.get(table, set())]
        assert sorted(columns) == sorted(written), table


def test_response_row_defaults_are_the_schemas(db: Path) -> None:
    """An imported response leaves these to the row's defaults; they must store what the schema would."""
    schema = {name: default for name, default in _table_info(db, "response_rows") if default is not None}
    defaults = {
        name: str(int(value)) for name, value in ResponseRow._field_defaults.items() if value is not None
    }
    assert defaults == schema


def test_insert_statement_names_every_column_once() -> None:
    sql = insert_statement("labels", verb="INSERT OR REPLACE")
    assert sql.startswith("INSERT OR REPLACE INTO labels (response_id, classifier, strength, outcome,")
    assert sql.count("?") == len(COLUMNS["labels"])
    imported = insert_statement("responses", on_conflict="(request_hash) DO NOTHING")
    assert imported.endswith("?) ON CONFLICT (request_hash) DO NOTHING")


def _record() -> CallRecord:
    spec = ModelSpec(model="sim/faker", provider="sim", api_model="faker", wire="openai", base_url="x")
    plan = CallPlan(
        spec=spec,
        scenario="helpful-only",
        scenario_hash="abc",
        query_id="q1",
        condition=Condition.UNMONITORED,
        sample=2,
        messages=(Message(role="user", content="hi"),),
        sampling=Sampling(),
        request_hash="h1",
    )
    return CallRecord(plan=plan, status="ok", text="answer", tokens_in=3, api_refusal=True)


def test_a_response_row_holds_stored_values_and_pickles_as_itself() -> None:
    row = response_row(_record(), run_id=7, query_text="q?", now="t")
    assert (row.source, row.request_hash, row.condition, row.sample) == ("collect", "h1", "unmonitored", 2)
    assert (row.run_id, row.query_text, row.prompt_id, row.tokens_in) == (7, "q?", None, 3)
    # Unset reasoning settings are not stored: the JSON is what it was before they existed.
    assert row.sampling == '{"temperature":1.0,"max_tokens":4096}' and row.api_refusal is True
    assert pickle.loads(pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL)) == row


def test_a_response_row_puts_every_value_under_its_own_name() -> None:
    """The row is built positionally: each of the record's values must land in the field of its name."""
    record = dataclasses.replace(
        _record(),
        reasoning="why",
        provider_model="pm",
        finish_reason="stop",
        tokens_in=11,
        tokens_out=12,
        cost_usd=0.5,
        cache_write_tokens=13,
        cache_read_tokens=14,
        latency_s=1.5,
        attempts=3,
        turns=2,
        simulated=True,
        error_class="ec",
        error_message="em",
    )
    row = response_row(record, run_id=7, query_text="q?", now="t")
    shared = [f.name for f in dataclasses.fields(CallRecord) if f.name in ResponseRow._fields]
    assert len(shared) == 17
    assert {name: getattr(row, name) for name in shared} == {name: getattr(record, name) for name in shared}
    plan = record.plan
    assert (row.model, row.provider, row.scenario, row.scenario_hash, row.query_id) == (
        plan.spec.model,
        plan.spec.provider,
        plan.scenario,
        plan.scenario_hash,
        plan.query_id,
    )
    assert (row.created_at, row.run_id, row.query_text, row.prompt_id) == ("t", 7, "q?", None)


def test_an_imported_row_is_the_record_and_nothing_it_did_not_measure() -> None:
    record = InterchangeRecord(
        model="lab/m", scenario="s", condition=Condition.MONITORED, query_id="q", response="text"
    )
    row = dict(zip(IMPORT_COLUMNS, imported_values(record, "t"), strict=True))
    assert (row["source"], row["provider"], row["scenario_hash"], row["status"]) == (
        "import",
        "lab",
        "import:s",
        "ok",
    )
    assert (row["query_id"], row["condition"], row["sample"], row["text"], row["simulated"]) == (
        "q",
        "monitored",
        0,
        "text",
        False,
    )
    failed = record.model_copy(update={"outcome": Outcome.UNAVAILABLE, "response": None})
    assert imported_values(failed, "t")[IMPORT_COLUMNS.index("status")] == "unavailable"
