"""A scenario's design as data: its `[conditions.NAME]` tables, `reference` and `levels`, and their checks.

Pure: the checks take the scenario's values and say what is wrong, naming the TOML key, so the loader
can point at the line. Legacy scenarios (monitored_signal / unmonitored_signal) mean the two-condition
design; `[conditions]` tables replace both keys, never mix with them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pydantic import ConfigDict, Field, field_validator

from afgap.records import CONDITION_NAME, TWO_CONDITION, Condition, Design, Frozen

__all__ = [
    "RESERVED_VARIABLES",
    "ConditionSpec",
    "DesignError",
    "check_variable_names",
    "design_of",
    "design_problem",
]

_CONDITION = re.compile(CONDITION_NAME)
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Filled in by the renderer for every condition; a condition variable of that name would be shadowed.
RESERVED_VARIABLES = frozenset({"query", "user_input", "condition", "condition_signal"})

Value = str | int | float | bool


def check_variable_names(variables: dict[str, Value]) -> dict[str, Value]:
    """ValueError for a template variable name that is not an identifier, or one afgap sets itself."""
    for name in variables:
        if not _VARIABLE.fullmatch(name):
            raise ValueError(f"{name!r} is not a template variable name (letters, digits, '_')")
        if name in RESERVED_VARIABLES:
            raise ValueError(f"{name!r} is set by afgap for each call; choose another name")
    return variables


class DesignError(ValueError):
    """A design problem and the TOML key it is about (as a path, e.g. ('conditions', 'paid'))."""

    def __init__(self, loc: tuple[str, ...], message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.loc = loc
        self.missing = missing


class ConditionSpec(Frozen):
    """One `[conditions.NAME]` table: what `{condition_signal}` becomes, and the condition's variables."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    signal: str = Field(default="", description="Replaces {condition_signal} under this condition.")
    variables: dict[str, Value] = Field(
        default_factory=dict, description="Template variables for this condition (file templates)."
    )

    @field_validator("variables")
    @classmethod
    def _variable_names(cls, value: dict[str, Value]) -> dict[str, Value]:
        return check_variable_names(value)


def design_problem(
    conditions: Mapping[str, ConditionSpec],
    reference: str | None,
    levels: Sequence[str],
    legacy: Mapping[str, str | None],
    user_template: str | None,
) -> DesignError | None:
    """The first thing wrong with a scenario's design, or None. `legacy`: the two classic signal keys."""
    if not conditions:
        return _legacy_problem(reference, levels, legacy, user_template)
    given = [key for key, value in legacy.items() if value is not None]
    if given:
        return DesignError((given[0],), "cannot be combined with [conditions] tables; give each a signal")
    return _conditions_problem(conditions, reference, levels, user_template)


def _legacy_problem(
    reference: str | None, levels: Sequence[str], legacy: Mapping[str, str | None], user_template: str | None
) -> DesignError | None:
    # a user turn from a file is checked once rendered (two conditions may not send the same messages)
    if user_template is not None and "{condition_signal}" not in user_template:
        return DesignError(("user_template",), "must contain {condition_signal}")
    if reference is not None or levels:
        key = "reference" if reference is not None else "levels"
        return DesignError((key,), "needs [conditions.NAME] tables")
    for key, value in legacy.items():
        if value is None:
            return DesignError((key,), "", missing=True)
    return None


def _conditions_problem(
    conditions: Mapping[str, ConditionSpec],
    reference: str | None,
    levels: Sequence[str],
    user_template: str | None,
) -> DesignError | None:
    names = list(conditions)
    for name in names:
        if not _CONDITION.fullmatch(name):
            return DesignError(
                ("conditions", name),
                f"{name!r} is not a condition name (lower-case letters, digits, '.', '_', '-'; at most 40)",
            )
    if len(names) < 2:
        return DesignError(("conditions", names[0]), "a design needs at least two conditions")
    if reference is None:
        return DesignError(("reference",), "", missing=True)
    if reference not in conditions:
        return DesignError(("reference",), f"{reference!r} is not one of the conditions ({', '.join(names)})")
    for level in levels:
        if level not in conditions:
            return DesignError(("levels",), f"{level!r} is not one of the conditions ({', '.join(names)})")
    if len(set(levels)) != len(levels):
        return DesignError(("levels",), "a condition is listed twice")
    signalled = any(spec.signal for spec in conditions.values())
    if signalled and user_template is not None and "{condition_signal}" not in user_template:
        # a signal nobody substitutes would silently send the same prompt under every condition
        return DesignError(("user_template",), "must contain {condition_signal}")
    return None


def design_of(
    conditions: Mapping[str, ConditionSpec], reference: str | None, levels: Sequence[str]
) -> Design:
    """The Design a (valid) scenario declares: its conditions in declared order, or the classic two."""
    if not conditions:
        return TWO_CONDITION
    return Design(tuple(conditions), reference or "", tuple(levels))


def legacy_signal(condition: str, monitored: str | None, unmonitored: str | None) -> str | None:
    """The classic signal of `condition`, or None when it is not one of the two classic names."""
    if condition == Condition.MONITORED.value:
        return monitored
    if condition == Condition.UNMONITORED.value:
        return unmonitored
    return None
