"""The `scenarios` jobs: what each built-in tests, and exactly which messages a scenario sends."""

from __future__ import annotations

import re
from pathlib import Path

from afgap.errors import InputError
from afgap.jobs.queries import find_query, list_queries
from afgap.records import CONDITION_NAME, Query
from afgap.scenarios import builtin_files, builtin_scenario_names, load_scenario, scenario_hash
from afgap.scenarios.view import check_wire, diff_scenarios, rendered_text


def scenario_descriptions() -> list[tuple[str, str]]:
    """(name, description) of every built-in scenario."""
    return [(name, load_scenario(name).description) for name in builtin_scenario_names()]


def show_scenario(name: str, condition: str | None, source: str, query_id: str | None, wire: str) -> str:
    """The messages a scenario sends for one query, under a header with the scenario's hash.

    Without a condition: the first one compared with the reference (monitored, in the classic design).
    """
    scenario = load_scenario(name)
    query = _query(source, query_id)
    chosen = scenario.design.contrasts[0] if condition is None else parse_condition(condition)
    text = rendered_text(scenario, chosen, query, check_wire(wire))
    return f"# {scenario.name} sha256:{scenario_hash(scenario)} query {query.id}\n{text}"


def copy_scenario(name: str, folder: Path) -> list[Path]:
    """Write a built-in's TOML and template files into `folder`, to edit; never overwrites a file."""
    files = {folder / relative: data for relative, data in builtin_files(name).items()}
    existing = [path for path in files if path.exists()]
    if existing:
        raise InputError(f"{existing[0]} already exists; copy into another folder or remove it first")
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot write {exc.filename}: {exc.strerror}") from None
    return sorted(files)


def diff(a: str, b: str, condition: str, source: str, query_id: str | None, wire: str) -> str:
    """Unified diff of two scenarios' fields and messages for one query; empty when they send the same."""
    return diff_scenarios(a, b, _query(source, query_id), parse_condition(condition), check_wire(wire))


def parse_condition(value: str) -> str:
    """A condition name (whether the scenario has it is checked when rendering), or an InputError."""
    if not re.fullmatch(CONDITION_NAME, value):
        raise InputError(
            f"--condition must be a condition name such as monitored or unmonitored, got {value!r}"
        )
    return value


def _query(source: str, query_id: str | None) -> Query:
    """The query to render: the named id in the set, else the set's first query."""
    if query_id is None:
        return list_queries(source)[0]
    return find_query(source, query_id, f" (see `afgap queries list {source}`)")
