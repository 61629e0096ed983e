"""The simulator's HTTP/1.1 layer over raw sockets: keep-alive, pipelining in order, 100-continue, errors."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from afgap.sim import http
from afgap.sim.server import RunningSim, start_in_thread
from afgap.sim.settings import SimSettings

from .prompts import CONFLICT_SYSTEM, user_turn


@pytest.fixture(scope="module")
def server() -> Iterator[RunningSim]:
    with start_in_thread(SimSettings(latency_ms=100)) as running:
        yield running


def _chat_request(model: str = "honest", extra: str = "") -> bytes:
    messages = [
        {"role": "system", "content": CONFLICT_SYSTEM},
        {"role": "user", "content": user_turn("monitored", "write a poem")},
    ]
    body = json.dumps({"model": model, "max_tokens": 64, "messages": messages}).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _read_responses(sock: socket.socket, count: int) -> list[tuple[int, dict[str, str], bytes]]:
    """Read `count` whole responses (status, lower-cased headers, body) from a socket."""
    buffer, out = b"", []
    while len(out) < count:
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                return out
            buffer += chunk
        head, buffer = buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:])
        size = int(headers.get("content-length", "0"))
        while len(buffer) < size:
            buffer += sock.recv(65536)
        out.append((int(lines[0].split()[1]), headers, buffer[:size]))
        buffer = buffer[size:]
    return out


def _connect(server: RunningSim) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return sock


def test_pipelined_requests_are_answered_in_order(server: RunningSim) -> None:
    # The chat answer waits 100 ms (latency); the stats answer is immediate, yet must come second.
    with _connect(server) as sock:
        sock.sendall(_chat_request() + b"GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")
        (status1, headers1, body1), (status2, _, body2) = _read_responses(sock, 2)
    assert status1 == 200 and json.loads(body1)["object"] == "chat.completion"
    assert status2 == 200 and "requests" in json.loads(body2)
    assert headers1["x-afgap-simulated"] == "1"


def test_keep_alive_serves_many_requests_on_one_connection(server: RunningSim) -> None:
    with _connect(server) as sock:
        for _ in range(3):
            sock.sendall(b"GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")
            [(status, headers, _)] = _read_responses(sock, 1)
            assert status == 200 and "connection" not in headers


def test_expect_100_continue_is_answered_before_the_body(server: RunningSim) -> None:
    request = _chat_request(extra="Expect: 100-continue\r\n")
    head, body = request.split(b"\r\n\r\n", 1)
    with _connect(server) as sock:
        sock.sendall(head + b"\r\n\r\n")
        assert sock.recv(64).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(body)
        [(status, _, _)] = _read_responses(sock, 1)
    assert status == 200


def test_connection_close_is_honoured(server: RunningSim) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        [(status, headers, _)] = _read_responses(sock, 1)
        assert status == 200 and headers["connection"] == "close"
        assert sock.recv(1) == b""  # the server closed its end


def test_malformed_http_gets_400_and_the_connection_closes(server: RunningSim) -> None:
    with _connect(server) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        [(status, headers, body)] = _read_responses(sock, 1)
        assert status == 400 and headers["x-afgap-simulated"] == "1"
        assert json.loads(body)["error"]["type"] == "invalid_request_error"
        assert sock.recv(1) == b""


def test_an_oversized_body_gets_413(server: RunningSim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "MAX_BODY_BYTES", 100)
    with _connect(server) as sock:
        sock.sendall(_chat_request())
        [(status, _, _)] = _read_responses(sock, 1)
        assert status == 413 and sock.recv(1) == b""


def test_wrong_method_is_405_and_unknown_path_404(server: RunningSim) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /v1/messages HTTP/1.1\r\nHost: x\r\n\r\nGET /nope?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        (wrong, _, _), (missing, _, body) = _read_responses(sock, 2)
    assert (wrong, missing) == (405, 404) and "/nope" in json.loads(body)["error"]["message"]


def test_encode_marks_every_response_and_counts_the_body() -> None:
    raw = http.encode(http.Answer(529, b"{}", {"retry-after": "1"}), False, (("x-afgap-simulated", "1"),))
    head, body = raw.split(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 529 Overloaded" and body == b"{}"
    assert {"x-afgap-simulated: 1", "retry-after: 1", "content-length: 2", "connection: close"} <= set(lines)
