"""The simulator's HTTP server: OpenAI Chat Completions and Anthropic Messages on loopback.

Routes: `POST /v1/chat/completions`, `POST /v1/completions`, `POST /v1/messages`, `GET /stats`,
`POST /stats/reset` (which also empties the prompt cache, sim/prompt_cache.py), `GET /stats/batches`, and
`GET /received` (the last request bodies, for tests and debugging); the batch APIs' routes are
sim/batches.py's. The request's `model` names the organism (`faker` or `sim/faker`); the optional
`x-afgap-sample` header is the sample key. Every response carries
`x-afgap-simulated: 1`. Base URLs for clients: OpenAI-style `{base_url}/v1`, Anthropic-style
`{base_url}`. The HTTP layer is `sim/http.py`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import signal
import sys
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from afgap.engine import wirejson
from afgap.engine.eventloop import new_event_loop, run
from afgap.providers.wire import SAMPLE_HEADER, SIMULATED_HEADER
from afgap.sim import completions, organisms, shapes
from afgap.sim import judge as sim_judge
from afgap.sim.batches import SimBatches
from afgap.sim.http import Answer, HttpProtocol, Request
from afgap.sim.organisms import Fault, Wire
from afgap.sim.prompt_cache import PromptCache
from afgap.sim.settings import SimSettings

HOST = "127.0.0.1"
# The default listen backlog (100-128) drops SYNs when hundreds of clients connect at once, and each
# dropped SYN costs the client a 1 s retransmit; collection opens up to 256+ connections together.
_BACKLOG = 2048
# Forget attempt counts past this many distinct requests, so a long `sim serve` cannot grow without bound.
_MAX_TRACKED = 200_000
# Request bodies kept for GET /received: the newest ones, so memory stays bounded however long it serves.
_MAX_RECEIVED = 256


@dataclass
class _Counters:
    """Request counts for /stats, and per-request attempt numbers for transient faults."""

    requests: int = 0
    by_model: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    attempts: dict[str, int] = field(default_factory=dict)

    def record(self, model: str, status: int | str) -> None:
        self.requests += 1
        if model:
            self.by_model[organisms.organism_name(model)] += 1
        self.by_status[str(status)] += 1

    def next_attempt(self, key: str) -> int:
        if len(self.attempts) >= _MAX_TRACKED:
            self.attempts.clear()
        attempt = self.attempts.get(key, 0) + 1
        self.attempts[key] = attempt
        return attempt

    def snapshot(self) -> dict[str, Any]:
        return {"requests": self.requests, "by_model": dict(self.by_model), "by_status": dict(self.by_status)}


class Simulator:
    """Routes requests and answers them: the organisms behind both wire formats, and /stats."""

    def __init__(self, settings: SimSettings) -> None:
        self.settings = settings
        self.counters = _Counters()
        self.received: deque[tuple[str, bytes]] = deque(maxlen=_MAX_RECEIVED)
        self.prompt_cache = PromptCache()
        self.batches = SimBatches(settings, self.batch_item)
        self._routes: dict[str, tuple[str, Callable[[Request], Answer]]] = {
            "/v1/chat/completions": ("POST", lambda r: self._chat(r, "openai")),
            "/v1/completions": ("POST", self._completion),
            "/received": ("GET", lambda _: _json(200, self._received())),
            "/v1/messages": ("POST", lambda r: self._chat(r, "anthropic")),
            "/stats": ("GET", lambda _: _json(200, self.counters.snapshot())),
            "/stats/batches": ("GET", lambda _: _json(200, self.batches.counts())),
            "/stats/reset": ("POST", self._stats_reset),
        }

    def __call__(self, request: Request) -> Answer:
        """The answer to one request (the HTTP layer adds the simulated mark to every response)."""
        route = self._routes.get(request.path)
        if route is None:
            batch = self.batches.handle(request)
            return (
                batch
                if batch is not None
                else _json(404, _error(f"Invalid URL ({request.method} {request.path})"))
            )
        method, action = route
        if request.method != method:
            return _json(405, _error(f"use {method} for {request.path}"))
        if method == "POST" and request.path.startswith("/v1/"):
            self.received.append((request.path, request.body))  # bytes already in memory: no copy
        return action(request)

    def _chat(self, request: Request, wire: Wire) -> Answer:
        settings, model = self.settings, ""
        delay, drop = settings.latency_ms / 1000, False
        try:
            # A bad encoding is a ValueError like bad JSON.
            chat = shapes.parse_request(wire, wirejson.loads(request.body))
        except shapes.BadRequest as exc:
            status, body, headers = shapes.bad_request(wire, exc)
        except ValueError:
            status, body, headers = shapes.bad_request(wire, shapes.BadRequest("Body is not valid JSON."))
        else:
            model = chat.model
            status, body, headers, slow, drop = _answer(
                settings, self.counters, wire, chat, request.headers.get(SAMPLE_HEADER, "")
            )
            if status == 200:
                body["usage"] = self.prompt_cache.usage(wire, chat, body["usage"])
            delay += slow
        self.counters.record(model, "dropped" if drop else status)
        return Answer(status, wirejson.dumps(body), headers, delay, drop)

    def batch_item(self, wire: Wire, body: Any, sample_key: str) -> tuple[int, dict[str, Any]]:
        """One batch item's (status, body), answered as a live call would be (a dropped one is a 500)."""
        try:
            chat = shapes.parse_request(wire, body)
        except shapes.BadRequest as exc:
            status, reply, _ = shapes.bad_request(wire, exc)
            return status, reply
        status, reply, _, _, drop = _answer(self.settings, self.counters, wire, chat, sample_key)
        return (500, _error("the server dropped this request")) if drop else (status, reply)

    def _completion(self, request: Request) -> Answer:
        """A base model's continuation of a prompt (no transient faults: the chat routes exercise those)."""
        model, sample_key = "", request.headers.get(SAMPLE_HEADER, "")
        try:
            parsed = completions.parse_request(wirejson.loads(request.body))
        except shapes.BadRequest as exc:
            status, body, headers = shapes.bad_request("openai", exc)
        except ValueError:
            status, body, headers = shapes.bad_request("openai", shapes.BadRequest("Body is not valid JSON."))
        else:
            model = parsed.model
            result = completions.respond(parsed, seed=self.settings.seed, sample_key=sample_key)
            if isinstance(result, Fault):
                status, body, headers = shapes.fault("openai", model, result)
            else:
                status, body, headers = completions.success(model, result, parsed.stop)
        self.counters.record(model, status)
        return Answer(status, wirejson.dumps(body), headers, self.settings.latency_ms / 1000)

    def _received(self) -> dict[str, Any]:
        """The kept request bodies, oldest first (a body that is not JSON is shown as null)."""
        out = []
        for path, raw in list(self.received):
            try:
                body = wirejson.loads(raw)
            except ValueError:
                body = None
            out.append({"path": path, "body": body})
        return {"received": out}

    def _stats_reset(self, _: Request) -> Answer:
        self.received.clear()
        self.prompt_cache.clear()
        counters = self.counters
        counters.requests = 0
        counters.by_model.clear()
        counters.by_status.clear()
        return _json(200, counters.snapshot())


