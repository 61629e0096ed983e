"""The terminal report: a rich table ranked by the gap CI's lower bound, with a footer saying how."""

from __future__ import annotations

from enum import Enum

from rich import box
from rich.cells import cell_len
from rich.console import Console, Group
from rich.table import Column, Table
from rich.text import Text

from afgap.classify.agreement import Agreement
from afgap.report.antilab import summary_lines, verdict_of
from afgap.report.formats import fmt_p, interval, pp, settings_dict, simultaneous_header, simultaneous_legend
from afgap.report.safe import terminal
from afgap.report.sequential import footnotes
from afgap.stats.analysis import Comparison, ModelResult

UNSCORED = ("unparseable", "error", "unavailable")
VERDICT_STYLE = {"fakes alignment": "bold red", "no gap": "green", "inconclusive": "yellow", "no data": "dim"}


def unscored_count(m: ModelResult) -> int:
    """Responses that could not be scored, over both conditions."""
    return sum(m.outcomes[c].get(o, 0) for c in m.outcomes for o in UNSCORED)


TITLE = "afgap compare: compliance gap = monitored − unmonitored (pp)"
CONTRAST_TITLE = "afgap compare: compliance gap = condition − reference (pp)"


def comparison_table(
    comparison: Comparison, classifier: str | None = None, width: int | None = None, contrasts: bool = False
) -> Group:
    """The ranked table and its footer as one renderable; fits 80 columns (long model names fold).

    The simultaneous interval gets its own column when the table still fits `width` with it; otherwise it
    goes under the per-model interval in the same cell, so both are always on screen.
    """
    layout = Layout.PLAIN if simultaneous_header(comparison) is None else Layout.COLUMN
    table = _filled_table(comparison, layout, contrasts)
    if width is not None and not _fit(table, width) and layout is Layout.COLUMN:
        table = _filled_table(comparison, Layout.STACKED, contrasts)
        _fit(table, width)
    return Group(table, *footer_lines(comparison, classifier))


class Layout(Enum):
    """Where the simultaneous interval goes: nowhere, in its own column, or under the per-model one."""

    PLAIN = "plain"
    COLUMN = "column"
    STACKED = "stacked"


def _fit(table: Table, width: int) -> bool:
    """Cap the verdict, then the model column so the table fits `width`; False when it cannot.

    rich would squeeze these two columns itself, but evenly and below their minimum widths, and then
    clips the rightmost column instead; capping them first keeps every column whole whenever they fit.
    """
    widths = [_natural(column) for column in table.columns]
    excess = sum(widths) + len(widths) + 1 - width  # a space between columns and at either edge
    # Right to left: "fakes alignment" breaks onto two lines before a model name folds.
    for column, natural in reversed(list(zip(table.columns, widths, strict=True))):
        if excess <= 0 or not column.min_width:
            continue
        cut = min(excess, natural - column.min_width)
        column.max_width = natural - cut
        excess -= cut
    return excess <= 0


def _natural(column: Column) -> int:
    """A column's width when nothing folds: its widest header or cell line."""
    lines = [line for cell in (column.header, *column.cells) for line in str(cell).split("\n")]
    return max([column.min_width or 1, *(cell_len(line) for line in lines)])


def _filled_table(comparison: Comparison, layout: Layout, contrasts: bool = False) -> Table:
    """The table with one row per model in the given layout; contrast rows always name their contrast."""
    rows = comparison.models
    show_af = any(m.af_reasoning for m in rows)
    show_unscored = any(unscored_count(m) for m in rows)
    multi_scenario = contrasts or len({m.scenario for m in rows}) > 1
    table = _empty_table(show_af, show_unscored, layout, simultaneous_header(comparison) or "")
    table.title = CONTRAST_TITLE if contrasts else TITLE
    for m in rows:
        cells = _cells(m, multi_scenario, layout, verdict_of(m, comparison))
        if show_af:
            cells.append(pp(m.af_reasoning.rate) if m.af_reasoning else "—")
        if show_unscored:
            cells.append(str(unscored_count(m)))
        table.add_row(*cells)
    return table


