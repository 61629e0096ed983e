"""Recorded provider batches: open until collected (or gone), in the order they were submitted."""

from __future__ import annotations

from pathlib import Path

from afgap.store import provider_batches as recorded
from afgap.store.database import open_store


def test_a_recorded_batch_stays_open_until_collected_or_gone(db: Path) -> None:
    with open_store(db) as store:
        recorded.record(store, "b1", "openai", "openai/x", ["h1", "h2"], "submitted")
        recorded.record(store, "b2", "anthropic", "anthropic/y", ["h3"], "submitted")
        recorded.record(store, "b3", "openai", "openai/x", ["h4"], "submitted")
    with open_store(db) as store:  # a later collect sees them
        batches = recorded.open_batches(store)
        assert [(b.batch_id, b.request_hashes) for b in batches] == [
            ("b1", ("h1", "h2")),
            ("b2", ("h3",)),
            ("b3", ("h4",)),
        ]
        recorded.set_status(store, "openai", "b1", "in_progress")
        recorded.set_status(store, "anthropic", "b2", recorded.COLLECTED)
        recorded.set_status(store, "openai", "b3", recorded.GONE)
        assert [(b.batch_id, b.status) for b in recorded.open_batches(store)] == [("b1", "in_progress")]
