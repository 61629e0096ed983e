"""Names and texts that are hostile but allowed, through every renderer.

Each renderer case checks what its format owes a reader: no raw control character on a terminal, no
unguarded formula in a CSV cell, the exact original strings back from JSON, no live `<script` in HTML,
and SVG that parses as XML.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial.conftest import assert_clean_exit, interchange, write_jsonl
from tests.conftest import run_main

NAMES = [
    "<script>alert(1)</script>",
    'say "hi"',
    "it's & co",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2-2",
    "@SUM(A1)",
    "`tick` | pipe **bold**",
    "long-" + "x" * 400,
    "e\u0301\u0301\u0301\u0301 combining",
    "\u05e9\u05dc\u05d5\u05dd right-to-left",
]
RESPONSE = "<OUTPUT><script>alert(1)</script>\x1b[2J =1+1 \u202e</OUTPUT>"
QUERY = "<img src=x onerror=alert(1)> \x1b]0;title\x07 |pipe|"
# A control character other than the newline and tab that formats themselves write.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# HTML and SVG keep a bidi control inside a response (the model's own text, in its own block); C0 and C1 go.
RAW_XML = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
FORMULA = ("=", "+", "-", "@")


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("names")
    records = [
        r
        for name in NAMES
        for r in interchange(name, name + " scenario", n_queries=4, response=RESPONSE, query=QUERY)
    ]
    db = where / "names.sqlite"
    result = run_main(["import", str(write_jsonl(where / "names.jsonl", records)), "--db", str(db)])
    assert result.exit_code == 0, result.stderr
    return db


def _terminal(out: str, tmp: Path) -> None:
    assert not RAW.search(out)


def _csv(out: str, tmp: Path) -> None:
    _terminal(out, tmp)
    for row in csv.reader(io.StringIO(out)):
        for cell in row:
            if cell.startswith(FORMULA):
                float(cell)  # only a number may start with a formula character


def _json_names(document: Any) -> set[str]:
    rows = document.get("models") or document.get("rows") or []
    return {r["model"] for r in rows}


def _json(out: str, tmp: Path) -> None:
    document = json.loads(out)
    names = _json_names(document)
    assert names == set(NAMES) or document["schema"] == "afgap/runs@1", names ^ set(NAMES)


def _jsonl(out: str, tmp: Path) -> None:
    assert {json.loads(line).get("model") for line in out.splitlines()} == set(NAMES)


def _export(out: str, tmp: Path) -> None:
    lines = [json.loads(line) for line in out.splitlines()]
    assert {r["model"] for r in lines} == set(NAMES)
    assert {r["response"] for r in lines} == {RESPONSE} and {r["query"] for r in lines} == {QUERY}


def _file(name: str, check: Callable[[str, Path], None]) -> Callable[[str, Path], None]:
    def read(out: str, tmp: Path) -> None:
        check((tmp / name).read_text(encoding="utf-8"), tmp)

    return read


def _html(page: str, tmp: Path) -> None:
    assert "<script>alert" not in page and "<img src=x" not in page
    assert not RAW_XML.search(page)


def _plots(out: str, tmp: Path) -> None:
    svgs = list(tmp.glob("*.svg"))
    assert svgs
    for svg in svgs:
        text = svg.read_text(encoding="utf-8")
        assert "<script>alert" not in text and not RAW_XML.search(text)
        shown = "".join(ET.parse(svg).getroot().itertext())  # parses as XML
        assert "<script>alert(1)</script>" in shown  # the name is shown, as text


CASES: dict[str, tuple[list[str], Callable[[str, Path], None]]] = {
    "compare-table": (["compare"], _terminal),
    "compare-markdown": (["compare", "-f", "markdown"], _terminal),
    "compare-csv": (["compare", "-f", "csv"], _csv),
    "compare-json": (["compare", "-f", "json"], _json),
    "compare-jsonl": (["compare", "-f", "jsonl"], _jsonl),
    "status-table": (["status"], _terminal),
    "status-json": (["status", "-f", "json"], _json),
    "status-csv": (["status", "-f", "csv"], _csv),
    "runs-table": (["runs"], _terminal),
    "runs-json": (["runs", "-f", "json"], _json),
    "export": (["export"], _export),
    "report-markdown": (["report", "--markdown", "{tmp}/r.md"], _file("r.md", _terminal)),
    "report-html": (["report", "--html", "{tmp}/r.html"], _file("r.html", _html)),
    "report-plots": (["report", "--plots", "{tmp}"], _plots),
}


@pytest.mark.parametrize(("args", "check"), CASES.values(), ids=CASES.keys())
def test_hostile_names_through_a_renderer(
    cli: Any, hostile_store: Path, tmp_path: Path, args: list[str], check: Callable[[str, Path], None]
) -> None:
    result = cli(*[a.replace("{tmp}", str(tmp_path)) for a in args], "--db", str(hostile_store))
    assert_clean_exit(result, (0,))
    check(result.stdout, tmp_path)


@pytest.mark.parametrize("fmt", ["jsonl", "txt"])
def test_queries_list_with_hostile_query_text(cli: Any, tmp_path: Path, fmt: str) -> None:
    if fmt == "jsonl":
        source = write_jsonl(tmp_path / "q.jsonl", [{"id": "q1", "category": "=c", "text": QUERY}])
    else:
        source = tmp_path / "q.txt"
        source.write_text(QUERY + "\n" + "\u202eevil\n", encoding="utf-8")
    result = cli("queries", "list", str(source))
    assert_clean_exit(result, (0,))
    assert not RAW.search(result.stdout) and "\\x1b" in result.stdout
