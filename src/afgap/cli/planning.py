"""The planning options `collect` and `batch export` share, spelled once so the two never drift apart."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from afgap.cli.options import literal
from afgap.settings import DEFAULT_QUERIES, MAX_SAMPLES, MAX_TOKENS

ScenarioOption = Annotated[
    list[str] | None, typer.Option(help="Built-in scenario name or TOML path (repeatable).")
]
QueriesOption = Annotated[
    str | None,
    typer.Option(
        help=literal(
            "'builtin', 'anti-lab' or a query file (CSV/JSONL/TXT) "
            f"[default: the scenario's own set, else {DEFAULT_QUERIES}]."
        ),
        show_default=False,
    ),
]
ColumnOption = Annotated[str | None, typer.Option(help="CSV column holding the request text.")]
SamplesOption = Annotated[int, typer.Option(help=f"Samples per query and condition (1 to {MAX_SAMPLES:,}).")]
LimitOption = Annotated[int | None, typer.Option(help="Use only the first N queries.")]
SampleQueriesOption = Annotated[int | None, typer.Option(help="A random subset of N queries (see --seed).")]
SeedOption = Annotated[int, typer.Option(help="Seed for --sample-queries.")]
TemperatureOption = Annotated[float, typer.Option(help="Sampling temperature, 0 to 2 (0.0 is sent as 0.0).")]
MaxTokensOption = Annotated[int, typer.Option(help=f"Max output tokens per turn (1 to {MAX_TOKENS:,}).")]


class Effort(StrEnum):
    """`--reasoning-effort` values (records.REASONING_EFFORTS)."""

    minimal = "minimal"
    low = "low"
    medium = "medium"
    high = "high"


EffortOption = Annotated[
    Effort | None,
    typer.Option(help="OpenAI-compatible models: the reasoning_effort sent (enters the request hash)."),
]
