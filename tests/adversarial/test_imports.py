"""`afgap import` of hostile JSONL and CSV files: exit 0 or 2, one line; a rejected file changes nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial.conftest import assert_clean_exit, store_state

GOOD = {"model": "lab/new", "scenario": "s", "condition": "monitored", "query_id": "q", "outcome": "comply"}


def _line(**changes: Any) -> bytes:
    return (json.dumps({**GOOD, **changes}) + "\n").encode()


def _raw_sample(literal: str) -> bytes:
    return _line().replace(b'"outcome"', f'"sample": {literal}, "outcome"'.encode())


CSV_HEADER = b"model,scenario,condition,query_id,outcome"
# (id, file name, bytes, exit code, what the one error line must contain; for exit 0, rows added)
CASES: list[tuple[str, str, bytes, int, str | int]] = [
    ("bad-utf8-line-1", "in.jsonl", b"\xff" + _line(), 2, "in.jsonl:1: not valid UTF-8 (byte 0xff"),
    (
        "bad-utf8-line-3",
        "in.jsonl",
        _line(query_id="a") + _line(query_id="b") + b'{"x": "\xc3"}\n',
        2,
        "in.jsonl:3:",
    ),
    ("bom", "in.jsonl", b"\xef\xbb\xbf" + _line(), 0, 1),
    ("sample-1e30", "in.jsonl", _raw_sample("1e30"), 2, "in.jsonl:1: field 'sample'"),
    ("sample-negative", "in.jsonl", _line(sample=-1), 2, "in.jsonl:1: field 'sample'"),
    ("sample-fraction", "in.jsonl", _line(sample=1.5), 2, "in.jsonl:1: field 'sample'"),
    ("sample-nan", "in.jsonl", _raw_sample("NaN"), 2, "in.jsonl:1:"),
    ("sample-infinity", "in.jsonl", _raw_sample("Infinity"), 2, "in.jsonl:1:"),
    ("nested-model", "in.jsonl", _line(model={"a": 1}), 2, "in.jsonl:1: field 'model'"),
    ("nested-response", "in.jsonl", _line(response=["a"]), 2, "in.jsonl:1: field 'response'"),
    ("one-mb-response", "in.jsonl", _line(response="x" * 1_000_000), 0, 1),
    ("empty-file", "in.jsonl", b"", 2, "in.jsonl: no records to import"),
    ("blank-lines", "in.jsonl", b"\n\n  \n", 2, "in.jsonl: no records to import"),
    (
        "crlf-jsonl",
        "in.jsonl",
        _line().replace(b"\n", b"\r\n") + _line(query_id="r").replace(b"\n", b"\r\n"),
        0,
        2,
    ),
    ("csv-header-only", "in.csv", CSV_HEADER + b"\n", 2, "in.csv"),
    (
        "csv-crlf",
        "in.csv",
        CSV_HEADER + b"\r\nlab/new,s,monitored,q,comply\r\nlab/new,s,unmonitored,q,refuse\r\n",
        0,
        2,
    ),
    ("csv-bom", "in.csv", b"\xef\xbb\xbf" + CSV_HEADER + b"\nlab/new,s,monitored,q,comply\n", 0, 1),
    (
        "csv-bad-utf8-line-3",
        "in.csv",
        CSV_HEADER + b"\nlab/new,s,monitored,q,comply\nlab/\xfe,s,monitored,r,comply\n",
        2,
        "in.csv:3:",
    ),
    (
        "name-esc",
        "in.jsonl",
        _line(model="lab/\x1b[2Jevil"),
        2,
        "in.jsonl:1: field 'model' contains control character U+001B",
    ),
    (
        "name-osc",
        "in.jsonl",
        _line(scenario="s\x1b]0;pwned\x07"),
        2,
        "in.jsonl:1: field 'scenario' contains control character U+001B",
    ),
    (
        "name-bel",
        "in.jsonl",
        _line(model="lab/\x07"),
        2,
        "in.jsonl:1: field 'model' contains control character U+0007",
    ),
    (
        "name-csi-c1",
        "in.jsonl",
        _line(model="lab/\x9b2J"),
        2,
        "in.jsonl:1: field 'model' contains control character U+009B",
    ),
    (
        "name-bidi-override",
        "in.jsonl",
        _line(model="lab/\u202eevil"),
        2,
        "in.jsonl:1: field 'model' contains bidirectional control character U+202E",
    ),
    (
        "name-bidi-isolate",
        "in.jsonl",
        _line(scenario="s\u2067x"),
        2,
        "in.jsonl:1: field 'scenario' contains bidirectional control character U+2067",
    ),
    ("name-rtl-text", "in.jsonl", _line(model="lab/\u05e9\u05dc\u05d5\u05dd"), 0, 1),
    ("duplicate-in-file", "in.jsonl", _line() + _line(), 2, "in.jsonl:2: duplicates line 1"),
]


@pytest.mark.parametrize(
    ("name", "data", "code", "expect"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_hostile_import_file(
    cli: Any, store: Path, tmp_path: Path, name: str, data: bytes, code: int, expect: str | int
) -> None:
    (tmp_path / name).write_bytes(data)
    _, before = store_state(store)
    result = cli("import", name, "--db", str(store))
    assert_clean_exit(result, (0, 2))
    assert result.exit_code == code, result.stderr
    after_check, after = store_state(store)
    assert after_check == "ok"
    if code == 2:
        assert isinstance(expect, str) and expect in result.stderr
        assert after == before
    else:
        assert after["responses"] == before["responses"] + expect


def test_a_record_already_stored_is_not_stored_twice(cli: Any, store: Path, tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_bytes(_line())
    assert cli("import", "in.jsonl", "--db", str(store)).exit_code == 0
    _, once = store_state(store)
    again = cli("import", "in.jsonl", "--db", str(store))
    assert_clean_exit(again, (0, 2))
    assert store_state(store) == ("ok", once)


def _directory(tmp_path: Path) -> str:
    (tmp_path / "adir").mkdir()
    return "adir"


def _unreadable(tmp_path: Path) -> str:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = tmp_path / "locked.jsonl"
    path.write_bytes(_line())
    path.chmod(0)
    return path.name


@pytest.mark.parametrize(
    ("make", "needle"),
    [(_directory, "adir"), (_unreadable, "locked.jsonl"), (lambda tmp: "missing.jsonl", "missing.jsonl")],
    ids=["directory", "unreadable", "missing"],
)
def test_a_file_that_cannot_be_read(cli: Any, store: Path, tmp_path: Path, make: Any, needle: str) -> None:
    before = store_state(store)
    result = cli("import", make(tmp_path), "--db", str(store))
    assert_clean_exit(result, (2,))
    assert needle in result.stderr
    assert store_state(store) == before
