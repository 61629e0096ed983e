"""Rendering shared by commands: a comparison to stdout in the chosen format."""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING

from afgap.cli.console import err_console, out_console
from afgap.cli.options import OutputFormat

if TYPE_CHECKING:
    from afgap.jobs.compare import ComparisonRun


def render_comparison(run: ComparisonRun, fmt: OutputFormat, labels: str) -> None:
    """Write a run's comparison to stdout in the chosen format, with the corrected gap when it has one."""
    if run.design is not None:
        _design(run, fmt, labels)
        return
    if fmt in (OutputFormat.json, OutputFormat.jsonl):
        _json(run, fmt, labels)
        return
    _comparison(run, fmt, labels)
    if fmt is OutputFormat.table:
        _af_lines(run)
    if not run.corrected:
        return
    if fmt is not OutputFormat.table:
        err_console().print("note: the corrected gap is shown only in the table, json and jsonl formats")
        return
    _corrected_lines(run)


def _comparison(run: ComparisonRun, fmt: OutputFormat, labels: str) -> None:
    from afgap.report import formats
    from afgap.report.af_labels import af_lines, af_sources

    comparison = run.comparison
    if fmt is OutputFormat.table:
        from afgap.report.table import print_comparison

        print_comparison(out_console(), comparison, labels)
        return
    writers = {
        OutputFormat.csv: lambda: formats.to_csv(comparison, af_sources(run.af)),
        OutputFormat.markdown: lambda: formats.to_markdown(comparison, labels, af_lines(run.af)),
    }
    sys.stdout.write(writers[fmt]())


def _design(run: ComparisonRun, fmt: OutputFormat, labels: str) -> None:
    """Contrasts of a design beyond two framings: compare@2 JSON/JSONL; table rows with trend lines."""
    from afgap.report import contrasts, formats
    from afgap.report.af_labels import af_lines, af_sources, with_af_labels

    found = run.design
    assert found is not None  # the caller checked
    found = dataclasses.replace(found, comparison=run.comparison)  # keeps the caller's row order
    if fmt is OutputFormat.table:
        from rich.console import Group

        from afgap.report.table import comparison_table

        console = out_console()
        table = comparison_table(run.comparison, labels, console.width, contrasts=True)
        console.print(Group(table, *contrasts.footer_lines(found)))
        _af_lines(run)
        return
    if fmt in (OutputFormat.json, OutputFormat.jsonl):
        doc = with_af_labels(contrasts.to_document(found, labels), run.af, rows="contrasts")
        sys.stdout.write(formats.document_text(doc, fmt is OutputFormat.jsonl, rows="contrasts"))
        return
    # A contrast row is named after its contrast; its AF labels are its scenario's.
    by_scenario = af_sources(run.af)
    sources = {
        (m.model, m.scenario): by_scenario.get((m.model, found.contrast_of(m).scenario))
        for m in run.comparison.models
    }
    writers = {
        OutputFormat.csv: lambda: formats.to_csv(run.comparison, sources),
        OutputFormat.markdown: lambda: formats.to_markdown(run.comparison, labels, af_lines(run.af)),
    }
    sys.stdout.write(writers[fmt]())


def _json(run: ComparisonRun, fmt: OutputFormat, labels: str) -> None:
    """The comparison document, with each AF figure's label source and, when given, each row's
    misclassification-corrected gap (`misclassification`)."""
    from afgap.report import formats
    from afgap.report.af_labels import with_af_labels

    extra = {key: asdict(value) for key, value in run.corrected.items()}
    doc = with_af_labels(formats.to_document(run.comparison, labels), run.af)
    for row in doc["models"] if run.corrected else []:
        row["misclassification"] = extra.get((row["model"], row["scenario"]))
    sys.stdout.write(formats.document_text(doc, fmt is OutputFormat.jsonl))


def _af_lines(run: ComparisonRun) -> None:
    """Below the table: what the AF% column's labels are, and the AF rates corrected for their error."""
    from afgap.report.af_labels import af_lines

    for line in af_lines(run.af):
        out_console().print(line, soft_wrap=True, markup=False)


def _corrected_lines(run: ComparisonRun) -> None:
    """Below the table: the corrected gap per row, then the accuracy it assumed."""
    from afgap.report.safe import terminal

    console = out_console()
    for (model, scenario), c in run.corrected.items():
        gap = "undefined" if c.estimate is None else f"{100 * c.estimate:+.1f} pp"
        ci = "" if c.ci_low is None else f" [{100 * c.ci_low:+.1f}, {100 * (c.ci_high or 0):+.1f}]"
        why = f" ({c.note})" if c.note else ""
        line = f"corrected for misclassification: {terminal(model)} · {terminal(scenario)}: {gap}{ci}{why}"
        console.print(line, soft_wrap=True, markup=False)
    first = next(iter(run.corrected.values()), None)
    if first is not None:
        exact = (
            "" if first.validation_uncertainty else "; Se and Sp taken as exact (no validation counts given)"
        )
        line = f"Se = {first.sensitivity:.3f}, Sp = {first.specificity:.3f}; {first.method}{exact}"
        console.print(line, soft_wrap=True, markup=False)
