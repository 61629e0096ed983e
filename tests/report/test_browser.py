"""The HTML report in a real browser: headless Chromium renders it, and model output never runs as code."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.report.conftest import RATES, records, write_jsonl

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium on this machine (apt-get install chromium; .ci/run installs it)"
)
# Each payload would leave a mark in the DOM if it ever ran: a changed title or a data-pwned attribute.
PAYLOADS = (
    "<script>document.title='PWNED'</script>",
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">",
    "</textarea></pre></details><svg onload=\"document.body.setAttribute('data-pwned','svg')\">",
    "<a href=\"javascript:document.body.setAttribute('data-pwned','href')\">click</a>",
    '<!-- --><iframe src="javascript:alert(1)"></iframe>',
)
HOSTILE = "\n".join(PAYLOADS)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with everything that could reach the network turned off."""
    assert CHROMIUM is not None
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=60, check=False)


def _console_errors(stderr: str) -> list[str]:
    return [
        line for line in stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line or "Refused" in line
    ]


def _build(cli: Any, tmp_path: Path, rates: dict[str, tuple[float, float]], text: Any) -> Path:
    db = tmp_path / "b.sqlite"
    source = write_jsonl(tmp_path / "b.jsonl", records(rates, 40, text=text))
    assert cli("import", str(source), "--db", str(db)).exit_code == 0
    out = tmp_path / "report.html"
    result = cli("report", "--html", str(out), "--db", str(db))
    assert result.exit_code == 0, result.stderr
    return out


def test_report_renders_with_its_plots_and_table(cli: Any, tmp_path: Path) -> None:
    page = _build(cli, tmp_path, RATES, lambda q: f"answer {q}")
    dom = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert html.count('class="forest-row"') == len(RATES)
    assert html.count("<tr data-model=") == len(RATES)
    assert html.count('class="bar-seg') >= 2 * len(RATES)  # at least one segment per model and condition
    assert len(re.findall(r"<svg[^>]*class=\"plot ", html)) == 3  # forest, outcomes, AF reasoning
    assert not _console_errors(dom.stderr)
    shot = tmp_path / "shot.png"
    taken = chromium(
        tmp_path, "--hide-scrollbars", "--window-size=1100,1400", f"--screenshot={shot}", page.as_uri()
    )
    assert taken.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one


@pytest.mark.parametrize("strip_csp", [False, True], ids=["as-shipped", "escaping-alone"])
def test_model_output_renders_as_text_and_never_runs(cli: Any, tmp_path: Path, strip_csp: bool) -> None:
    hostile_model = "<script>document.title='PWNED'</script>/m"
    page = _build(cli, tmp_path, {hostile_model: (0.5, 0.1), "lab/ok": (0.2, 0.2)}, lambda q: HOSTILE)
    source = page.read_text(encoding="utf-8")
    assert "<script" not in source.lower() and "onerror=" not in source.replace("onerror=&quot;", "")
    if strip_csp:  # prove the escaping holds on its own, not only behind the Content-Security-Policy
        source = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", source)
        page.write_text(source, encoding="utf-8")
    dom = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert "PWNED" not in re.search(r"<title>(.*?)</title>", html, re.S).group(1)  # type: ignore[union-attr]
    assert "data-pwned" not in html.replace("data-pwned','", "")  # the text is there, the attribute is not
    for tag in ("<script", "<img", "<iframe", "<a ", "<textarea"):
        assert tag not in html, f"model output became a {tag} element"
    assert "&lt;script&gt;document.title='PWNED'&lt;/script&gt;" in html  # shown, as text
    assert "javascript:document.body" in html  # the URL is visible text, never a link
    assert not _console_errors(dom.stderr)
