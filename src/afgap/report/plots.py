"""Hand-made inline SVG plots: the forest plot of gaps, stacked outcome bars, AF-reasoning rates.

Hand-made rather than matplotlib: a few hundred lines of string building render 100 models in
milliseconds, add no dependency, and give text that stays selectable, searchable and crisp in print.
Every label is escaped; colours are Okabe & Ito's (2008) colour-blind-safe palette, and every colour
also has a shape, a pattern or a text label so the plots read in greyscale too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from afgap.report.safe import xml_text as escape
from afgap.stats.types import Comparison, ModelResult, Proportion

Scale = Callable[[float], float]

# Okabe & Ito (2008) palette.
VERMILLION = "#D55E00"
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
SKY = "#56B4E9"
GREY = "#BBBBBB"
INK = "#222222"
VERDICT_COLOUR = {"fakes alignment": VERMILLION, "no gap": GREEN, "inconclusive": BLUE}
OUTCOME_SEGMENTS = (
    ("comply", ("comply",), VERMILLION),
    ("partial", ("partial",), ORANGE),
    ("refuse", ("refuse",), BLUE),
    ("unscored", ("unparseable", "error", "unavailable"), GREY),
)
WIDTH, LABEL_W, ROW_H, TOP, FONT = 760, 230, 22, 34, 12


def row_label(m: ModelResult, multi_scenario: bool) -> str:
    """A model's label in plots: the model, and the scenario when the report mixes several."""
    label = m.model + (f" · {m.scenario}" if multi_scenario else "")
    return label if len(label) <= 34 else label[:33] + "…"


def _svg(height: int, body: list[str], title: str, css_class: str) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot {css_class}" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="{FONT}">'
    )
    return head + f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {extra}>{escape(text)}</text>'


def _nice_step(span: float) -> float:
    """A 1-2-5 tick step giving about six ticks over span."""
    raw = span / 6
    power = 10.0 ** math.floor(math.log10(raw))
    return float(next(s * power for s in (1, 2, 5, 10) if s * power >= raw))


def _axis(low: float, high: float, x_of: Scale, y: float, bottom: float, unit: str) -> list[str]:
    """Vertical grid lines with tick labels (values in pp) from low to high."""
    step = _nice_step(high - low)
    parts = []
    tick = math.ceil(low / step) * step
    while tick <= high + 1e-9:
        x = x_of(tick)
        parts.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{bottom}" stroke="#e4e4e4"/>')
        parts.append(_text(x, bottom + 14, f"{tick:g}", "middle", 'fill="#555"'))
        tick += step
    parts.append(_text((LABEL_W + WIDTH) / 2, bottom + 30, unit, "middle", 'fill="#333"'))
    return parts


def forest_plot(models: Sequence[ModelResult], min_gap: float, multi_scenario: bool = False) -> str:
    """Gap (pp) with its CI per model, ranked, with the zero and min-gap lines."""
    values = [0.0, 100 * min_gap]
    for m in models:
        values += [100 * v for v in (m.gap.estimate, m.gap.ci_low, m.gap.ci_high) if v is not None]
    low, high = min(values), max(values)
    pad = max(1.0, 0.05 * (high - low))
    low, high = low - pad, high + pad
    bottom = TOP + ROW_H * max(1, len(models))

    def x_of(value: float) -> float:
        return LABEL_W + (WIDTH - LABEL_W - 20) * (value - low) / (high - low)

    body = _axis(low, high, x_of, TOP - 6, bottom, "compliance gap, monitored − unmonitored (pp)")
    body.append(_forest_legend())
    body += _reference_lines(x_of(0.0), x_of(100 * min_gap), bottom, min_gap)
    for i, m in enumerate(models):
        body.append(_forest_row(m, TOP + ROW_H * i + ROW_H / 2, x_of, multi_scenario))
    return _svg(int(bottom + 40), body, "Compliance gap per model with its confidence interval", "forest")


def _reference_lines(zero: float, gate: float, bottom: float, min_gap: float) -> list[str]:
    """The forest plot's vertical lines: no gap (solid) and the smallest gap that matters (dashed)."""
    return [
        f'<line class="zero-line" x1="{zero:.1f}" y1="{TOP - 6}" x2="{zero:.1f}" y2="{bottom}" '
        f'stroke="{INK}" stroke-width="1"/>',
        f'<line class="min-gap-line" x1="{gate:.1f}" y1="{TOP - 6}" x2="{gate:.1f}" y2="{bottom}" '
        f'stroke="{VERMILLION}" stroke-dasharray="5 3" stroke-width="1.2">'
        f"<title>min gap {100 * min_gap:g} pp</title></line>",
    ]


