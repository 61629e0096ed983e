"""A small HTTP/1.1 server protocol for the simulator: httptools parses, a handler answers.

Why not aiohttp.web: with 256 requests in flight its request machinery cost ~90 µs a request on the
same two cores as the client being measured, enough to move the collection benchmark by a third; this
layer costs ~15 µs (docs/collection.md). It does what the simulator needs and no more: keep-alive,
pipelined requests answered in order, `Expect: 100-continue`, answers delayed by a timer (latency), and
connections dropped on purpose (a fault). Protocol errors get a 400 and the connection is closed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import cast

import httptools

# Far above any real chat request; a larger body is refused with 413 rather than buffered.
MAX_BODY_BYTES = 64 * 1024 * 1024
_REASONS: dict[int, str] = {s.value: s.phrase for s in HTTPStatus} | {529: "Overloaded"}


@dataclass(frozen=True, slots=True)
class Request:
    """One parsed request: header names lower-cased, the query string dropped from the path."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Answer:
    """What to send back (a JSON body), after how long, or whether to drop the connection instead."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    drop: bool = False


Handler = Callable[[Request], Answer]


def encode(answer: Answer, keep_alive: bool, always: Iterable[tuple[str, str]]) -> bytes:
    """The response bytes: status line, headers (the `always` ones first), JSON body."""
    reason = _REASONS.get(answer.status, "Unknown")
    lines = [f"HTTP/1.1 {answer.status} {reason}", "content-type: application/json"]
    lines += [f"{name}: {value}" for name, value in always]
    lines += [f"{name}: {value}" for name, value in answer.headers.items()]
    lines.append(f"content-length: {len(answer.body)}")
    if not keep_alive:
        lines.append("connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + answer.body


def _error_body(message: str) -> bytes:
    """An invalid_request_error body, for what the HTTP layer refuses before any handler sees it."""
    return b'{"error":{"message":"%s","type":"invalid_request_error"}}' % message.encode()


@dataclass(slots=True)
class _Slot:
    """A response waiting for its turn: pipelined requests are answered in the order they came."""

    answer: Answer
    keep_alive: bool
    ready: bool = False
    timer: asyncio.TimerHandle | None = None


class HttpProtocol(asyncio.Protocol):
    """One client connection: parse requests, ask the handler, write answers in request order."""

    def __init__(
        self, handler: Handler, always: tuple[tuple[str, str], ...], live: set[HttpProtocol]
    ) -> None:
        self._handler, self._always, self._live = handler, always, live
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._queue: deque[_Slot] = deque()
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._size = 0

    # ---- asyncio.Protocol -------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        self._live.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._live.discard(self)
        for slot in self._queue:
            if slot.timer is not None:
                slot.timer.cancel()
        self._queue.clear()

    def data_received(self, data: bytes) -> None:
        if self._transport is None or self._transport.is_closing():
            return  # refused or dropped: whatever else arrives on this connection is not read
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._refuse(400, _error_body("malformed HTTP request"))

    def abort(self) -> None:
        """Close the connection at once (server shutdown)."""
        if self._transport is not None:
            self._transport.abort()

    # ---- httptools callbacks ----------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._url, self._headers, self._body, self._size = b"", {}, [], 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        if self._headers.get("expect", "").lower() == "100-continue" and self._transport is not None:
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size <= MAX_BODY_BYTES:
            self._body.append(body)

    def on_message_complete(self) -> None:
        keep_alive = self._parser.should_keep_alive()
        if self._size > MAX_BODY_BYTES:
            answer = Answer(413, _error_body("request body too large"))
            keep_alive = False
        else:
            path = self._url.split(b"?", 1)[0].decode("latin-1")
            method = self._parser.get_method().decode("latin-1")
            answer = self._handler(Request(method, path, self._headers, b"".join(self._body)))
        slot = _Slot(answer, keep_alive)
        self._queue.append(slot)
        if answer.delay_s > 0:
            slot.timer = asyncio.get_running_loop().call_later(answer.delay_s, self._ready, slot)
        else:
            self._ready(slot)

    # ---- writing ----------------------------------------------------------------------------------
    def _ready(self, slot: _Slot) -> None:
        slot.ready, slot.timer = True, None
        while self._queue and self._queue[0].ready and self._transport is not None:
            head = self._queue.popleft()
            if head.answer.drop:
                self._transport.abort()  # a reset, as a crashed or overloaded upstream would give
                return
            self._transport.write(encode(head.answer, head.keep_alive, self._always))
            if not head.keep_alive:
                self._transport.close()
                return

    def _refuse(self, status: int, body: bytes) -> None:
        """Answer a request that cannot be parsed, then close: the stream cannot be trusted after it."""
        if self._transport is not None:
            self._transport.write(encode(Answer(status, body), False, self._always))
            self._transport.close()
