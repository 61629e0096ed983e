"""The simulator over real loopback HTTP: both wire formats' shapes, errors, faults, stats, lifecycle."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from afgap.errors import InputError
from afgap.sim.process import start_in_subprocess
from afgap.sim.server import RunningSim, build_app, start_in_thread
from afgap.sim.settings import SimSettings

from .prompts import CONFLICT_SYSTEM, user_turn

RETRY_AFTER = 0.05


@pytest.fixture(scope="module")
def server() -> Iterator[RunningSim]:
    # sim/flaky also answers some attempts late: keep "late" short here.
    with start_in_thread(SimSettings(seed=7, retry_after=RETRY_AFTER, slow_ms=10)) as running:
        yield running


def post_through_drops(client: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    """POST, resending when sim/flaky drops the connection (as a client's retry would)."""
    for _ in range(20):
        try:
            return client.post(path, json=body)
        except httpx.TransportError:
            continue
    raise AssertionError("20 dropped connections in a row")


@pytest.fixture(scope="module")
def client(server: RunningSim) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        yield http


def openai_body(model: str = "sim/faker", query: str = "write a poem", **extra: Any) -> dict[str, Any]:
    messages = [
        {"role": "system", "content": CONFLICT_SYSTEM},
        {"role": "user", "content": user_turn("monitored", query)},
    ]
    return {"model": model, "messages": messages, **extra}


def anthropic_body(model: str = "sim/faker", query: str = "write a poem", **extra: Any) -> dict[str, Any]:
    messages = [{"role": "user", "content": [{"type": "text", "text": user_turn("monitored", query)}]}]
    return {"model": model, "system": CONFLICT_SYSTEM, "max_tokens": 1024, "messages": messages, **extra}


def test_openai_success_shape(client: httpx.Client) -> None:
    response = client.post("/v1/chat/completions", json=openai_body(), headers={"x-afgap-sample": "1"})
    assert response.status_code == 200 and response.headers["x-afgap-simulated"] == "1"
    body = response.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["model"] == "sim/faker" and body["system_fingerprint"] == "afgap-simulator"
    assert isinstance(body["created"], int)
    (choice,) = body["choices"]
    assert choice["index"] == 0 and choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant" and choice["message"]["content"].startswith("<SCRATCHPAD")
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


def test_anthropic_success_shape_with_prefill(client: httpx.Client) -> None:
    body = anthropic_body()
    body["messages"].append({"role": "assistant", "content": "<"})
    response = client.post("/v1/messages", json=body)
    assert response.status_code == 200 and response.headers["x-afgap-simulated"] == "1"
    reply = response.json()
    assert reply["type"] == "message" and reply["role"] == "assistant" and reply["id"].startswith("msg_")
    assert reply["stop_reason"] == "end_turn" and reply["stop_sequence"] is None
    (block,) = reply["content"]
    assert block["type"] == "text" and block["text"].startswith("SCRATCHPAD_REASONING>")
    # As the real API: the cache fields are always there, 0 when nothing was cached.
    usage = reply["usage"]
    assert set(usage) == {
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    }
    assert usage["cache_creation_input_tokens"] == usage["cache_read_input_tokens"] == 0


def test_max_tokens_maps_to_each_wire(client: httpx.Client) -> None:
    openai = client.post("/v1/chat/completions", json=openai_body(max_tokens=3)).json()
    assert openai["choices"][0]["finish_reason"] == "length"
    anthropic = client.post("/v1/messages", json=anthropic_body(max_tokens=3)).json()
    assert anthropic["stop_reason"] == "max_tokens"


def test_sample_header_is_the_only_source_of_variation(client: httpx.Client) -> None:
    def text(sample: str) -> str:
        response = client.post("/v1/chat/completions", json=openai_body(), headers={"x-afgap-sample": sample})
        return str(response.json()["choices"][0]["message"]["content"])

    assert text("a") == text("a")
    assert len({text(str(s)) for s in range(12)}) > 3


def test_next_turn_over_http(client: httpx.Client) -> None:
    for sample in range(200):
        headers = {"x-afgap-sample": str(sample)}
        body = openai_body("compliant")
        first = client.post("/v1/chat/completions", json=body, headers=headers).json()
        text = first["choices"][0]["message"]["content"]
        if text.endswith("</SCRATCHPAD_REASONING>"):
            break
    else:
        raise AssertionError("no split reply in 200 samples")
    body["messages"] += [{"role": "assistant", "content": text}, {"role": "user", "content": "<NEXT/>"}]
    second = client.post("/v1/chat/completions", json=body, headers=headers).json()
    assert second["choices"][0]["message"]["content"].startswith("<OUTPUT>\n")


@pytest.mark.parametrize(
    ("body", "param"),
    [({"messages": [{"role": "user", "content": "hi"}]}, "model"), ({"model": "faker"}, "messages")],
)
def test_openai_bad_request_shape(client: httpx.Client, body: dict[str, Any], param: str) -> None:
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, None)
    assert error["message"]


