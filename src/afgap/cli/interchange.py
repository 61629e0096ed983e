"""Moving responses in and out of the store: export, import, import-inspect."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from afgap.cli.console import err_console
from afgap.cli.options import DbOption, literal, resolve_db
from afgap.settings import INSPECT_CONDITION_FIELD

FileArgument = Annotated[Path, typer.Argument(help="Interchange JSONL file, or a CSV file with a header.")]
MapOption = Annotated[
    str | None,
    typer.Option("--map", help="CSV only: FIELD=COLUMN pairs, e.g. condition=tier,outcome=label."),
]
MapValueOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map-value",
        help="Rename a field's values, repeatable: FIELD:VALUE=TARGET,… for condition or outcome, e.g. "
        "condition:free=monitored,paid=unmonitored (case-insensitive; every value must be mapped).",
    ),
]
LogsArgument = Annotated[Path, typer.Argument(help="An Inspect AI log file, or a directory of them.")]
ConditionFieldOption = Annotated[
    str, typer.Option(help="Sample metadata field holding the condition (or a monitored boolean).")
]
ScorerOption = Annotated[str | None, typer.Option(help="Scorer whose value is the outcome.")]
ScenarioOption = Annotated[str | None, typer.Option(help=literal("Scenario name [default: the log's task]."))]


class ExportFormat(StrEnum):
    """`afgap export --format` values."""

    jsonl = "jsonl"
    parquet = "parquet"


ExportFormatOption = Annotated[
    ExportFormat,
    typer.Option("--format", help=literal("jsonl, or parquet (typed columns; needs afgap[parquet]).")),
]
OutOption = Annotated[
    Path | None, typer.Option("--out", help=literal("Output file [default: stdout; parquet needs one]."))
]


def export(
    format_: ExportFormatOption = ExportFormat.jsonl, out: OutOption = None, db: DbOption = None
) -> None:
    """Write every stored response as interchange JSONL (stdout by default), or as a Parquet file."""
    from afgap.errors import InputError
    from afgap.jobs.interchange import export_file, export_store

    if format_ is ExportFormat.parquet:
        from afgap.jobs.parquet_export import export_parquet

        if out is None:
            raise InputError("--format parquet needs --out FILE: Parquet is binary, not for stdout")
        count = export_parquet(resolve_db(db), out)
    elif out is None:
        count = export_store(resolve_db(db), sys.stdout)
    else:
        count = export_file(resolve_db(db), out)
    err_console().print(
        f"exported {count} records" + (f" to {out}" if out else ""), markup=False, soft_wrap=True
    )


def import_(
    file: FileArgument, map_: MapOption = None, map_value: MapValueOption = None, db: DbOption = None
) -> None:
    """Import interchange JSONL or CSV, all-or-nothing: one bad line rejects the file, store unchanged."""
    from afgap.jobs.interchange import import_file

    _imported(*import_file(resolve_db(db), file, map_, map_value or ()))


def import_inspect(
    path: LogsArgument,
    condition_field: ConditionFieldOption = INSPECT_CONDITION_FIELD,
    scorer: ScorerOption = None,
    scenario: ScenarioOption = None,
    db: DbOption = None,
) -> None:
    """Import Inspect AI eval logs (needs the optional `inspect` extra), all-or-nothing."""
    from afgap.jobs.import_inspect import import_inspect as import_logs

    _imported(*import_logs(resolve_db(db), path, condition_field, scorer, scenario))


def _imported(inserted: int, skipped: int) -> None:
    err_console().print(f"imported {inserted} records ({skipped} already present)")
