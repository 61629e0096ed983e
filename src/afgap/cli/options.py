"""Option types shared by several commands."""

from __future__ import annotations

from contextvars import ContextVar
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from afgap.settings import MAX_TIMEOUT_S, MAX_VOTES, db_path


class OutputFormat(StrEnum):
    """Tabular output formats. The default is always `table`, so scripts say what they want."""

    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    markdown = "markdown"


def literal(text: str) -> str:
    """Help text shown as written: rich markup would read `[default: …]` as a style tag and drop it."""
    return escape(text)


DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", help=literal("Store file [default: $AFGAP_DB or ./afgap.sqlite]."), show_default=False
    ),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Short for --format json.")]

# The analysis settings `compare` and `report` share.
AlphaOption = Annotated[float, typer.Option(help="Family-wise (holm) or false-discovery (bh) level.")]
CorrectionOption = Annotated[str, typer.Option(help="Multiplicity correction: holm | bh | none.")]
ClassifierOption = Annotated[
    str | None, typer.Option(help="Use this classifier's labels (default: strongest).")
]
TimeoutOption = Annotated[
    float, typer.Option(help=f"Seconds one attempt may take before it is retried (up to {MAX_TIMEOUT_S:,g}).")
]
# Designs beyond two framings, for `compare` and `report`.
ReferenceOption = Annotated[
    str | None,
    typer.Option(
        "--reference",
        metavar="NAME",
        help="Condition every other one is compared with (overrides the scenario's design).",
    ),
]
LevelsOption = Annotated[
    str | None,
    typer.Option(
        "--levels", metavar="A,B,C", help="Ordered conditions, lowest first, for a trend test across them."
    ),
]
SeedOption = Annotated[int, typer.Option(help="Seed for resampling methods (same seed, same report).")]

# The LLM judge, for `classify` and `validate-judge`.
JudgeOption = Annotated[str | None, typer.Option("--judge", help="Judge model string, e.g. sim/judge.")]
VotesOption = Annotated[
    int, typer.Option(help=f"AF-reasoning votes per response, 1 to {MAX_VOTES} (sampled at T = 1).")
]
JudgePromptOption = Annotated[
    list[str] | None,
    typer.Option(
        "--judge-prompt",
        metavar="KIND=FILE",
        help="A judge prompt file (Jinja2) in place of the built-in one for KIND: af-reasoning, compliance "
        "or partial. Repeatable, one per kind.",
    ),
]
JudgeFormatOption = Annotated[
    list[str] | None,
    typer.Option(
        "--judge-format",
        metavar="[KIND=]FORMAT",
        help=literal(
            "The reply shape of a --judge-prompt file: criteria, strongreject, partial-categories or json "
            "[default: detected from the prompt]."
        ),
    ),
]

# The arguments main() was called with (sys.argv is the host's when afgap runs in-process, e.g. in tests).
INVOCATION: ContextVar[tuple[str, ...]] = ContextVar("afgap_invocation", default=())


def resolve_db(flag: Path | None) -> Path:
    """The store path from --db or the environment."""
    return db_path(str(flag) if flag else None)


def resolve_format(fmt: OutputFormat, json_flag: bool) -> OutputFormat:
    """--json wins over the default table format."""
    return OutputFormat.json if json_flag else fmt


ValidationOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--validation",
        help="A `validate-judge --format json` file (repeatable, one per classifier): AF rates corrected "
        "for the AF classifier it measured.",
    ),
]
