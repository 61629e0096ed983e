"""What both wire formats share: afgap's own headers, the error verdict, Retry-After parsing, statuses.

Pure: plain values in, frozen values out. `classify_status` is the policy both providers apply before
looking at their own error bodies.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from afgap.engine import wirejson
from afgap.records import Completion, Message, ModelSpec, Sampling

ErrorKind = Literal["retry", "fatal", "unavailable", "auth"]

# afgap's two headers, shared by the client (here) and the simulator (afgap.sim.server): the request's
# sample index, which makes the simulator's replies differ per sample; and the mark on every simulator
# response, which makes whatever is stored from it simulated.
SAMPLE_HEADER = "x-afgap-sample"
SIMULATED_HEADER = "x-afgap-simulated"

# Statuses worth another attempt: timeouts, conflicts, rate limits, server trouble, Anthropic's 529.
RETRY_STATUSES: frozenset[int] = frozenset({408, 409, 429, 500, 502, 503, 504, 529})

_STATUS_CLASS: dict[int, str] = {
    400: "bad_request",
    401: "auth",
    403: "auth",
    404: "not_found",
    408: "timeout",
    409: "conflict",
    413: "too_large",
    422: "bad_request",
    429: "rate_limit",
    529: "overloaded",
}

# Error codes/types that mean "this model does not exist (any more) here", whatever the status.
NOT_FOUND_CODES: frozenset[str] = frozenset(
    {"model_not_found", "not_found_error", "model_not_available", "NotFoundError", "not_found"}
)


class MalformedResponse(ValueError):
    """A 2xx response whose body is not the documented shape (retried: proxies garble bodies)."""


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """A provider error's verdict: what to do next, how long to wait, and a one-line reason."""

    kind: ErrorKind
    retry_after: float | None
    message: str
    error_class: str


class WireFormat(Protocol):
    """The three pure functions (plus url/headers) every provider module exposes."""

    SUPPORTS_PREFILL: bool
    REASONING_SETTING: str | None

    def url(self, spec: ModelSpec) -> str: ...

    def headers(self, spec: ModelSpec, key: str | None) -> dict[str, str]: ...

    def to_wire(
        self, spec: ModelSpec, messages: tuple[Message, ...], sampling: Sampling, prefill: str | None
    ) -> dict[str, Any]: ...

    def from_wire(self, body: Mapping[str, Any]) -> Completion: ...

    def classify_error(self, status: int, body: Any, headers: Mapping[str, str]) -> ErrorInfo: ...


# What no stored text may hold: a lone surrogate (JSON allows "\\ud800"; UTF-8, hence SQLite, cannot
# encode it) and NUL (C tools reading the store stop at it). Paired surrogates never reach a str: the
# JSON parser joins them into one character.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"

# Larger counts are not exact in a JSON number (a double), and no reply is that long.
_MAX_COUNT = 2**53


def clean_text(text: str) -> str:
    """`text` with every lone surrogate and NUL replaced by U+FFFD, so any store or renderer takes it."""
    if text.isascii() and "\x00" not in text:  # the common case: isascii is O(1) in CPython
        return text
    return _UNSTORABLE.sub(REPLACEMENT, text)


def optional_text(value: Any) -> str | None:
    """A reply's string metadata (model id, finish reason), cleaned; None when absent or not a string."""
    return clean_text(value) if isinstance(value, str) else None


def optional_count(value: Any) -> int | None:
    """A token count: a non-negative integer up to 2**53 (12.0 counts as 12), else None, i.e. unknown.

    Odd usage fields (1e999 parses as infinity, NaN, -3, 2.5, "7") never cost the answer: the reply is
    kept and its tokens are unknown.
    """
    if type(value) is int:  # the common case, first
        return value if 0 <= value <= _MAX_COUNT else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        return None
    if not 0 <= value <= _MAX_COUNT:
        return None
    return int(value)


def status_class(status: int) -> str:
    """The error_class recorded for an HTTP status: rate_limit, server, auth, …"""
    if status in _STATUS_CLASS:
        return _STATUS_CLASS[status]
    return "server" if status >= 500 else f"http_{status}"


def classify_status(status: int, code: str | None, message: str, headers: Mapping[str, str]) -> ErrorInfo:
    """Apply afgap's retry policy to a status and the provider's error code."""
    line = one_line(f"HTTP {status}: {message}" if message else f"HTTP {status}")
    if status == 404 or (code in NOT_FOUND_CODES and status < 500):
        # Retired or unknown model: never retried, never a refusal.
        return ErrorInfo("unavailable", None, line, "not_found")
    if status in (401, 403):
        return ErrorInfo("auth", None, line, "auth")
    if status in RETRY_STATUSES or status >= 500:
        return ErrorInfo("retry", retry_after(headers), line, status_class(status))
    return ErrorInfo("fatal", None, line, status_class(status))


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace and cut to `limit` characters, so an error fits one log line (and any store)."""
    flat = " ".join(clean_text(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def error_fields(body: Any) -> tuple[str | None, str | None, str]:
    """(code, type, message) from `{"error": {...}}` bodies, also as a one-item list (Gemini)."""
    if isinstance(body, list) and body:
        body = body[0]
    if not isinstance(body, Mapping):
        return None, None, str(body)[:300] if body else ""
    err = body.get("error", body)
    if isinstance(err, str):
        return None, None, err
    if not isinstance(err, Mapping):
        return None, None, ""
    code, kind = err.get("code"), err.get("type") or err.get("status")
    msg = err.get("message") or body.get("detail") or ""
    return (str(code) if code is not None else None, str(kind) if kind else None, str(msg))


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup that works on plain dicts too."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asks us to wait: retry-after-ms, retry-after (seconds or HTTP date), reset hints."""
    ms = _number(header(headers, "retry-after-ms"))
    if ms is not None and ms >= 0:
        return ms / 1000.0
    raw = header(headers, "retry-after")
    if raw is not None:
        seconds = _number(raw)
        if seconds is None:
            seconds = _http_date_delta(raw, time.time() if now is None else now)
        # A negative wait is no hint (read as zero, it meant every retry at once): back off as usual.
        if seconds is not None and seconds >= 0:
            return seconds
    return _reset_hint(headers)


def _reset_hint(headers: Mapping[str, str]) -> float | None:
    """OpenAI's x-ratelimit-reset-* for whichever budget is exhausted (remaining == 0)."""
    waits = []
    for budget in ("requests", "tokens"):
        if header(headers, f"x-ratelimit-remaining-{budget}") == "0":
            wait = parse_duration(header(headers, f"x-ratelimit-reset-{budget}") or "")
            if wait is not None:
                waits.append(wait)
    return max(waits) if waits else None


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def parse_duration(text: str) -> float | None:
    """Seconds in a Go-style duration like `6m0s`, `1.5s`, `20ms` (OpenAI's rate-limit reset format)."""
    text = text.strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return _number(text)
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * scale[u] for n, u in parts)


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def _http_date_delta(text: str, now: float) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - now


def encode_body(body: Mapping[str, Any]) -> bytes:
    """Compact JSON bytes for a request body."""
    return wirejson.dumps(body)


def first_choice(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """`choices[0]` of an OpenAI-format reply; MalformedResponse (naming a carried error) without one."""
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        _, _, reason = error_fields(body) if "error" in body else (None, None, "no choices in response")
        raise MalformedResponse(reason or "no choices in response")
    return choices[0]
