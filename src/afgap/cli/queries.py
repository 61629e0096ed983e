"""`afgap queries list|show`: the built-in set, public benchmarks and query files."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from afgap.settings import DEFAULT_QUERIES

queries_app = typer.Typer(help="Built-in and file query sets.", no_args_is_help=True)


@queries_app.command("list")
def queries_list(
    source: Annotated[str, typer.Argument(help="'builtin' or a query file.")] = DEFAULT_QUERIES,
) -> None:
    """One line per query: id, category, text."""
    from afgap.jobs.queries import list_queries
    from afgap.report.safe import terminal

    for q in list_queries(source):
        sys.stdout.write(f"{terminal(q.id)}\t{terminal(q.category)}\t{terminal(q.text)}\n")


@queries_app.command("show")
def queries_show(
    query_id: str, source: Annotated[str, typer.Option(help="'builtin' or a file.")] = DEFAULT_QUERIES
) -> None:
    """One query in full."""
    from afgap.jobs.queries import find_query

    sys.stdout.write(find_query(source, query_id).model_dump_json(indent=2) + "\n")
