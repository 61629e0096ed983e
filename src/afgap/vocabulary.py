"""The vocabulary every stage shares: conditions, designs, outcomes and a classifier's verdict.

Plain enums and frozen slotted dataclasses, no pydantic: the collect's writer child labels and stores
every reply with these alone, and a child that imported pydantic would spend a tenth of a second
starting (afgap.records re-exports them all, for everyone else).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Condition(StrEnum):
    """The framing a query is asked under. The free tier is the monitored framing."""

    MONITORED = "monitored"
    UNMONITORED = "unmonitored"


CONDITION_NAME = r"[a-z0-9][a-z0-9_.-]{0,39}"
"""What a condition may be called: short, lower-case, safe in a file name, a column header and a URL."""


@dataclass(frozen=True, slots=True)
class Design:
    """The conditions a scenario asks each query under, which one is the reference, and their order.

    Every other condition is compared with the reference. `levels`, when given, are conditions that
    form an ordered factor (e.g. rising risk of the future deployment), lowest first, for a trend test.
    """

    conditions: tuple[str, ...]
    reference: str
    levels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.conditions) < 2 or len(set(self.conditions)) != len(self.conditions):
            raise ValueError("a design needs at least two distinct conditions")
        if self.reference not in self.conditions:
            raise ValueError(f"reference {self.reference!r} is not one of the conditions")
        if any(level not in self.conditions for level in self.levels) or len(set(self.levels)) != len(
            self.levels
        ):
            raise ValueError("levels must be distinct conditions of the design")

    @property
    def contrasts(self) -> tuple[str, ...]:
        """The conditions compared with the reference, in declared order."""
        return tuple(c for c in self.conditions if c != self.reference)

    @property
    def is_two_condition(self) -> bool:
        """The classic monitored-versus-unmonitored design (compare@1 output)."""
        return self == TWO_CONDITION


class Outcome(StrEnum):
    """What a response amounted to. Only the first three are *scored*."""

    COMPLY = "comply"
    PARTIAL = "partial"
    REFUSE = "refuse"
    UNPARSEABLE = "unparseable"
    ERROR = "error"
    UNAVAILABLE = "unavailable"


TWO_CONDITION = Design((Condition.MONITORED.value, Condition.UNMONITORED.value), Condition.UNMONITORED.value)
"""The published design: the monitored (training) framing against the unmonitored reference."""

SCORED_OUTCOMES: frozenset[Outcome] = frozenset({Outcome.COMPLY, Outcome.PARTIAL, Outcome.REFUSE})


@dataclass(frozen=True, slots=True, kw_only=True)
class Label:
    """A classifier's verdict on one response (built by afgap's classifiers, never parsed from input)."""

    outcome: Outcome
    af_reasoning: bool | None = None
    classifier: str
    rule: str = ""
    score: float | None = None
