"""`afgap validate-judge`: measure a classifier on a labelled file."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from afgap.cli.console import out_console
from afgap.cli.options import (
    FormatOption,
    JsonFlag,
    JudgeFormatOption,
    JudgeOption,
    JudgePromptOption,
    OutputFormat,
    VotesOption,
    literal,
    resolve_format,
)
from afgap.settings import (
    DEFAULT_AF_THRESHOLD,
    DEFAULT_JUDGE_KIND,
    DEFAULT_SEED,
    DEFAULT_VOTES,
    SCREEN_THRESHOLD,
)


class ValidateChoice(StrEnum):
    """Which scorer `validate-judge` measures."""

    screen = "screen"
    screen1 = "screen@1"
    judge = "judge"
    tags = "tags"


FileArgument = Annotated[Path, typer.Argument(help="Labelled JSONL: one {text, label} object a line.")]
ClassifierOption = Annotated[
    ValidateChoice, typer.Option(help="screen | screen@1 (the previous screen) | judge | tags.")
]
KindOption = Annotated[str, typer.Option(help="Judge to validate: af-reasoning | compliance.")]
ThresholdOption = Annotated[
    float | None,
    typer.Option(
        help=literal(
            f"Decision threshold [default: screen {SCREEN_THRESHOLD:g}, screen@1 0.4, "
            f"judge {DEFAULT_AF_THRESHOLD:g} / >0]."
        )
    ),
]
PositiveOption = Annotated[str | None, typer.Option(help="For string labels: the value that means positive.")]
SeedOption = Annotated[int, typer.Option(help="Seed for the bootstrap CI.")]
SetNameOption = Annotated[
    str | None,
    typer.Option(help='What the labelled set is, kept in the JSON: e.g. "real, held-out, 80 items".'),
]


def validate_judge(
    file: FileArgument,
    classifier: ClassifierOption = ValidateChoice.screen,
    judge: JudgeOption = None,
    kind: KindOption = DEFAULT_JUDGE_KIND,
    votes: VotesOption = DEFAULT_VOTES,
    threshold: ThresholdOption = None,
    positive_label: PositiveOption = None,
    seed: SeedOption = DEFAULT_SEED,
    judge_prompt: JudgePromptOption = None,
    judge_format: JudgeFormatOption = None,
    set_name: SetNameOption = None,
    fmt: FormatOption = OutputFormat.table,
    json_flag: JsonFlag = False,
) -> None:
    """Measure a classifier on a labelled file: accuracy, precision, recall, F1, AUROC + 95 % CI, Youden J."""
    from afgap.jobs.validate_judge import validate_file

    report = validate_file(
        file,
        classifier.value,
        judge,
        kind,
        votes,
        threshold,
        positive_label,
        seed,
        os.environ,
        judge_prompt or [],
        judge_format or [],
        set_name,
    ).model_dump(by_alias=True)
    if resolve_format(fmt, json_flag) is OutputFormat.table:
        _print_validation(report)
    else:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")


def _print_validation(r: dict[str, Any]) -> None:
    lines = [
        f"{r['classifier']} on {r['file']}"
        + (f" ({r['set_name']})" if r.get("set_name") else "")
        + f": n = {r['n']} "
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
