"""Every numeric option of every command at 0, -1, nan, inf, 1e309 and huge: exit 0 or 2, one line.

The options are found by walking the Typer app, so a new numeric option is covered without editing this
file; BASE gives each command the other arguments it needs to get as far as checking that option.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from afgap.cli.app import app
from tests.adversarial.conftest import assert_clean_exit, store_state

VALUES = ("0", "-1", "nan", "inf", "1e309", "1000000000000")
# What each command needs besides the option under test; "{db}" and "{data}" are filled in per test.
BASE: dict[str, list[str]] = {
    "demo": ["--db", "{db}"],
    "collect": ["-m", "sim/honest", "--limit", "1", "--dry-run", "--db", "{db}"],
    "classify": ["--judge", "sim/judge", "--db", "{db}"],
    "validate-judge": ["{data}/af_validation.jsonl"],
    "compare": ["--db", "{db}"],
    "plan": ["--baseline", "0.2", "--gap", "0.1"],
    "report": ["--markdown", "r.md", "--db", "{db}"],
    "sim serve": [],
    "batch export": ["-m", "sim/honest", "--limit", "1", "--out", "{db}.jsonl", "--db", "{db}"],
    "batch import": ["{data}/af_validation.jsonl", "--db", "{db}"],
}
# Options for which infinity means "no limit".
UNBOUNDED = {("collect", "--max-cost")}
DATA = Path(__file__).parent.parent / "data"


def _numeric(param: Any) -> bool:
    annotation = param.type_descriptor.annotation
    kinds = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    return isinstance(param, typer.core.TyperOption) and any(k in (int, float) for k in kinds)


def _walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _walk(sub, (*path, name))
    else:
        yield path, command


def numeric_options() -> list[tuple[str, str]]:
    """(command path, option) for every int or float option of every command."""
    root = typer.main.get_command(app)
    return [(" ".join(path), p.opts[0]) for path, cmd in _walk(root, ()) for p in cmd.params if _numeric(p)]


CASES = [(cmd, opt, value) for cmd, opt in numeric_options() for value in VALUES]


def test_the_walk_finds_the_options_we_know() -> None:
    found = set(numeric_options())
    assert {("collect", "--timeout"), ("plan", "--rho"), ("sim serve", "--retry-after")} <= found
    assert {cmd for cmd, _ in found} <= set(BASE), "a command with numeric options needs a BASE entry"


def _args(command: str, option: str, value: str, db: Path) -> list[str]:
    base = [a.replace("{db}", str(db)).replace("{data}", str(DATA)) for a in BASE[command]]
    if option in base:  # the option under test replaces BASE's value for it
        at = base.index(option)
        base = base[:at] + base[at + 2 :]
    return [*command.split(), *base, f"{option}={value}"]


@pytest.mark.parametrize(("command", "option", "value"), CASES, ids=[" ".join(c) for c in CASES])
def test_numeric_option_extremes_are_one_line(
    cli: Any, store: Path, monkeypatch: pytest.MonkeyPatch, command: str, option: str, value: str
) -> None:
    # `sim serve` with sound settings would serve until stopped: everything up to serving still runs.
    monkeypatch.setattr("afgap.sim.server.serve_forever", lambda settings, announce=None: None)
    before = store_state(store)
    result = cli(*_args(command, option, value, store))
    assert_clean_exit(result, (0, 2))
    if value == "nan" or (value in ("inf", "1e309") and (command, option) not in UNBOUNDED):
        assert result.exit_code == 2, f"{option}={value} was accepted"
    if result.exit_code == 2:
        assert store_state(store) == before
