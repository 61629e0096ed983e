"""One request body, sent until it yields a Completion or a verdict: limits, one attempt, retries.

stamina drives the retry loop (the attempt cap, the overall timeout, its retry logging and test mode);
afgap computes every wait itself (`_backoff_hook`), honouring Retry-After, and hands it to stamina as the
`on` hook's return value, which stamina uses as the backoff from version 25.2.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from afgap.engine import wirejson
from afgap.providers.clients import AttemptError, Client
from afgap.providers.wire import SIMULATED_HEADER, MalformedResponse, WireFormat, one_line
from afgap.records import Completion

if TYPE_CHECKING:  # imported where a limit is set (afgap.providers.pools): it reads its own version from
    # package metadata at import, ~10 ms of every collect's start-up
    from aiolimiter import AsyncLimiter

# stamina logs every retry at WARNING; with no logging configured Python would print each one to stderr
# over the progress display. Retries are counted in ProgressEvent instead; configured handlers still see them.
logging.getLogger("stamina").addHandler(logging.NullHandler())


# Error classes that mean "come back later" rather than "something broke": they wait as told and draw on a
# larger attempt budget, so a provider's rate-limit episode does not turn a night's calls into errors.
RATE_LIMITED = frozenset({"rate_limit", "overloaded"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds on retrying one request: attempts, total time, and the exponential backoff's shape.

    A call ends after `max_attempts` failures that are not rate limits; rate limits and overloads
    (RATE_LIMITED) may go on up to `rate_limited_attempts` attempts, all within `max_retry_time_s`.
    The wait fields shape afgap's own backoff (`_backoff_hook`); stamina is given none of them.
    """

    max_attempts: int = 6
    max_retry_time_s: float = 300.0
    wait_initial_s: float = 1.0
    wait_max_s: float = 60.0
    wait_jitter_s: float = 1.0
    # An endpoint that refuses connections is down or misconfigured, not busy: give up within seconds.
    connect_attempts: int = 3
    connect_wait_s: float = 0.5
    rate_limited_attempts: int = 30
    # A server's Retry-After is read as a wait in [0, this]; one that would end past the call's retry
    # budget gives the call up at once (an error row a rerun retries) instead of parking it.
    max_retry_after_s: float = 300.0


@dataclass(slots=True)
class Endpoint:
    """Where one provider's requests go, and what limits them."""

    client: Client
    url: str
    headers: dict[str, str]
    wire: WireFormat
    limiter: AsyncLimiter | None = None
    token_limiter: AsyncLimiter | None = None


class Reply(NamedTuple):
    """A successful exchange: the converted reply, whether the server said it is simulated, attempts used.

    A NamedTuple, not a frozen dataclass: one is made per call, and a frozen dataclass's __init__ sets
    each field through object.__setattr__ (~1 µs here against ~0.2 µs)."""

    completion: Completion
    simulated: bool
    attempts: int


async def send(
    endpoint: Endpoint,
    content: bytes,
    headers: Mapping[str, str],
    policy: RetryPolicy,
    on_retry: Callable[[], None],
) -> Reply:
    """POST `content` until it succeeds or fails for good; raises AttemptError with `.attempts` set."""
    attempts = 1
    try:
        # The first attempt skips the retry machinery: it is the common case and stamina costs ~25 µs a call.
        completion, simulated = await attempt(endpoint, content, headers)
        return Reply(completion, simulated, 1)
    except AttemptError as exc:
        if exc.kind != "retry" or policy.max_attempts <= 1:
            raise
        first: AttemptError | None = exc
    import stamina  # here: most runs never retry, and importing it (with tenacity) costs ~10 ms of start-up

    deadline = time.monotonic() + policy.max_retry_time_s
    try:
        async for trial in stamina.retry_context(
            on=_backoff_hook(deadline, policy),
            attempts=max(policy.max_attempts, policy.rate_limited_attempts),
            timeout=policy.max_retry_time_s,
            # stamina's own backoff is off: every wait is the hook's. Were a returned wait ever ignored,
            # retries would come back to back (a test catches that), not after a plausible-looking delay.
            wait_initial=0.0,
            wait_max=0.0,
            wait_jitter=0.0,
        ):
            with trial:
                if first is not None:
                    # Replay the fast path's failure through stamina, so the hook sets the first wait too.
                    failed, first = first, None
                    raise failed
                attempts += 1
                on_retry()
                completion, simulated = await attempt(endpoint, content, headers)
                return Reply(completion, simulated, attempts)
    except AttemptError as exc:
        exc.attempts = attempts
        raise
    raise AssertionError("unreachable: stamina either returns or re-raises")  # pragma: no cover


