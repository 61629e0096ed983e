"""afgap's event loop: uvloop unless told otherwise, and the GC settings it runs under."""

from __future__ import annotations

import asyncio
import gc

import pytest

from afgap.engine import eventloop


def test_uvloop_is_the_default_where_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("uvloop", reason="uvloop is not installed on this platform (Windows)")
    monkeypatch.delenv(eventloop.LOOP_VAR, raising=False)
    assert eventloop.loop_name() == "uvloop"
    assert type(eventloop.run(_running_loop())).__module__.startswith("uvloop")


def test_the_standard_loop_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(eventloop.LOOP_VAR, "asyncio")
    assert eventloop.loop_name() == "asyncio"
    assert isinstance(eventloop.run(_running_loop()), asyncio.BaseEventLoop)


def test_steady_gc_collects_less_often_and_restores_everything() -> None:
    before = gc.get_threshold()
    with eventloop.steady_gc():
        assert gc.get_threshold()[0] >= eventloop.GC_THRESHOLD0
        assert gc.get_freeze_count() > 0  # what existed before the run is out of the collector's way
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_steady_gc_restores_after_an_error() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), eventloop.steady_gc():
        raise RuntimeError("boom")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


async def _running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()
