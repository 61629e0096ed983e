"""The child side of the collect writer: read batches on stdin, label them, commit each in one transaction.

`python -m afgap.store.writer_child STORE`. Started by afgap.store.writer.Writer, never by hand.
Reads length-prefixed pickles until end of input, which comes when the collect ends, stops, or is
killed; whatever arrived is committed before it exits. A write error is one line on stderr and exit
code 1 (the parent reports it). The pickles come from the parent over a private pipe; nothing else
writes to it.
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
from afgap.store.database import open_store
from afgap.store.writer import FRAME, Item


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


def main(argv: Sequence[str] | None = None) -> int:
    """Commit every batch from stdin to the store at argv[0]; 0 on end of input, 1 on a write error."""
    (path,) = sys.argv[1:] if argv is None else argv
    try:
        with open_store(Path(path), create=False) as store:
            for batch in frames(sys.stdin.buffer):
                store.write_rows([(row, sent, _labels(answer)) for row, sent, answer in batch])
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
