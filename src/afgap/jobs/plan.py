"""The `plan` job: queries needed to detect a gap, and the smallest gap a number of queries can detect."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from afgap.errors import InputError
from afgap.settings import DEFAULT_ALPHA, DEFAULT_POWER, DEFAULT_RHO, DEFAULT_SAMPLES
from afgap.stats.power import Plan, minimum_detectable_gap, plan

SCHEMA = "afgap/plan@1"


@dataclass(frozen=True)
class PowerPlan:
    """The study design asked about, and its answers: queries needed, minimum detectable gap, or both."""

    baseline: float
    samples: int
    alpha: float
    power: float
    rho: float
    models: int
    queries: int | None
    found: Plan | None  # queries needed for the asked gap; None when no gap was asked
    min_detectable_gap: float | None  # None: no queries given, or no possible gap reaches the power

    def document(self) -> dict[str, Any]:
        """The afgap/plan@1 JSON document."""
        return {
            "schema": SCHEMA,
            "baseline": self.baseline,
            "samples": self.samples,
            "alpha": self.alpha,
            "power": self.power,
            "rho": self.rho,
            "models": self.models,
            "plan": dataclasses.asdict(self.found) if self.found else None,
            "queries": self.queries,
            "min_detectable_gap": self.min_detectable_gap,
        }


def power_plan(
    baseline: float,
    gap: float | None = None,
    queries: int | None = None,
    samples: int = DEFAULT_SAMPLES,
    alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
    rho: float = DEFAULT_RHO,
    models: int = 1,
) -> PowerPlan:
    """Queries needed to detect `gap`, and/or the minimum detectable gap with `queries` queries."""
    if gap is None and queries is None:
        raise InputError("give --gap (queries needed) or --queries (minimum detectable gap), or both")
    design = (samples, alpha, power, rho, models)
    found = plan(baseline, gap, *design) if gap is not None else None
    mdg = minimum_detectable_gap(queries, baseline, *design) if queries is not None else None
    return PowerPlan(baseline, samples, alpha, power, rho, models, queries, found, mdg)
