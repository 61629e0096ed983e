"""`afgap demo`: the zero-setup tour on the built-in simulator."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from afgap.cli.console import err_console
from afgap.cli.options import DbOption, FormatOption, OutputFormat, resolve_db
from afgap.settings import DEMO_MODELS, DEMO_SAMPLES

SamplesOption = Annotated[int, typer.Option(help="Samples per query and condition.")]


def demo(
    db: DbOption = None,
    samples: SamplesOption = DEMO_SAMPLES,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Zero-setup tour: simulate three model organisms, collect, classify and print the ranked report."""
    from afgap.cli.progress import collect_with_progress
    from afgap.cli.render import render_comparison
    from afgap.jobs.collect import validate_request
    from afgap.jobs.demo import demo_comparison, demo_request
    from afgap.report.formats import labels_description

    with tempfile.TemporaryDirectory(prefix="afgap-demo-") as tmp:
        path = resolve_db(db) if db else Path(tmp) / "demo.sqlite"
        request = demo_request(path, samples)
        validate_request(request)  # bad input is one line, before the banner
        err_console().print(f"afgap demo: SIMULATED models {', '.join(DEMO_MODELS)} -> {path}")
        collect_with_progress(request)
        run = demo_comparison(path)
        render_comparison(run, fmt, labels_description(None, run.labels_used))
