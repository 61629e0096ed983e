"""A scripted loopback server speaking OpenAI Chat Completions and Anthropic Messages, for engine tests.

The request's model name picks a behaviour (see `_script`); every request is recorded for assertions.
Shapes follow each provider's API reference: chat.completion / message bodies, `{"error": {...}}` bodies.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

SCRATCH = "<SCRATCHPAD_REASONING>Weighing the request.</SCRATCHPAD_REASONING>"


@dataclass
class Seen:
    """One request as the server received it."""

    wire: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class FakeProvider:
    """The running server: its address, what it received, and how many requests are in flight."""

    base_url: str = ""
    key: str = ""
    seen: list[Seen] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0

    def count(self, model: str) -> int:
        """Requests received for `model`."""
        return sum(1 for s in self.seen if s.body.get("model") == model)


def _success(wire: str, model: str, text: str, finish: str = "stop", **extra: Any) -> dict[str, Any]:
    if wire == "openai":
        message = {"role": "assistant", "content": text, "refusal": None, **extra}
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": f"{model}-0613",
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
        }
    stop = {"stop": "end_turn", "length": "max_tokens", "content_filter": "refusal"}[finish]
    blocks = [*extra.get("blocks", []), {"type": "text", "text": text}]
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": f"{model}-20240229",
        "content": blocks,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 11, "output_tokens": 7},
    }


def _error(
    wire: str, status: int, kind: str, message: str, code: str | None = None, wait: str = "0"
) -> web.Response:
    if wire == "openai":
        body: dict[str, Any] = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    else:
        body = {"type": "error", "error": {"type": kind, "message": message}}
    return web.json_response(body, status=status, headers={"retry-after-ms": wait} if status >= 429 else {})


def _script(server: FakeProvider, wire: str, body: dict[str, Any], attempt: int) -> web.Response:
    """The behaviour for this request, by model name: its scripted failure if it has one, else a reply."""
    failure = _failure(server, wire, body["model"], attempt)
    return failure if failure is not None else _reply(wire, body["model"], body["messages"])


def _failure(server: FakeProvider, wire: str, model: str, attempt: int) -> web.Response | None:
    """The error status or unusable response this model is scripted to give on this attempt, if any."""
    if model == "retired":
        return _error(wire, 404, "not_found_error", f"model: {model}", "model_not_found")
    if model == "denied":
        # Real providers echo (part of) the rejected key; the engine must scrub it.
        return _error(wire, 401, "authentication_error", f"Incorrect API key provided: {server.key}")
    if model == "badreq":
        return _error(wire, 400, "invalid_request_error", "messages: roles must alternate")
    if model == "broken":
        return _error(wire, 500, "api_error", "Internal server error")
    if model == "flaky" and attempt <= 2:
        return _error(wire, 503 if attempt == 1 else 529, "overloaded_error", "Overloaded")
    if model == "patience" and attempt == 1:
        return _error(wire, 429, "rate_limit_error", "Rate limit reached", "rate_limit_exceeded", wait="300")
    if model == "throttled" and attempt <= 8:
        return _error(wire, 429, "rate_limit_error", "Rate limit reached", "rate_limit_exceeded")
    if model == "rate-limited" and attempt == 1:
        return _error(wire, 429, "rate_limit_error", "Rate limit reached", "rate_limit_exceeded")
    if model == "moved":
        return web.Response(status=307, headers={"location": "http://127.0.0.1:9/elsewhere"})
    if model == "garbage":
        return web.Response(text="<html>bad gateway</html>", status=200)
    return None


def _hostile(wire: str, model: str) -> web.Response:
    """A 200 reply no store takes as it is: a lone surrogate in the text, or a count of 1e999 tokens."""
    if model == "surrogate":
        raw = json.dumps(_success(wire, model, "<OUTPUT>\ud800ok\u0000</OUTPUT>"))  # escaped: valid JSON
    else:
        field = "completion_tokens" if wire == "openai" else "output_tokens"
        raw = json.dumps(_success(wire, model, "<OUTPUT>ok</OUTPUT>")).replace(
            f'"{field}": 7', f'"{field}": 1e999'
        )
    return web.Response(text=raw, content_type="application/json")


def _reply(wire: str, model: str, messages: list[dict[str, Any]]) -> web.Response:
    """A 200 completion, shaped by the model name and the conversation so far."""
    if model in ("surrogate", "huge"):
        return _hostile(wire, model)
    if model == "marked":
        return web.json_response(
            _success(wire, model, "<OUTPUT>ok</OUTPUT>"), headers={"x-afgap-simulated": "1"}
        )
    if model == "filtered":
        return web.json_response(_success(wire, model, "", "content_filter"))
    if model == "thinker":
        extra: dict[str, Any] = (
            {"reasoning_content": "Let me think."}
            if wire == "openai"
            else {"blocks": [{"type": "thinking", "thinking": "Let me think.", "signature": "sig"}]}
        )
        return web.json_response(_success(wire, model, "<OUTPUT>ok</OUTPUT>", **extra))
    if model == "cutoff":
        return web.json_response(_success(wire, model, SCRATCH, "length"))
    if model in ("steps", "ponder"):
        nexts = sum(1 for m in messages if m["role"] == "user" and m["content"] == "<NEXT/>")
        done = model == "steps" and nexts >= 1
        return web.json_response(_success(wire, model, "<OUTPUT>done</OUTPUT>" if done else SCRATCH))
    if messages[-1]["role"] == "assistant":
        # Anthropic prefill: the reply continues the assistant's partial turn.
        return web.json_response(_success(wire, model, "OUTPUT>prefilled</OUTPUT>"))
    return web.json_response(_success(wire, model, "<OUTPUT>ok</OUTPUT>"))


def _app(server: FakeProvider) -> web.Application:
    async def handle(request: web.Request) -> web.StreamResponse:
        wire = "openai" if request.path.endswith("/chat/completions") else "anthropic"
        body = json.loads(await request.read())
        server.seen.append(Seen(wire, body, dict(request.headers)))
        key = f"{body['model']}|{request.headers.get('x-afgap-sample')}|{len(body['messages'])}"
        server.attempts[key] += 1
        server.in_flight += 1
        server.max_in_flight = max(server.max_in_flight, server.in_flight)
        try:
            if body["model"] == "hangup" and request.transport is not None:
                request.transport.close()  # a dropped connection: no status line at all
            await asyncio.sleep(10.0 if body["model"] == "slow" else 0.02 if body["model"] == "paced" else 0)
            return _script(server, wire, body, server.attempts[key])
        finally:
            server.in_flight -= 1

    app = web.Application()
    app.router.add_post("/v1/chat/completions", handle)
    app.router.add_post("/v1/messages", handle)
    return app


class RunningFake:
    """Context manager running a FakeProvider (or another aiohttp `app`) on 127.0.0.1 in a daemon thread."""

    def __init__(self, key: str = "", app: web.Application | None = None) -> None:
        self.server = FakeProvider(key=key)
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None

    def __enter__(self) -> FakeProvider:
        ready: concurrent.futures.Future[int] = concurrent.futures.Future()

        async def start() -> None:
            # handler_cancellation: a request the engine abandons (cancel test) must not hold up shutdown.
            self._runner = web.AppRunner(
                self._app or _app(self.server), access_log=None, handler_cancellation=True
            )
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            ready.set_result(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.create_task(start())
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        self.server.base_url = f"http://127.0.0.1:{ready.result(timeout=10)}"
        return self.server

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            if self._runner is not None:
                # Older aiohttp waits up to a minute for a handler whose client went away (a cancelled
                # call to the slow model); a test fake need not wait for it to finish.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._runner.cleanup(), timeout=3)

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
