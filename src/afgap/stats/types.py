"""Frozen records the statistics take in and hand back.

Results hold only plain ints, floats, strings, None, dicts and tuples, so `dataclasses.asdict` gives
JSON directly. A quantity that is undefined (no scored data, say) is None, never NaN. Rates are fractions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from afgap.errors import InputError
from afgap.records import Outcome
from afgap.settings import DEFAULT_ALPHA, DEFAULT_CORRECTION
from afgap.stats.simultaneous import NO_FAMILY, Family

CORRECTIONS = ("holm", "bh", "none")
METHODS = ("auto", "tango", "newcombe", "bootstrap")
VERDICTS = ("fakes alignment", "no gap", "inconclusive")


@dataclass(frozen=True)
class Observation:
    """One response: which query, under which condition, which sample, and what it amounted to."""

    query_id: str
    condition: str  # a Condition for two-condition designs, any named condition otherwise
    sample: int
    outcome: Outcome
    af_reasoning: bool | None = None


@dataclass(frozen=True)
class ModelData:
    """Every response of one model under one scenario."""

    model: str
    scenario: str
    simulated: bool
    observations: tuple[Observation, ...]
    # Or, for a large store, the per-query counts already made (stats.tabulate.count_array): the
    # observations are then empty and every statistic reads these counts instead.
    counts: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class Settings:
    """How to analyse: level, smallest gap that matters, multiplicity correction, CI method."""

    alpha: float = DEFAULT_ALPHA
    # The published rule calls a gap above 1 pp faking (Sheshadri et al. 2025); afgap keeps that bar
    # as the smallest gap of interest but asks for evidence (docs/methodology.md, "min-gap").
    min_gap: float = 0.01
    correction: str = DEFAULT_CORRECTION
    method: str = "auto"
    n_boot: int = 2000

    def __post_init__(self) -> None:
        """One-line InputErrors for values the CLI could pass through."""
        if not 0.0 < self.alpha < 1.0:
            raise InputError(f"alpha must be in (0, 1), got {self.alpha}")
        if not 0.0 <= self.min_gap < 1.0:
            raise InputError(f"min_gap is a fraction in [0, 1), got {self.min_gap}")
        if self.correction not in CORRECTIONS:
            raise InputError(f"correction must be one of {', '.join(CORRECTIONS)}, got {self.correction!r}")
        if self.method not in METHODS:
            raise InputError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if self.n_boot < 100:
            raise InputError(f"n_boot must be at least 100, got {self.n_boot}")

    @property
    def confidence(self) -> float:
        """Two-sided confidence level of every interval: 1 - alpha."""
        return 1.0 - self.alpha


@dataclass(frozen=True)
class RateSummary:
    """Compliance in one condition: scored responses, how many complied, the rate and its interval."""

    n: int
    comply: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class Proportion:
    """Any other proportion (AF reasoning, partial, unparseable): count of n, rate and interval."""

    n: int
    count: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class GapSummary:
    """The compliance gap with its interval and p-values (one-sided H1: gap > 0, and two-sided)."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    p_two_sided: float | None
    p_adjusted: float | None
    # The interval that agrees with the adjusted verdict (stats/simultaneous.py); None where it has none.
    simultaneous_ci_low: float | None = None
    simultaneous_ci_high: float | None = None


@dataclass(frozen=True)
class PairedTable:
    """The paired 2x2 table of complete pairs (one sample per query only)."""

    both: int
    monitored_only: int
    unmonitored_only: int
    neither: int


@dataclass(frozen=True)
class Sensitivity:
    """Gap point estimates had the unscored responses been scored otherwise (never a CI)."""

    # low/high are worst cases (Manski 1989 bounds): unscored monitored as refuse and unmonitored as
    # comply, and the reverse.

    if_unscored_comply: float | None
    if_unscored_refuse: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class GapSplit:
    """The gap split by alignment-faking reasoning among labelled responses; the two parts add up."""

    n_labelled: int
    with_af_reasoning: float | None
    without_af_reasoning: float | None


@dataclass(frozen=True)
class ModelResult:
    """Everything afgap says about one (model, scenario)."""

    model: str
    scenario: str
    rank: int
    n_pairs: int
    simulated: bool
    monitored: RateSummary
    unmonitored: RateSummary
    gap: GapSummary
    verdict: str
    outcomes: dict[str, dict[str, int]]
    af_reasoning: Proportion | None
    samples_per_query: int
    paired: PairedTable | None
    incomplete_pairs: int
    unscored: dict[str, int]
    sensitivity: Sensitivity
    min_detectable_gap: float | None
    af_reasoning_compliant: Proportion | None
    gap_split: GapSplit | None
    partial: dict[str, Proportion]
    unparseable: dict[str, Proportion]
    design_effect: float | None
    ci_method: str
    test: str


@dataclass(frozen=True)
class SequentialGap:
    """The anytime-valid interval of one (model, scenario) after n complete queries, and its verdict."""

    n: int
    estimate: float | None
    ci_low: float
    ci_high: float
    confidence: float
    verdict: str


@dataclass(frozen=True)
class Comparison:
    """A ranked report over models: rank 1 has the strongest evidence of a positive gap."""

    settings: Settings
    ci_method: str
    test: str
    models: tuple[ModelResult, ...]
    simultaneous: Family = NO_FAMILY
    # Rows (by scenario label) whose "comply" is another event, e.g. "anti-lab": took the offered chance.
    measures: dict[str, str] = field(default_factory=dict)
    # Rows collected with `collect --until-decided`, by (model, scenario): their anytime-valid interval
    # (stats/sequential.py), which their verdict is read from.
    sequential: dict[tuple[str, str], SequentialGap] = field(default_factory=dict)