def _json(status: int, body: dict[str, Any]) -> Answer:
    return Answer(status, wirejson.dumps(body))


def _error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}


def build_app(settings: SimSettings | None = None) -> Simulator:
    """The simulator's request handler with checked settings, ready to serve (or to call directly)."""
    settings = settings or SimSettings()
    settings.check()
    return Simulator(settings)


# (status, body, headers, extra delay in s, drop the connection)
_Outcome = tuple[int, dict[str, Any], dict[str, str], float, bool]


def _answer(
    settings: SimSettings, counters: _Counters, wire: Wire, chat: shapes.ChatRequest, sample_key: str
) -> _Outcome:
    """A transient fault if one is due, else the organism's reply (or its own fault)."""
    if organisms.organism_name(chat.model) == sim_judge.NAME:
        # The judge organism answers afgap's judge prompts; it has no faults of its own.
        reply = sim_judge.respond(chat.messages, seed=settings.seed, sample_key=sample_key)
        return (*shapes.success(wire, chat.model, reply), 0.0, False)
    slow = 0.0
    extra = settings.rate_limit_rate + settings.error_rate + settings.drop_rate + settings.slow_rate
    if organisms.may_fault(chat.model, settings.fault_rate, extra):
        key = organisms.request_key(chat.model, chat.messages, sample_key)
        attempt = counters.next_attempt(key)
        if organisms.is_slow(chat.model, key, seed=settings.seed, attempt=attempt, slow=settings.slow_rate):
            slow = settings.slow_ms / 1000
        found = _transient_fault(settings, wire, chat.model, key, attempt)
        if found is not None and found.kind == "dropped":
            return 0, {}, {}, slow, True
        if found is not None:
            return (*shapes.fault(wire, chat.model, found), slow, False)
    result = organisms.respond(
        chat.model,
        chat.messages,
        seed=settings.seed,
        sample_key=sample_key,
        max_tokens=chat.max_tokens,
        reasoning=chat.reasoning,
    )
    if isinstance(result, Fault):
        return (*shapes.fault(wire, chat.model, result), slow, False)
    return (*shapes.success(wire, chat.model, result), slow, False)


