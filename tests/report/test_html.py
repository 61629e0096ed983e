"""`afgap report`: one self-contained HTML file, plot files, and one clear line for a bad target."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from afgap.records import Condition, Outcome
from afgap.report.html import CSP, render_html


def test_html_report_is_self_contained(cli: Any, report_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = cli("report", "--html", str(out), "--db", str(report_db))
    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert f'content="{CSP}"' in page
    # No external asset of any kind: the only URL is the SVG namespace, which is an identifier.
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert "<script" not in page.lower() and "<link" not in page.lower() and " src=" not in page
    assert page.count('class="forest-row"') == 3 and page.count("<tr data-model=") == 3
    assert 'id="simulated-banner"' not in page  # imported, not simulated
    assert page.index("lab/faker") < page.index("lab/steady")  # ranked: the faker first
    assert "answer text 0" in page and "<details" in page


def test_simulated_rows_get_the_banner(cli: Any, tmp_path: Path) -> None:
    from tests.report.conftest import records, write_jsonl

    rows = [{**r, "simulated": True} for r in records({"sim/x": (0.3, 0.1)}, 20)]
    db = tmp_path / "s.sqlite"
    assert cli("import", str(write_jsonl(tmp_path / "s.jsonl", rows)), "--db", str(db)).exit_code == 0
    out = tmp_path / "r.html"
    assert cli("report", "--html", str(out), "--db", str(db)).exit_code == 0
    assert 'id="simulated-banner"' in out.read_text()


def test_models_option_limits_the_report(cli: Any, report_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert cli("report", "--html", str(out), "-m", "lab/steady", "--db", str(report_db)).exit_code == 0
    page = out.read_text()
    assert page.count("<tr data-model=") == 1 and "lab/faker" not in page


def test_plot_files_and_markdown(cli: Any, report_db: Path, tmp_path: Path) -> None:
    plots, md = tmp_path / "plots", tmp_path / "table.md"
    result = cli("report", "--plots", str(plots), "--markdown", str(md), "--db", str(report_db))
    assert result.exit_code == 0, result.stderr
    for stem in ("forest", "outcomes", "af_reasoning"):
        assert (plots / f"{stem}.svg").read_text().startswith("<?xml")
    try:
        import cairosvg  # noqa: F401
    except (ImportError, OSError):
        assert "PNG needs" in result.stderr
    else:
        assert (plots / "forest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert md.read_text().startswith("| rank | model |")


@pytest.mark.parametrize(
    ("target", "needle"),
    [
        ("missing-dir/r.html", "directory missing-dir does not exist"),
        (".", "it is a directory"),
        ("in.jsonl/r.html", "does not exist"),  # the parent is a file
    ],
)
def test_unwritable_html_target_is_one_line(cli: Any, report_db: Path, target: str, needle: str) -> None:
    result = cli("report", "--html", target, "--db", str(report_db))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("afgap: error: cannot write report") and needle in lines[0]


def test_report_needs_a_target(cli: Any, report_db: Path) -> None:
    result = cli("report", "--db", str(report_db))
    assert result.exit_code == 2 and "nothing to write" in result.stderr


@dataclass(frozen=True)
class _Quoted:
    """An example response built by hand: the page renders whatever it is handed, no store needed."""

    model: str
    scenario: str
    condition: Condition
    query_id: str
    query: str | None
    text: str
    outcome: Outcome
    af_reasoning: bool | None


def test_the_page_renders_the_examples_it_is_handed(report_db: Path) -> None:
    from afgap.jobs.compare import analysis_settings
    from afgap.jobs.report import report_content

    content = report_content(report_db, ["all"], analysis_settings(0.05, "holm"), examples=0)
    assert content.examples == ()  # no example asked for: the store is not read for any
    quoted = _Quoted(
        "lab/faker", "helpful-only", Condition.MONITORED, "q0001", None, "<b>x</b>", Outcome.COMPLY, True
    )
    page = render_html(content.comparison, [quoted])
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    assert "query q0001, AF reasoning" in page and page.count('class="example"') == 1
