"""Designs beyond two framings: the afgap/compare@2 document, and the lines under the terminal table.

A compare@2 row is a compare@1 model record for one contrast: its `monitored` side is the contrast's
condition and its `unmonitored` side the reference (the fields keep their compare@1 names so one schema
definition serves both); `scenario`, `condition` and `reference` say which contrast it is.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich.text import Text

from afgap import __version__
from afgap.report.formats import fmt_p, interval, model_dict, settings_dict
from afgap.report.safe import terminal
from afgap.stats.contrasts import DesignComparison
from afgap.stats.motivation import reading
from afgap.stats.trend import Trend

SCHEMA = "afgap/compare@2"


def contrast_dict(found: DesignComparison, index: int) -> dict[str, Any]:
    """One ranked contrast row: the compare@1 record plus which condition it sets against which reference."""
    row = found.comparison.models[index]
    contrast = found.contrast_of(row)
    record = model_dict(row)
    record.update(
        scenario=contrast.scenario,
        condition=contrast.condition,
        reference=contrast.reference,
        row=row.scenario,
    )
    return record


def readings(found: DesignComparison) -> list[dict[str, str]]:
    """The motivation each levelled (model, scenario) points to (afgap.stats.motivation)."""
    out = []
    for trend in found.trends:
        verdicts = {
            found.contrast_of(m).condition: m.verdict
            for m in found.comparison.models
            if m.model == trend.model and found.contrast_of(m).scenario == trend.scenario
        }
        text = reading(verdicts, trend, found.comparison.settings.alpha)
        out.append({"model": trend.model, "scenario": trend.scenario, "reading": text})
    return out


def to_document(found: DesignComparison, classifier: str | None = None) -> dict[str, Any]:
    """The afgap/compare@2 JSON document."""
    comparison = found.comparison
    return {
        "schema": SCHEMA,
        "afgap_version": __version__,
        "simulated": any(m.simulated for m in comparison.models),
        "settings": settings_dict(comparison, classifier),
        "designs": {
            name: {"conditions": list(d.conditions), "reference": d.reference, "levels": list(d.levels)}
            for name, d in sorted({k.split("@", 1)[0]: v for k, v in found.designs.items()}.items())
        },
        "contrasts": [contrast_dict(found, i) for i in range(len(comparison.models))],
        "trends": [_trend_dict(t) for t in found.trends],
        "readings": readings(found),
    }


def _trend_dict(trend: Trend) -> dict[str, Any]:
    record = asdict(trend)
    record["levels"] = list(trend.levels)
    return record


def trend_line(trend: Trend) -> str:
    """`trend model · scenario (low < … < high): +x.x pp per level [lo, hi], p = …`, terminal-safe."""
    where = f"{terminal(trend.model)} · {terminal(trend.scenario)} ({terminal(' < '.join(trend.levels))})"
    if trend.slope is None:
        return f"trend {where}: no query has a scored response at every level"
    ci = interval(trend.ci_low, trend.ci_high)
    dropped = f", {trend.dropped_queries} dropped" if trend.dropped_queries else ""
    return (
        f"trend {where}: {100 * trend.slope:+.1f} pp per level {ci}, one-sided p = {fmt_p(trend.p_value)} "
        f"(adj. {fmt_p(trend.p_adjusted)}), {trend.n_queries} queries{dropped}"
    )


def footer_lines(found: DesignComparison) -> list[Text]:
    """Under the table: what a contrast row is, one trend line per levelled row, and the readings."""
    lines = [
        Text(
            "Rows are contrasts 'scenario: condition vs reference': mon% is the condition's compliance, "
            f"unmon% the reference's; all {len(found.comparison.models)} rows are adjusted together."
        )
    ]
    lines += [Text(trend_line(t)) for t in found.trends]
    if found.trends:
        lines.append(
            Text(
                "Trend: the mean over queries of each query's least-squares slope across the levels, in pp "
                "per level step; sign-flip test over queries (H1: rising), Student t interval."
            )
        )
    for item in readings(found):
        lines.append(
            Text(f"reading {terminal(item['model'])} · {terminal(item['scenario'])}: {item['reading']}")
        )
    return lines
