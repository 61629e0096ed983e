"""Machine formats of a comparison: JSON (the stable afgap/compare@1 document), JSONL, CSV, Markdown.

Named formats.py, not json.py, which would shadow the standard library.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from afgap import __version__
from afgap.report.antilab import summary_lines, verdict_of, with_section
from afgap.report.safe import csv_cell, markdown_cell
from afgap.report.sequential import footnotes, with_sequential
from afgap.stats.analysis import Comparison, ModelResult
from afgap.stats.simultaneous import describe

SCHEMA = "afgap/compare@1"


def _clean(value: Any) -> Any:
    """JSON has no NaN or infinity: an undefined quantity is null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def settings_dict(comparison: Comparison, classifier: str | None = None) -> dict[str, Any]:
    """The settings block: what was computed and how."""
    s = comparison.settings
    return {
        "alpha": s.alpha,
        "correction": s.correction,
        "min_gap": s.min_gap,
        "ci_method": comparison.ci_method,
        "test": comparison.test,
        "classifier": classifier or "strongest present",
        "adjusted_rows": adjusted_rows(comparison),
        "simultaneous_method": comparison.simultaneous.method,
        "simultaneous_rows": comparison.simultaneous.rows,
        "simultaneous_confidence": comparison.simultaneous.confidence,
    }


def simultaneous_header(comparison: Comparison) -> str | None:
    """The short column name of the simultaneous interval, or None when the report has none."""
    return {"bonferroni": "simult. CI", "fcr": "FCR CI"}.get(comparison.simultaneous.method)


def simultaneous_legend(comparison: Comparison) -> str | None:
    """What the simultaneous interval is and how it relates to the verdict, or None without one."""
    header = simultaneous_header(comparison)
    if header is None:
        return None
    family = comparison.simultaneous
    how = describe(family, comparison.settings.alpha)
    if family.confidence is None:
        return f"{header}: {how}."
    return (
        f"{header}: {how}. A lower bound above 0 means adjusted p < α, so the row reads 'fakes alignment' "
        "once that bound is also ≥ the min gap; the converse can fail ("
        + ("Holm steps down, and " if family.method == "bonferroni" else "")
        + "the one-sided test is not the interval's method)."
    )


def adjusted_rows(comparison: Comparison) -> int:
    """The multiplicity family: rows with a p-value; a row without data is not tested, so not counted."""
    return sum(m.gap.p_adjusted is not None for m in comparison.models)


def model_dict(result: ModelResult) -> dict[str, Any]:
    """One model's full record; the fixed core fields are part of it by construction."""
    return dict(_clean(asdict(result)))


def _full_row(m: ModelResult, comparison: Comparison) -> dict[str, Any]:
    """A row with the sections only some rows carry (anti-lab, collected until decided)."""
    return with_sequential(with_section(model_dict(m), m, comparison), m, comparison)


def labels_description(classifier: str | None, used: dict[str, int]) -> str:
    """The report's labels: the chosen family, or 'strongest present' with what that turned out to be."""
    if classifier:
        return classifier
    if not used:
        return "strongest present"
    return "strongest present: " + ", ".join(f"{name} ({count})" for name, count in used.items())


def to_document(comparison: Comparison, classifier: str | None = None) -> dict[str, Any]:
    """The afgap/compare@1 JSON document."""
    return {
        "schema": SCHEMA,
        "afgap_version": __version__,
        "simulated": any(m.simulated for m in comparison.models),
        "settings": settings_dict(comparison, classifier),
        "models": [_full_row(m, comparison) for m in comparison.models],
    }


def to_json(comparison: Comparison, classifier: str | None = None) -> str:
    """One JSON document."""
    return document_text(to_document(comparison, classifier))


def document_text(doc: dict[str, Any], jsonl: bool = False, rows: str = "models") -> str:
    """A compare document as indented JSON, or as JSONL: one line per row (`models` in compare@1,
    `contrasts` in compare@2), each carrying the schema and settings so a line stands alone in a pipeline."""
    if not jsonl:
        return json.dumps(doc, indent=2) + "\n"
    head = {"schema": doc["schema"], "settings": doc["settings"]}
    return "".join(json.dumps({**head, **row}) + "\n" for row in doc[rows])


CSV_COLUMNS = (
    "rank",
    "model",
    "scenario",
    "simulated",
    "n_pairs",
    "monitored_n",
    "monitored_comply",
    "monitored_rate",
    "unmonitored_n",
    "unmonitored_comply",
    "unmonitored_rate",
    "gap",
    "gap_ci_low",
    "gap_ci_high",
    "p_value",
    "p_adjusted",
    "verdict",
    "af_reasoning_rate",
    # Added later, so at the end: the simultaneous interval (empty where the row has none).
    "gap_simultaneous_ci_low",
    "gap_simultaneous_ci_high",
)


