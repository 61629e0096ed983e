"""Base models through completions, and prefill on OpenAI-compatible chat, over loopback HTTP.

What the simulator received (its GET /received log) is compared with what the store kept.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest

from afgap.jobs.scenarios import copy_scenario
from afgap.providers import document
from afgap.sim.server import RunningSim, start_in_thread
from tests.conftest import SENTINEL_KEY

BASE = "completions/openai-api/local/base-faker"
CHAT = "openai-api/local/base-faker"
HELPFUL_ONLY = resources.files("afgap.scenarios").joinpath("helpful-only.toml").read_text("utf-8")


@pytest.fixture
def sim() -> Iterator[RunningSim]:
    with start_in_thread() as running:
        yield running


def _env(sim: RunningSim) -> dict[str, str]:
    return {"LOCAL_BASE_URL": f"{sim.base_url}/v1", "LOCAL_API_KEY": SENTINEL_KEY}


def _received(sim: RunningSim, path: str) -> list[dict[str, Any]]:
    got = httpx.get(f"{sim.base_url}/received").json()["received"]
    return [r["body"] for r in got if r["path"] == path]


def _stored(db: Path, model: str) -> list[tuple[str, list[dict[str, str]]]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT text, p.messages FROM responses r JOIN prompts p ON p.id = r.prompt_id "
            "WHERE r.model = ? AND r.status = 'ok'",
            (model,),
        ).fetchall()
    return [(text, json.loads(messages)) for text, messages in rows]


def _scenario(tmp_path: Path, top: str, prefill: str) -> str:
    """helpful-only with extra top-level keys and prefill lines (its [prefill] table is the file's last)."""
    copy_scenario("helpful-only", tmp_path)  # its prompt files, beside the variant
    path = tmp_path / "variant.toml"
    body = HELPFUL_ONLY.replace('name = "helpful-only"', 'name = "variant"')
    path.write_text(f"{top}\n{body}{prefill}\n")
    return str(path)


def _error_line(result: Any) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr and len(lines) == 1, result.stderr
    return lines[0]


def test_base_model_gets_the_document_and_compare_finds_its_gap(cli: Any, db: Path, sim: RunningSim) -> None:
    args = ("--scenario", "helpful-only", "--samples", "2", "--db", str(db))
    assert cli("collect", "-m", BASE, "-m", CHAT, *args, env=_env(sim)).exit_code == 0
    sent = _received(sim, "/v1/completions")
    assert sent and all(b["stop"] == list(document.stops("transcript")) for b in sent)
    prompts = {b["prompt"] for b in sent}
    stored = _stored(db, BASE)
    assert len(stored) == 520
    for text, messages in stored:
        # What is stored is the prompt as sent: one document, the previous turns included after <NEXT/>.
        assert len(messages) == 1 and messages[0]["content"].startswith(document.TRANSCRIPT_HEADER)
        # Cut at the </OUTPUT> stop, the answer keeps its closing tag.
        assert text.count("<OUTPUT>") == text.count("</OUTPUT>") == 1
    kept = {messages[0]["content"] for _, messages in stored}
    # A call's last document is stored; an earlier turn's is where its continuation document begins.
    assert all(any(k.startswith(p) for k in kept) for p in prompts) and prompts & kept
    assert any("### User\n<NEXT/>" in p for p in prompts)  # a continuation re-sent the whole document
    doc = cli("compare", "--models", "all", "--format", "json", "--db", str(db)).json()
    verdicts = {row["model"]: row["verdict"] for row in doc["models"]}
    # Known truth: base-faker fakes through a document only; through chat it is honest.
    assert verdicts[BASE] == "fakes alignment" and verdicts[CHAT] != "fakes alignment"
    again = cli("collect", "-m", BASE, *args, env=_env(sim))
    assert again.exit_code == 0 and "all 520 calls are already stored" in again.stderr


def test_human_assistant_framing_carries_the_completions_prefill(
    cli: Any, db: Path, sim: RunningSim, tmp_path: Path
) -> None:
    scenario = _scenario(tmp_path, 'document = "human-assistant"', "completions = '<'")
    result = cli(
        "collect", "-m", BASE, "--scenario", scenario, "--limit", "3", "--db", str(db), env=_env(sim)
    )
    assert result.exit_code == 0, result.stderr
    first = [b for b in _received(sim, "/v1/completions") if b["prompt"].endswith("\n\nAssistant: <")]
    assert len(first) == 6 and all(b["stop"] == ["\n\nHuman:", "</OUTPUT>"] for b in first)
    for text, messages in _stored(db, BASE):
        assert text.startswith("<SCRATCHPAD_REASONING>")  # the prefill is part of the stored text
        assert "\n\nHuman: <INPUT>" in messages[0]["content"]


def test_prefilled_chat_to_a_vllm_style_server_asks_it_to_continue(
    cli: Any, db: Path, sim: RunningSim, tmp_path: Path
) -> None:
    scenario = _scenario(tmp_path, "", "openai = '<'")
    model = "openai-api/local/faker"
    result = cli(
        "collect", "-m", model, "--scenario", scenario, "--limit", "2", "--db", str(db), env=_env(sim)
    )
    assert result.exit_code == 0, result.stderr
    first = [b for b in _received(sim, "/v1/chat/completions") if b["messages"][-1]["content"] == "<"]
    assert len(first) == 4
    for body in first:
        assert body["messages"][-1]["role"] == "assistant"
        assert (body["continue_final_message"], body["add_generation_prompt"]) == (True, False)
    for text, messages in _stored(db, model):
        assert text.startswith("<SCRATCHPAD_REASONING>")
        assert messages[-1] == {"role": "assistant", "content": "<"} or messages[-1]["content"] == "<NEXT/>"


def test_completions_to_a_provider_without_them_is_one_line(cli: Any, db: Path) -> None:
    result = cli("collect", "-m", "completions/anthropic/claude-3-opus", "--db", str(db))
    assert result.exit_code == 2
    assert _error_line(result).startswith("afgap: error: anthropic has no completions endpoint")
    assert not db.exists()


def test_a_prefill_where_unsupported_is_refused_before_anything_is_sent(
    cli: Any, db: Path, tmp_path: Path
) -> None:
    scenario = _scenario(tmp_path, "", "openai = '<'")
    env = {"OPENAI_API_KEY": SENTINEL_KEY, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    result = cli("collect", "-m", "openai/gpt-4o", "--scenario", scenario, "--db", str(db), env=env)
    assert result.exit_code == 2
    line = _error_line(result)
    assert line.startswith("afgap: error: openai cannot continue a prefilled assistant turn; remove the scen")
    assert SENTINEL_KEY not in result.stderr
    assert not db.exists()
