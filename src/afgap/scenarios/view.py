"""Scenarios as text for people: exactly what is sent for one query, and unified diffs between set-ups.

Both `afgap scenarios show` and `afgap scenarios diff` print from here, so what `diff` compares is
byte for byte what `show` prints.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from afgap.errors import InputError
from afgap.records import Condition, Query
from afgap.scenarios import HASHED_FIELDS, WIRES, Scenario, load_scenario, prefill_for, render, scenario_hash

__all__ = ["ScenarioRef", "check_wire", "diff_scenarios", "field_text", "parse_ref", "rendered_text"]

ScenarioRef = tuple[str, Condition | None]
"""A scenario name or path, and the condition named after it (`helpful-only:unmonitored`), if any."""


def parse_ref(spec: str) -> ScenarioRef:
    """Split an optional `:monitored` / `:unmonitored` suffix off a scenario name or path."""
    name, sep, tail = spec.rpartition(":")
    if sep and tail in (c.value for c in Condition):
        return name, Condition(tail)
    return spec, None


def check_wire(wire: str) -> str:
    """The wire format, or an error naming the known ones."""
    if wire not in WIRES:
        raise InputError(f"--wire must be one of {', '.join(WIRES)}, got {wire!r}")
    return wire


def rendered_text(scenario: Scenario, condition: Condition, query: Query, wire: str) -> str:
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
        value = getattr(scenario, key)
        if value is None or (key == "variables" and not value):  # a spelling this scenario does not use
            continue
        sent = " (sent)" if key in HASHED_FIELDS else ""
        if isinstance(value, dict):
            value = "\n".join(f"{k} = {v!r}" for k, v in value.items()) or "(none)"
        lines += [f"[{key}]{sent}", *str(value).splitlines(), ""]
    return "\n".join(lines)


def diff_scenarios(
    a: str, b: str, query: Query, condition: Condition = Condition.MONITORED, wire: str = "anthropic"
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
        f"{label_a} messages ({cond_a.value}, query {query.id})",
        f"{label_b} messages ({cond_b.value}, query {query.id})",
    )
    return "".join(fields) + "".join(sent)


def _label(scenario: Scenario) -> str:
    return f"{scenario.name}@{scenario_hash(scenario)[:8]}"


def _unified(a: str, b: str, from_label: str, to_label: str) -> Iterator[str]:
    """difflib's unified diff, three lines of context, one newline-terminated line each."""
    diff = difflib.unified_diff(a.splitlines(), b.splitlines(), from_label, to_label, lineterm="")
    return (line + "\n" for line in diff)
