"""Committing a batch of collected calls with their offline labels: the writer child's work, and a recovery
file's when the next collect imports it.

A row the store rejects (text it cannot encode, a number too large for SQLite) is stored as an `error` row
saying why, and the rest of its batch is committed: one hostile reply never stops a study. A store that
takes no row at all (disk full, locked past patience, read-only) raises StoreError.
"""

from __future__ import annotations

from collections.abc import Sequence

from afgap.classify.labels import default_labels
from afgap.errors import StoreError
from afgap.store.database import Store
from afgap.store.rows import ResponseRow
from afgap.store.writes import Answer, Collected, Item
from afgap.vocabulary import Label

UNSTORABLE = "unstorable"  # the error_class of a row the store rejected


def _labels(answer: Answer | None) -> list[Label]:
    """The offline labels of an answered call; a failed call has none."""
    return default_labels(*answer) if answer else []


def write_batch(store: Store, batch: Sequence[Item]) -> None:
    """Commit a batch in one transaction; if that fails, each row alone, a rejected one as an error row."""
    rows = [_collected(item) for item in batch]
    try:
        store.write_rows(rows)
        return
    except StoreError:  # the store takes nothing: no row is to blame
        raise
    except Exception:  # which row, if any, is to blame is found out one row at a time
        pass
    for row, sent, labels in rows:
        try:
            store.write_rows([(row, sent, labels)])
        except StoreError:
            raise
        except Exception as exc:
            # Raises again when the store takes no row at all: then that is the reason.
            store.write_rows([(unstorable(row, exc), sent, [])])


def _collected(item: Item) -> Collected:
    """A call with its offline labels; a reply the labellers choke on is stored as an error row."""
    row, sent, answer = item
    try:
        return row, sent, _labels(answer)
    except Exception as exc:
        return unstorable(row, exc), sent, []


def unstorable(row: ResponseRow, exc: Exception) -> ResponseRow:
    """`row` as an error row saying why it was rejected, stripped of the reply and of anything unencodable."""
    reason = f"the store rejected this reply: {type(exc).__name__}: {exc}"
    failed = row._replace(
        status="error",
        text=None,
        reasoning=None,
        provider_model=None,
        finish_reason=None,
        tokens_in=None,
        tokens_out=None,
        cost_usd=None,
        api_refusal=False,
        error_class=UNSTORABLE,
        error_message=" ".join(reason.split())[:300],
    )
    # "replace" turns a lone surrogate into "?", so what is left encodes whatever it held.
    return ResponseRow._make(_encodable(value) for value in failed)


def _encodable(value: object) -> object:
    return value.encode("utf-8", "replace").decode("utf-8") if isinstance(value, str) else value