def _transient_fault(settings: SimSettings, wire: Wire, model: str, key: str, attempt: int) -> Fault | None:
    """This attempt's server-wide or organism fault, if one is due."""
    return organisms.transient_fault(
        model,
        key,
        seed=settings.seed,
        attempt=attempt,
        wire=wire,
        fault_rate=settings.fault_rate,
        retry_after=settings.retry_after,
        rate_limit=settings.rate_limit_rate,
        server_error=settings.error_rate,
        dropped=settings.drop_rate,
    )


async def _start(sim: Simulator) -> tuple[asyncio.Server, set[HttpProtocol], int]:
    """Bind the simulator on loopback; the bound port is the real one when the settings' port is 0."""
    live: set[HttpProtocol] = set()
    always = ((SIMULATED_HEADER, "1"),)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: HttpProtocol(sim, always, live), HOST, sim.settings.port, backlog=_BACKLOG, reuse_address=True
    )
    return server, live, int(server.sockets[0].getsockname()[1])


async def _stop(server: asyncio.Server, live: set[HttpProtocol]) -> None:
    """Stop listening and drop every open (keep-alive) connection, so shutdown never waits on clients."""
    server.close()
    for connection in list(live):
        connection.abort()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(server.wait_closed(), timeout=5)


class RunningSim:
    """A simulator serving from a daemon thread with its own event loop; a context manager."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, thread: threading.Thread, port: int, sim: Simulator
    ) -> None:
        self._loop, self._thread, self.port, self.simulator = loop, thread, port, sim
        self.base_url = f"http://{HOST}:{port}"

    def stop(self) -> None:
        """Stop serving and wait for the thread to finish; safe to call twice."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def __enter__(self) -> RunningSim:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_in_thread(settings: SimSettings | None = None) -> RunningSim:
    """Start the simulator on 127.0.0.1 in a daemon thread and return once it accepts connections."""
    sim = build_app(settings)
    loop = new_event_loop()
    ready: concurrent.futures.Future[int] = concurrent.futures.Future()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            server, live, bound = loop.run_until_complete(_start(sim))
        except BaseException as exc:  # e.g. port in use: hand it to the caller's thread
            ready.set_exception(exc)
            loop.close()
            return
        ready.set_result(bound)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(_stop(server, live))
            loop.close()

    thread = threading.Thread(target=serve, name="afgap-sim", daemon=True)
    thread.start()
    return RunningSim(loop, thread, ready.result(timeout=30), sim)


def serve_forever(settings: SimSettings, announce: Callable[[str], None] | None = None) -> None:
    """Serve on 127.0.0.1 until Ctrl-C or SIGTERM; `announce` gets the base URL line (default: stderr)."""
    sim = build_app(settings)
    say = announce or (lambda line: print(line, file=sys.stderr, flush=True))
    # Ctrl-C is how this is meant to end; the server is closed when the task is cancelled.
    with contextlib.suppress(KeyboardInterrupt):
        run(_serve_until_stopped(sim, say))


async def _serve_until_stopped(sim: Simulator, say: Callable[[str], None]) -> None:
    server, live, bound = await _start(sim)
    stopped = asyncio.Event()
    # SIGTERM ends the server as cleanly as Ctrl-C; not available off the main thread or on Windows.
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    try:
        say(f"afgap simulator (SIMULATED models) on http://{HOST}:{bound} — Ctrl-C to stop")
        await stopped.wait()
    finally:
        await _stop(server, live)
