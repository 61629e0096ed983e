"""`afgap report`: publish the comparison as an HTML page, a Markdown table and plot files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from afgap.cli.console import err_console
from afgap.cli.options import (
    AlphaOption,
    ClassifierOption,
    CorrectionOption,
    DbOption,
    LevelsOption,
    ReferenceOption,
    SeedOption,
    ValidationOption,
    resolve_db,
)
from afgap.errors import InputError
from afgap.settings import (
    DEFAULT_ALPHA,
    DEFAULT_CORRECTION,
    DEFAULT_EXAMPLES,
    DEFAULT_SEED,
    MAX_EXAMPLES,
    check_at_most,
)

HtmlOption = Annotated[Path | None, typer.Option("--html", help="Write the self-contained HTML report here.")]
MarkdownOption = Annotated[Path | None, typer.Option("--markdown", help="Write the Markdown table here.")]
PlotsOption = Annotated[
    Path | None,
    typer.Option(
        "--plots", help="Write the plots into this directory (SVG; PNG too with the optional plots extra)."
    ),
]
ModelsOption = Annotated[
    list[str] | None, typer.Option("--models", "-m", help="Models to report, or 'all' (repeatable).")
]
ScenarioOption = Annotated[str | None, typer.Option(help="Only this scenario.")]
MinGapOption = Annotated[float | None, typer.Option(help="Smallest gap that matters, as a fraction.")]
ExamplesOption = Annotated[
    int, typer.Option(help=f"Example responses per model and outcome in the HTML (0 to {MAX_EXAMPLES}).")
]


def report(
    html: HtmlOption = None,
    markdown: MarkdownOption = None,
    plots: PlotsOption = None,
    models: ModelsOption = None,
    scenario: ScenarioOption = None,
    alpha: AlphaOption = DEFAULT_ALPHA,
    min_gap: MinGapOption = None,
    correction: CorrectionOption = DEFAULT_CORRECTION,
    classifier: ClassifierOption = None,
    examples: ExamplesOption = DEFAULT_EXAMPLES,
    seed: SeedOption = DEFAULT_SEED,
    reference: ReferenceOption = None,
    levels: LevelsOption = None,
    validation: ValidationOption = None,
    db: DbOption = None,
) -> None:
    """Publish the comparison: an HTML page with plots and examples, a Markdown table, plot files."""
    from afgap.jobs.af_labels import read_validations
    from afgap.jobs.compare import analysis_settings, parse_levels
    from afgap.jobs.report import report_content
    from afgap.report.af_labels import af_lines, methods_html, note_html
    from afgap.report.contrasts_html import contrast_sections
    from afgap.report.files import check_writable, write_plots, write_text
    from afgap.report.formats import to_markdown
    from afgap.report.html import render_html

    if not (html or markdown or plots):
        raise InputError("nothing to write: give --html FILE, --markdown FILE and/or --plots DIR")
    if examples < 0:
        raise InputError(f"--examples must be at least 0, got {examples}")
    check_at_most("--examples", examples, MAX_EXAMPLES)
    for target in (html, markdown):
        if target is not None:
            check_writable(target)  # fail before the statistics run, not after
    settings = analysis_settings(alpha, correction, min_gap)
    quoted = examples if html is not None else 0  # examples are read only for the HTML page
    design = (reference, parse_levels(levels))
    content = report_content(
        resolve_db(db),
        models or [],
        settings,
        scenario,
        classifier,
        seed,
        quoted,
        design,
        read_validations(validation or []),
    )
    if html is not None:
        sections = contrast_sections(content.design) if content.design else ""
        labels = methods_html(content.af)
        page = render_html(
            content.comparison,
            content.examples,
            classifier,
            contrasts=sections,
            labels=labels,
            af_note=note_html(content.af),
        )
        write_text(html, page)
        err_console().print(f"wrote {html} ({html.stat().st_size / 1e6:.2f} MB)", markup=False)
    if markdown is not None:
        write_text(markdown, to_markdown(content.comparison, classifier, af_lines(content.af)))
        err_console().print(f"wrote {markdown}", markup=False)
    if plots is not None:
        err_console().print(write_plots(plots, content.comparison), markup=False)
