"""Commands about stored data: export, import, status."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from afgap.cli.app import app
from afgap.cli.console import err_console, out_console
from afgap.cli.options import DbOption, resolve_db

if TYPE_CHECKING:
    from afgap.records import InterchangeRecord


@app.command()
def export(db: DbOption = None) -> None:
    """Write every stored response to stdout as interchange JSONL."""
    from afgap.jobs.interchange import export_jsonl
    from afgap.store.database import open_store

    with open_store(resolve_db(db), create=False) as store:
        count = export_jsonl(store, sys.stdout)
    err_console().print(f"exported {count} records")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="Interchange JSONL file, or a CSV file with a header.")],
    map_: Annotated[
        str | None,
        typer.Option("--map", help="CSV only: FIELD=COLUMN pairs, e.g. condition=tier,outcome=label."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Import interchange JSONL or CSV, all-or-nothing: one bad line rejects the file, store unchanged."""
    from afgap.jobs.interchange import parse_map, read_records

    records = list(read_records(file, parse_map(map_)))  # validate the whole file before the store is created
    _import(file, records, db)


@app.command("import-inspect")
def import_inspect(
    path: Annotated[Path, typer.Argument(help="An Inspect AI log file, or a directory of them.")],
    condition_field: Annotated[
        str, typer.Option(help="Sample metadata field holding the condition (or a monitored boolean).")
    ] = "condition",
    scorer: Annotated[str | None, typer.Option(help="Scorer whose value is the outcome.")] = None,
    scenario: Annotated[str | None, typer.Option(help="Scenario name [default: the log's task].")] = None,
    db: DbOption = None,
) -> None:
    """Import Inspect AI eval logs (needs the optional `inspect` extra), all-or-nothing."""
    from afgap.jobs.import_inspect import read_inspect

    _import(path, list(read_inspect(path, condition_field, scorer, scenario)), db)


def _import(source: Path, records: list[tuple[int, InterchangeRecord]], db: Path | None) -> None:
    from afgap.jobs.interchange import prepare_import
    from afgap.store.database import open_store

    batch = prepare_import(source, records)  # a bad file never creates or touches the store
    with open_store(resolve_db(db)) as store:
        inserted, skipped = store.import_records(batch)
    err_console().print(f"imported {inserted} records ({skipped} already present)")


@app.command()
def runs(db: DbOption = None) -> None:
    """Every collect run: when, which afgap, the command line (never a key), responses it stored."""
    from rich.table import Table

    from afgap.store.database import open_store

    with open_store(resolve_db(db), create=False) as store:
        rows = store.runs()
    table = Table("run", "started (UTC)", "finished", "afgap", "command", "stored")
    for run_id, started, finished, version, command, stored in rows:
        table.add_row(str(run_id), started, finished or "interrupted", version, command, str(stored))
    out_console().print(table)


@app.command()
def status(db: DbOption = None) -> None:
    """What the store holds: responses per model, scenario and status, and cost."""
    from rich.table import Table

    from afgap.store.database import open_store

    with open_store(resolve_db(db), create=False) as store:
        rows = store.summary()
    table = Table("model", "scenario", "status", "responses", "cost USD")
    for model, scenario, state, count, cost in rows:
        table.add_row(model, scenario, state, str(count), "unknown" if cost is None else f"{cost:.4f}")
    out_console().print(table)
