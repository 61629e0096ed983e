"""Commands that analyse what is stored: compare, plan (classify lives in cli/judge.py)."""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from afgap.cli.app import app
from afgap.cli.console import err_console, out_console
from afgap.cli.options import DbOption, FormatOption, JsonFlag, OutputFormat, resolve_db, resolve_format
from afgap.report.order import SortKey, sort_models
from afgap.settings import DEFAULT_ALPHA

if TYPE_CHECKING:
    from afgap.stats.analysis import Comparison


def render_comparison(comparison: Comparison, fmt: OutputFormat, classifier: str | None = None) -> None:
    """Write a comparison to stdout in the chosen format."""
    from afgap.report import formats

    if fmt is OutputFormat.table:
        from afgap.report.table import print_comparison

        print_comparison(out_console(), comparison, classifier)
        return
    writers = {
        OutputFormat.json: lambda: formats.to_json(comparison, classifier),
        OutputFormat.jsonl: lambda: formats.to_jsonl(comparison, classifier),
        OutputFormat.csv: lambda: formats.to_csv(comparison),
        OutputFormat.markdown: lambda: formats.to_markdown(comparison, classifier),
    }
    sys.stdout.write(writers[fmt]())


@app.command()
def compare(
    models: Annotated[
        list[str] | None, typer.Option("--models", "-m", help="Models to compare, or 'all' (repeatable).")
    ] = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            help="Only these scenarios (repeatable); NAME@HASH8 picks one version of an edited one."
        ),
    ] = None,
    pool_scenarios: Annotated[
        bool,
        typer.Option(
            "--pool-scenarios", help="Add a pooled row per model across its scenarios (docs/scenarios.md)."
        ),
    ] = False,
    alpha: Annotated[
        float, typer.Option(help="Family-wise (holm) or false-discovery (bh) level.")
    ] = DEFAULT_ALPHA,
    min_gap: Annotated[
        float | None, typer.Option(help="Smallest gap that matters, as a fraction (0.05 = 5 pp).")
    ] = None,
    correction: Annotated[str, typer.Option(help="Multiplicity correction: holm | bh | none.")] = "holm",
    classifier: Annotated[
        str | None, typer.Option(help="Use this classifier's labels (default: strongest).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for resampling methods (same seed, same report).")] = 0,
    correct_misclassification: Annotated[
        str | None,
        typer.Option(
            "--correct-misclassification",
            help="SENS,SPEC[,N_POS,N_NEG] or a `validate-judge --format json` file: corrected gap.",
        ),
    ] = None,
    sort: Annotated[
        SortKey, typer.Option(help="Row order: CI lower bound (the rank), gap, name or adjusted p.")
    ] = SortKey.LOWER,
    fmt: FormatOption = OutputFormat.table,
    json_flag: JsonFlag = False,
    db: DbOption = None,
) -> None:
    """Compliance gap per model with paired CIs, adjusted p-values and verdicts, ranked."""
    from afgap.cli.judge import render_corrected
    from afgap.jobs.compare import compare_run, read_accuracy
    from afgap.report.formats import labels_description
    from afgap.stats.analysis import Settings

    settings = Settings(alpha=alpha, correction=correction)  # validates every value
    if min_gap is not None:
        settings = dataclasses.replace(settings, min_gap=min_gap)
    accuracy = read_accuracy(correct_misclassification) if correct_misclassification else None
    chosen = models or ["all"]
    run = compare_run(
        resolve_db(db), chosen, settings, scenario or [], classifier, seed, pool_scenarios, accuracy
    )
    for note in run.notes:  # on stderr, so stdout stays one parseable document
        err_console().print(f"note: {note}", soft_wrap=True, markup=False)
    labels = labels_description(classifier, run.labels_used)
    run = dataclasses.replace(run, comparison=sort_models(run.comparison, sort))
    if run.corrected:
        render_corrected(run, resolve_format(fmt, json_flag), labels)
    else:
        render_comparison(run.comparison, resolve_format(fmt, json_flag), labels)
