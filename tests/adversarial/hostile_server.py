"""A loopback server that answers every request the way a hostile or broken provider might.

The request's model name (after the last `/`) picks the behaviour; HOSTILE lists them. Both wire formats
are served: OpenAI Chat Completions on /v1/chat/completions, Anthropic Messages on /v1/messages.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fake_provider import RunningFake, _success

Handler = Callable[[web.Request, str, int], Awaitable[web.StreamResponse]]


@dataclass
class Hostile:
    """What the server received: one request-body digest per attempt, in order."""

    base_url: str = ""
    sent: list[str] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)


def _ok(wire: str, text: Any = "<OUTPUT>ok</OUTPUT>", **usage: Any) -> dict[str, Any]:
    body = _success(wire, "hostile", "<OUTPUT>ok</OUTPUT>")
    if wire == "openai":
        body["choices"][0]["message"]["content"] = text
    else:
        body["content"] = text if isinstance(text, list) else [{"type": "text", "text": text}]
    body["usage"].update(usage)
    return body


def _raw(text: str | bytes, status: int = 200, **headers: str) -> web.Response:
    data = text.encode() if isinstance(text, str) else text
    return web.Response(body=data, status=status, content_type="application/json", headers=headers)


def _tokens(wire: str, literal: str) -> web.Response:
    """A success whose output token count is `literal`, spliced in as raw JSON (1e999 is no Python float)."""
    name = "completion_tokens" if wire == "openai" else "output_tokens"
    return _raw(json.dumps(_ok(wire)).replace(f'"{name}": 7', f'"{name}": {literal}'))


def _limited(header: str, value: str) -> Handler:
    """429 with this Retry-After on the first attempt, a success after it."""

    async def handle(request: web.Request, wire: str, attempt: int) -> web.StreamResponse:
        if attempt > 1:
            return web.json_response(_ok(wire))
        body = {"error": {"message": "Rate limit reached", "type": "rate_limit_error", "code": None}}
        return web.json_response(body, status=429, headers={header: value})

    return handle


def _always(make: Callable[[str], web.StreamResponse]) -> Handler:
    async def handle(request: web.Request, wire: str, attempt: int) -> web.StreamResponse:
        return make(wire)

    return handle


async def _drip(request: web.Request, wire: str, attempt: int) -> web.StreamResponse:
    """A valid body sent a few bytes at a time, far slower than any sane timeout."""
    response = web.StreamResponse(headers={"content-type": "application/json"})
    await response.prepare(request)
    for _ in range(50):
        await response.write(b" ")
        await asyncio.sleep(0.1)
    await response.write(json.dumps(_ok(wire)).encode())
    return response


async def _reset(request: web.Request, wire: str, attempt: int) -> web.StreamResponse:
    if request.transport is not None:
        request.transport.abort()  # RST, not a polite close
    return web.Response()


def _http_date(seconds: float) -> str:
    return email.utils.formatdate(time.time() + seconds, usegmt=True)


HOSTILE: dict[str, Handler] = {
    "surrogate": _always(lambda w: _raw(json.dumps(_ok(w, "<OUTPUT>\ud800ok</OUTPUT>")))),
    "nul": _always(lambda w: _raw(json.dumps(_ok(w, "<OUTPUT>a\u0000b</OUTPUT>")))),
    "tokens-1e999": _always(lambda w: _tokens(w, "1e999")),
    "tokens-negative": _always(lambda w: _tokens(w, "-1")),
    "tokens-fraction": _always(lambda w: _tokens(w, "1.5")),
    "tokens-string": _always(lambda w: _tokens(w, '"12"')),
    "tokens-huge": _always(lambda w: _tokens(w, "1" + "0" * 40)),
    "no-choices": _always(lambda w: web.json_response({"id": "x", "object": "chat.completion"})),
    "choices-object": _always(
        lambda w: web.json_response({"choices": {"0": {"message": {"content": "hi"}}}})
    ),
    "content-number": _always(lambda w: web.json_response(_ok(w, 42))),
    "content-list": _always(
        lambda w: web.json_response(_ok(w, [1, {"text": 5}, {"type": "text", "text": "x"}]))
    ),
    "content-object": _always(lambda w: web.json_response(_ok(w, {"text": "<OUTPUT>ok</OUTPUT>"}))),
    "empty-body": _always(lambda w: _raw("")),
    "truncated-json": _always(lambda w: _raw(json.dumps(_ok(w))[:40])),
    "html": _always(lambda w: web.Response(text="<html><body>502 Bad Gateway</body></html>")),
    "error-200": _always(lambda w: web.json_response({"error": {"message": "quota \x1b[31m", "type": "x"}})),
    "retry-after-negative": _limited("retry-after", "-5"),
    "retry-after-abc": _limited("retry-after", "abc"),
    "retry-after-date": _limited("retry-after", _http_date(1)),
    "retry-after-1e9": _limited("retry-after", "1e9"),
    "server-500": _always(lambda w: _raw('{"error": {"message": "boom"}}', status=500)),
    "huge-reply": _always(lambda w: web.json_response(_ok(w, "<OUTPUT>" + "A" * 10_000_000 + "</OUTPUT>"))),
    "slow-drip": _drip,
    "connection-reset": _reset,
    "wrong-blocks": _always(
        lambda w: web.json_response(
            _ok(w, [{"type": "image"}, {"type": "text", "text": 5}, "plain", {"type": "text", "text": "ok"}])
        )
    ),
}


def _app(state: Hostile) -> web.Application:
    async def handle(request: web.Request) -> web.StreamResponse:
        wire = "openai" if request.path.endswith("/chat/completions") else "anthropic"
        raw = await request.read()
        digest = hashlib.sha256(raw).hexdigest()
        state.sent.append(digest)
        state.attempts[digest] += 1
        behaviour = json.loads(raw)["model"].rsplit("/", 1)[-1]
        return await HOSTILE[behaviour](request, wire, state.attempts[digest])

    app = web.Application(client_max_size=1 << 24)
    app.router.add_post("/v1/chat/completions", handle)
    app.router.add_post("/v1/messages", handle)
    return app


@contextmanager
def running_hostile() -> Iterator[Hostile]:
    """The hostile server on a free loopback port, in a daemon thread."""
    state = Hostile()
    with RunningFake(app=_app(state)) as server:
        state.base_url = server.base_url
        yield state
