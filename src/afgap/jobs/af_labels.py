"""The AF labels of a comparison: which classifier gave them, the validation that measured it, corrections.

A validation (`validate-judge --format json`) corrects a row's AF rates only when it measured the very
classifier that labelled that row's AF reasoning (same classifier id as the stored labels carry) and is
of kind af-reasoning. Rows labelled by another classifier, or by several, stay uncorrected with a note.
A validation of AF labels that matches no row compared is refused: it would silently correct nothing.
Compliance validations are listed in the report; `--correct-misclassification FILE` corrects the gap.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from afgap.errors import InputError
from afgap.report.af_labels import AfFigures, AfLabels
from afgap.stats.af_correction import ConfusionCounts, Interval, corrected_af
from afgap.stats.analysis import ModelData, ModelResult, Settings

if TYPE_CHECKING:
    from afgap.jobs.validate_judge import ValidationReport

Key = tuple[str, str]


def read_validations(paths: Sequence[Path]) -> tuple[ValidationReport, ...]:
    """The `--validation` documents: afgap/validation@1 only (they name the classifier), one each."""
    if not paths:
        return ()
    # Imported here: the validate-judge job (judges, prompt files) is needed only with --validation.
    from afgap.jobs.validate_judge import read_report

    reports = []
    for path in paths:
        report = read_report(path)
        if report.classifier_id is None or report.kind is None:
            raise InputError(
                f"{path} names no classifier_id: it predates afgap/validation@1; rerun "
                "`afgap validate-judge ... --format json` to use it with --validation"
            )
        reports.append(report)
    twice = [key for key, count in Counter((r.kind, r.classifier_id) for r in reports).items() if count > 1]
    if twice:
        raise InputError(
            f"--validation: two files measure {twice[0][1]} ({twice[0][0]}); give one per classifier"
        )
    return tuple(reports)


def af_sources(labelled: Iterable[tuple[Key, str | None, bool | None, int]]) -> dict[Key, Counter[str]]:
    """Per (model, scenario row label), the classifiers that gave its AF labels, with their counts.

    `labelled`: (row key, classifier, AF verdict, how many responses) for each response or counted group.
    """
    found: dict[Key, Counter[str]] = defaultdict(Counter)
    for key, classifier, af_reasoning, count in labelled:
        if af_reasoning is not None and classifier:
            found[key][classifier] += count
    return dict(found)


def af_labels(
    data: Sequence[ModelData],
    results: Sequence[ModelResult],
    sources: dict[Key, Counter[str]],
    validations: Sequence[ValidationReport],
    settings: Settings,
    seed: int,
) -> tuple[AfLabels, list[str]]:
    """Every row's AF label source and, where a validation matches it, its corrected AF rates; notes."""
    by_id = {
        v.classifier_id: v for v in validations if v.kind == "af-reasoning" and v.classifier_id is not None
    }
    rng = np.random.default_rng(seed)
    by_row = {(m.model, m.scenario): m for m in results}
    rows: dict[Key, AfFigures] = {}
    notes: list[str] = []
    for d in data:
        used = sources.get((d.model, d.scenario), Counter())
        source = _describe(used)
        match = by_id.get(next(iter(used))) if len(used) == 1 else None
        if match is None:
            rows[(d.model, d.scenario)] = AfFigures(source)
            if by_id and source:
                notes.append(
                    f"--validation: AF labels of {d.model} · {d.scenario} come from {source}, which "
                    f"no validation given measured ({', '.join(sorted(by_id))}): AF rates left uncorrected"
                )
            continue
        raw = _raw(by_row.get((d.model, d.scenario)))
        rate, share = corrected_af(
            d.observations, _counts(match), rng, settings.confidence, settings.n_boot, raw
        )
        rows[(d.model, d.scenario)] = AfFigures(source, match.model_dump(by_alias=True), rate, share)
    matched = {f.validation["classifier_id"] for f in rows.values() if f.validation is not None}
    unused = sorted(set(by_id) - matched)
    if unused:
        seen = sorted({s for counter in sources.values() for s in counter}) or ["none"]
        raise InputError(
            f"--validation measured {unused[0]}, but no AF label compared comes from it (AF labels here: "
            f"{', '.join(seen)}); validate the classifier that labelled them, or relabel with it"
        )
    return AfLabels(rows, tuple(v.model_dump(by_alias=True) for v in validations)), notes


def _describe(used: Counter[str]) -> str | None:
    """The label source as reports name it: one classifier id, or each with its count when mixed."""
    if not used:
        return None
    if len(used) == 1:
        return next(iter(used))
    return ", ".join(f"{name} ({count})" for name, count in used.most_common())


def _raw(m: ModelResult | None) -> tuple[Interval | None, Interval | None]:
    """The uncorrected AF intervals of a row, which its corrected ones must contain once carried over."""
    if m is None:
        return None, None
    rate, share = m.af_reasoning, m.af_reasoning_compliant
    return (
        None if rate is None else (rate.ci_low, rate.ci_high),
        None if share is None else (share.ci_low, share.ci_high),
    )


def _counts(v: ValidationReport) -> ConfusionCounts:
    return ConfusionCounts(tp=v.tp, fp=v.fp, tn=v.tn, fn=v.fn)
