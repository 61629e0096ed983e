"""`afgap batch export|import` with the simulator's offline runner standing in for vLLM's run_batch."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from afgap.providers.conversation import NEXT_TURN
from tests.conftest import SENTINEL_KEY

PLAN = ("--limit", "12", "--samples", "2")


def _dump(db: Path) -> str:
    """Every row of the store, for 'nothing was stored' (row counts alone would miss an update)."""
    with sqlite3.connect(db) as conn:
        text = "\n".join(conn.iterdump())
    conn.close()
    return text


def _hashes(db: Path) -> Counter[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT request_hash, source FROM responses").fetchall()
    conn.close()
    assert {source for _, source in rows} <= {"batch"}
    return Counter(h for h, _ in rows)


def _said(result: Any) -> str:
    """stderr with the console's line wrapping undone."""
    return " ".join(result.stderr.split())


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _rounds(cli: Any, db: Path, tmp_path: Path, *models: str, plan: tuple[str, ...] = PLAN) -> list[Path]:
    """export → sim batch-run → import until nothing is left to export; the result files, in order."""
    results = []
    for n in range(1, 6):
        requests, answers = tmp_path / f"req{n}.jsonl", tmp_path / f"res{n}.jsonl"
        exported = cli("batch", "export", *models, *plan, "--out", str(requests), "--db", str(db))
        assert exported.exit_code == 0, exported.stderr
        if not requests.read_text():
            assert "nothing to export" in _said(exported)
            return results
        assert cli("sim", "batch-run", str(requests), str(answers)).exit_code == 0
        imported = cli("batch", "import", str(answers), "--db", str(db))
        assert imported.exit_code in (0, 3), imported.stderr
        results.append(answers)
    raise AssertionError("still exporting after 5 rounds (max_turns is 4)")


def test_rounds_store_every_planned_call_exactly_once_and_reimport_is_a_no_op(
    cli: Any, db: Path, tmp_path: Path
) -> None:
    results = _rounds(cli, db, tmp_path, "-m", "sim/faker")
    first = _lines(tmp_path / "req1.jsonl")
    assert len(first) == 12 * 2 * 2 and len({line["custom_id"] for line in first}) == len(first)
    assert len(results) >= 2, "some faker replies stop in the scratchpad and need a second round"
    # Every planned call, each once, and finished: continuations joined onto their first turns.
    counts = _hashes(db)
    assert set(counts) == {line["custom_id"] for line in first} and set(counts.values()) == {1}
    with sqlite3.connect(db) as conn:
        turns = dict(conn.execute("SELECT turns, COUNT(*) FROM responses GROUP BY turns").fetchall())
        sent = conn.execute(
            "SELECT p.messages FROM responses r JOIN prompts p ON p.id = r.prompt_id"
        ).fetchall()
    conn.close()
    assert turns.get(2, 0) == len(_lines(tmp_path / "req2.jsonl"))
    assert any(NEXT_TURN in messages for (messages,) in sent)
    before = _dump(db)
    for answers in results:
        again = cli("batch", "import", str(answers), "--db", str(db))
        assert again.exit_code == 0 and "0 calls stored" in _said(again) and "already stored" in _said(again)
    assert _dump(db) == before
    # The request hashes are collect's: collect with the same plan finds everything stored.
    assert cli("collect", "-m", "sim/faker", *PLAN, "--db", str(db)).exit_code == 0
    assert _hashes(db) == counts


def test_export_bodies_are_what_collect_sends(cli: Any, db: Path, tmp_path: Path, sim: Any) -> None:
    env = {"LOCAL_BASE_URL": f"{sim.base_url}/v1", "LOCAL_API_KEY": SENTINEL_KEY}
    model = ("-m", "openai-api/local/faker")
    plan = ("--limit", "4", "--samples", "2")
    assert cli("collect", *model, *plan, "--db", str(tmp_path / "live.sqlite"), env=env).exit_code == 0
    received = httpx.get(f"{sim.base_url}/received").json()["received"]
    firsts = [r["body"] for r in received if all(m["content"] != NEXT_TURN for m in r["body"]["messages"])]
    out = tmp_path / "req.jsonl"
    assert cli("batch", "export", *model, *plan, "--out", str(out), "--db", str(db), env=env).exit_code == 0
    lines = _lines(out)
    assert {line["url"] for line in lines} == {"/v1/chat/completions"}
    canonical = Counter(json.dumps(b, sort_keys=True) for b in firsts)
    assert Counter(json.dumps(line["body"], sort_keys=True) for line in lines) == canonical
    with sqlite3.connect(tmp_path / "live.sqlite") as conn:
        live = {h for (h,) in conn.execute("SELECT request_hash FROM responses")}
    conn.close()
    assert {line["custom_id"] for line in lines} == live
    assert SENTINEL_KEY not in out.read_text() and SENTINEL_KEY not in _dump(db)


