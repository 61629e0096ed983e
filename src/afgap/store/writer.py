"""The collect job's store writer: finished calls go to a child process that labels and commits them.

Why a process, not a thread: labelling (tag parser + screen) and SQLite's row binding hold the GIL that
the event loop needs. At 256 calls in flight a writer thread cost ~0.4 s per 10,000 calls in stalls of the
loop, more than the work itself (docs/collection.md). The child (`afgap/store/writer_child.py`) has its own
connection to the store and runs on another core.

Flow: the engine's sink appends to a list (O(1) on the loop). Every FLUSH_INTERVAL_S the batch becomes
store rows, pickled on the loop (~8 µs a call) and written to the child's stdin by one helper thread (a
full pipe blocks that thread, never the loop); the child commits each batch in one transaction as it
arrives. `close` sends what is left, closes the pipe and waits until the child has committed everything,
so a clean stop (end, Ctrl-C, SIGTERM, error) never loses a completed call. The child runs in its own
session, so Ctrl-C at a terminal reaches only this process; if this process is killed, the child still
commits what it received, then sees the end of its input and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

import afgap
from afgap.errors import StoreError
from afgap.records import CallRecord
from afgap.store.database import Store
from afgap.store.rows import ResponseRow, messages_json, response_row, timestamp

FLUSH_INTERVAL_S = 0.05  # completed calls reach the disk within about this long
FRAME = struct.Struct("!I")  # each batch on the pipe: its length, then the pickle
_CHILD_EXIT_TIMEOUT_S = 300.0

# One call for the child: its row, the JSON of the conversation it sent, and (text, reasoning,
# api_refusal) to label when it was answered.
Item = tuple[ResponseRow, str, tuple[str | None, str | None, bool] | None]


def _same_afgap_env() -> dict[str, str]:
    """The environment for the child, with this afgap first on its path (whatever put it on ours)."""
    root = str(Path(afgap.__file__).resolve().parent.parent)
    rest = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([root, rest]) if rest else root}


class Writer:
    """Buffers finished calls on the loop and streams them to the child process that commits them."""

    def __init__(self, store: Store, run_id: int, query_texts: dict[str, str]) -> None:
        self.run_id, self.query_texts = run_id, query_texts
        self.buffer: list[CallRecord] = []
        # Frames handed to the thread but not yet sent. A flusher cancelled at the end of the run also
        # cancels a frame still queued for the thread; close() sends whatever is left here.
        self.pending: list[bytes] = []
        self.error: BaseException | None = None
        self._path = store.path.resolve()
        # The child's stderr goes to a file (a pipe nobody drains could fill and block it); closed in close().
        self._errors: IO[str] = tempfile.TemporaryFile(mode="w+", prefix="afgap-writer-")  # noqa: SIM115
        self._child = subprocess.Popen(
            [sys.executable, "-m", "afgap.store.writer_child", str(self._path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._errors,
            start_new_session=True,
            env=_same_afgap_env(),
        )
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="afgap-writer")

    def add(self, record: CallRecord) -> None:
        """The engine's sink: O(1) on the event loop."""
        self.buffer.append(record)

    def _frame(self, batch: list[CallRecord]) -> bytes:
        """One batch as a length-prefixed pickle of store rows (built on the loop: a thread doing this
        Python work would take the GIL from the loop in switch-interval slices)."""
        now = timestamp()
        items: list[Item] = [
            (
                response_row(r, self.run_id, self.query_texts.get(r.plan.request_hash), now),
                messages_json(r),
                (r.text, r.reasoning, r.api_refusal) if r.status == "ok" else None,
            )
            for r in batch
        ]
        body = pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL)
        return FRAME.pack(len(body)) + body

    def _send(self, frame: bytes) -> None:
        """Write one frame to the child's stdin; a full pipe blocks here with the GIL released."""
        pipe = self._child.stdin
        assert pipe is not None
        try:
            pipe.write(frame)
            pipe.flush()
        except (BrokenPipeError, ValueError):  # the child has died (disk full, store locked, killed)
            raise self._child_failure() from None

    async def flush_periodically(self, on_error: Callable[[], None]) -> None:
        """Send the buffer to the child every FLUSH_INTERVAL_S; on a write error call on_error."""
        loop = asyncio.get_running_loop()
        while self.error is None:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            if self._child.poll() is not None:  # it only exits when its input ends, or on a failure
                self.error = self._child_failure()
                on_error()
                return
            if not self.buffer:
                continue
            batch, self.buffer = self.buffer, []
            frame = self._frame(batch)
            self.pending.append(frame)
            # Awaiting the send before the next sleep makes batches grow when the child is slow.
            await loop.run_in_executor(self._thread, self._send_or_keep_error, frame)
            if self.error is not None:
                on_error()

    def _send_or_keep_error(self, frame: bytes) -> None:
        """_send, keeping its error for the loop (it must surface even if the flusher was cancelled)."""
        try:
            self._send(frame)
            self.pending.remove(frame)
        except Exception as exc:  # the run stops with this error
            self.error = exc

    def close(self) -> None:
        """Send what is left, then wait until the child has committed it all; re-raise a write error."""
        self._thread.shutdown(wait=True)
        try:
            if self.error is None:
                frames = [*self.pending, *([self._frame(self.buffer)] if self.buffer else [])]
                self.pending, self.buffer = [], []
                for frame in frames:
                    self._send(frame)
        except StoreError as exc:
            self.error = exc
        finally:
            self._finish_child()
        if self.error is not None:
            raise self.error

    def _finish_child(self) -> None:
        """Close the child's input and wait for it to commit and exit; its failure becomes self.error."""
        if self._child.stdin is not None:
            with contextlib.suppress(BrokenPipeError):  # it already died; its exit code and stderr say why
                self._child.stdin.close()
        try:
            code = self._child.wait(timeout=_CHILD_EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._child.kill()
            code = self._child.wait()
        if code != 0 and self.error is None:
            self.error = self._child_failure()
        self._errors.close()

    def _child_failure(self) -> StoreError:
        """The child's own one-line reason, as a StoreError."""
        self._child.wait(timeout=_CHILD_EXIT_TIMEOUT_S)
        self._errors.seek(0)
        lines = self._errors.read().strip().splitlines()
        reason = lines[-1] if lines else f"exit code {self._child.returncode}"
        return StoreError(f"could not write to the store {self._path}: {reason}")