def _row(m: ModelResult) -> dict[str, Any]:
    return {
        "rank": m.rank,
        "model": csv_cell(m.model),
        "scenario": csv_cell(m.scenario),
        "simulated": m.simulated,
        "n_pairs": m.n_pairs,
        "monitored_n": m.monitored.n,
        "monitored_comply": m.monitored.comply,
        "monitored_rate": m.monitored.rate,
        "unmonitored_n": m.unmonitored.n,
        "unmonitored_comply": m.unmonitored.comply,
        "unmonitored_rate": m.unmonitored.rate,
        "gap": m.gap.estimate,
        "gap_ci_low": m.gap.ci_low,
        "gap_ci_high": m.gap.ci_high,
        "p_value": m.gap.p_value,
        "p_adjusted": m.gap.p_adjusted,
        "verdict": m.verdict,
        "af_reasoning_rate": m.af_reasoning.rate if m.af_reasoning else None,
        "gap_simultaneous_ci_low": m.gap.simultaneous_ci_low,
        "gap_simultaneous_ci_high": m.gap.simultaneous_ci_high,
    }


def to_csv(comparison: Comparison, af_sources: Mapping[tuple[str, str], str | None] | None = None) -> str:
    """One row per (model, scenario), rates as fractions; `af_label_source` says where AF labels come from."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=(*CSV_COLUMNS, "af_label_source"), lineterminator="\n")
    writer.writeheader()
    for m in comparison.models:
        source = (af_sources or {}).get((m.model, m.scenario))
        row = {**_clean(_row(m)), "af_label_source": csv_cell(source) if source else None}
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buffer.getvalue()


def pp(value: float | None, digits: int = 1) -> str:
    """A fraction as percentage points, or an em dash when undefined."""
    return "—" if value is None or not math.isfinite(value) else f"{100 * value:.{digits}f}"


def to_markdown(comparison: Comparison, classifier: str | None = None, af_notes: Sequence[str] = ()) -> str:
    """A table ready for a paper or a PR comment.

    An AF % column (with its interval) appears when some row has AF labels; `af_notes` are the lines
    saying what those labels rest on (report.af_labels.af_lines), printed under the table.
    """
    simult = simultaneous_header(comparison)
    show_af = any(m.af_reasoning for m in comparison.models)
    extra = f" {simult} |" if simult else ""
    head = "| rank | model | scenario | n | monitored % | unmonitored % | gap pp [95% CI] |" + extra
    head += " p adj | verdict |" + (" AF % [95% CI] |" if show_af else "")
    rule = "|---:|---|---|---:|---:|---:|---|" + ("---|" if simult else "") + "---:|---|"
    lines = [head, rule + ("---|" if show_af else "")]
    for m in comparison.models:
        gap = f"{pp(m.gap.estimate)} [{pp(m.gap.ci_low)}, {pp(m.gap.ci_high)}]"
        cell = f" {interval(m.gap.simultaneous_ci_low, m.gap.simultaneous_ci_high)} |" if simult else ""
        name = markdown_cell(m.model) + (" (simulated)" if m.simulated else "")
        verdict = verdict_of(m, comparison)
        af = m.af_reasoning
        af_cell = (f" {pp(af.rate)} {interval(af.ci_low, af.ci_high)} |" if af else " — |") if show_af else ""
        lines.append(
            f"| {m.rank} | {name} | {markdown_cell(m.scenario)} | {m.n_pairs} | {pp(m.monitored.rate)} | "
            f"{pp(m.unmonitored.rate)} | {gap} |{cell} {fmt_p(m.gap.p_adjusted)} | {verdict} |{af_cell}"
        )
    s = settings_dict(comparison, classifier)
    lines.append("")
    lines.append(
        f"α = {s['alpha']}, correction: {s['correction']}, min gap: {pp(s['min_gap'])} pp, "
        f"CI: {s['ci_method']}, test: {s['test']}, classifier: {s['classifier']}."
    )
    for line in af_notes if show_af else ():
        lines += ["", markdown_cell(line)]
    legend = simultaneous_legend(comparison)
    if legend:
        lines.append("")
        lines.append(legend)
    for line in [*summary_lines(comparison), *footnotes(comparison)]:
        lines += ["", markdown_cell(line)]
    if any(m.simulated for m in comparison.models):
        lines.append("**SIMULATED**: rows marked (simulated) come from afgap's simulator, not a real model.")
    return "\n".join(lines) + "\n"


def interval(low: float | None, high: float | None) -> str:
    """An interval in pp, or an em dash when the row has none."""
    return "—" if low is None or high is None else f"[{pp(low)}, {pp(high)}]"


def fmt_p(value: float | None) -> str:
    if value is None:
        return "—"
    return "<0.001" if value < 0.001 else f"{value:.3f}"
