"""Recovery files: replies a collect received but the store would not take, saved beside the store.

Written when the store stays locked past the collect's patience, the disk is full, or any write fails;
`STORE.recovery-RUN-TIME.jsonl`, one JSON object per call (its store row, the conversation it sent, and
what to label). The next collect on the store imports them before anything else and deletes each file
once its rows are committed. A file on disk is untrusted input: JSON lines checked by a pydantic model,
never pickle; a bad line is one error naming FILE:LINE, and the file is left where it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from afgap.errors import StoreError
from afgap.files import read_jsonl
from afgap.store.database import Store
from afgap.store.recovery_files import count_lines as count_lines
from afgap.store.recovery_files import lock, pending, still_at
from afgap.store.recovery_files import recovery_path as recovery_path
from afgap.store.recovery_files import save as save
from afgap.store.rows import ResponseRow
from afgap.store.writes import Answer, Item


class SavedCall(BaseModel):
    """One line of a recovery file (lax types: afgap wrote it, and a row's booleans are stored as 0/1)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    row: ResponseRow
    messages: str
    answer: Answer | None


@dataclass(frozen=True)
class Recovered:
    """One recovery file imported: replies newly stored, and those the store already held."""

    path: Path
    stored: int
    already: int


def load(path: Path) -> list[Item]:
    """Every call in a recovery file; StoreError naming FILE:LINE at the first bad line."""
    try:
        return [(call.row, call.messages, call.answer) for _, call in read_jsonl(path, SavedCall, StoreError)]
    except StoreError as exc:
        raise StoreError(f"recovery file {exc}; fix it or move it away to collect without it") from None


def import_pending(store: Store) -> list[Recovered]:
    """Commit every recovery file's calls the store lacks, deleting each file once they are committed."""
    done = []
    for path in pending(store.path):
        try:
            f = path.open("rb")
        except FileNotFoundError:  # another collect imported it first
            continue
        with f:
            # A file being written, or imported by another collect, is left for the next collect.
            if not lock(f, wait=False) or not still_at(f, path):
                continue
            from afgap.store.batches import write_batch  # the labellers: only when there is a file

            items = load(path)
            stored = store.completed_hashes()
            new = [item for item in items if item[0].request_hash not in stored]
            write_batch(store, new)
            path.unlink()
        done.append(Recovered(path, len(new), len(items) - len(new)))
    return done
