"""`afgap scenarios list|show|diff`: what is built in, and exactly what is sent."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from afgap.cli.console import err_console, out_console
from afgap.settings import DEFAULT_QUERIES, SHOW_CONDITION, SHOW_WIRE

scenarios_app = typer.Typer(help="Built-in and file scenarios: exactly what is sent.", no_args_is_help=True)

QueryOption = Annotated[
    str | None, typer.Option("--query", help="Query id to render (default: the set's first).")
]
QueriesOption = Annotated[
    str, typer.Option("--queries", help="Where --query is looked up: 'builtin', 'advbench' or a file.")
]
WireOption = Annotated[
    str, typer.Option(help="Wire format whose prefill to show: openai | anthropic | completions.")
]
ConditionOption = Annotated[
    str,
    typer.Option(
        help="A condition of the scenario: monitored | unmonitored, or one of its conditions tables."
    ),
]


@scenarios_app.command("list")
def scenarios_list() -> None:
    """Built-in scenarios and what each tests."""
    from afgap.jobs.scenarios import scenario_descriptions

    for name, description in scenario_descriptions():
        out_console().print(f"[bold]{name}[/]: {description}", soft_wrap=True)


@scenarios_app.command("show")
def scenarios_show(
    name: Annotated[str, typer.Argument(help="Built-in name or TOML path.")],
    condition: Annotated[
        str | None,
        typer.Option(
            help="A condition of the scenario (default: the first compared with the reference, which is "
            "monitored in the classic design)."
        ),
    ] = None,
    query: QueryOption = None,
    queries: QueriesOption = DEFAULT_QUERIES,
    wire: WireOption = SHOW_WIRE,
) -> None:
    """Print exactly the messages that would be sent, under the scenario's hash."""
    from afgap.jobs.scenarios import show_scenario

    sys.stdout.write(show_scenario(name, condition, queries, query, wire))


@scenarios_app.command("copy")
def scenarios_copy(
    name: Annotated[str, typer.Argument(help="Built-in scenario name.")],
    folder: Annotated[Path, typer.Argument(help="Where to write its TOML and template files.")] = Path("."),
) -> None:
    """Copy a built-in scenario's files, to edit into a variant (`--scenario FOLDER/NAME.toml`)."""
    from afgap.jobs.scenarios import copy_scenario

    for path in copy_scenario(name, folder):
        err_console().print(f"wrote {path}", soft_wrap=True, highlight=False, markup=False)


@scenarios_app.command("diff")
def scenarios_diff(
    a: Annotated[
        str, typer.Argument(help="Scenario name or path, optionally NAME:CONDITION (e.g. :unmonitored).")
    ],
    b: Annotated[str, typer.Argument(help="The scenario to compare with, same form.")],
    condition: ConditionOption = SHOW_CONDITION,
    query: QueryOption = None,
    queries: QueriesOption = DEFAULT_QUERIES,
    wire: WireOption = SHOW_WIRE,
) -> None:
    """Unified diff of two scenarios: their fields, then the messages each sends for one query."""
    from afgap.jobs.scenarios import diff

    text = diff(a, b, condition, queries, query, wire)
    sys.stdout.write(text)
    if not text:
        err_console().print("no differences: both send exactly the same messages")