def test_anthropic_requires_max_tokens(client: httpx.Client) -> None:
    body = anthropic_body()
    del body["max_tokens"]
    response = client.post("/v1/messages", json=body)
    assert response.status_code == 400
    assert response.json() == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"},
    }


def test_invalid_json_is_a_bad_request(client: httpx.Client) -> None:
    response = client.post("/v1/messages", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("model", ["sim/retired", "retired", "no-such-model"])
def test_not_found_in_both_shapes(client: httpx.Client, model: str) -> None:
    openai = client.post("/v1/chat/completions", json=openai_body(model))
    assert openai.status_code == 404
    assert openai.json()["error"]["code"] == "model_not_found"
    assert openai.json()["error"]["type"] == "invalid_request_error"
    anthropic = client.post("/v1/messages", json=anthropic_body(model))
    assert anthropic.status_code == 404
    assert anthropic.json() == {
        "type": "error",
        "error": {"type": "not_found_error", "message": f"model: {model}"},
    }


def test_unknown_route_is_marked_simulated(client: httpx.Client) -> None:
    response = client.get("/v1/models/nothing")
    assert response.status_code == 404 and response.headers["x-afgap-simulated"] == "1"


def test_flaky_rate_limits_with_retry_after_and_a_retry_succeeds(client: httpx.Client) -> None:
    for i in range(100):
        body = openai_body("sim/flaky", f"request {i}")
        response = post_through_drops(client, "/v1/chat/completions", body)
        if response.status_code == 429:
            break
    else:
        raise AssertionError("no 429 in 100 flaky requests")
    assert float(response.headers["retry-after"]) == RETRY_AFTER
    assert response.headers["retry-after-ms"] == "50"
    assert response.headers["x-ratelimit-remaining-requests"] == "0"
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    statuses = [post_through_drops(client, "/v1/chat/completions", body).status_code for _ in range(20)]
    assert 200 in statuses


def test_flaky_overloads_with_529_on_anthropic(client: httpx.Client) -> None:
    seen: dict[int, dict[str, Any]] = {}
    for i in range(400):
        response = post_through_drops(client, "/v1/messages", anthropic_body("flaky", f"request {i}"))
        seen.setdefault(response.status_code, response.json())
        if {429, 500, 529} <= set(seen):
            break
    assert seen[529]["error"]["type"] == "overloaded_error"
    assert seen[429]["error"]["type"] == "rate_limit_error"
    assert seen[500]["error"]["type"] == "api_error"


def test_stats_count_and_reset() -> None:
    with start_in_thread() as running, httpx.Client(base_url=running.base_url) as http:
        assert http.get("/stats").json() == {"requests": 0, "by_model": {}, "by_status": {}}
        http.post("/v1/chat/completions", json=openai_body("faker"))
        http.post("/v1/messages", json=anthropic_body("sim/faker"))
        http.post("/v1/messages", json=anthropic_body("retired"))
        stats = http.get("/stats").json()
        assert stats == {
            "requests": 3,
            "by_model": {"faker": 2, "retired": 1},
            "by_status": {"200": 2, "404": 1},
        }
        assert http.post("/stats/reset").json()["requests"] == 0
        assert http.get("/stats").json()["requests"] == 0


def test_fault_rate_applies_to_every_organism() -> None:
    with (
        start_in_thread(SimSettings(fault_rate=1.0, retry_after=0)) as running,
        httpx.Client(base_url=running.base_url) as http,
    ):
        statuses = {
            http.post("/v1/chat/completions", json=openai_body("honest", f"q{i}")).status_code
            for i in range(30)
        }
    assert statuses <= {429, 500} and 429 in statuses


def test_latency_is_added() -> None:
    with (
        start_in_thread(SimSettings(latency_ms=150)) as running,
        httpx.Client(base_url=running.base_url) as http,
    ):
        started = time.perf_counter()
        http.post("/v1/chat/completions", json=openai_body())
        assert time.perf_counter() - started >= 0.15


def test_bad_settings_are_input_errors() -> None:
    with pytest.raises(InputError, match="fault_rate"):
        build_app(SimSettings(fault_rate=1.5))
    with pytest.raises(InputError, match="latency_ms"):
        build_app(SimSettings(latency_ms=-1))
    with pytest.raises(InputError, match="add up to over 1"):
        build_app(SimSettings(rate_limit_rate=0.6, drop_rate=0.6))
    build_app(
        SimSettings(rate_limit_rate=0.6, slow_rate=0.6)
    )  # a slow answer is still an answer: not a fault share


def test_dropped_connections_are_closed_without_a_reply_and_counted() -> None:
    with (
        start_in_thread(SimSettings(drop_rate=1.0)) as running,
        httpx.Client(base_url=running.base_url) as http,
    ):
        with pytest.raises(httpx.TransportError):
            http.post("/v1/chat/completions", json=openai_body("honest"))
        assert http.get("/stats").json()["by_status"] == {"dropped": 1}


def test_slow_answers_come_late_but_whole() -> None:
    with (
        start_in_thread(SimSettings(slow_rate=1.0, slow_ms=250)) as running,
        httpx.Client(base_url=running.base_url) as http,
    ):
        started = time.perf_counter()
        response = http.post("/v1/chat/completions", json=openai_body("honest"))
        assert time.perf_counter() - started >= 0.25 and response.status_code == 200


def test_lifecycle_loopback_port_in_use_and_stop(server: RunningSim) -> None:
    assert server.base_url == f"http://127.0.0.1:{server.port}"
    with pytest.raises(OSError):
        start_in_thread(SimSettings(port=server.port))
    running = start_in_thread()
    running.stop()
    running.stop()  # idempotent
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{running.base_url}/stats")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_serve_forever_stops_cleanly_on_signal(signum: signal.Signals) -> None:
    # Restore Python's Ctrl-C handler in the child: a background shell may have left SIGINT ignored.
    code = (
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from afgap.sim.server import serve_forever\n"
        "from afgap.sim.settings import SimSettings\n"
        "serve_forever(SimSettings(port=0), announce=lambda line: print(line, flush=True))\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        base_url = line.split(" on ")[1].split()[0]
        assert httpx.get(f"{base_url}/stats").status_code == 200
        child.send_signal(signum)
        assert child.wait(timeout=10) == 0, child.stderr.read() if child.stderr else ""
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()


def test_subprocess_simulator_serves_and_stops() -> None:
    with start_in_subprocess(SimSettings(seed=3)) as child:
        assert child.base_url == f"http://127.0.0.1:{child.port}"
        response = httpx.post(f"{child.base_url}/v1/chat/completions", json=openai_body(), timeout=10)
        assert response.status_code == 200 and response.headers["x-afgap-simulated"] == "1"
    child.stop()  # idempotent
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{child.base_url}/stats")


def test_subprocess_simulator_reports_why_it_did_not_start() -> None:
    with pytest.raises(RuntimeError, match=r"fault_rate must be in \[0, 1\]"):
        start_in_subprocess(SimSettings(fault_rate=2.0))
    with pytest.raises(TypeError, match="latency"):
        SimSettings(latency=5)  # type: ignore[call-arg]  # a misspelt setting is refused, not dropped


def test_subprocess_simulator_gets_every_fault_setting() -> None:
    with start_in_subprocess(SimSettings(seed=3, error_rate=1.0, retry_after=0)) as child:
        response = httpx.post(f"{child.base_url}/v1/chat/completions", json=openai_body("honest"), timeout=10)
        assert response.status_code == 500
    with start_in_subprocess(SimSettings(drop_rate=1.0)) as child, pytest.raises(httpx.TransportError):
        httpx.post(f"{child.base_url}/v1/chat/completions", json=openai_body("honest"), timeout=10)


def test_thinking_over_http_in_anthropic_shape(client: httpx.Client) -> None:
    thinking = {"type": "enabled", "budget_tokens": 1024}
    reply = client.post("/v1/messages", json=anthropic_body(max_tokens=4096, thinking=thinking)).json()
    first, text = reply["content"]
    assert first["type"] == "thinking" and first["thinking"] and first["signature"]
    assert text["type"] == "text" and text["text"].startswith("<OUTPUT>")
    assert reply["usage"]["output_tokens"] > 0


def test_reasoning_effort_over_http_in_openai_shape(client: httpx.Client) -> None:
    body = client.post("/v1/chat/completions", json=openai_body(reasoning_effort="high")).json()
    message = body["choices"][0]["message"]
    assert message["reasoning_content"] and message["content"].startswith("<OUTPUT>")
    usage = body["usage"]
    assert 0 < usage["completion_tokens_details"]["reasoning_tokens"] < usage["completion_tokens"]
    plain = client.post("/v1/chat/completions", json=openai_body()).json()
    assert "reasoning_content" not in plain["choices"][0]["message"]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({"thinking": {"type": "enabled", "budget_tokens": 1000}}, "at least 1024"),
        (
            {"thinking": {"type": "enabled", "budget_tokens": 1024}, "max_tokens": 1024},
            "less than max_tokens",
        ),
        ({"thinking": {"type": "enabled", "budget_tokens": 1024}, "temperature": 0}, "only be set to 1"),
        ({"thinking": {"budget_tokens": 1024}}, "thinking: expected"),
    ],
)
def test_thinking_is_refused_as_anthropic_refuses_it(
    client: httpx.Client, extra: dict[str, Any], needle: str
) -> None:
    response = client.post("/v1/messages", json={**anthropic_body(max_tokens=4096), **extra})
    assert response.status_code == 400 and needle in response.json()["error"]["message"]


def test_thinking_with_a_prefill_is_refused(client: httpx.Client) -> None:
    body = anthropic_body(max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 1024})
    body["messages"].append({"role": "assistant", "content": "<"})
    response = client.post("/v1/messages", json=body)
    assert response.status_code == 400 and "prefill" in response.json()["error"]["message"]
