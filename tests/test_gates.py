"""The house gates run with the tests, so CI enforces them: ruff (lint and format) and strict mypy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_ruff_lint_and_format_are_clean() -> None:
    lint = _run("ruff", "check", "src", "tests", "benchmarks", "scripts")
    assert lint.returncode == 0, lint.stdout[-3000:]
    fmt = _run("ruff", "format", "--check", "src", "tests", "benchmarks", "scripts")
    assert fmt.returncode == 0, fmt.stdout[-3000:]


def test_mypy_strict_is_clean_on_the_package() -> None:
    result = _run("mypy", "src/afgap", "scripts")
    assert result.returncode == 0, result.stdout[-3000:]


def test_no_packed_lines() -> None:
    """Formatter opt-outs that pack lines to look short are not allowed: split the function instead."""
    # Built in two parts so this file does not match; bytecode is skipped because it folds the parts back.
    marker = ("fmt: " + "skip").encode()
    packed = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("src", "tests", "benchmarks", "scripts")
        for path in sorted((ROOT / folder).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
        for number, line in enumerate(path.read_bytes().splitlines(), 1)
        if marker in line
    ]
    assert packed == []