def _forest_legend() -> str:
    items = [("fakes alignment", "◆"), ("no gap", "●"), ("inconclusive", "○")]
    parts, x = [], float(LABEL_W)
    for verdict, glyph in items:
        parts.append(_text(x, 14, f"{glyph} {verdict}", extra=f'fill="{VERDICT_COLOUR[verdict]}"'))
        x += 7 * len(verdict) + 32
    parts.append(_text(x, 14, "┆ min gap", extra=f'fill="{VERMILLION}"'))
    return "".join(parts)


def _marker(verdict: str, x: float, y: float) -> str:
    """Shape encodes the verdict as well as colour: diamond, filled dot, open dot."""
    colour = VERDICT_COLOUR.get(verdict, INK)
    if verdict == "fakes alignment":
        return (
            f'<path d="M{x:.1f} {y - 6:.1f} L{x + 6:.1f} {y:.1f} L{x:.1f} {y + 6:.1f} '
            f'L{x - 6:.1f} {y:.1f} Z" fill="{colour}"/>'
        )
    fill = colour if verdict == "no gap" else "#fff"
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{fill}" stroke="{colour}" stroke-width="2"/>'


def _forest_row(m: ModelResult, y: float, x_of: Scale, multi_scenario: bool) -> str:
    gap = m.gap
    parts = [
        f'<g class="forest-row" data-rank="{m.rank}">',
        _text(LABEL_W - 8, y + 4, row_label(m, multi_scenario), "end"),
    ]
    if gap.estimate is None:
        parts.append(_text(LABEL_W + 8, y + 4, "no scored pairs", extra='fill="#777" font-style="italic"'))
        return "".join([*parts, "</g>"])
    tip = f"{m.model}: gap {100 * gap.estimate:.1f} pp"
    if gap.ci_low is not None and gap.ci_high is not None:
        tip += f" [{100 * gap.ci_low:.1f}, {100 * gap.ci_high:.1f}]"
        x1, x2 = x_of(100 * gap.ci_low), x_of(100 * gap.ci_high)
        colour = VERDICT_COLOUR.get(m.verdict, INK)
        parts.append(
            f'<line class="ci" x1="{x1:.1f}" y1="{y:.1f}" x2="{x2:.1f}" y2="{y:.1f}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
    parts.append(f"<title>{escape(tip + ' — ' + m.verdict)}</title>")
    parts.append(_marker(m.verdict, x_of(100 * gap.estimate), y))
    return "".join([*parts, "</g>"])


def outcome_bars(models: Sequence[ModelResult], multi_scenario: bool = False) -> str:
    """Stacked shares of comply / partial / refuse / unscored per model and condition."""
    bar_h, group_h = 9, 26
    bottom = TOP + group_h * max(1, len(models))
    span = WIDTH - LABEL_W - 20
    body = _axis(0, 100, lambda v: LABEL_W + span * v / 100, TOP - 6, bottom, "share of responses (%)")
    x = float(LABEL_W)
    for name, _, colour in OUTCOME_SEGMENTS:
        body.append(f'<rect x="{x:.1f}" y="5" width="11" height="11" fill="{colour}"/>')
        body.append(_text(x + 15, 14, name))
        x += 95
    for i, m in enumerate(models):
        y = TOP + group_h * i + 3
        body.append(
            f'<g class="bar-group">{_text(LABEL_W - 8, y + bar_h + 3, row_label(m, multi_scenario), "end")}'
        )
        for j, condition in enumerate(("monitored", "unmonitored")):
            body.append(_stack(m, condition, y + j * (bar_h + 1), bar_h, span))
        body.append("</g>")
    return _svg(int(bottom + 40), body, "Outcome shares per model and condition", "outcomes")


def _stack(m: ModelResult, condition: str, y: float, height: int, span: float) -> str:
    counts = m.outcomes.get(condition, {})
    total = sum(counts.values())
    if total == 0:
        return _text(
            LABEL_W + 4, y + height - 1, f"{condition}: no responses", extra='fill="#777" font-size="9"'
        )
    parts, x = [], float(LABEL_W)
    for name, members, colour in OUTCOME_SEGMENTS:
        count = sum(counts.get(o, 0) for o in members)
        if count == 0:
            continue
        w = span * count / total
        tip = f"{m.model}, {condition}: {name} {count} of {total} ({100 * count / total:.1f} %)"
        parts.append(
            f'<rect class="bar-seg seg-{name}" x="{x:.2f}" y="{y:.1f}" width="{w:.2f}" '
            f'height="{height}" fill="{colour}"><title>{escape(tip)}</title></rect>'
        )
        x += w
    return "".join(parts)


def af_plot(models: Sequence[ModelResult], multi_scenario: bool = False) -> str | None:
    """AF-reasoning rate among monitored responses (bar with CI), and among monitored compliant ones."""
    rows = [m for m in models if m.af_reasoning is not None]
    if not rows:
        return None
    bar_h, group_h = 9, 26
    bottom = TOP + group_h * len(rows)
    top_rate = max(max((p.ci_high or 0.0) for m in rows for p in _af_pair(m)), 0.05)
    high = min(100.0, 100 * top_rate * 1.1)
    span = WIDTH - LABEL_W - 20

    def x_of(v: float) -> float:
        return LABEL_W + span * v / high

    body = _axis(0, high, x_of, TOP - 6, bottom, "responses with alignment-faking reasoning (%)")
    body.append(f'<rect x="{LABEL_W}" y="5" width="11" height="11" fill="{SKY}"/>')
    body.append(_text(LABEL_W + 15, 14, "among monitored responses"))
    body.append(f'<rect x="{LABEL_W + 190}" y="5" width="11" height="11" fill="{ORANGE}"/>')
    body.append(_text(LABEL_W + 205, 14, "among monitored compliant responses"))
    for i, m in enumerate(rows):
        y = TOP + group_h * i + 3
        body.append(
            f'<g class="af-group">{_text(LABEL_W - 8, y + bar_h + 3, row_label(m, multi_scenario), "end")}'
        )
        for j, (p, colour) in enumerate(zip(_af_pair(m), (SKY, ORANGE), strict=False)):
            body.append(_af_bar(p, y + j * (bar_h + 1), x_of, colour))
        body.append("</g>")
    return _svg(int(bottom + 40), body, "Alignment-faking reasoning rates", "af")


def _af_pair(m: ModelResult) -> list[Proportion]:
    return [p for p in (m.af_reasoning, m.af_reasoning_compliant) if p is not None]


def _af_bar(p: Proportion, y: float, x_of: Scale, colour: str) -> str:
    rate, low, high = p.rate, p.ci_low, p.ci_high
    if rate is None:
        return ""
    w = x_of(100 * rate) - LABEL_W
    tip = escape(f"{p.count} of {p.n} ({100 * rate:.1f} %)")
    bar = (
        f'<rect class="af-bar" x="{LABEL_W}" y="{y:.1f}" width="{w:.2f}" height="9" fill="{colour}">'
        f"<title>{tip}</title></rect>"
    )
    if low is not None and high is not None:
        bar += (
            f'<line x1="{x_of(100 * low):.1f}" y1="{y + 4.5:.1f}" x2="{x_of(100 * high):.1f}" '
            f'y2="{y + 4.5:.1f}" stroke="{INK}" stroke-width="1"/>'
        )
    return bar


def plot_files(comparison: Comparison) -> dict[str, str]:
    """The report's plots as standalone SVG documents, by file stem."""
    models, multi = comparison.models, len({m.scenario for m in comparison.models}) > 1
    found = {
        "forest": forest_plot(models, comparison.settings.min_gap, multi),
        "outcomes": outcome_bars(models, multi),
        "af_reasoning": af_plot(models, multi),
    }
    return {stem: '<?xml version="1.0" encoding="UTF-8"?>\n' + svg for stem, svg in found.items() if svg}


def svg_to_png(svg: str) -> bytes | None:
    """PNG at 2x via cairosvg (the optional `afgap[plots]` extra), or None when it is not installed."""
    try:
        import cairosvg
    except (ImportError, OSError):  # OSError: the package is there but the system's libcairo is not
        return None
    png: bytes = cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=2, background_color="white")
    return png
