"""The simulator in a child process, with the same handle as `start_in_thread`.

In a thread, the simulator shares the GIL with the client it serves, so at hundreds of calls in flight
its CPU time (~0.06 ms a request) is added to the client's. Benchmarks that compare collection against
the latency floor should run it here instead. The child gets its SimSettings as one JSON argument:
`python -m afgap.sim.process '{"port": 8765, "latency_ms": 50}'`.
"""

from __future__ import annotations

import concurrent.futures
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from types import TracebackType

from pydantic import TypeAdapter

from afgap.sim.server import HOST, serve_forever
from afgap.sim.settings import SimSettings

# The hand-off format: the settings object itself, as JSON, checked on the way in like any JSON afgap reads.
_JSON = TypeAdapter(SimSettings)


class ChildSim:
    """A simulator serving from a child process; same surface as RunningSim, a context manager."""

    def __init__(self, child: subprocess.Popen[str], port: int) -> None:
        self._child, self.port = child, port
        self.base_url = f"http://{HOST}:{port}"

    def stop(self) -> None:
        """Ask the child to stop (SIGTERM: a clean shutdown), kill it if it lingers; safe to call twice."""
        if self._child.poll() is None:
            self._child.terminate()
            try:
                self._child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait()
        if self._child.stdout is not None:
            self._child.stdout.close()

    def __enter__(self) -> ChildSim:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_in_subprocess(settings: SimSettings | None = None, *, timeout: float = 30.0) -> ChildSim:
    """Start the simulator in a child Python process and return once it accepts connections."""
    settings = settings or SimSettings()
    # -P: a stray module in the working directory cannot shadow the standard library in the child.
    command = [sys.executable, "-P", "-m", "afgap.sim.process", _JSON.dump_json(settings).decode()]
    # stderr goes to a file, not a pipe: nobody drains it while serving, and a full pipe would block.
    with tempfile.TemporaryFile(mode="w+") as errors:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
        line = _first_line(child, timeout)
        if not line.startswith("http://"):
            child.kill()
            child.communicate()  # reaps the child and closes its stdout
            errors.seek(0)
            detail = errors.read().strip().splitlines()
            raise RuntimeError(f"simulator process did not start: {detail[-1] if detail else 'no output'}")
    return ChildSim(child, int(line.strip().rsplit(":", 1)[1]))


def _first_line(child: subprocess.Popen[str], timeout: float) -> str:
    """The child's first stdout line, or "" (and the child killed) if none comes within `timeout`."""
    assert child.stdout is not None
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        line: str = pool.submit(child.stdout.readline).result(timeout=timeout)
        return line
    except concurrent.futures.TimeoutError:
        child.kill()  # also ends the pending readline
        return ""
    finally:
        pool.shutdown(wait=False)


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until SIGTERM/Ctrl-C, printing the base URL as the first line on stdout."""
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        raise SystemExit("usage: python -m afgap.sim.process SETTINGS_JSON")
    settings = _JSON.validate_json(args[0])
    # A parent started in the background may have left SIGINT ignored; Ctrl-C should still work here.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    serve_forever(settings, announce=lambda line: print(_url(line), flush=True))


def _url(announcement: str) -> str:
    """The base URL from serve_forever's announcement line."""
    return next(word for word in announcement.split() if word.startswith("http://"))


if __name__ == "__main__":
    main()
