"""Intervals that agree with the multiplicity-adjusted verdict: one level for the whole family of rows.

The per-model interval covers each gap with probability 1 - alpha; across m rows some interval misses
far more often. Beside it each row gets an interval whose guarantee is about the family:

* holm: Bonferroni. Each tested row's own interval method at confidence 1 - alpha / m, so all m
  intervals cover their gaps at once with probability >= 1 - alpha (any dependence between rows).
* bh: false-coverage-rate intervals (Benjamini & Yekutieli 2005). Only the R rows BH selects
  (adjusted p < alpha) get one, at confidence 1 - R alpha / m; on average at most a share alpha of
  these intervals miss their gap (proved for independent rows).
* none: no adjustment, so no simultaneous interval.

Two widenings make the intervals agree with the verdict in every case, even where the score interval
and the exact test disagree on sparse data: an interval is never narrower than the row's per-model
interval, and a row the adjusted test does not reject gets a lower bound of at most 0. Widening never
lowers coverage. Hence: a simultaneous lower bound above 0 implies adjusted p < alpha.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SIMULTANEOUS_METHODS = {"holm": "bonferroni", "bh": "fcr", "none": "none"}


@dataclass(frozen=True)
class Family:
    """How a report's simultaneous intervals were made: method, rows covered, per-row confidence."""

    method: str
    rows: int
    confidence: float | None


NO_FAMILY = Family("none", 0, None)


def plan_family(p_adjusted: Sequence[float | None], correction: str, alpha: float) -> Family:
    """The simultaneous method for a correction and the confidence level every covered row uses."""
    tested = sum(p is not None for p in p_adjusted)
    method = SIMULTANEOUS_METHODS[correction]
    if method == "none" or tested == 0:
        return Family(method, 0, None)  # no tested row: nothing to cover
    if method == "bonferroni":
        return Family(method, tested, 1.0 - alpha / tested)
    selected = sum(p is not None and p < alpha for p in p_adjusted)
    if selected == 0:
        return Family(method, 0, None)
    return Family(method, selected, 1.0 - selected * alpha / tested)


def covers(family: Family, p_adjusted: float | None, alpha: float) -> bool:
    """Whether a row gets a simultaneous interval: every tested row, or (fcr) every selected one."""
    if family.confidence is None or p_adjusted is None:
        return False
    return family.method == "bonferroni" or p_adjusted < alpha


def reconcile(
    bounds: tuple[float, float], per_model: tuple[float, float], p_adjusted: float, alpha: float
) -> tuple[float, float]:
    """Widen to contain the per-model interval; a lower bound above 0 only where the test rejects."""
    low = min(bounds[0], per_model[0])
    high = max(bounds[1], per_model[1])
    if p_adjusted >= alpha:
        low = min(low, 0.0)
    return low, high


def describe(family: Family, alpha: float) -> str:
    """One sentence on what the simultaneous intervals guarantee, for footers and method lists."""
    level = f"{100 * (1 - alpha):g}%"
    if family.method == "none":
        return "none (no multiplicity correction, so only per-model intervals)"
    if family.confidence is None and family.method == "fcr":
        return "false-coverage-rate (Benjamini-Yekutieli): BH selected no row, so no row has one"
    if family.confidence is None:
        return "Bonferroni: no row was tested, so no row has one"
    each = f"{100 * family.confidence:.4g}%"
    if family.method == "bonferroni":
        return (
            f"Bonferroni, each of the {family.rows} tested rows at {each}: all cover their gaps at once "
            f"with probability ≥ {level}"
        )
    return (
        f"false-coverage-rate (Benjamini-Yekutieli), each BH-selected row ({family.rows}) at {each}: "
        f"on average ≤ {100 * alpha:g}% of them miss (independent rows); unselected rows have none"
    )
