"""`afgap import --map-value FIELD:VALUE=TARGET[,VALUE=TARGET…]`: another tool's values renamed on import.

Other tools write the framing as `free`/`paid` or a boolean `is_free_tier_user`, and outcomes as 1/0;
a value map turns them into afgap's condition names and outcomes as each line is read, before it is
validated. Values match case-insensitively and ignoring surrounding spaces (`true`, `True`, `TRUE`;
JSON `true` and `1` match `true` and `1`). Once a field has a map, every value of that field must be in
it: an unmapped one rejects the whole file (FILE:LINE, the field and the value), so no line is renamed
by accident or kept under a name that was meant to be mapped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from afgap.errors import ImportFormatError
from afgap.records import CONDITION_NAME, Outcome

# The fields whose values name a category; the others (ids, texts, samples) are the other tool's own.
VALUE_FIELDS = ("condition", "outcome")
_EXAMPLE = "e.g. condition:free=monitored,paid=unmonitored"
_CONDITION = re.compile(CONDITION_NAME)
_OUTCOMES = tuple(o.value for o in Outcome)

ValueMaps = Mapping[str, Mapping[str, str]]
"""field → {matched value (case-folded) → target}."""


def parse_value_maps(specs: Sequence[str]) -> dict[str, dict[str, str]]:
    """Every `--map-value` (one field may take several); ImportFormatError naming the bad part."""
    maps: dict[str, dict[str, str]] = {}
    for spec in specs:
        field, sep, pairs = (part.strip() for part in spec.partition(":"))
        if not sep or not field or not pairs:
            raise ImportFormatError(
                f"--map-value {spec!r}: expected FIELD:VALUE=TARGET[,VALUE=TARGET], {_EXAMPLE}"
            )
        if field not in VALUE_FIELDS:
            raise ImportFormatError(
                f"--map-value {field}:…: unknown field {field!r}; "
                f"only {' and '.join(VALUE_FIELDS)} take value maps"
            )
        _add_pairs(field, pairs, maps.setdefault(field, {}))
    return maps


def _add_pairs(field: str, pairs: str, table: dict[str, str]) -> None:
    """`free=monitored,paid=unmonitored` into `table`; a value given twice is an error, even to one target."""
    for pair in pairs.split(","):
        value, eq, target = (part.strip() for part in pair.partition("="))
        if not eq or not value or not target:
            raise ImportFormatError(
                f"--map-value {field}:{pair.strip()!r}: expected VALUE=TARGET, {_EXAMPLE}"
            )
        _check_target(field, target)
        if value.casefold() in table:
            raise ImportFormatError(f"--map-value {field}: value {value!r} is mapped twice")
        table[value.casefold()] = target


def _check_target(field: str, target: str) -> None:
    if field == "condition" and not _CONDITION.fullmatch(target):
        raise ImportFormatError(
            f"--map-value condition:…={target}: not a condition name (lower-case letters, digits, '_', '.', "
            "'-'; at most 40 characters, starting with a letter or digit)"
        )
    if field == "outcome" and target not in _OUTCOMES:
        raise ImportFormatError(f"--map-value outcome:…={target}: not an outcome ({', '.join(_OUTCOMES)})")


def apply_value_maps(maps: ValueMaps, raw: dict[str, Any], where: str) -> dict[str, Any]:
    """`raw` with each mapped field's value replaced by its target; an unmapped value is an error."""
    for field, table in maps.items():
        value = raw.get(field)
        if value is None:
            continue  # an absent value stays absent: the record's own checks say whether it may be
        target = table.get(_key(value))
        if target is None:
            shown = repr(value)[:80]
            raise ImportFormatError(
                f"{where}: {field} value {shown} is not mapped by --map-value (maps {', '.join(table)})"
            )
        raw = {**raw, field: target}
    return raw


def _key(value: object) -> str:
    """The text a value is matched by: JSON booleans as true/false, whole numbers without a fraction."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    # A nested value (list, object) gets a key no map holds, so it is reported as unmapped.
    return str(value).strip().casefold() if isinstance(value, str | int | float) else "\x00"
