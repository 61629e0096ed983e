"""The child side of the collect writer: read batches on stdin, label them, commit each in one transaction.

`python -m afgap.store.writer_child STORE RECOVERY LOCK_TIMEOUT`. Started by afgap.store.writer.Writer,
never by hand. Reads length-prefixed pickles until end of input, which comes when the collect ends,
stops, or is killed; whatever arrived is committed before it exits. While another process holds the
store's lock it waits (up to LOCK_TIMEOUT seconds), saying so on stdout. When the store takes no row at
all (locked past that, disk full, read-only), it says `failed` on stdout, saves the batch in hand and
every later one to the recovery file RECOVERY (afgap.store.recovery_files) until its input ends, prints the
reason as one line on stderr and exits 3; 1 if even the recovery file could not be written. The pickles
come from the parent over a private pipe; nothing else writes to it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

from afgap.store.batches import write_batch
from afgap.store.busy import Patience
from afgap.store.database import open_store
from afgap.store.framing import FAILED, FRAME, NOTICE, SAVED, Conversations
from afgap.store.recovery_files import save
from afgap.store.writes import Item

_CHECKPOINT_PAGES = 10_000


def frames(stream: BinaryIO) -> Iterator[list[Item]]:
    """Each batch on `stream` until it ends (a batch cut short by a killed parent is dropped)."""
    conversations = Conversations()
    while True:
        head = stream.read(FRAME.size)
        if len(head) < FRAME.size:
            return
        (size,) = FRAME.unpack(head)
        body = stream.read(size)
        if len(body) < size:
            return
        yield conversations.items(body, received=True)


def serve(store_path: Path, saved: Path, patience_s: float, source: BinaryIO, status: TextIO) -> int:
    """Commit every batch from `source`; on a store failure save the rest to `saved`. The exit code."""

    def say(line: str) -> None:
        # OSError: the collect is gone (killed); committing matters, telling it does not.
        with contextlib.suppress(OSError):
            status.write(line.replace("\n", " ") + "\n")
            status.flush()

    batches = frames(source)
    in_hand: list[Item] = []
    try:
        patience = Patience(patience_s, lambda notice: say(NOTICE + notice))
        with open_store(store_path, create=False, patience=patience) as store:
            # Input also ends when the collect is interrupted: the collect's own close regroups the
            # kept counts once it ends cleanly, so an interrupted one exits without waiting for that.
            store.regroup_on_close = False
            # Commits come every few hundred calls: checkpointing the WAL into the file every 40 MB
            # rather than SQLite's 4 MB rewrites each hot index page less often (half the commit CPU).
            store.conn.execute(f"PRAGMA wal_autocheckpoint={_CHECKPOINT_PAGES}")
            for in_hand in batches:
                write_batch(store, in_hand)
            return 0
    except Exception as exc:  # disk full, locked past patience, …: the reason, after the replies are safe
        say(FAILED)
        reason = str(exc) or type(exc).__name__
    try:
        save(saved, in_hand)
        for batch in batches:
            save(saved, batch)
    except OSError as exc:
        print(f"{reason}; and the recovery file {saved} could not be written: {exc}", file=sys.stderr)
        return 1
    print(reason, file=sys.stderr)
    return SAVED


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the store, recovery file and patience named in argv (see the module docstring)."""
    path, saved, patience = sys.argv[1:] if argv is None else argv
    return serve(Path(path), Path(saved), float(patience), sys.stdin.buffer, sys.stdout)


if __name__ == "__main__":
    code = main()
    # Everything is committed and the store closed: skip the interpreter's teardown (tens of ms of
    # module and object cleanup), which the collect would otherwise wait for at its very end.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
