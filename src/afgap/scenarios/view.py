"""Scenarios as text for people: exactly what is sent for one query, and unified diffs between set-ups.

Both `afgap scenarios show` and `afgap scenarios diff` print from here, so what `diff` compares is
byte for byte what `show` prints.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path

from afgap.errors import InputError
from afgap.records import CONDITION_NAME, Condition, Query
from afgap.scenarios import (
    DESIGN_FIELDS,
    HASHED_FIELDS,
    HASHED_WHEN_SET,
    WIRES,
    Scenario,
    builtin_scenario_names,
    load_scenario,
    prefill_for,
    render,
    scenario_hash,
)

__all__ = ["ScenarioRef", "check_wire", "diff_scenarios", "field_text", "parse_ref", "rendered_text"]

ScenarioRef = tuple[str, str | None]
"""A scenario name or path, and the condition named after it (`helpful-only:unmonitored`), if any."""


def parse_ref(spec: str) -> ScenarioRef:
    """Split an optional `:CONDITION` suffix off a scenario name or path (rendering checks the name)."""
    name, sep, tail = spec.rpartition(":")
    whole_exists = spec in builtin_scenario_names() or Path(spec).is_file()
    if sep and name and not whole_exists and re.fullmatch(CONDITION_NAME, tail):
        return name, tail
    return spec, None


def check_wire(wire: str) -> str:
    """The wire format, or an error naming the known ones."""
    if wire not in WIRES:
        raise InputError(f"--wire must be one of {', '.join(WIRES)}, got {wire!r}")
    return wire


def rendered_text(scenario: Scenario, condition: str, query: Query, wire: str) -> str:
    """The messages one call sends, each under a `=== role ===` header, prefill last."""
    parts = [f"=== {m.role} ===\n{m.content}\n" for m in render(scenario, condition, query)]
    prefill = prefill_for(scenario, check_wire(wire))
    if prefill:
        parts.append(f"=== assistant (prefill, {wire}) ===\n{prefill}\n")
    return "".join(parts)


def field_text(scenario: Scenario) -> str:
    """Every field, one `[key]` block each, with a marker on those that change what is sent."""
    lines: list[str] = []
    for key in Scenario.model_fields:
        if key in DESIGN_FIELDS and not scenario.conditions:
            continue  # the classic design says it all in its two signals
        value = getattr(scenario, key)
        if value is None or (key == "variables" and not value):  # a spelling this scenario does not use
            continue
        sent = " (sent)" if key in HASHED_FIELDS or key in HASHED_WHEN_SET or key in DESIGN_FIELDS else ""
        if isinstance(value, dict):
            value = "\n".join(f"{k} = {v!r}" for k, v in value.items()) or "(none)"
        lines += [f"[{key}]{sent}", *str(value).splitlines(), ""]
    return "\n".join(lines)


def diff_scenarios(
    a: str, b: str, query: Query, condition: str = Condition.MONITORED.value, wire: str = "anthropic"
) -> str:
    """Unified diffs of two scenarios' fields and rendered messages; empty when nothing differs."""
    (name_a, cond_a), (name_b, cond_b) = parse_ref(a), parse_ref(b)
    sa, sb = load_scenario(name_a), load_scenario(name_b)
    cond_a, cond_b = cond_a or condition, cond_b or condition
    label_a, label_b = _label(sa), _label(sb)
    fields = _unified(field_text(sa), field_text(sb), f"{label_a} fields", f"{label_b} fields")
    sent = _unified(
        rendered_text(sa, cond_a, query, wire),
        rendered_text(sb, cond_b, query, wire),
        f"{label_a} messages ({cond_a}, query {query.id})",
        f"{label_b} messages ({cond_b}, query {query.id})",
    )
    return "".join(fields) + "".join(sent)


def _label(scenario: Scenario) -> str:
    return f"{scenario.name}@{scenario_hash(scenario)[:8]}"


def _unified(a: str, b: str, from_label: str, to_label: str) -> Iterator[str]:
    """difflib's unified diff, three lines of context, one newline-terminated line each."""
    diff = difflib.unified_diff(a.splitlines(), b.splitlines(), from_label, to_label, lineterm="")
    return (line + "\n" for line in diff)