def test_a_completions_model_exports_to_the_completions_url(cli: Any, db: Path, tmp_path: Path) -> None:
    results = _rounds(cli, db, tmp_path, "-m", "completions/sim/base-faker", plan=("--limit", "3"))
    assert {line["url"] for line in _lines(tmp_path / "req1.jsonl")} == {"/v1/completions"}
    assert all("prompt" in line["body"] for line in _lines(tmp_path / "req1.jsonl"))
    assert results and sum(_hashes(db).values()) == 3 * 2


def _exported(cli: Any, db: Path, tmp_path: Path) -> list[dict[str, Any]]:
    """A store with one exported round and the simulator's answers to it, not yet imported."""
    out, answers = tmp_path / "req.jsonl", tmp_path / "res.jsonl"
    assert (
        cli(
            "batch", "export", "-m", "sim/faker", "--limit", "3", "--out", str(out), "--db", str(db)
        ).exit_code
        == 0
    )
    assert cli("sim", "batch-run", str(out), str(answers)).exit_code == 0
    return _lines(answers)


def _bad_body(lines: list[dict[str, Any]]) -> list[str]:
    lines[1]["response"]["body"] = {"object": "chat.completion", "choices": []}
    return [json.dumps(line) for line in lines]


def _foreign(lines: list[dict[str, Any]]) -> list[str]:
    lines[1]["custom_id"] = "0" * 64
    return [json.dumps(line) for line in lines]


def _duplicate(lines: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(line) for line in [*lines, lines[0]]]


def _malformed(lines: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(lines[0]), '{"custom_id": x}', *(json.dumps(line) for line in lines[1:])]


BAD = {
    "a body the wire parser refuses": (_bad_body, ":2: not a /v1/chat/completions reply for sim/faker"),
    "a custom id this store never exported": (_foreign, ":2: custom_id '000"),
    "a custom id twice": (_duplicate, ":7: custom_id"),
    "a line that is not JSON": (_malformed, ":2:"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_bad_line_is_one_line_exit_2_and_nothing_is_stored(
    cli: Any, db: Path, tmp_path: Path, case: str
) -> None:
    spoil, where = BAD[case]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(spoil(_exported(cli, db, tmp_path))) + "\n", encoding="utf-8")
    before = _dump(db)
    result = cli("batch", "import", str(bad), "--db", str(db))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("afgap: error: ") and f"bad.jsonl{where}" in lines[0]
    assert "Traceback" not in result.stderr
    assert _dump(db) == before


def test_failed_lines_are_stored_as_live_failures_and_exit_3(cli: Any, db: Path, tmp_path: Path) -> None:
    out, answers = tmp_path / "req.jsonl", tmp_path / "res.jsonl"
    plan = ("-m", "sim/retired", "--limit", "2", "--out", str(out), "--db", str(db))
    assert cli("batch", "export", *plan).exit_code == 0
    assert cli("sim", "batch-run", str(out), str(answers)).exit_code == 0
    assert all(line["response"]["body"] is None and line["error"] for line in _lines(answers))
    result = cli("batch", "import", str(answers), "--db", str(db))
    assert result.exit_code == 3 and "4 calls stored (4 failed)" in _said(result)
    with sqlite3.connect(db) as conn:
        statuses = conn.execute("SELECT DISTINCT status, error_class FROM responses").fetchall()
    conn.close()
    assert statuses == [("unavailable", "not_found")]
    # Unavailable is final, as in a live collect: nothing is exported again.
    assert cli("batch", "export", *plan).exit_code == 0 and out.read_text() == ""


def test_compare_finds_the_fakers_gap_from_batch_results(cli: Any, db: Path, tmp_path: Path) -> None:
    plan = ("--samples", "2")
    _rounds(cli, db, tmp_path, "-m", "sim/faker", "-m", "sim/honest", plan=plan)
    doc = cli("compare", "--models", "all", "--format", "json", "--db", str(db)).json()
    verdicts = {row["model"]: row["verdict"] for row in doc["models"]}
    assert verdicts["sim/faker"] == "fakes alignment" and verdicts["sim/honest"] != "fakes alignment"
    assert doc["simulated"] is True


def test_an_anthropic_model_is_refused_before_anything_is_written(cli: Any, db: Path, tmp_path: Path) -> None:
    out = tmp_path / "req.jsonl"
    result = cli("batch", "export", "-m", "anthropic/claude-x", "--out", str(out), "--db", str(db))
    assert result.exit_code == 2 and not out.exists() and not db.exists()
    assert result.stderr.strip() == (
        "afgap: error: anthropic/claude-x speaks the anthropic wire format; a batch file carries "
        "OpenAI-format requests only (chat or completions/ models, e.g. vllm/…): collect it with "
        "`afgap collect`"
    )


def test_import_into_a_store_that_does_not_exist(cli: Any, db: Path, tmp_path: Path) -> None:
    results = tmp_path / "res.jsonl"
    results.write_text("")
    result = cli("batch", "import", str(results), "--db", str(db))
    assert result.exit_code == 2 and result.stderr.startswith("afgap: error: no afgap store at")
    assert not db.exists()
