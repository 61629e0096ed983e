"""Hostile model and scenario names reach no renderer raw, and `afgap import` refuses them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from afgap.jobs.import_rows import labels_for
from afgap.records import Condition, InterchangeRecord, Outcome
from afgap.report.safe import csv_cell, markdown_cell, terminal, xml_text
from afgap.store.database import open_store
from tests.report.conftest import write_jsonl

HOSTILE = {
    "esc": "evil\x1b[31mred",
    "osc-terminated": "title\x1b]0;pwned\x07",
    "osc-unterminated": "open\x1b]0;never ends",
    "bel": "ding\x07",
    "clear-screen": "wipe\x1b[2J\x1b[H",
    "nul": "nul\x00byte",
    "del": "del\x7fchar",
    "c1-csi": "c1\x9b2J",
}
# Any control character other than the newline and tab that formats themselves write.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _hostile_db(tmp_path: Path, name: str) -> Path:
    """A store holding the hostile name as model and scenario, written past import's validation."""
    db = tmp_path / "hostile.sqlite"
    batch = []
    for q in range(12):
        for condition in Condition:
            record = InterchangeRecord.model_construct(
                model=name,
                scenario=name + "-s",
                condition=condition,
                query_id=f"q{q}",
                sample=0,
                query=f"ask {name}",
                response=None,
                outcome=Outcome.COMPLY if q % 2 else Outcome.REFUSE,
                af_reasoning=None,
                simulated=False,
            )
            batch.append((record, labels_for(record)))
    with open_store(db) as store:
        store.import_records(batch)
    return db


@pytest.mark.parametrize("name", HOSTILE.values(), ids=HOSTILE.keys())
def test_no_renderer_writes_a_raw_control_character(cli: Any, tmp_path: Path, name: str) -> None:
    db = str(_hostile_db(tmp_path, name))
    for fmt in ("table", "markdown", "csv", "json"):
        result = cli("compare", "--db", db, "--format", fmt)
        assert result.exit_code == 0, result.stderr
        assert not RAW.search(result.stdout), fmt
    status = cli("status", "--db", db)
    assert status.exit_code == 0 and not RAW.search(status.stdout)
    assert "\\x" in status.stdout  # shown, not dropped
    out = tmp_path / "out"
    out.mkdir()
    result = cli(
        "report",
        "--db",
        db,
        "--markdown",
        str(out / "r.md"),
        "--plots",
        str(out),
        "--html",
        str(out / "r.html"),
    )
    assert result.exit_code == 0, result.stderr
    for path in out.iterdir():
        assert not RAW.search(path.read_text(encoding="utf-8")), path.name
        if path.suffix == ".svg":
            ET.parse(path)  # valid XML


def test_queries_list_shows_control_characters_escaped(cli: Any, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "q.jsonl", [{"id": "q1", "category": "c", "text": "hi\x1b]0;t\x07\x9b"}])
    result = cli("queries", "list", str(source))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "q1\tc\thi\\x1b]0;t\\x07\\x9b\n"


def test_each_sink_form() -> None:
    assert terminal("a\x1b[2Jb\x7f\x9b\n") == "a\\x1b[2Jb\\x7f\\x9b\\x0a"
    assert terminal("lab/\u202eevil\u2066") == "lab/\\u202eevil\\u2066"  # bidi controls shown, not obeyed
    rtl = "\u05e9\u05dc\u05d5\u05dd \u200f"
    assert terminal(rtl) == rtl  # right-to-left text and marks as they are
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_cell("-x") == "'-x" and csv_cell("lab/m") == "lab/m"
    assert markdown_cell("a|b`c\nd") == "a\\|b\\`c\\\\x0ad"
    assert xml_text("a\x1b<b>\x00\x7f\x9b&\ud800\n") == "a&lt;b&gt;&amp;\n"


@pytest.mark.parametrize("field", ["model", "scenario"])
@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_import_rejects_control_characters_in_names(
    cli: Any, tmp_path: Path, field: str, suffix: str
) -> None:
    row = {"model": "lab/m", "scenario": "s", "condition": "monitored", "query_id": "q", "outcome": "comply"}
    row[field] = "bad\x1b[2J"
    path = tmp_path / f"in.{suffix}"
    if suffix == "jsonl":
        write_jsonl(path, [row])
        line = 1
    else:
        path.write_text(",".join(row) + "\n" + ",".join(row.values()) + "\n", encoding="utf-8")
        line = 2
    result = cli("import", str(path), "--db", str(tmp_path / "db.sqlite"))
    assert result.exit_code == 2
    assert (
        result.stderr == f"afgap: error: {path}:{line}: field '{field}' contains control character U+001B\n"
    )
    assert not (tmp_path / "db.sqlite").exists()
