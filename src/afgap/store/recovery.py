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
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict

from afgap.errors import StoreError
from afgap.files import read_jsonl
from afgap.store.database import Store
from afgap.store.rows import ResponseRow
from afgap.store.writes import Answer, Item

if sys.platform != "win32":
    import fcntl


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
    # ASCII JSON: a lone surrogate (which UTF-8 cannot hold) survives as an escape.
    lines = [json.dumps({"row": r._asdict(), "messages": m, "answer": a}) + "\n" for r, m, a in items]
    while True:
        with path.open("a", encoding="utf-8") as f:
            _lock(f, wait=True)
            if not _is(f, path):  # another collect imported and deleted it meanwhile: start a new one
                continue
            f.writelines(lines)
            f.flush()
            os.fsync(f.fileno())
            return len(lines)


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
            if not _lock(f, wait=False) or not _is(f, path):
                continue
            from afgap.store.batches import write_batch  # the labellers: only when there is a file

            items = load(path)
            stored = store.completed_hashes()
            new = [item for item in items if item[0].request_hash not in stored]
            write_batch(store, new)
            path.unlink()
        done.append(Recovered(path, len(new), len(items) - len(new)))
    return done


def _lock(f: IO[Any], *, wait: bool) -> bool:
    """An exclusive advisory lock on an open recovery file, held until it is closed; whether it was taken.

    Writer and importer both take it, so an import never deletes lines appended after it read the file.
    """
    if sys.platform == "win32":  # no flock; Windows users run one collect per store
        return True
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _is(f: IO[Any], path: Path) -> bool:
    """Whether the open file `f` is still the file at `path` (not deleted or replaced since it was opened)."""
    try:
        return os.path.samestat(os.fstat(f.fileno()), os.stat(path))
    except FileNotFoundError:
        return False


def count_lines(path: Path) -> int:
    """Calls in a recovery file (0 if there is none)."""
    try:
        with path.open("rb") as f:
            return sum(1 for line in f if line.strip())
    except FileNotFoundError:
        return 0
