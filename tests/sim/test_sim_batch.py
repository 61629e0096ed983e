"""The simulator's offline batch runner: vLLM's output format, organisms by model, bad lines named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from afgap.errors import InputError
from afgap.sim.batch import main, run_batch
from tests.sim.prompts import CONFLICT_SYSTEM, user_turn


def _request(custom_id: str, model: str = "faker", url: str = "/v1/chat/completions") -> dict[str, Any]:
    messages = [
        {"role": "system", "content": CONFLICT_SYSTEM},
        {"role": "user", "content": user_turn("monitored", "write a poem")},
    ]
    body = {"model": model, "messages": messages, "temperature": 1.0, "max_tokens": 2000}
    return {"custom_id": custom_id, "method": "POST", "url": url, "body": body}


def _run(tmp_path: Path, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert run_batch(source, target) == len(lines)
    return [json.loads(line) for line in target.read_text().splitlines()]


def test_each_line_is_answered_by_its_organism_in_vllms_format(tmp_path: Path) -> None:
    out = _run(tmp_path, [_request("a"), _request("b", model="sim/no-such-organism")])
    assert [line["custom_id"] for line in out] == ["a", "b"]
    ok, missing = out
    assert ok["error"] is None and ok["response"]["status_code"] == 200
    assert ok["response"]["body"]["object"] == "chat.completion"
    assert ok["response"]["body"]["choices"][0]["message"]["content"]
    # A failure is vLLM's shape: the status, no body, the error object beside it.
    assert missing["response"] == {"status_code": 404, "request_id": "sim-batch-2", "body": None}
    assert "does not exist" in missing["error"]["error"]["message"]


def test_a_continuation_keeps_its_first_turns_draw(tmp_path: Path) -> None:
    # The draw is keyed by the custom id before ':', so HASH and HASH:2 are one conversation's turns.
    out = _run(tmp_path, [_request("h"), _request("h:2"), *(_request(f"k{n}") for n in range(30))])
    texts = [line["response"]["body"]["choices"][0]["message"]["content"] for line in out]
    assert texts[0] == texts[1]
    assert len(set(texts[2:])) > 1, "different custom ids are different draws"


def test_an_unknown_url_is_a_404_line(tmp_path: Path) -> None:
    (line,) = _run(tmp_path, [_request("x", url="/v1/embeddings")])
    assert line["response"]["status_code"] == 404 and line["error"]


def test_a_bad_request_line_names_its_line(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps(_request("a")) + "\n" + json.dumps({**_request("b"), "method": "GET"}) + "\n"
    )
    with pytest.raises(InputError, match=r"in\.jsonl:2: field 'method'"):
        run_batch(source, tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()


def test_main_is_the_module_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(_request("a")) + "\n")
    assert main([str(source), str(tmp_path / "out.jsonl")]) == 0
    assert "answered 1 requests (SIMULATED)" in capsys.readouterr().err
    assert main([str(source)]) == 2
    assert main([str(tmp_path / "missing.jsonl"), str(tmp_path / "o.jsonl")]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("afgap: error: ")
