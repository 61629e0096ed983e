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

When the store takes nothing (locked past the patience, disk full), the child says so on its stdout and
saves what it holds and everything still coming down the pipe to a recovery file (afgap.store.recovery);
this side stops the run, sends the rest, and saves there itself whatever the child can no longer take.
The child's notices (waiting for a lock) reach the user through `notice`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from queue import SimpleQueue
from typing import IO

import afgap
from afgap.errors import Interrupted, StoreError
from afgap.records import CallRecord
from afgap.store import recovery
from afgap.store.database import Store
from afgap.store.framing import FAILED, FRAME, NOTICE, Conversations, frame
from afgap.store.rows import messages_json, response_values, timestamp

FLUSH_INTERVAL_S = 0.05  # completed calls reach the disk within about this long
# Beyond the lock patience: the child's last batch may wait that long before it gives up.
_CHILD_EXIT_MARGIN_S = 300.0
_POLL_S = 0.2


def _same_afgap_env() -> dict[str, str]:
    """The environment for the child, with this afgap first on its path (whatever put it on ours)."""
    root = str(Path(afgap.__file__).resolve().parent.parent)
    rest = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([root, rest]) if rest else root}


class Writer:
    """Buffers finished calls on the loop and streams them to the child process that commits them."""

    def __init__(
        self,
        store: Store,
        run_id: int,
        query_texts: dict[str, str],
        notice: Callable[[str], None] | None = None,
    ) -> None:
        self.run_id, self.query_texts = run_id, query_texts
        self.buffer: list[CallRecord] = []
        # Frames handed to the thread but not yet sent. A flusher cancelled at the end of the run also
        # cancels a frame still queued for the thread; close() sends whatever is left here.
        self.pending: list[bytes] = []
        self._unsent: list[bytes] = []  # close()'s frames not yet written to the pipe
        self._conversations = Conversations()  # those sent to the child, each crossing the pipe once
        self.error: BaseException | None = None
        self._path = store.path.resolve()
        self.recovery = recovery.recovery_path(self._path, run_id)
        self._patience_s = store.patience.seconds
        self._notice = notice or (lambda _line: None)
        self._notices: deque[str] = deque()  # filled by the listener thread, told on this one
        self._failed = threading.Event()
        # The child's stderr goes to a file (a pipe nobody drains could fill and block it); closed in close().
        self._errors: IO[str] = tempfile.TemporaryFile(mode="w+", prefix="afgap-writer-")  # noqa: SIM115
        self._child = subprocess.Popen(
            child_command(self._path, self.recovery, self._patience_s),
            stdin=subprocess.PIPE,
            bufsize=0,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            start_new_session=True,
            env=_same_afgap_env(),
        )
        self._listener = threading.Thread(target=self._listen, name="afgap-writer-status", daemon=True)
        self._listener.start()
        # One daemon thread sends the frames: blocked on a full pipe (the child waiting for a lock), it
        # must not keep this process from exiting once close() has saved what was not sent.
        self._jobs: SimpleQueue[tuple[bytes, Future[None]] | None] = SimpleQueue()
        self._in_flight: Future[None] | None = None
        threading.Thread(target=self._send_loop, name="afgap-writer", daemon=True).start()

    def _send_loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            frame, done = job
            if done.set_running_or_notify_cancel():  # cancelled while queued: close() sends it (pending)
                self._send_or_keep_error(frame)
                done.set_result(None)

    def _listen(self) -> None:
        """Read the child's status lines until it exits (a thread: the loop never blocks on the pipe)."""
        assert self._child.stdout is not None
        with self._child.stdout:  # closed here, at the child's exit, even when close() stopped waiting
            for raw in self._child.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if line == FAILED:
                    self._failed.set()
                elif line.startswith(NOTICE):
                    self._notices.append(line.removeprefix(NOTICE))

    def tell(self) -> None:
        """Pass on the child's notices (called on the loop, or while close() waits)."""
        while self._notices:
            self._notice(self._notices.popleft())

    def add(self, record: CallRecord) -> None:
        """The engine's sink: O(1) on the event loop."""
        self.buffer.append(record)

    def _frame(self, batch: list[CallRecord]) -> bytes:
        """One batch as a frame of store rows (afgap.store.framing; built on the loop: a thread doing this
        Python work would take the GIL from the loop in switch-interval slices)."""
        now, sent = timestamp(), self._conversations
        new: list[str] = []  # conversations first sent in this frame
        items = [
            (
                response_values(r, self.run_id, self.query_texts.get(r.plan.request_hash), now),
                sent.reference(messages_json(r), new),
                (r.text, r.reasoning, r.api_refusal) if r.status == "ok" else None,
            )
            for r in batch
        ]
        return frame(new, items)

    def _send(self, frame: bytes) -> None:
        """Write one frame to the child's stdin; a full pipe blocks here with the GIL released."""
        pipe = self._child.stdin
        assert pipe is not None
        view = memoryview(frame)
        try:
            while view:  # unbuffered, so closing the pipe never has a half-sent frame to flush (and block on)
                view = view[pipe.write(view) or 0 :]
        except (OSError, ValueError):  # the child has died; close() saves what it did not take
            raise StoreError("the store's writer process has stopped") from None

    async def flush_periodically(self, on_error: Callable[[], None]) -> None:
        """Send the buffer to the child every FLUSH_INTERVAL_S; on a write error call on_error."""
        while self.error is None:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            self.tell()
            # It says `failed` when the store takes nothing, and only exits early if it dies.
            if self._failed.is_set() or self._child.poll() is not None:
                self.error = StoreError("the store's writer has stopped")  # close() says why
                on_error()
                return
            if not self.buffer:
                continue
            batch, self.buffer = self.buffer, []
            frame = self._frame(batch)
            self.pending.append(frame)
            # Awaiting the send before the next sleep makes batches grow when the child is slow; a
            # child waiting for a lock blocks the send, and its notices are passed on meanwhile.
            self._in_flight = Future()
            self._jobs.put((frame, self._in_flight))
            sent = asyncio.wrap_future(self._in_flight)
            try:
                while not sent.done():
                    await asyncio.wait({sent}, timeout=_POLL_S)
                    self.tell()
            except asyncio.CancelledError:
                sent.cancel()  # the send goes on; close() waits for it, and the closed loop hears nothing
                raise
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
        """Send what is left, wait until the child has committed (or saved) it all; raise a write error.

        Whatever the child can no longer take is saved to the recovery file here: nothing received is lost.
        """
        try:
            self._wait_in_flight()
            self._jobs.put(None)
            self._unsent = [*self.pending, *([self._frame(self.buffer)] if self.buffer else [])]
            self.pending, self.buffer = [], []
            unsent = self._send_all()
            code = self._finish_child()
        except KeyboardInterrupt:  # a second Ctrl-C while the child waits for a lock
            raise self._abandon() from None
        if code == 0 and not unsent and self.error is None:
            self._errors.close()
            return
        lost = self._save_here(unsent)
        raise self._failure(code, lost)

    def _wait_in_flight(self) -> None:
        """Wait for the frame the thread is sending (the child may be waiting for a lock), telling notices."""
        while self._in_flight is not None and not self._in_flight.done():
            with contextlib.suppress(TimeoutError):
                self._in_flight.result(timeout=_POLL_S)
            self.tell()

    def _close_input_after_send(self) -> None:
        if self._in_flight is not None:
            self._in_flight.result()
        if self._child.stdin is not None:
            with contextlib.suppress(OSError):
                self._child.stdin.close()

    def _send_all(self) -> list[bytes]:
        """Send the frames left in order; those after the child stopped taking them."""
        while self._unsent:
            try:
                self._send(self._unsent[0])
            except StoreError:
                return self._unsent
            del self._unsent[0]
        return []

    def _abandon(self) -> Interrupted:
        """Stop waiting for the child: save what it was not sent, and say where everything else will go.

        The child, in its own session, goes on: it commits what it has once the lock is free, or saves it
        to the recovery file when its patience runs out. A frame cut short on the pipe is dropped by the
        child and saved here; one sent whole may be in both places, which an import does not duplicate.
        """
        frames = [*self.pending, *self._unsent, *([self._frame(self.buffer)] if self.buffer else [])]
        # The child sees the end of its input once the thread's send (if one is blocked) is through.
        threading.Thread(target=self._close_input_after_send, daemon=True).start()
        self._errors.close()
        own = recovery.recovery_path(self._path, self.run_id)
        lost = self._save_here(frames, own)
        saved = (
            f"{recovery.count_lines(own)} replies not yet sent to it saved to {own}; " if own.exists() else ""
        )
        return Interrupted(
            f"interrupted before the store's writer finished: {saved}writer process {self._child.pid} goes "
            f"on storing the rest (once the store's lock is free), or saves them to {self.recovery} if it "
            f"waits more than {self._patience_s:g} s{lost}"
        )

    def _finish_child(self) -> int | None:
        """Close the child's input, wait for it to commit and exit, pass on its notices; its exit code."""
        if self._child.stdin is not None:
            with contextlib.suppress(OSError):  # it already died; its exit code and stderr say why
                self._child.stdin.close()
        deadline = _CHILD_EXIT_MARGIN_S + self._patience_s
        waited = 0.0
        while self._child.poll() is None and waited < deadline:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._child.wait(timeout=_POLL_S)
            waited += _POLL_S
            self.tell()
        if self._child.poll() is None:
            self._child.kill()
            self._child.wait()
        self._listener.join(timeout=5)
        self.tell()
        return self._child.returncode

    def _save_here(self, frames: list[bytes], path: Path | None = None) -> str:
        """Save the calls in frames the child never took to a recovery file; a note if that failed."""
        items = [
            item for sent in frames for item in self._conversations.items(sent[FRAME.size :], received=False)
        ]
        if not items:
            return ""
        try:
            recovery.save(path or self.recovery, items)
        except OSError as exc:
            return f"; {len(items)} received replies could not be saved either ({exc.strerror or exc})"
        return ""

    def _failure(self, code: int | None, lost: str) -> StoreError:
        """One line: why the store took nothing, and where the received replies are."""
        self._errors.seek(0)
        lines = self._errors.read().strip().splitlines()
        self._errors.close()
        reason = lines[-1] if lines else f"the store's writer process ended with exit code {code}"
        saved = recovery.count_lines(self.recovery)
        where = (
            f"; {saved} received replies saved to {self.recovery} (the next `afgap collect` on this store "
            "imports them)"
            if saved
            else ""
        )
        return StoreError(f"could not write to the store: {reason}{where}{lost}")


def child_command(store: Path, saved: Path, patience_s: float) -> list[str]:
    """The writer child's command line (see afgap.store.writer_child)."""
    # -P: the working directory is not put first on the path, so a stray enum.py there cannot shadow
    # the standard library in the child (afgap itself comes from PYTHONPATH, see _same_afgap_env).
    # -S: no `site`; the child imports only the standard library and afgap (pydantic-free, see
    # afgap.vocabulary), and skipping site-packages' .pth files saves ~30 ms of its start-up.
    command = [sys.executable, "-S", "-P", "-m", "afgap.store.writer_child"]
    return [*command, str(store), str(saved), repr(patience_s)]
