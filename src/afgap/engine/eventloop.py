"""The event loop afgap runs on: uvloop where it is installed, else asyncio's own; and its GC settings.

uvloop (libuv) cuts the loop's and the sockets' share of each HTTP call by about a fifth, which matters
at hundreds of calls in flight (docs/collection.md). It is a dependency everywhere but Windows.
`AFGAP_EVENT_LOOP=asyncio` forces the standard loop, to rule uvloop out when something misbehaves.

`run` also collects garbage less often while the loop runs (`steady_gc`): with hundreds of calls in
flight, every object of every pending call survives into the older generations, so the default
thresholds trigger collections that walk all of them and stall every call at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

LOOP_VAR = "AFGAP_EVENT_LOOP"
T = TypeVar("T")


def loop_name() -> str:
    """`uvloop` or `asyncio`: the loop new_event_loop() will make."""
    if os.environ.get(LOOP_VAR, "").strip().lower() == "asyncio":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """The constructor for afgap's event loops."""
    if loop_name() == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A fresh loop of afgap's kind (for a thread that runs its own)."""
    return loop_factory()()


# Young-generation threshold while the loop runs (CPython's default is 700). Measured on 10,000 calls at
# 256 in flight: 700 → 2.65 s, 5,000 → 2.36 s, 20,000 → 2.28 s; the cyclic garbage between collections
# stays in the low megabytes.
GC_THRESHOLD0 = 20_000


@contextlib.contextmanager
def steady_gc() -> Iterator[None]:
    """Freeze the objects that exist now (plans, prompts: they live for the whole run) out of the GC's
    reach and collect the young generation less often; restore both on exit."""
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(previous[0], GC_THRESHOLD0), *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()


def run(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run on afgap's loop, under steady_gc: Ctrl-C cancels `main`, then raises KeyboardInterrupt."""
    with steady_gc(), asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
