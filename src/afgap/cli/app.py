"""The root Typer app and the one place every command is registered.

Command modules define plain functions (or a sub-app for a group) and never import this module, so
importing runs one way: cli → app → command modules. Commands are listed in the order of the pipeline.
"""

from __future__ import annotations

import typer

from afgap import __version__
from afgap.cli.batch import batch_app
from afgap.cli.classify import classify
from afgap.cli.collect import collect
from afgap.cli.compare import compare
from afgap.cli.demo import demo
from afgap.cli.interchange import export, import_, import_inspect
from afgap.cli.plan import plan
from afgap.cli.queries import queries_app
from afgap.cli.report import report
from afgap.cli.scenarios import scenarios_app
from afgap.cli.schema import schema
from afgap.cli.sim import sim_app
from afgap.cli.status import runs, status
from afgap.cli.validate_judge import validate_judge

app = typer.Typer(
    name="afgap",
    help="Measure the alignment-faking compliance gap of language models, with honest statistics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"afgap {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """afgap: does this model behave better when it believes it is watched?

    Global flag: --debug shows the full traceback of an internal error.
    """


app.command()(demo)
app.command()(collect)
app.add_typer(sim_app, name="sim")
app.add_typer(batch_app, name="batch")
app.command()(classify)
app.command("validate-judge")(validate_judge)
app.command()(compare)
app.command()(plan)
app.command()(report)
app.command()(schema)
app.command()(export)
app.command("import")(import_)
app.command("import-inspect")(import_inspect)
app.command()(status)
app.command()(runs)
app.add_typer(scenarios_app, name="scenarios")
app.add_typer(queries_app, name="queries")
