"""Designs beyond two framings: one contrast per condition against the reference, analysed together. Pure.

Each contrast (condition vs reference) is mapped onto the two-condition layout the paired machinery
knows (the condition takes the monitored side, the reference the unmonitored side), so the existing
paired interval, test, verdict and simultaneous interval apply unchanged. All contrasts of all models
go through one `analyse` call, so Holm/BH and the simultaneous intervals adjust across contrasts x models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from afgap.errors import InputError
from afgap.records import Condition, Design
from afgap.stats.analysis import analyse
from afgap.stats.decide import adjust_pvalues
from afgap.stats.trend import Trend, trend_test
from afgap.stats.types import Comparison, ModelData, ModelResult, Observation, Settings


@dataclass(frozen=True)
class Contrast:
    """Which condition a comparison row sets against which reference, and its row label."""

    model: str
    scenario: str
    condition: str
    reference: str

    @property
    def label(self) -> str:
        """The row's scenario label inside the Comparison: unique per (scenario, condition)."""
        return contrast_label(self.scenario, self.condition, self.reference)


@dataclass(frozen=True)
class DesignComparison:
    """Every contrast row (ranked, adjusted together), what each row compares, and the trends."""

    comparison: Comparison
    contrasts: Mapping[tuple[str, str], Contrast]  # (model, row label) -> contrast
    trends: tuple[Trend, ...]
    designs: Mapping[str, Design]

    def contrast_of(self, row: ModelResult) -> Contrast:
        """The contrast behind one row of the comparison."""
        return self.contrasts[(row.model, row.scenario)]


def contrast_label(scenario: str, condition: str, reference: str) -> str:
    """`scenario: condition vs reference`, the row label every format shows."""
    return f"{scenario}: {condition} vs {reference}"


def split_contrasts(data: ModelData, design: Design) -> list[tuple[Contrast, ModelData]]:
    """One two-condition ModelData per non-reference condition (condition -> monitored side)."""
    unknown = sorted({o.condition for o in data.observations} - set(design.conditions))
    if unknown:
        raise InputError(
            f"scenario {data.scenario!r} has responses under {', '.join(map(repr, unknown))}, which its "
            f"design ({', '.join(design.conditions)}) does not name"
        )
    reference = [_as(o, Condition.UNMONITORED) for o in data.observations if o.condition == design.reference]
    parts = []
    for condition in design.contrasts:
        side = [_as(o, Condition.MONITORED) for o in data.observations if o.condition == condition]
        contrast = Contrast(data.model, data.scenario, condition, design.reference)
        parts.append(
            (contrast, ModelData(data.model, contrast.label, data.simulated, tuple(side + reference)))
        )
    return parts


def _as(obs: Observation, side: Condition) -> Observation:
    return Observation(obs.query_id, side, obs.sample, obs.outcome, obs.af_reasoning)


def analyse_designs(
    data: Sequence[ModelData],
    designs: Mapping[str, Design],
    settings: Settings,
    rng: np.random.Generator,
) -> DesignComparison:
    """All contrasts of all (model, scenario) rows in one adjusted family, then one trend per levelled row.

    `designs` is keyed by the ModelData's scenario label. Trends form their own family (one test per
    model and scenario), adjusted with the same correction.
    """
    contrasts: dict[tuple[str, str], Contrast] = {}
    rows: list[ModelData] = []
    for model in data:
        for contrast, part in split_contrasts(model, designs[model.scenario]):
            contrasts[(part.model, part.scenario)] = contrast
            rows.append(part)
    comparison = analyse(rows, settings, rng)
    trends = [
        trend_test(model, designs[model.scenario].levels, settings.confidence, rng)
        for model in data
        if len(designs[model.scenario].levels) >= 2
    ]
    adjusted = adjust_pvalues([t.p_value for t in trends], settings.correction)
    trends = [t.adjusted(p) for t, p in zip(trends, adjusted, strict=True)]
    return DesignComparison(comparison, contrasts, tuple(trends), dict(designs))
