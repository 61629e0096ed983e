"""`afgap compare`: the ranked compliance gap of every model in the store."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from afgap.cli.console import err_console
from afgap.cli.options import (
    AlphaOption,
    ClassifierOption,
    CorrectionOption,
    DbOption,
    FormatOption,
    JsonFlag,
    LevelsOption,
    OutputFormat,
    ReferenceOption,
    SeedOption,
    ValidationOption,
    resolve_db,
    resolve_format,
)
from afgap.report.order import SortKey
from afgap.settings import DEFAULT_ALPHA, DEFAULT_CORRECTION, DEFAULT_SEED

ModelsOption = Annotated[
    list[str] | None, typer.Option("--models", "-m", help="Models to compare, or 'all' (repeatable).")
]
ScenarioOption = Annotated[
    list[str] | None,
    typer.Option(help="Only these scenarios (repeatable); NAME@HASH8 picks one version of an edited one."),
]
PoolOption = Annotated[
    bool,
    typer.Option(
        "--pool-scenarios", help="Add a pooled row per model across its scenarios (docs/scenarios.md)."
    ),
]
MinGapOption = Annotated[
    float | None, typer.Option(help="Smallest gap that matters, as a fraction (0.05 = 5 pp).")
]
AccuracyOption = Annotated[
    str | None,
    typer.Option(
        "--correct-misclassification",
        help="SENS,SPEC[,N_POS,N_NEG] or a `validate-judge --format json` file: corrected gap.",
    ),
]
SortOption = Annotated[
    SortKey, typer.Option(help="Row order: CI lower bound (the rank), gap, name or adjusted p.")
]


def compare(
    models: ModelsOption = None,
    scenario: ScenarioOption = None,
    pool_scenarios: PoolOption = False,
    alpha: AlphaOption = DEFAULT_ALPHA,
    min_gap: MinGapOption = None,
    correction: CorrectionOption = DEFAULT_CORRECTION,
    classifier: ClassifierOption = None,
    seed: SeedOption = DEFAULT_SEED,
    correct_misclassification: AccuracyOption = None,
    validation: ValidationOption = None,
    reference: ReferenceOption = None,
    levels: LevelsOption = None,
    sort: SortOption = SortKey.LOWER,
    fmt: FormatOption = OutputFormat.table,
    json_flag: JsonFlag = False,
    db: DbOption = None,
) -> None:
    """Compliance gap per model with paired CIs, adjusted p-values and verdicts, ranked."""
    from afgap.cli.render import render_comparison
    from afgap.jobs.af_labels import read_validations
    from afgap.jobs.compare import analysis_settings, compare_run, parse_levels, read_accuracy
    from afgap.report.formats import labels_description
    from afgap.report.order import sort_models

    settings = analysis_settings(alpha, correction, min_gap)
    accuracy = read_accuracy(correct_misclassification) if correct_misclassification else None
    run = compare_run(  # no --models: every model in the store
        resolve_db(db),
        models or [],
        settings,
        scenario or [],
        classifier,
        seed,
        pool_scenarios,
        accuracy,
        reference=reference,
        levels=parse_levels(levels),
        validations=read_validations(validation or []),
    )
    for note in run.notes:  # on stderr, so stdout stays one parseable document
        err_console().print(f"note: {note}", soft_wrap=True, markup=False)
    run = dataclasses.replace(run, comparison=sort_models(run.comparison, sort))
    render_comparison(run, resolve_format(fmt, json_flag), labels_description(classifier, run.labels_used))
