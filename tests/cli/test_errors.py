"""Bad input: one clear line on stderr, exit 2, no traceback, nothing stored lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from afgap.store.database import open_store


def _one_line_error(result: Any, code: int = 2) -> str:
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("afgap: error:")
    return lines[0]


def test_unknown_provider(cli: Any, db: Path) -> None:
    line = _one_line_error(cli("collect", "-m", "nosuch/model", "--db", str(db)))
    assert "nosuch/model" in line
    assert not db.exists()


def test_missing_api_key_names_the_variable(cli: Any, db: Path) -> None:
    line = _one_line_error(cli("collect", "-m", "openai/gpt-4o", "--db", str(db)))
    assert "OPENAI_API_KEY" in line
    assert not db.exists()


@pytest.mark.parametrize(
    ("flag", "value", "needle"),
    [("--samples", "0", "--samples"), ("--limit", "-3", "--limit"), ("--concurrency", "0", "concurrency")],
)
def test_bad_numbers(cli: Any, db: Path, flag: str, value: str, needle: str) -> None:
    line = _one_line_error(cli("collect", "-m", "sim/honest", flag, value, "--db", str(db)))
    assert needle in line and value in line
    assert not db.exists()


def test_not_a_number_is_a_usage_error(cli: Any, db: Path) -> None:
    line = _one_line_error(cli("collect", "-m", "sim/honest", "--samples", "many", "--db", str(db)))
    assert "--samples" in line and "integer" in line


def test_corrupt_store_is_refused_and_untouched(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite"
    path.write_bytes(b"\x00garbage" * 500)
    before = path.read_bytes()
    for args in (["compare"], ["collect", "-m", "sim/honest", "--limit", "1"], ["export"]):
        line = _one_line_error(cli(*args, "--db", str(path)))
        assert str(path) in line
    assert path.read_bytes() == before


def test_compare_on_an_empty_or_missing_store(cli: Any, db: Path) -> None:
    assert "no afgap store" in _one_line_error(cli("compare", "--db", str(db)))
    assert not db.exists()
    open_store(db).close()
    assert "holds no responses" in _one_line_error(cli("compare", "--db", str(db)))


def test_unknown_format(cli: Any, db: Path) -> None:
    line = _one_line_error(cli("compare", "--format", "yaml", "--db", str(db)))
    assert "yaml" in line


def test_unknown_command_is_a_usage_error(cli: Any) -> None:
    assert "frobnicate" in _one_line_error(cli("frobnicate"))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--drop-rate", "2"], "--drop-rate must be in [0, 1], got 2"),
        (["--slow-rate", "-0.1"], "--slow-rate must be in [0, 1], got -0.1"),
        (["--slow-ms", "-1"], "--slow-ms and --retry-after must be finite and >= 0"),
        (["--error-rate", "0.6", "--drop-rate", "0.6"], "add up to over 1"),
        (["--port", "70000"], "--port must be in 0..65535, got 70000"),
    ],
)
def test_bad_simulator_settings(cli: Any, args: list[str], needle: str) -> None:
    assert needle in _one_line_error(cli("sim", "serve", *args))
