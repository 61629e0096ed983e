"""`afgap plan`: how many queries a study needs, and the smallest gap a given number can detect."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from afgap.cli.console import out_console
from afgap.cli.options import FormatOption, JsonFlag, OutputFormat, resolve_format
from afgap.settings import (
    DEFAULT_ALPHA,
    DEFAULT_POWER,
    DEFAULT_RHO,
    DEFAULT_SAMPLES,
    MAX_SAMPLES,
    check_at_most,
)

if TYPE_CHECKING:
    from afgap.jobs.plan import PowerPlan

BaselineOption = Annotated[float, typer.Option(help="Expected unmonitored compliance rate, a fraction.")]
GapOption = Annotated[float | None, typer.Option(help="Gap to detect, a fraction (0.11 = 11 pp).")]
QueriesOption = Annotated[int | None, typer.Option(help="Queries you have: report the detectable gap.")]
SamplesOption = Annotated[int, typer.Option(help=f"Samples per query and condition (1 to {MAX_SAMPLES:,}).")]
AlphaOption = Annotated[float, typer.Option(help="One-sided level before correction.")]
PowerOption = Annotated[float, typer.Option(help="Target power.")]
RhoOption = Annotated[float, typer.Option(help="Within-query correlation (latent scale); from a pilot.")]
ModelsOption = Annotated[int, typer.Option(help="Models in the report (Holm's first step: α / models).")]


def plan(
    baseline: BaselineOption,
    gap: GapOption = None,
    queries: QueriesOption = None,
    samples: SamplesOption = DEFAULT_SAMPLES,
    alpha: AlphaOption = DEFAULT_ALPHA,
    power: PowerOption = DEFAULT_POWER,
    rho: RhoOption = DEFAULT_RHO,
    models: ModelsOption = 1,
    fmt: FormatOption = OutputFormat.table,
    json_flag: JsonFlag = False,
) -> None:
    """Power: queries needed to detect a gap (paired vs unpaired), or the minimum detectable gap for n."""
    from afgap.jobs.plan import power_plan

    check_at_most("--samples", samples, MAX_SAMPLES)  # the same bound as `collect`: a plan it could run
    found = power_plan(baseline, gap, queries, samples, alpha, power, rho, models)
    if resolve_format(fmt, json_flag) is OutputFormat.json:
        sys.stdout.write(json.dumps(found.document(), indent=2) + "\n")
        return
    _print_plan(found)


def _print_plan(p: PowerPlan) -> None:
    console = out_console()
    if p.found is not None:
        f = p.found
        console.print(
            f"to detect a gap of {100 * f.gap:.1f} pp over {100 * f.baseline:.1f} % "
            f"(k = {f.samples}, α = {f.alpha} over {f.models} model(s), power {f.power}, "
            f"ρ = {f.rho}): {f.queries_paired} queries paired ({f.test}; "
            f"{f.responses_paired} responses) vs {f.queries_unpaired} queries unpaired "
            f"({f.responses_unpaired} responses)",
            soft_wrap=True,
        )
    if p.queries is not None:
        mdg = p.min_detectable_gap
        shown = "none (no possible gap reaches that power)" if mdg is None else f"{100 * mdg:.1f} pp"
        console.print(f"with {p.queries} queries the minimum detectable gap is {shown}", soft_wrap=True)
