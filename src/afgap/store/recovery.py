"""Recovery files: replies a collect received but the store would not take, saved beside the store.

Written when the store stays locked past the collect's patience, the disk is full, or any write fails;
`STORE.recovery-RUN-TIME.jsonl`, one JSON object per call (its store row, the conversation it sent, and
what to label). The next collect on the store imports them before anything else and deletes each file
once its rows are committed. A file on disk is untrusted input: JSON lines checked by a pydantic model,
never pickle; a bad line is one error naming FILE:LINE, and the file is left where it is.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from afgap.errors import StoreError
from afgap.files import read_jsonl
from afgap.store.batches import Answer, Item, write_batch
from afgap.store.database import Store
from afgap.store.rows import ResponseRow


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


def recovery_path(store: Path, run_id: int) -> Path:
    """Where run `run_id` saves what the store at `store` would not take."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return store.with_name(f"{store.name}.recovery-{run_id}-{stamp}.jsonl")


def pending(store: Path) -> list[Path]:
    """The recovery files waiting beside the store, oldest run first."""
    return sorted(store.parent.glob(f"{glob.escape(store.name)}.recovery-*.jsonl"))


def save(path: Path, items: Iterable[Item]) -> int:
    """Append `items` to the recovery file at `path`, synced to disk; how many were written."""
    count = 0
    with path.open("a", encoding="utf-8") as f:
        for row, messages, answer in items:
            # ASCII JSON: a lone surrogate (which UTF-8 cannot hold) survives as an escape.
            f.write(json.dumps({"row": row._asdict(), "messages": messages, "answer": answer}) + "\n")
            count += 1
        f.flush()
        os.fsync(f.fileno())
    return count


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
        items = load(path)
        stored = store.completed_hashes()
        new = [item for item in items if item[0].request_hash not in stored]
        write_batch(store, new)
        path.unlink()
        done.append(Recovered(path, len(new), len(items) - len(new)))
    return done


def count_lines(path: Path) -> int:
    """Calls in a recovery file (0 if there is none)."""
    try:
        with path.open("rb") as f:
            return sum(1 for line in f if line.strip())
    except FileNotFoundError:
        return 0
