"""What the store holds: status (responses and cost) and runs (every collect run)."""

from __future__ import annotations

from afgap.cli.console import out_console
from afgap.cli.options import DbOption, resolve_db


def status(db: DbOption = None) -> None:
    """What the store holds: responses per model, scenario and status, and cost."""
    from rich.table import Table
    from rich.text import Text

    from afgap.jobs.status import store_status
    from afgap.report.safe import terminal

    table = Table("model", "scenario", "status", "responses", "cost USD")
    for model, scenario, state, count, cost in store_status(resolve_db(db)):
        table.add_row(
            Text(terminal(model)),
            Text(terminal(scenario)),
            state,
            str(count),
            "unknown" if cost is None else f"{cost:.4f}",
        )
    out_console().print(table)


def runs(db: DbOption = None) -> None:
    """Every collect run: when, which afgap, the command line (never a key), responses it stored."""
    from rich.table import Table

    from afgap.jobs.status import run_history

    table = Table("run", "started (UTC)", "finished", "afgap", "command", "stored")
    for run_id, started, finished, version, command, stored in run_history(resolve_db(db)):
        table.add_row(str(run_id), started, finished or "interrupted", version, command, str(stored))
    out_console().print(table)
