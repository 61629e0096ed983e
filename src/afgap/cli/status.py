"""What the store holds: status (responses and cost) and runs (every collect run)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from afgap.cli.console import out_console
from afgap.cli.options import DbOption, FormatOption, JsonFlag, OutputFormat, resolve_db, resolve_format
from afgap.jobs.status import Record


def status(db: DbOption = None, fmt: FormatOption = OutputFormat.table, json_flag: JsonFlag = False) -> None:
    """What the store holds: responses per model, scenario and status, and cost."""
    from afgap.jobs import status as job

    if _wrote_structured(
        "status",
        resolve_format(fmt, json_flag),
        job.STATUS_SCHEMA,
        "rows",
        job.STATUS_FIELDS,
        lambda: job.status_records(resolve_db(db)),
    ):
        return
    from rich.table import Table
    from rich.text import Text

    from afgap.report.safe import terminal

    table = Table("model", "scenario", "status", "responses", "cost USD")
    for model, scenario, state, count, cost in job.store_status(resolve_db(db)):
        table.add_row(
            Text(terminal(model)),
            Text(terminal(scenario)),
            state,
            str(count),
            "unknown" if cost is None else f"{cost:.4f}",
        )
    out_console().print(table)


def runs(db: DbOption = None, fmt: FormatOption = OutputFormat.table, json_flag: JsonFlag = False) -> None:
    """Every collect run: when, which afgap, the command line (never a key), responses it stored."""
    from afgap.jobs import status as job

    if _wrote_structured(
        "runs",
        resolve_format(fmt, json_flag),
        job.RUNS_SCHEMA,
        "runs",
        job.RUNS_FIELDS,
        lambda: job.run_records(resolve_db(db)),
    ):
        return
    from rich.table import Table
    from rich.text import Text

    from afgap.report.safe import terminal

    table = Table("run", "started (UTC)", "finished", "afgap", "command", "stored")
    for run_id, started, finished, version, command, stored in job.run_history(resolve_db(db)):
        table.add_row(
            str(run_id), started, finished or "interrupted", version, Text(terminal(command)), str(stored)
        )
    out_console().print(table)


def _wrote_structured(
    command: str,
    fmt: OutputFormat,
    schema: str,
    key: str,
    fields: Sequence[str],
    records: Callable[[], list[Record]],
) -> bool:
    """Write the records as JSON, JSON lines or CSV unless a table is asked for; False for a table.

    The format is checked before the store is opened, so a bad one costs nothing.
    """
    from afgap.errors import InputError

    if fmt is OutputFormat.markdown:
        raise InputError(f"{command} has no markdown format: use table, json, jsonl or csv")
    if fmt is OutputFormat.table:
        return False
    _write(schema, key, fields, records(), fmt)
    return True


def _write(schema: str, key: str, fields: Sequence[str], records: list[Record], fmt: OutputFormat) -> None:
    """Records to stdout as one JSON document, JSON lines (each naming its schema) or CSV."""
    import csv
    import io
    import json
    import sys

    from afgap import __version__
    from afgap.report.safe import csv_cell

    if fmt is OutputFormat.json:
        doc = {"schema": schema, "afgap_version": __version__, key: records}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    elif fmt is OutputFormat.jsonl:
        sys.stdout.write("".join(json.dumps({"schema": schema, **r}) + "\n" for r in records))
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(fields), lineterminator="\n")
        writer.writeheader()
        # None is written as an empty field; text cells are guarded like every other CSV we write
        writer.writerows({k: csv_cell(v) if isinstance(v, str) else v for k, v in r.items()} for r in records)
        sys.stdout.write(buffer.getvalue())
