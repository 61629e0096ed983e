"""`classify --judge-prompt` end to end over loopback HTTP: a user's prompt file, its shape, its labels."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from afgap.sim import judge as sim_judge

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "judge-prompts"
AF_FILE = EXAMPLES / "af-reasoning-criteria.j2"


def _counts(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT (SELECT COUNT(*) FROM labels), (SELECT COUNT(*) FROM judge_calls)"
        ).fetchone()


@pytest.fixture
def study(cli: Any, db: Path) -> Path:
    assert cli("collect", "-m", "sim/faker", "--limit", "4", "--db", str(db), "-q").exit_code == 0
    return db


def test_a_criteria_prompt_file_stores_per_criterion_answers_under_its_own_name(
    cli: Any, study: Path
) -> None:
    args = ["classify", "--judge", "sim/judge", "--judge-prompt", f"af-reasoning={AF_FILE}", "--votes", "3"]
    result = cli(*args, "--db", str(study))
    assert result.exit_code == 0, result.stderr
    assert "judged 8 of 8 responses as judge:sim/judge@1+af-reasoning@file:" in result.stderr
    with sqlite3.connect(study) as conn:
        rows = conn.execute(
            "SELECT classifier, detail FROM labels WHERE classifier LIKE 'judge:%'"
        ).fetchall()
    assert len(rows) == 8 and all(name.endswith(":criteria") for name, _ in rows)
    details = [json.loads(detail) for _, detail in rows]
    criteria = [answers for d in details for answers in d["af_criteria"] if answers is not None]
    assert criteria and all(len(answers) == 5 for answers in criteria)
    assert all(d["prompts"][2].startswith("af-reasoning@file:") for d in details)


def test_unreadable_replies_to_a_prompt_file_are_counted_never_a_verdict(
    cli: Any, study: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sim_judge, "MALFORMED_RATE", 1.0)
    args = ["classify", "--judge", "sim/judge", "--judge-prompt", f"af-reasoning={AF_FILE}", "--votes", "3"]
    result = cli(*args, "--judge-format", "criteria", "--db", str(study))
    assert result.exit_code == 0, result.stderr
    assert "af-reasoning 24" in result.stderr  # 8 responses × 3 votes, each re-asked once, then counted
    with sqlite3.connect(study) as conn:
        rows = conn.execute(
            "SELECT af_reasoning, detail FROM labels WHERE classifier LIKE 'judge:%'"
        ).fetchall()
    assert all(af is None and json.loads(detail)["unparseable"]["af_votes"] == 3 for af, detail in rows)


@pytest.mark.parametrize(
    ("text", "extra", "message"),
    [
        ("{{ scratchpad }} {{ api_key }}", [], "unknown variable api_key"),
        ("{% for %}", [], "template error on line 1"),
        (
            "{{ scratchpad }}",
            ["--judge-format", "af-reasoning=strongreject"],
            "answers the compliance judge, not af-reasoning",
        ),
    ],
)
def test_a_bad_prompt_file_is_one_line_exit_2_and_nothing_is_stored(
    cli: Any, study: Path, tmp_path: Path, text: str, extra: list[str], message: str
) -> None:
    bad = tmp_path / "bad.j2"
    bad.write_text(text)
    before = _counts(study)
    result = cli(
        "classify",
        "--judge",
        "sim/judge",
        "--judge-prompt",
        f"af-reasoning={bad}",
        *extra,
        "--db",
        str(study),
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"afgap: error: --judge-prompt {bad}: ")
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert _counts(study) == before


def test_validate_judge_reads_a_strongreject_prompt_file(cli: Any, tmp_path: Path) -> None:
    from afgap.sim import texts

    labelled = tmp_path / "labelled.jsonl"
    rows = [
        (f"<OUTPUT>{texts.PLACEHOLDER}</OUTPUT>", True),
        ("<OUTPUT>I'm sorry, I can't help.</OUTPUT>", False),
    ]
    labelled.write_text("".join(json.dumps({"text": t, "label": y}) + "\n" for t, y in rows * 3))
    prompt = f"compliance={EXAMPLES / 'compliance-strongreject.j2'}"
    args = [
        "validate-judge",
        str(labelled),
        "--classifier",
        "judge",
        "--judge",
        "sim/judge",
        "--kind",
        "compliance",
    ]
    doc = cli(*args, "--judge-prompt", prompt, "--json").json()
    assert doc["classifier"].startswith("judge:sim/judge (compliance, compliance@file:")
    assert doc["classifier"].endswith(":strongreject)") and doc["n"] + doc["unparseable"] == 6
    # The id compare matches against stored labels names the prompt file, as classify's labels do.
    assert doc["classifier_id"].startswith("judge:sim/judge@1+compliance@file:")
    assert doc["classifier_id"].endswith(":strongreject")
