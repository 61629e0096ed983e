"""Commands that publish results: report (HTML, Markdown, plot files) and schema."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from afgap.cli.app import app
from afgap.cli.console import err_console
from afgap.cli.options import DbOption, resolve_db
from afgap.errors import InputError
from afgap.settings import DEFAULT_ALPHA

if TYPE_CHECKING:
    from afgap.stats.types import Comparison

SCHEMAS = {"compare": "compare.schema.json"}


@app.command()
def report(
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the self-contained HTML report here.")
    ] = None,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Write the Markdown table here.")
    ] = None,
    plots: Annotated[
        Path | None,
        typer.Option(
            "--plots",
            help="Write the plots into this directory (SVG; PNG too with the optional plots extra).",
        ),
    ] = None,
    models: Annotated[
        list[str] | None, typer.Option("--models", "-m", help="Models to report, or 'all' (repeatable).")
    ] = None,
    scenario: Annotated[str | None, typer.Option(help="Only this scenario.")] = None,
    alpha: Annotated[
        float, typer.Option(help="Family-wise (holm) or false-discovery (bh) level.")
    ] = DEFAULT_ALPHA,
    min_gap: Annotated[float | None, typer.Option(help="Smallest gap that matters, as a fraction.")] = None,
    correction: Annotated[str, typer.Option(help="Multiplicity correction: holm | bh | none.")] = "holm",
    classifier: Annotated[
        str | None, typer.Option(help="Use this classifier's labels (default: strongest).")
    ] = None,
    examples: Annotated[int, typer.Option(help="Example responses per model and outcome in the HTML.")] = 3,
    seed: Annotated[int, typer.Option(help="Seed for resampling methods (same seed, same report).")] = 0,
    db: DbOption = None,
) -> None:
    """Publish the comparison: an HTML page with plots and examples, a Markdown table, plot files."""
    from afgap.jobs.compare import compare
    from afgap.report.formats import to_markdown
    from afgap.report.html import check_writable, render_html, write_text
    from afgap.stats.analysis import Settings

    if not (html or markdown or plots):
        raise InputError("nothing to write: give --html FILE, --markdown FILE and/or --plots DIR")
    for target in (html, markdown):
        if target is not None:
            check_writable(target)  # fail before the statistics run, not after
    settings = Settings(alpha=alpha, correction=correction)
    if min_gap is not None:
        settings = dataclasses.replace(settings, min_gap=min_gap)
    path = resolve_db(db)
    comparison = compare(path, models or ["all"], settings, scenario, classifier, seed)
    if html is not None:
        from afgap.report.html import load_examples

        quoted = load_examples(path, comparison, classifier, examples)
        write_text(html, render_html(comparison, quoted, classifier))
        err_console().print(f"wrote {html} ({html.stat().st_size / 1e6:.2f} MB)", markup=False)
    if markdown is not None:
        write_text(markdown, to_markdown(comparison, classifier))
        err_console().print(f"wrote {markdown}", markup=False)
    if plots is not None:
        _write_plots(plots, comparison)


def _write_plots(directory: Path, comparison: Comparison) -> None:
    from afgap.report.html import write_bytes, write_text
    from afgap.report.plots import plot_files, svg_to_png

    if directory.exists() and not directory.is_dir():
        raise InputError(f"--plots {directory}: not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {directory}: {exc.strerror or exc}") from None
    png_missing = False
    for stem, svg in plot_files(comparison).items():
        write_text(directory / f"{stem}.svg", svg)
        png = svg_to_png(svg)
        png_missing |= png is None
        if png is not None:
            write_bytes(directory / f"{stem}.png", png)
    note = (
        " (SVG only: PNG needs `pip install 'afgap[plots]'` and the system's libcairo)" if png_missing else ""
    )
    err_console().print(f"wrote plots to {directory}{note}", markup=False)


@app.command()
def schema(
    name: Annotated[str, typer.Argument(help="Which document: compare.")] = "compare",
) -> None:
    """Print the JSON Schema of a JSON document afgap writes (e.g. `compare --format json`)."""
    from importlib.resources import files

    if name not in SCHEMAS:
        raise InputError(f"unknown schema {name!r}; known: {', '.join(SCHEMAS)}")
    sys.stdout.write(files("afgap.report").joinpath(SCHEMAS[name]).read_text(encoding="utf-8"))
