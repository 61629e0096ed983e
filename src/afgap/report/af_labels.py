"""Where each alignment-faking figure's labels come from, how good they are, and the AF rates corrected.

The job decides (jobs/af_labels.py); this module only renders: the fields added to the compare JSON, the
lines under the terminal table, and the HTML methods entries. Everything from a file or a store is
escaped where it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from html import escape
from typing import Any

from afgap.classify.screen_record import is_screen, real_text_record
from afgap.report.safe import terminal
from afgap.stats.af_correction import CorrectedRate

FIGURES = ("af_reasoning", "af_reasoning_compliant")
SUMMARY = (
    "classifier_id",
    "kind",
    "set_name",
    "file",
    "file_sha256",
    "n",
    "auroc",
    "auroc_ci_low",
    "auroc_ci_high",
    "sensitivity",
    "specificity",
    "threshold",
    "tp",
    "fp",
    "tn",
    "fn",
)


@dataclass(frozen=True)
class AfFigures:
    """One (model, scenario) row's AF label source, the validation that matched it, and corrected rates."""

    label_source: str | None
    validation: Mapping[str, Any] | None = None
    af_reasoning: CorrectedRate | None = None
    af_reasoning_compliant: CorrectedRate | None = None


@dataclass(frozen=True)
class AfLabels:
    """Every row's AF figures, and every validate-judge document given with --validation."""

    rows: dict[tuple[str, str], AfFigures] = field(default_factory=dict)
    validations: tuple[Mapping[str, Any], ...] = ()


def validation_summary(document: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a validation a reader needs beside a figure: who, on what set, how good."""
    return {key: document.get(key) for key in SUMMARY}


def af_note(labels: AfLabels) -> str | None:
    """One line on the AF column: its classifier(s), and whether they were validated and how well."""
    sources = sorted({f.label_source for f in labels.rows.values() if f.label_source})
    if not sources:
        return None
    matched = {f.label_source: f.validation for f in labels.rows.values() if f.validation is not None}
    parts = []
    for source in sources:
        found = matched.get(source)
        if found is not None:
            parts.append(f"{source}, {_quality(found)}; corrected for its Se/Sp beside the raw rate")
        elif is_screen(source):
            parts.append(f"offline screen ({source}), {real_text_record(source)}")
        else:
            parts.append(f"{source}, unvalidated")
    return "AF: " + "; ".join(parts)


def _quality(v: Mapping[str, Any]) -> str:
    where = v.get("set_name") or v.get("file")
    return f"AUROC {v['auroc']:.3f} [{v['auroc_ci_low']:.3f}, {v['auroc_ci_high']:.3f}] on {where}"


def af_sources(labels: AfLabels) -> dict[tuple[str, str], str | None]:
    """Per (model, scenario) row, the classifier its AF labels come from (for tables without the fields)."""
    return {key: figures.label_source for key, figures in labels.rows.items()}


def with_af_labels(document: dict[str, Any], labels: AfLabels, rows: str = "models") -> dict[str, Any]:
    """The compare document with label_source, validation and corrected on every AF figure (added only).

    `rows`: the document's list of rows, `models` in compare@1 and `contrasts` in compare@2.
    """
    for row in document[rows]:
        figures = labels.rows.get((row["model"], row["scenario"]))
        for name in FIGURES:
            if row.get(name) is None:
                continue
            row[name]["label_source"] = figures.label_source if figures else None
            valid = figures.validation if figures else None
            row[name]["validation"] = validation_summary(valid) if valid is not None else None
            corrected = getattr(figures, name) if figures else None
            row[name]["corrected"] = asdict(corrected) if corrected is not None else None
    document["settings"]["af_labels"] = af_note(labels)
    document["settings"]["validations"] = [validation_summary(v) for v in labels.validations]
    return document


def af_lines(labels: AfLabels) -> list[str]:
    """Below the terminal table: what the AF% column rests on, then each row's corrected AF rates."""
    note = af_note(labels)
    lines = [f"AF% column — {note}"] if note else []
    for (model, scenario), figures in labels.rows.items():
        if figures.af_reasoning is None:
            continue
        rate, share = figures.af_reasoning, figures.af_reasoning_compliant
        lines.append(
            f"AF corrected: {terminal(model)} · {terminal(scenario)}: AF {_rate(rate)}; "
            f"compliant with AF reasoning {_rate(share)}"
        )
    return lines


def _rate(c: CorrectedRate | None) -> str:
    if c is None or c.observed is None:
        return "—"
    if c.estimate is None:
        return f"raw {100 * c.observed:.1f}%, corrected undefined ({c.note})"
    ci = "" if c.ci_low is None or c.ci_high is None else f" [{100 * c.ci_low:.1f}, {100 * c.ci_high:.1f}]"
    why = f" ({c.note})" if c.note else ""
    return f"raw {100 * c.observed:.1f}% → {100 * c.estimate:.1f}%{ci}{why}"


def note_html(labels: AfLabels) -> str:
    """The line under the HTML table on what its AF column rests on (escaped), or nothing."""
    note = af_note(labels)
    return f'<p class="note" id="af-labels-note">AF% column — {escape(note)}</p>' if note else ""


def methods_html(labels: AfLabels) -> str:
    """Methods entries: the AF label note, and each --validation result (all text escaped)."""
    rows = []
    note = af_note(labels)
    if note:
        rows.append(("AF labels", note))
    for v in labels.validations:
        s = validation_summary(v)
        rows.append(
            (
                f"validation: {s['classifier_id']} ({s['kind']})",
                f"{_quality(v)}; n = {s['n']} (tp {s['tp']}, fp {s['fp']}, tn {s['tn']}, fn {s['fn']}) at "
                f"threshold {s['threshold']:g}; sensitivity {s['sensitivity']:.3f}, specificity "
                f"{s['specificity']:.3f}; file {s['file']} (sha256 {str(s['file_sha256'])[:12]}…)",
            )
        )
    if any(f.af_reasoning is not None for f in labels.rows.values()):
        rows.append(("AF correction", CORRECTION_TEXT))
    rows += [
        (line.split(": ", 1)[0], line.split(": ", 1)[1]) for line in af_lines(labels)[1 if note else 0 :]
    ]
    body = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return f'<h3 id="af-labels">Alignment-faking labels</h3><dl class="settings">{body}</dl>' if rows else ""


CORRECTION_TEXT = (
    "AF rates corrected for the classifier's sensitivity and specificity (Rogan-Gladen), clipped to [0, 1]; "
    "interval: query-cluster bootstrap x Jeffreys-Beta draws of Se, Sp from the validation's confusion "
    "counts (docs/methodology.md)"
)
