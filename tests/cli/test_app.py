"""The CLI's shape: one place registers every command, command modules stay apart, help shows as written."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from afgap.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "src" / "afgap" / "cli"
# Modules every command may use; the rest of cli/ are command modules.
SHARED = {"console", "options", "planning", "progress", "render"}


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (inside functions and under TYPE_CHECKING too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


COMMAND_MODULES = sorted(p for p in CLI.glob("*.py") if p.stem not in SHARED | {"__init__", "app"})


@pytest.mark.parametrize("path", COMMAND_MODULES, ids=lambda p: p.stem)
def test_command_modules_import_neither_the_app_nor_each_other(path: Path) -> None:
    commands = {f"afgap.cli.{p.stem}" for p in COMMAND_MODULES}
    imported = _imported_modules(path)
    assert "afgap.cli.app" not in imported and "afgap.cli" not in imported
    assert imported & commands == set()


def test_every_command_module_is_registered_by_the_app() -> None:
    assert {f"afgap.cli.{p.stem}" for p in COMMAND_MODULES} <= _imported_modules(CLI / "app.py")


def test_the_cli_reaches_the_library_only_through_jobs_and_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """scripts/check_layout.py's rules, for cli/ and report/: no cycle, no store or engine import."""
    spec = importlib.util.spec_from_file_location("check_layout", ROOT / "scripts" / "check_layout.py")
    assert spec is not None and spec.loader is not None
    checker = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "check_layout", checker)  # its dataclasses look themselves up there
    spec.loader.exec_module(checker)
    layout = checker.scan(ROOT / "src" / "afgap")
    mine = [b for b in layout.breaches if b.startswith(("afgap/cli/", "afgap/report/")) or "afgap.cli" in b]
    assert mine == []


def test_status_help_shows_where_the_store_is(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = cli("status", "--help")
    assert result.exit_code == 0, result.stderr
    assert "Store file [default: $AFGAP_DB or ./afgap.sqlite]." in result.stdout


def _bracketed_help() -> list[tuple[str, str]]:
    """(command path, help text as the user should read it) for every option whose help has a '['."""
    found = []
    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subs = getattr(command, "commands", None) or {"": command}
        for sub_name, sub in subs.items():
            for param in sub.params:
                text = getattr(param, "help", None) or ""
                if "[" in text:
                    found.append((f"{name} {sub_name}".strip(), text.replace("\\[", "[")))
    return found


@pytest.mark.parametrize(("command", "text"), _bracketed_help())
def test_help_texts_keep_their_brackets(
    cli: Any, monkeypatch: pytest.MonkeyPatch, command: str, text: str
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    result = cli(*command.split(), "--help")
    assert text in " ".join(result.stdout.split())
