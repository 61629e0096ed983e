"""Saving to a recovery file: the half of afgap.store.recovery that the writer child needs.

Standard library only (no pydantic), so the writer child, which starts without `site`, can
always save what the store would not take. Reading the files back is afgap.store.recovery's job.
"""

from __future__ import annotations

import glob
import json
import os
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from afgap.store.writes import Item

if sys.platform != "win32":
    import fcntl


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
            lock(f, wait=True)
            if not still_at(f, path):  # another collect imported and deleted it meanwhile: start a new one
                continue
            f.writelines(lines)
            f.flush()
            os.fsync(f.fileno())
            return len(lines)


def lock(f: IO[Any], *, wait: bool) -> bool:
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


def still_at(f: IO[Any], path: Path) -> bool:
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
