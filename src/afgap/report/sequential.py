"""How rows collected with `collect --until-decided` show: a mark on the verdict, a footnote, a JSON section.

Their verdict comes from the anytime-valid interval (stats/sequential.py); the fixed-n interval beside it
is shown as always but does not keep its level after stopping on the data.
"""

from __future__ import annotations

from typing import Any

from afgap.stats.types import Comparison, ModelResult

MARK = "†"
METHOD = "betting confidence sequence, Waudby-Smith & Ramdas 2024; Bonferroni over rows"


def marked(verdict: str, m: ModelResult, comparison: Comparison) -> str:
    """The verdict with the footnote mark when the row was collected until decided."""
    return f"{verdict} {MARK}" if (m.model, m.scenario) in comparison.sequential else verdict


def with_sequential(row: dict[str, Any], m: ModelResult, comparison: Comparison) -> dict[str, Any]:
    """A compare@1 row, plus `sequential: true` and its `anytime_interval` when collected until decided."""
    gap = comparison.sequential.get((m.model, m.scenario))
    if gap is None:
        return row
    interval = {
        "n": gap.n,
        "estimate": gap.estimate,
        "ci_low": gap.ci_low,
        "ci_high": gap.ci_high,
        "confidence": gap.confidence,
        "method": METHOD,
    }
    return {**row, "sequential": True, "anytime_interval": interval}


def footnotes(comparison: Comparison) -> list[str]:
    """One line naming what the mark means and each marked row's interval."""
    if not comparison.sequential:
        return []
    rows = "; ".join(
        f"{model} · {scenario} [{100 * g.ci_low:+.1f}, {100 * g.ci_high:+.1f}] pp after {g.n} queries"
        for (model, scenario), g in sorted(comparison.sequential.items())
    )
    confidence = next(iter(comparison.sequential.values())).confidence
    return [
        f"{MARK} collected with --until-decided: the verdict is read from the anytime-valid interval "
        f"({METHOD}, {100 * confidence:g}% each), not the fixed-n CI, which is not valid after stopping "
        f"on the data: {rows}."
    ]
