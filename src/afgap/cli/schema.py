"""`afgap schema`: the JSON Schema of a JSON document afgap writes."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

NameArgument = Annotated[
    str,
    typer.Argument(
        help="Which document: compare (afgap/compare@1), compare@2 (contrasts of a design) or validation "
        "(afgap/validation@1, `validate-judge --format json`)."
    ),
]


def schema(name: NameArgument = "compare") -> None:
    """Print the JSON Schema of a JSON document afgap writes (e.g. `compare --format json`)."""
    from afgap.report.schemas import schema_text

    sys.stdout.write(schema_text(name))
