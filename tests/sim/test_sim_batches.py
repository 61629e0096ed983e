"""The simulator's batch APIs over real loopback HTTP: OpenAI files and batches, Anthropic message batches."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from afgap.sim.server import RunningSim, start_in_thread
from afgap.sim.settings import SimSettings

DELAY_S = 0.3


@pytest.fixture
def server() -> Iterator[RunningSim]:
    with start_in_thread(SimSettings(seed=3, batch_delay_s=DELAY_S)) as running:
        yield running


def _chat(model: str, text: str) -> dict[str, object]:
    return {"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": text}]}


def _wait_ended(client: httpx.Client, path: str, key: str, ended: str) -> dict[str, object]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        body: dict[str, object] = client.get(path).json()
        if body[key] == ended:
            return body
        time.sleep(0.05)
    raise AssertionError(f"{path} did not end")


def test_openai_batch_from_upload_to_results(server: RunningSim) -> None:
    lines = [
        {"custom_id": f"id{i}", "method": "POST", "url": "/v1/chat/completions", "body": _chat("faker", "hi")}
        for i in range(3)
    ]
    content = "".join(json.dumps(line) + "\n" for line in lines).encode()
    with httpx.Client(base_url=server.base_url) as client:
        upload = client.post("/v1/files", data={"purpose": "batch"}, files={"file": ("in.jsonl", content)})
        assert upload.status_code == 200
        create = {"input_file_id": upload.json()["id"], "endpoint": "/v1/chat/completions"}
        batch = client.post("/v1/batches", json={**create, "completion_window": "24h"}).json()
        assert batch["status"] == "in_progress" and batch["output_file_id"] is None
        done = _wait_ended(client, f"/v1/batches/{batch['id']}", "status", "completed")
        assert done["error_file_id"] is None
        output = client.get(f"/v1/files/{done['output_file_id']}/content")
        assert output.headers["x-afgap-simulated"] == "1"
        results = [json.loads(line) for line in output.text.splitlines()]
        assert sorted(r["custom_id"] for r in results) == ["id0", "id1", "id2"]
        assert all(r["response"]["status_code"] == 200 for r in results)
        assert results[0]["response"]["body"]["choices"][0]["message"]["content"]
        assert client.get("/stats/batches").json() == {"batches": 1, "items": 3, "resubmitted": 0, "files": 2}
        assert client.get("/v1/batches/batch_nope").status_code == 404


def test_anthropic_batch_ends_after_the_delay_with_a_results_url(server: RunningSim) -> None:
    requests = [{"custom_id": f"r{i}", "params": _chat("faker", "hi")} for i in range(2)]
    with httpx.Client(base_url=server.base_url) as client:
        started = time.monotonic()
        batch = client.post("/v1/messages/batches", json={"requests": requests}).json()
        assert batch["processing_status"] == "in_progress"
        done = _wait_ended(client, f"/v1/messages/batches/{batch['id']}", "processing_status", "ended")
        assert time.monotonic() - started >= DELAY_S
        results = [json.loads(line) for line in client.get(str(done["results_url"])).text.splitlines()]
        assert [r["result"]["type"] for r in results] == ["succeeded", "succeeded"]
        assert results[0]["result"]["message"]["content"][0]["type"] == "text"
        bad = client.post("/v1/messages/batches", json={"requests": [{"custom_id": "a b", "params": {}}]})
        assert bad.status_code == 400


def test_expired_items_expire_only_the_first_time_they_are_submitted() -> None:
    requests = [{"custom_id": f"x{i}", "params": _chat("faker", "hi")} for i in range(40)]
    with (
        start_in_thread(SimSettings(batch_expire_rate=0.5)) as running,
        httpx.Client(base_url=running.base_url) as client,
    ):

        def kinds() -> list[str]:
            batch = client.post("/v1/messages/batches", json={"requests": requests}).json()
            done = client.get(f"/v1/messages/batches/{batch['id']}").json()
            return [
                json.loads(x)["result"]["type"] for x in client.get(done["results_url"]).text.splitlines()
            ]

        first = kinds()
        assert 5 < first.count("expired") < 35
        assert kinds().count("expired") == 0
        assert client.get("/stats/batches").json()["resubmitted"] == 40
