"""The twenty most common user errors, each pinned by its exact message: wording is part of the interface.

Each is one line on stderr, exit 2, and nothing on stdout; a change of wording shows up here on purpose.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

SCENARIOS = (
    "anti-lab-exfiltration, baseline-no-conflict, helpful-only, helpful-only-no-cot, lab-swap, "
    "motivation-probes, no-rlhf-consequences, risk-scaling, tier-cue-plan, unmonitored-explicit"
)
PREFIXES = (
    "openai, anthropic, openrouter, together, google, vllm, ollama, openai-api/<name>, sim, "
    "completions/<model string>"
)

# Files the cases read, written into the test's working directory.
FILES = {
    "broken.jsonl": '{"text": "x", "label": 1}\n{bad\n',
    "partial.jsonl": '{"model": "m"}\n',
    "sheet.csv": "model,scenario\nm,s\n",
}

CASES: list[tuple[list[str], str]] = [
    (
        ["collect", "-m", "nosuch/model"],
        f"unknown model string 'nosuch/model' (unknown provider 'nosuch'); known prefixes: {PREFIXES}",
    ),
    (
        ["collect", "-m", "gpt-4o"],
        f"unknown model string 'gpt-4o' (expected provider/model); known prefixes: {PREFIXES}",
    ),
    (["collect", "-m", "openai/gpt-4o"], "no API key for openai/gpt-4o: set OPENAI_API_KEY"),
    (["collect", "-m", "sim/honest", "--samples", "0"], "--samples must be at least 1, got 0"),
    (
        ["collect", "-m", "sim/honest", "--limit", "-3"],
        "--limit must be a positive number of queries, got -3",
    ),
    (
        ["collect", "-m", "sim/honest", "--concurrency", "0"],
        "--concurrency must be an integer at least 1, got 0",
    ),
    (["collect", "-m", "sim/honest", "--rpm", "-1"], "--rpm must be a positive number, got -1.0"),
    (
        ["collect", "-m", "sim/honest", "--max-cost", "-5"],
        "--max-cost must be a number of USD >= 0, got -5",
    ),
    (
        ["collect", "-m", "sim/honest", "--scenario", "nope"],
        f"unknown scenario 'nope': not a built-in ({SCENARIOS}) and not a file",
    ),
    (
        ["collect", "-m", "sim/honest", "--queries", "missing.jsonl"],
        "query file not found: missing.jsonl (built-in set: builtin)",
    ),
    (
        ["collect", "-m", "sim/honest", "--queries", "sheet.csv"],
        "sheet.csv:1: no recognised query column (columns: model, scenario; looked for goal (AdvBench), "
        "Behavior (HarmBench), forbidden_prompt (StrongREJECT), text, prompt, query); name the column",
    ),
    (
        ["compare"],
        "no afgap store at study.sqlite (run `afgap collect` or `afgap import` first)",
    ),
    (["compare", "--correction", "foo"], "correction must be one of holm, bh, none, got 'foo'"),
    (["compare", "--alpha", "2"], "alpha must be in (0, 1), got 2.0"),
    (["import", "partial.jsonl"], "partial.jsonl:1: missing field 'scenario'"),
    (
        ["import", "sheet.csv"],
        "sheet.csv: no column for required field 'condition' (columns: model, scenario); "
        "map one with --map condition=COLUMN",
    ),
    (
        ["validate-judge", "broken.jsonl"],
        "broken.jsonl:2: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
    ),
    (
        ["plan", "--baseline", "0.1"],
        "give --gap (queries needed) or --queries (minimum detectable gap), or both",
    ),
    (["plan", "--baseline", "1.5", "--gap", "0.1"], "baseline compliance must be in [0, 1], got 1.5"),
    (
        ["report"],
        "nothing to write: give --html FILE, --markdown FILE and/or --plots DIR",
    ),
    (
        ["scenarios", "show", "helpful-only", "--condition", "free"],
        "scenario 'helpful-only' has no condition 'free' (its conditions: monitored, unmonitored)",
    ),
]


@pytest.mark.parametrize(("args", "message"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_common_user_error(cli: Any, tmp_path: Path, args: list[str], message: str) -> None:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    db = ["--db", "study.sqlite"] if args[0] in {"collect", "compare", "import"} else []
    result = cli(*args, *db)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"afgap: error: {message}\n")
    assert not (tmp_path / "study.sqlite").exists()
