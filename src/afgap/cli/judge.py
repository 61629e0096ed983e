"""Commands about labels: classify (tag parser, screen, LLM judges), validate-judge, and label agreement."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from afgap.cli.app import app
from afgap.cli.console import err_console, out_console
from afgap.cli.options import DbOption, FormatOption, JsonFlag, OutputFormat, resolve_db, resolve_format
from afgap.errors import InputError

if TYPE_CHECKING:
    from afgap.classify.agreement import Agreement
    from afgap.jobs.compare import ComparisonRun
    from afgap.jobs.judge import JudgeSummary


class ClassifierChoice(StrEnum):
    """Which classifier `classify` runs."""

    tags = "tags"
    screen = "screen"
    judge = "judge"


class ValidateChoice(StrEnum):
    """Which scorer `validate-judge` measures."""

    screen = "screen"
    judge = "judge"
    tags = "tags"


JudgeOption = Annotated[str | None, typer.Option("--judge", help="Judge model string, e.g. sim/judge.")]
VotesOption = Annotated[int, typer.Option(help="AF-reasoning votes per response (sampled at T = 1).")]


@app.command()
def classify(
    judge: JudgeOption = None,
    classifier: Annotated[
        ClassifierChoice | None, typer.Option(help="tags | screen | judge [default: tags and screen].")
    ] = None,
    votes: VotesOption = 5,
    threshold: Annotated[float, typer.Option(help="AF vote-fraction threshold.")] = 0.4,
    concurrency: Annotated[int, typer.Option(help="Judge calls in flight.")] = 16,
    agreement: Annotated[
        bool, typer.Option("--agreement", help="Print the tag-vs-judge agreement table; classify nothing.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
    json_flag: JsonFlag = False,
    db: DbOption = None,
) -> None:
    """(Re)label stored responses: tag parser and AF screen by default, LLM judges with --judge."""
    path = resolve_db(db)
    if agreement:
        _print_agreement(path, resolve_format(fmt, json_flag))
        return
    if classifier is ClassifierChoice.judge and judge is None:
        raise InputError("--classifier judge needs a judge model: add --judge MODEL (e.g. --judge sim/judge)")
    if judge is None:
        from afgap.jobs.classify import reclassify

        only = classifier.value if classifier else None
        count = reclassify(path, only)
        err_console().print(f"classified {count} responses ({only or 'tags and screen'})")
        return
    _judge(path, judge, votes, threshold, concurrency)


def _judge(path: Path, judge: str, votes: int, threshold: float, concurrency: int) -> None:
    from afgap.cli.progress import progress_reporter
    from afgap.engine.run import EngineOptions
    from afgap.errors import PartialFailure
    from afgap.jobs.judge import judge_stored

    with progress_reporter(label="judge") as progress:
        try:
            summary = judge_stored(
                path, judge, os.environ, votes, threshold, EngineOptions(concurrency=concurrency), progress
            )
        except PartialFailure as failure:
            err_console().print(str(failure), soft_wrap=True, markup=False)
            raise
    err_console().print(_judge_line(summary), soft_wrap=True, markup=False)


def _judge_line(s: JudgeSummary) -> str:
    st = s.stats
    unparseable = ", ".join(f"{k} {v}" for k, v in sorted(st.unparseable.items())) or "none"
    return (
        f"judged {s.labelled} of {s.responses} responses as {s.classifier}: {st.sent} calls sent, "
        f"{st.cached} cached, {st.retried} re-asked after an unreadable reply; unparseable after retry: "
        f"{unparseable}; outcome unparseable: {s.outcome_unparseable} (counted as unscored, never a verdict)"
    )


def _print_agreement(path: Path, fmt: OutputFormat) -> None:
    from afgap.classify.agreement import af_agreement, outcome_agreement
    from afgap.store.database import open_store

    with open_store(path, create=False) as store:
        pairs = store.label_pairs("tags", "judge")
        af_pairs = store.label_pairs("screen", "judge")
    if not pairs:
        raise InputError(
            f"no response in {path} has both tag and judge labels: run `afgap classify --judge M`"
        )
    outcome = outcome_agreement([(p.first, p.second) for p in pairs])
    af = af_agreement([(p.first_af, p.second_af) for p in af_pairs])
    judges = sorted({p.second_classifier for p in pairs})
    doc = {
        "first": "tags",
        "second": judges,
        "outcome": outcome.as_dict(),
        "af_reasoning_screen_vs_judge": af.as_dict(),
    }
    if fmt is OutputFormat.table:
        _print_matrix(f"outcome: tags@1 (rows) vs {', '.join(judges)} (columns)", outcome)
        _print_matrix("AF reasoning: screen@1 (rows) vs judge (columns)", af)
    else:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")


def _print_matrix(title: str, a: Agreement) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("")
    for name in a.categories:
        table.add_column(name, justify="right")
    for name, row in zip(a.categories, a.matrix, strict=True):
        table.add_row(name, *(str(v) for v in row))
    kappa = "undefined" if a.kappa is None else f"{a.kappa:.3f}"
    agree = "—" if a.agreement is None else f"{a.agreement:.1%}"
    out_console().print(table)
    out_console().print(f"n = {a.n}; agreement {agree}; Cohen's kappa {kappa}")


@app.command("validate-judge")
def validate_judge(
    file: Annotated[Path, typer.Argument(help="Labelled JSONL: one {text, label} object a line.")],
    classifier: Annotated[
        ValidateChoice, typer.Option(help="screen | judge | tags.")
    ] = ValidateChoice.screen,
    judge: JudgeOption = None,
    kind: Annotated[str, typer.Option(help="Judge to validate: af-reasoning | compliance.")] = "af-reasoning",
    votes: VotesOption = 5,
    threshold: Annotated[float | None, typer.Option(help="Decision threshold [default: 0.4 / >0].")] = None,
    positive_label: Annotated[
        str | None, typer.Option(help="For string labels: the value that means positive.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for the bootstrap CI.")] = 0,
    fmt: FormatOption = OutputFormat.table,
    json_flag: JsonFlag = False,
) -> None:
    """Measure a classifier on a labelled file: accuracy, precision, recall, F1, AUROC + 95 % CI, Youden J."""
    from afgap.jobs.validate_judge import validate_file

    report = validate_file(
        file, classifier.value, judge, kind, votes, threshold, positive_label, seed, os.environ
    ).model_dump()
    if resolve_format(fmt, json_flag) is OutputFormat.table:
        _print_validation(report)
    else:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")


def _print_validation(r: dict[str, Any]) -> None:
    lines = [
        f"{r['classifier']} on {r['file']}: n = {r['n']} "
        f"({r['n_positive']} positive, {r['n_negative']} negative)",
        f"AUROC {r['auroc']:.3f} [95% CI {r['auroc_ci_low']:.3f}, {r['auroc_ci_high']:.3f}] "
        "(stratified bootstrap)",
        f"at threshold {r['threshold']:g}: accuracy {r['accuracy']:.3f}, precision {r['precision']:.3f}, "
        f"recall {r['recall']:.3f}, specificity {r['specificity']:.3f}, F1 {r['f1']:.3f}",
        f"Youden-J threshold: {r['youden_threshold']:g}",
    ]
    if r.get("unparseable"):
        lines.append(f"unparseable (excluded, never a verdict): {r['unparseable']}")
    for line in lines:
        out_console().print(line, soft_wrap=True, markup=False)


def render_corrected(run: ComparisonRun, fmt: OutputFormat, labels: str) -> None:
    """A comparison with the misclassification-corrected gap per row (JSON: `misclassification`)."""
    from dataclasses import asdict

    from afgap.cli.analyze import render_comparison
    from afgap.report import formats

    extra = {key: asdict(value) for key, value in run.corrected.items()}
    if fmt in (OutputFormat.json, OutputFormat.jsonl):
        doc = formats.to_document(run.comparison, labels)
        for row in doc["models"]:
            row["misclassification"] = extra.get((row["model"], row["scenario"]))
        if fmt is OutputFormat.json:
            sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        else:
            head = {"schema": doc["schema"], "settings": doc["settings"]}
            sys.stdout.write("".join(json.dumps({**head, **row}) + "\n" for row in doc["models"]))
        return
    render_comparison(run.comparison, fmt, labels)
    if fmt is not OutputFormat.table:
        err_console().print("note: the corrected gap is shown only in the table, json and jsonl formats")
        return
    for (model, scenario), c in run.corrected.items():
        gap = "undefined" if c.estimate is None else f"{100 * c.estimate:+.1f} pp"
        ci = "" if c.ci_low is None else f" [{100 * c.ci_low:+.1f}, {100 * (c.ci_high or 0):+.1f}]"
        why = f" ({c.note})" if c.note else ""
        out_console().print(
            f"corrected for misclassification: {model} · {scenario}: {gap}{ci}{why}",
            soft_wrap=True,
            markup=False,
        )
    first = next(iter(run.corrected.values()), None)
    if first is not None:
        known = (
            "" if first.validation_uncertainty else "; Se and Sp taken as exact (no validation counts given)"
        )
        out_console().print(
            f"Se = {first.sensitivity:.3f}, Sp = {first.specificity:.3f}; {first.method}{known}",
            soft_wrap=True,
            markup=False,
        )