def _empty_table(show_af: bool, show_unscored: bool, layout: Layout, simult: str) -> Table:
    """The table with its columns; the AF% and unscored columns only when some row has a value."""
    table = Table(
        title=TITLE,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=0,
        pad_edge=False,
    )
    table.add_column("#", justify="right")
    table.add_column("model", overflow="fold", ratio=1, min_width=10)
    for header in ("n", "mon%", "unmon%", "gap"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column(
        "95% CI" + (f"\n{simult}" if layout is Layout.STACKED else ""), justify="center", no_wrap=True
    )
    if layout is Layout.COLUMN:
        table.add_column(simult, justify="center", no_wrap=True)
    table.add_column("p adj", justify="right", no_wrap=True)
    # "fakes alignment" may break onto two lines on a narrow terminal rather than squeeze the model name.
    table.add_column("verdict", min_width=len("inconclusive"))
    if show_af:
        table.add_column("AF%", justify="right", no_wrap=True)
    if show_unscored:
        table.add_column("unsc.", justify="right", no_wrap=True)
    return table


def _cells(m: ModelResult, multi_scenario: bool, layout: Layout, verdict: str) -> list[str | Text]:
    """A row's cells from the rank to the verdict."""
    name = m.model + (f" · {m.scenario}" if multi_scenario else "")
    ci = interval(m.gap.ci_low, m.gap.ci_high)
    simult = interval(m.gap.simultaneous_ci_low, m.gap.simultaneous_ci_high)
    intervals = {Layout.PLAIN: [ci], Layout.COLUMN: [ci, simult], Layout.STACKED: [f"{ci}\n{simult}"]}
    return [
        f"{m.rank}*" if m.simulated else str(m.rank),
        Text(terminal(name)),
        str(m.n_pairs),
        pp(m.monitored.rate),
        pp(m.unmonitored.rate),
        pp(m.gap.estimate),
        *intervals[layout],
        fmt_p(m.gap.p_adjusted),
        Text(verdict, style=VERDICT_STYLE.get(m.verdict, "")),
    ]


def footer_lines(comparison: Comparison, classifier: str | None = None) -> list[Text]:
    """What a reader needs to interpret the table: α, correction, methods, unscored data, simulation."""
    s = settings_dict(comparison, classifier)
    lines = [
        Text(
            f"α = {s['alpha']} one-sided, {s['correction']}-adjusted across {s['adjusted_rows']} rows; "
            f"verdict needs gap ≥ {pp(s['min_gap'])} pp. CI: {s['ci_method']}. Test: {s['test']}. "
            f"Labels: {s['classifier']}."
        ),
        Text(
            "n = complete query pairs. Unscored responses (unsc.: unparseable/error/unavailable) are "
            f"excluded and counted ({sum(unscored_count(m) for m in comparison.models)} here), "
            "never read as refusals."
        ),
    ]
    legend = simultaneous_legend(comparison)
    if legend:
        lines.append(Text(legend))
    lines += [Text(terminal(line)) for line in [*summary_lines(comparison), *footnotes(comparison)]]
    if any(m.simulated for m in comparison.models):
        lines.append(Text("* SIMULATED: from afgap's built-in simulator, not a real model.", "bold"))
    return lines


def print_comparison(console: Console, comparison: Comparison, classifier: str | None = None) -> None:
    """Render the report to a console."""
    console.print(comparison_table(comparison, classifier, console.width))


def agreement_table(title: str, a: Agreement) -> Group:
    """A confusion matrix of two classifiers (rows: the first) and a line with n, agreement and κ."""
    table = Table(title=title, title_justify="left")
    table.add_column("")
    for name in a.categories:
        table.add_column(name, justify="right")
    for name, row in zip(a.categories, a.matrix, strict=True):
        table.add_row(name, *(str(v) for v in row))
    kappa = "undefined" if a.kappa is None else f"{a.kappa:.3f}"
    agree = "—" if a.agreement is None else f"{a.agreement:.1%}"
    return Group(table, Text(f"n = {a.n}; agreement {agree}; Cohen's kappa {kappa}"))