def _backoff_hook(deadline: float, policy: RetryPolicy) -> Callable[[Exception], bool | float]:
    """stamina's `on`: False to stop, else the wait in seconds before the next attempt (stamina >= 25.2).

    Waits honour the server's Retry-After; otherwise they back off exponentially (with jitter) on the
    count of failures *of that kind*, so a few 429s do not make a later 500 wait a minute. No wait may
    end past the retry deadline: a call that would have to is given up at once.
    """
    connect_failures = rate_limited = other_failures = 0

    def backoff(failures: int) -> float:
        spread = random.uniform(0.0, policy.wait_jitter_s)
        return float(min(policy.wait_max_s, policy.wait_initial_s * 2 ** (failures - 1) + spread))

    def hook(exc: Exception) -> bool | float:
        nonlocal connect_failures, rate_limited, other_failures
        if not isinstance(exc, AttemptError) or exc.kind != "retry":
            return False
        if exc.error_class in RATE_LIMITED:
            rate_limited += 1
            wait = backoff(rate_limited)
        else:
            other_failures += 1
            if other_failures >= policy.max_attempts:
                return False
            if exc.error_class == "connect":
                # An endpoint that refuses connections is down or misconfigured: give up within seconds.
                connect_failures += 1
                if connect_failures >= policy.connect_attempts:
                    return False
                wait = policy.connect_wait_s * 2 ** (connect_failures - 1)
            else:
                wait = backoff(other_failures)
        if exc.retry_after is not None:
            asked = min(max(exc.retry_after, 0.0), policy.max_retry_after_s)
            # Many calls often get the same Retry-After at once; a little jitter spreads their return.
            jitter = random.uniform(0.0, min(policy.wait_jitter_s, 0.1 * asked + 0.05))
            wait = asked + jitter
        if time.monotonic() + wait > deadline:
            if exc.retry_after is not None:
                # Say why a call that was told to wait was given up, in the row a rerun will retry.
                exc.message = one_line(
                    f"{exc.message}; Retry-After {exc.retry_after:g} s is past the retry budget"
                )
            return False
        return wait

    return hook


async def attempt(endpoint: Endpoint, content: bytes, headers: Mapping[str, str]) -> tuple[Completion, bool]:
    """One POST: the converted 2xx reply and the simulated flag, or an AttemptError carrying the verdict."""
    if endpoint.limiter is not None:
        await endpoint.limiter.acquire()
    status, response_headers, raw = await endpoint.client.post(endpoint.url, content, headers)
    simulated = SIMULATED_HEADER in response_headers
    if 200 <= status < 300:
        try:
            return endpoint.wire.from_wire(wirejson.loads(raw)), simulated
        except (ValueError, AttributeError, TypeError) as exc:
            reason = str(exc) if isinstance(exc, MalformedResponse) else "body is not the documented JSON"
            raise AttemptError("retry", "bad_response", one_line(f"HTTP {status}: {reason}")) from None
    info = endpoint.wire.classify_error(status, _decode(raw), response_headers)
    error = AttemptError(info.kind, info.error_class, info.message, info.retry_after)
    error.simulated = simulated
    raise error


def _decode(content: bytes) -> Any:
    """An error body as JSON when it is JSON, else as text (proxies answer with HTML)."""
    try:
        return wirejson.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace")
