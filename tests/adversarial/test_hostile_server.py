"""`afgap collect` against a provider that answers every way it should not, over real loopback HTTP.

Each case: the collect ends with exit 0 or 3, stores every planned call exactly once (an ok or an error
row), prints no traceback, and a rerun sends nothing for the calls stored ok.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial.conftest import assert_clean_exit
from tests.adversarial.hostile_server import HOSTILE, Hostile, running_hostile
from tests.conftest import SENTINEL_KEY

PLANNED = 2  # --limit 1: one query under both conditions
# The status every call of a case must end with: a reply we can read is kept, anything else is an error row.
EXPECTED = {
    "surrogate": "ok",
    "nul": "ok",
    "tokens-1e999": "ok",
    "tokens-negative": "ok",
    "tokens-fraction": "ok",
    "tokens-string": "ok",
    "tokens-huge": "ok",
    "no-choices": "error",
    "choices-object": "error",
    "content-number": "ok",
    "content-list": "ok",
    "content-object": "ok",
    "empty-body": "error",
    "truncated-json": "error",
    "html": "error",
    "error-200": "error",
    "retry-after-negative": "ok",
    "retry-after-abc": "ok",
    "retry-after-date": "ok",
    "retry-after-1e9": "error",
    "server-500": "error",
    "huge-reply": "ok",
    "slow-drip": "error",
    "connection-reset": "error",
    "wrong-blocks": "ok",
}
ANTHROPIC_ONLY = {"wrong-blocks"}
OPENAI_ONLY = {"no-choices", "choices-object"}
# Failures below the wire format (status, headers, bytes, the connection): the Anthropic run of each adds
# little, so it waits for the slow run.
TRANSPORT = {
    "empty-body",
    "truncated-json",
    "html",
    "server-500",
    "slow-drip",
    "connection-reset",
    *(name for name in HOSTILE if name.startswith("retry-after")),
}


def _case(wire: str, name: str) -> Any:
    slow = wire == "anthropic" and name in TRANSPORT
    return pytest.param(
        wire, name, id=f"{wire.split('/')[0]}-{name}", marks=[pytest.mark.slow] if slow else []
    )


CASES = [
    _case(wire, name)
    for name in HOSTILE
    for wire in ("openai-api/local", "anthropic")
    if not (wire == "anthropic" and name in OPENAI_ONLY)
    and not (wire != "anthropic" and name in ANTHROPIC_ONLY)
]
# Seconds per attempt: short where the server never finishes, so six attempts stay quick.
TIMEOUTS = {"slow-drip": "0.1"}


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[Hostile]:
    with running_hostile() as server:
        yield server


@pytest.fixture
def hostile(hostile_server: Hostile) -> Hostile:
    """The module's server, its attempt counts reset: each test starts from a first attempt."""
    hostile_server.attempts.clear()
    return hostile_server


@pytest.fixture
def no_backoff() -> Iterator[None]:
    import stamina

    with stamina.set_testing(True, attempts=100, cap=True):
        yield


def _env(server: Hostile) -> dict[str, str]:
    return {
        "LOCAL_BASE_URL": f"{server.base_url}/v1",
        "LOCAL_API_KEY": SENTINEL_KEY,
        "ANTHROPIC_BASE_URL": server.base_url,
        "ANTHROPIC_API_KEY": SENTINEL_KEY,
    }


def _rows(db: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT request_hash, status, text FROM responses").fetchall()
    conn.close()
    return rows


def test_every_behaviour_has_an_expectation() -> None:
    assert set(EXPECTED) == set(HOSTILE)


@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize(("wire", "name"), CASES)
def test_a_hostile_provider_never_breaks_a_collect(
    cli: Any, db: Path, hostile: Hostile, wire: str, name: str
) -> None:
    args = ["collect", "-m", f"{wire}/{name}", "--limit", "1", "-q", "--db", str(db)]
    args += ["--timeout", TIMEOUTS.get(name, "5")]
    result = cli(*args, env=_env(hostile))
    assert_clean_exit(result, (0, 3))
    assert SENTINEL_KEY not in result.stderr + result.stdout
    rows = _rows(db)
    assert len(rows) == len({r[0] for r in rows}) == PLANNED
    assert {status for _, status, _ in rows} == {EXPECTED[name]}, rows[0][1:]
    assert result.exit_code == (0 if EXPECTED[name] == "ok" else 3)
    before = len(hostile.sent)
    again = cli(*args, env=_env(hostile))
    assert_clean_exit(again, (0, 3))
    resent = len(hostile.sent) - before
    errors = sum(status != "ok" for _, status, _ in rows)
    assert resent == 0 if errors == 0 else resent > 0  # only error rows are asked again
    assert len(_rows(db)) == PLANNED


def test_a_retry_after_of_1e9_seconds_is_not_slept(cli: Any, db: Path, hostile: Hostile) -> None:
    # Real waits here (no stamina test mode): the call must be given up, not parked for 31 years.
    start = time.monotonic()
    args = ["collect", "-m", "openai-api/local/retry-after-1e9", "--limit", "1", "-q", "--db", str(db)]
    result = cli(*args, env=_env(hostile))
    assert time.monotonic() - start < 10
    assert_clean_exit(result, (3,))
    assert [status for _, status, _ in _rows(db)] == ["error"] * PLANNED
    with sqlite3.connect(db) as conn:
        messages = {m for (m,) in conn.execute("SELECT error_message FROM responses")}
    conn.close()
    assert [m.split(": ", 1)[1] for m in messages] == [
        "HTTP 429: Rate limit reached; Retry-After 1e+09 s is past the retry budget"
    ]
