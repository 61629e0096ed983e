"""Batches submitted to a provider's batch API (`collect --batch`): recorded, polled, marked collected.

A batch is recorded in the same breath as the provider accepts it, before any polling, so a collect
killed while it waits leaves the batch id behind and the next collect polls it instead of submitting
the same calls again. A batch is marked `collected` only after its results are committed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from afgap.store.database import Store
from afgap.store.rows import COLUMNS, ProviderBatchRow, insert_statement, timestamp

COLLECTED = "collected"
# The provider no longer knows the batch (a restarted simulator, a purged batch): its calls are resent.
GONE = "gone"
_INSERT = insert_statement("provider_batches")
_SELECT_OPEN = (
    f"SELECT {', '.join(COLUMNS['provider_batches'])} FROM provider_batches "
    "WHERE status NOT IN (?, ?) ORDER BY created_at, batch_id"
)


@dataclass(frozen=True)
class OpenBatch:
    """A recorded batch whose results are not stored yet."""

    batch_id: str
    provider: str
    model: str
    status: str
    request_hashes: tuple[str, ...]


def record(
    store: Store, batch_id: str, provider: str, model: str, hashes: Sequence[str], status: str
) -> None:
    """Record a batch the provider has just accepted."""
    row = ProviderBatchRow(batch_id, provider, model, timestamp(), status, json.dumps(list(hashes)))
    with store.transaction():
        store.conn.execute(_INSERT, row)


def open_batches(store: Store) -> list[OpenBatch]:
    """Every recorded batch not yet collected (nor gone), oldest first."""
    rows = [ProviderBatchRow(*r) for r in store.conn.execute(_SELECT_OPEN, (COLLECTED, GONE))]
    return [
        OpenBatch(r.batch_id, r.provider, r.model, r.status, tuple(json.loads(r.request_hashes)))
        for r in rows
    ]


def set_status(store: Store, provider: str, batch_id: str, status: str) -> None:
    """The vendor's latest word on a batch, or COLLECTED once its results are committed."""
    with store.transaction():
        store.conn.execute(
            "UPDATE provider_batches SET status = ? WHERE provider = ? AND batch_id = ?",
            (status, provider, batch_id),
        )
