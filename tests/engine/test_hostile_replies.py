"""A collect against replies no store takes as they are: it finishes, stores each call once, reruns none."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.engine.test_run import env_for
from tests.fake_provider import FakeProvider

pytestmark = pytest.mark.usefixtures("no_backoff")


@pytest.mark.parametrize("prefix", ["openai-api/local", "anthropic"])
def test_a_lone_surrogate_and_1e999_tokens_never_stop_a_collect(
    cli: Any, db: Path, fake: FakeProvider, prefix: str
) -> None:
    args = ["collect", "-m", f"{prefix}/surrogate", "-m", f"{prefix}/huge", "--limit", "2", "--db", str(db)]
    result = cli(*args, "-q", env=env_for(fake))
    assert result.exit_code == 0, result.stderr
    sent = len(fake.seen)
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT model, status, text, tokens_out, COUNT(*) FROM responses GROUP BY request_hash"
        ).fetchall()
    assert sent == len(rows) == 8  # 2 models x 2 queries x 2 conditions, each sent and stored once
    # lstrip: Anthropic's prefill "<" is rejoined with the reply.
    texts = {
        (model.split("/")[-1], status, text.lstrip("<"), tokens, n) for model, status, text, tokens, n in rows
    }
    assert texts == {
        ("surrogate", "ok", "OUTPUT>\ufffdok\ufffd</OUTPUT>", 7, 1),
        ("huge", "ok", "OUTPUT>ok</OUTPUT>", None, 1),
    }
    again = cli(*args, "-q", env=env_for(fake))
    assert again.exit_code == 0, again.stderr
    assert len(fake.seen) == sent  # everything is stored: a rerun sends nothing
