"""The retry hook: separate budgets for rate limits and failures, waits per kind, the deadline."""

from __future__ import annotations

import time

from afgap.providers.clients import AttemptError
from afgap.providers.transport import RetryPolicy, _backoff_hook

POLICY = RetryPolicy(max_attempts=3, wait_initial_s=1.0, wait_max_s=60.0, wait_jitter_s=0.5)


def _error(error_class: str, retry_after: float | None = None) -> AttemptError:
    return AttemptError("retry", error_class, "x", retry_after)


def test_rate_limits_do_not_lengthen_the_backoff_of_a_later_failure() -> None:
    hook = _backoff_hook(time.monotonic() + 300, POLICY)
    waits = [hook(_error("rate_limit")) for _ in range(6)]
    assert all(isinstance(w, float) for w in waits) and waits[-1] >= 32.0  # their own backoff grows
    first_failure = hook(_error("server"))
    assert isinstance(first_failure, float) and 1.0 <= first_failure <= 1.5


def test_failures_stop_at_max_attempts_rate_limits_do_not() -> None:
    hook = _backoff_hook(time.monotonic() + 300, POLICY)
    assert [hook(_error("server")) is not False for _ in range(3)] == [True, True, False]
    assert hook(_error("overloaded", retry_after=0.0)) is not False  # a different budget


def test_retry_after_is_the_wait_and_the_deadline_binds() -> None:
    hook = _backoff_hook(time.monotonic() + 10, POLICY)
    wait = hook(_error("rate_limit", retry_after=2.0))
    assert isinstance(wait, float) and 2.0 <= wait <= 2.25
    assert hook(_error("rate_limit", retry_after=30.0)) is False  # would end past the deadline


def test_fatal_errors_are_never_retried() -> None:
    hook = _backoff_hook(time.monotonic() + 300, POLICY)
    assert hook(AttemptError("fatal", "bad_request", "x")) is False
    assert hook(ValueError("not ours")) is False


def test_a_huge_retry_after_is_clamped_and_gives_the_call_up_at_once() -> None:
    policy = RetryPolicy(max_retry_after_s=20.0, wait_jitter_s=0.5)
    roomy = _backoff_hook(time.monotonic() + 300, policy)
    wait = roomy(_error("rate_limit", retry_after=1e9))
    assert isinstance(wait, float) and 20.0 <= wait <= 20.5  # clamped to the maximum, not 31 years
    tight = _backoff_hook(time.monotonic() + 10, policy)
    error = _error("rate_limit", retry_after=1e9)
    assert tight(error) is False
    assert error.message == "x; Retry-After 1e+09 s is past the retry budget"
