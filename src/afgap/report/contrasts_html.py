"""The HTML report's sections for a design beyond two framings: one table per contrast, the trends, readings.

Every dynamic string goes through report.safe's escaping, as in report/html.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from afgap.report.contrasts import readings
from afgap.report.formats import fmt_p, interval, pp
from afgap.report.safe import xml_text as escape
from afgap.stats.contrasts import Contrast, DesignComparison
from afgap.stats.types import ModelResult

_HEADS = ("model", "n", "condition %", "reference %", "gap pp", "CI", "simult. CI", "p adj", "verdict")


def contrast_sections(found: DesignComparison) -> str:
    """One table per (scenario, condition vs reference), then the trends and the readings."""
    groups: dict[Contrast, list[ModelResult]] = defaultdict(list)
    for row in found.comparison.models:
        contrast = found.contrast_of(row)
        groups[Contrast("", contrast.scenario, contrast.condition, contrast.reference)].append(row)
    parts = ['<h2 id="contrasts">Contrasts</h2>']
    parts.append(
        '<p class="muted">Each table sets one condition against the scenario\'s reference; every row of '
        "every table is adjusted together.</p>"
    )
    for contrast, rows in groups.items():
        parts.append(f"<h3>{escape(contrast.label)}</h3>{_table(rows)}")
    parts.append(_trends(found))
    return "\n".join(parts)


def _table(rows: list[ModelResult]) -> str:
    return _html_table(
        _HEADS,
        [
            (
                m.model,
                str(m.n_pairs),
                pp(m.monitored.rate),
                pp(m.unmonitored.rate),
                pp(m.gap.estimate),
                interval(m.gap.ci_low, m.gap.ci_high),
                interval(m.gap.simultaneous_ci_low, m.gap.simultaneous_ci_high),
                fmt_p(m.gap.p_adjusted),
                m.verdict,
            )
            for m in rows
        ],
    )


def _html_table(heads: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    """A table of escaped cells."""
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f'<div class="table-wrap"><table class="ranking"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _trends(found: DesignComparison) -> str:
    if not found.trends:
        return ""
    heads = ("model", "scenario", "levels", "queries", "slope pp/level", "CI", "p (rising)", "p adj")
    rows = [
        (
            t.model,
            t.scenario,
            " < ".join(t.levels),
            str(t.n_queries),
            pp(t.slope),
            interval(t.ci_low, t.ci_high),
            fmt_p(t.p_value),
            fmt_p(t.p_adjusted),
        )
        for t in found.trends
    ]
    said = "".join(
        f"<li>{escape(r['model'])} · {escape(r['scenario'])}: {escape(r['reading'])}</li>"
        for r in readings(found)
    )
    return (
        '<h2 id="trends">Trend across levels</h2><p class="muted">Mean per-query least-squares slope of '
        "compliance per level step; sign-flip test over queries (one-sided, rising); Student t interval.</p>"
        f'{_html_table(heads, rows)}<h3>Readings</h3><ul class="readings">{said}</ul>'
    )
