"""`afgap classify`: (re)label stored responses, or show how two labellers agree."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from afgap.cli.console import err_console, out_console
from afgap.cli.options import (
    DbOption,
    FormatOption,
    JsonFlag,
    JudgeFormatOption,
    JudgeOption,
    JudgePromptOption,
    OutputFormat,
    TimeoutOption,
    VotesOption,
    literal,
    resolve_db,
    resolve_format,
)
from afgap.errors import InputError
from afgap.settings import DEFAULT_AF_THRESHOLD, DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_S, DEFAULT_VOTES

if TYPE_CHECKING:
    from afgap.jobs.antilab import AntiLabSummary
    from afgap.jobs.judge import JudgeSummary


class ClassifierChoice(StrEnum):
    """Which classifier `classify` runs."""

    tags = "tags"
    screen = "screen"
    judge = "judge"


ClassifierOption = Annotated[
    ClassifierChoice | None,
    typer.Option(help=literal("tags | screen | judge [default: tags and screen].")),
]
ThresholdOption = Annotated[float, typer.Option(help="AF vote-fraction threshold.")]
ConcurrencyOption = Annotated[int, typer.Option(help="Judge calls in flight.")]
AgreementFlag = Annotated[
    bool, typer.Option("--agreement", help="Print the tag-vs-judge agreement table; classify nothing.")
]


def classify(
    judge: JudgeOption = None,
    classifier: ClassifierOption = None,
    votes: VotesOption = DEFAULT_VOTES,
    threshold: ThresholdOption = DEFAULT_AF_THRESHOLD,
    concurrency: ConcurrencyOption = DEFAULT_CONCURRENCY,
    timeout: TimeoutOption = DEFAULT_TIMEOUT_S,
    agreement: AgreementFlag = False,
    judge_prompt: JudgePromptOption = None,
    judge_format: JudgeFormatOption = None,
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
    if judge is None and (judge_prompt or judge_format):
        raise InputError("--judge-prompt and --judge-format need a judge model: add --judge MODEL")
    if judge is None:
        from afgap.jobs.classify import reclassify

        only = classifier.value if classifier else None
        count = reclassify(path, only)
        err_console().print(f"classified {count} responses ({only or 'tags and screen'})")
        if only is None:
            _anti_lab(path, None, votes, (concurrency, timeout))
        return
    _judge(path, judge, votes, threshold, (concurrency, timeout), (judge_prompt or [], judge_format or []))


def _judge(
    path: Path,
    model: str,
    votes: int,
    threshold: float,
    limits: tuple[int, float],
    files: tuple[list[str], list[str]] = ([], []),
) -> None:
    from afgap.cli.progress import progress_reporter
    from afgap.errors import PartialFailure
    from afgap.jobs.classify import judge

    with progress_reporter(label="judge") as progress:
        try:
            summary = judge(path, model, os.environ, votes, threshold, limits[0], progress, limits[1], *files)
        except PartialFailure as failure:
            err_console().print(str(failure), soft_wrap=True, markup=False)
            raise
    err_console().print(_judge_line(summary), soft_wrap=True, markup=False)
    _anti_lab(path, model, votes, limits)


def _anti_lab(path: Path, model: str | None, votes: int, limits: tuple[int, float]) -> None:
    """Anti-lab scenarios' responses get their own choice label (offline, or by the anti-lab judge)."""
    from afgap.cli.progress import progress_reporter
    from afgap.errors import PartialFailure
    from afgap.jobs.classify import anti_lab

    with progress_reporter(label="anti-lab judge") as progress:
        try:
            summary = anti_lab(path, model, os.environ, votes, limits[0], progress, limits[1])
        except PartialFailure as failure:
            err_console().print(str(failure), soft_wrap=True, markup=False)
            raise
    if summary.responses:
        err_console().print(_anti_lab_line(summary), soft_wrap=True, markup=False)


def _anti_lab_line(s: AntiLabSummary) -> str:
    choices = ", ".join(f"{name} {count}" for name, count in s.choices.items())
    line = f"anti-lab: labelled {s.labelled} of {s.responses} responses as {s.classifier}: {choices}"
    if s.stats is None:
        return line
    unreadable = sum(s.stats.unparseable.values())
    return (
        f"{line}; {s.stats.sent} calls sent, {s.stats.cached} cached, {s.stats.retried} re-asked; "
        f"votes unparseable after retry: {unreadable} (counted, never a verdict)"
    )


def _judge_line(s: JudgeSummary) -> str:
    st = s.stats
    unparseable = ", ".join(f"{k} {v}" for k, v in sorted(st.unparseable.items())) or "none"
    return (
        f"judged {s.labelled} of {s.responses} responses as {s.classifier}: {st.sent} calls sent, "
        f"{st.cached} cached, {st.retried} re-asked after an unreadable reply; unparseable after retry: "
        f"{unparseable}; outcome unparseable: {s.outcome_unparseable} (counted as unscored, never a verdict)"
    )


def _print_agreement(path: Path, fmt: OutputFormat) -> None:
    from afgap.jobs.classify import label_agreement
    from afgap.report.table import agreement_table

    found = label_agreement(path)
    if fmt is not OutputFormat.table:
        sys.stdout.write(json.dumps(found.document(), indent=2) + "\n")
        return
    judges = ", ".join(found.judges)
    out_console().print(agreement_table(f"outcome: tags@1 (rows) vs {judges} (columns)", found.outcome))
    out_console().print(agreement_table("AF reasoning: screen (rows) vs judge (columns)", found.af_reasoning))
