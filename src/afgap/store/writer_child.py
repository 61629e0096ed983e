"""The child side of the collect writer: read batches on stdin, label them, commit each in one transaction.

`python -m afgap.store.writer_child STORE`. Started by afgap.store.writer.Writer, never by hand.
Reads length-prefixed pickles until end of input, which comes when the collect ends, stops, or is
killed; whatever arrived is committed before it exits. A row the store rejects (text it cannot
encode, a number too large for SQLite) is stored as an `error` row saying why, and the rest of its
batch is committed: one hostile reply never stops a study. A store that takes no row at all (disk
full, locked) is one line on stderr and exit code 1 (the parent reports it). The pickles come from
the parent over a private pipe; nothing else writes to it.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from afgap.classify.labels import default_labels
from afgap.records import Label
from afgap.store.database import Store, open_store
from afgap.store.rows import ResponseRow
from afgap.store.writer import FRAME, Item
from afgap.store.writes import Collected

UNSTORABLE = "unstorable"  # the error_class of a row the store rejected


def frames(stream: BinaryIO) -> Iterator[list[Item]]:
    """Each batch on `stream` until it ends (a batch cut short by a killed parent is dropped)."""
    while True:
        head = stream.read(FRAME.size)
        if len(head) < FRAME.size:
            return
        (size,) = FRAME.unpack(head)
        body = stream.read(size)
        if len(body) < size:
            return
        yield pickle.loads(body)


def _labels(answer: tuple[str | None, str | None, bool] | None) -> list[Label]:
    """The offline labels of an answered call; a failed call has none."""
    return default_labels(*answer) if answer else []


def write_batch(store: Store, batch: Sequence[Item]) -> None:
    """Commit a batch in one transaction; if that fails, each row alone, a rejected one as an error row."""
    rows = [_collected(item) for item in batch]
    try:
        store.write_rows(rows)
        return
    except Exception:  # which row, if any, is to blame is found out one row at a time
        pass
    for row, sent, labels in rows:
        try:
            store.write_rows([(row, sent, labels)])
        except Exception as exc:
            # Raises again when the store takes no row at all: then the child's failure is the reason.
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


def main(argv: Sequence[str] | None = None) -> int:
    """Commit every batch from stdin to the store at argv[0]; 0 on end of input, 1 on a write error."""
    (path,) = sys.argv[1:] if argv is None else argv
    try:
        with open_store(Path(path), create=False) as store:
            for batch in frames(sys.stdin.buffer):
                write_batch(store, batch)
    except Exception as exc:  # disk full, store locked, …: one line for the parent to show
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    code = main()
    # Everything is committed and the store closed: skip the interpreter's teardown (tens of ms of
    # module and object cleanup), which the collect would otherwise wait for at its very end.
    sys.stderr.flush()
    os._exit(code)
