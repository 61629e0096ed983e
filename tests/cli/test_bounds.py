"""Every numeric option has both ends checked before any work: one line, exit 2, nothing on stdout."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

CASES: list[tuple[list[str], str]] = [
    (
        ["collect", "-m", "sim/honest", "--samples", "1000000"],
        "--samples must be at most 1,000, got 1,000,000",
    ),
    (
        ["collect", "-m", "sim/honest", "--max-tokens", "100000000000"],
        "--max-tokens must be at most 1,000,000, got 100,000,000,000",
    ),
    (["collect", "-m", "sim/honest", "--rpm", "inf"], "--rpm must be finite, got inf"),
    (
        ["collect", "-m", "sim/honest", "--concurrency", "5000"],
        "--concurrency must be at most 1,000, got 5,000",
    ),
    (
        ["collect", "-m", "sim/honest", "--timeout", "0"],
        "--timeout must be a positive number of seconds, got 0",
    ),
    (
        ["collect", "-m", "sim/honest", "--timeout", "1e9"],
        "--timeout must be at most 3,600, got 1,000,000,000",
    ),
    (["collect", "-m", "sim/honest", "--temperature", "2.5"], "--temperature must be in [0, 2], got 2.5"),
    (
        ["collect", "-m", "sim/honest", "--lock-timeout", "-1"],
        "--lock-timeout must be a number of seconds >= 0, got -1",
    ),
    (
        ["collect", "-m", "sim/honest", "--lock-timeout", "1e9"],
        "--lock-timeout must be at most 86,400, got 1,000,000,000",
    ),
    (
        ["collect", "-m", "sim/honest", "--lock-timeout", "nan"],
        "--lock-timeout must be a number of seconds >= 0, got nan",
    ),
    (
        ["plan", "--baseline", "0.1", "--gap", "0.1", "--samples", "5000"],
        "--samples must be at most 1,000, got 5,000",
    ),
    (["report", "--html", "r.html", "--examples", "-1"], "--examples must be at least 0, got -1"),
    (["report", "--html", "r.html", "--examples", "1000"], "--examples must be at most 100, got 1,000"),
    (["classify", "--judge", "sim/judge", "--votes", "101"], "--votes must be at most 100, got 101"),
    (
        ["classify", "--judge", "sim/judge", "--timeout", "1e9"],
        "--timeout must be at most 3,600, got 1,000,000,000",
    ),
    (
        ["classify", "--judge", "sim/judge", "--timeout", "0"],
        "--timeout must be a positive number of seconds, got 0",
    ),
    (
        ["classify", "--judge", "sim/judge", "--concurrency", "5000"],
        "--concurrency must be at most 1,000, got 5,000",
    ),
    (["compare", "--seed", "-1"], "--seed must be a non-negative integer, got -1"),
]


RECORD = '{"model": "m", "scenario": "s", "query_id": "q", "condition": "monitored", "outcome": "comply", '
IMPORTS: list[tuple[bytes, str]] = [
    (
        (RECORD + '"sample": 100000000000000000000}\n').encode(),
        "rows.jsonl:1: field 'sample': Input should be less than or equal to 1000000 "
        "(got 100000000000000000000)",
    ),
    (
        (RECORD + '"sample": 1e30}\n').encode(),
        "rows.jsonl:1: field 'sample': Unable to parse input string as an integer, "
        "exceeded maximum size (got 1e+30)",
    ),
    (
        b'\xff{"model": "m"}\n',
        "rows.jsonl:1: not valid UTF-8 (byte 0xff at column 1); save the file as UTF-8",
    ),
]


@pytest.mark.parametrize(("data", "message"), IMPORTS)
def test_bad_import_names_its_line(cli: Any, tmp_path: Path, data: bytes, message: str) -> None:
    (tmp_path / "rows.jsonl").write_bytes(data)
    result = cli("import", "rows.jsonl", "--db", "study.sqlite")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"afgap: error: {message}\n")
    assert not (tmp_path / "study.sqlite").exists()


@pytest.mark.parametrize(("args", "message"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_out_of_range_is_one_line_exit_2(cli: Any, tmp_path: Path, args: list[str], message: str) -> None:
    start = time.monotonic()
    db = [] if args[0] == "plan" else ["--db", "study.sqlite"]
    result = cli(*args, *db)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"afgap: error: {message}\n")
    assert time.monotonic() - start < 5  # checked before planning or opening anything
    assert not (tmp_path / "study.sqlite").exists()
