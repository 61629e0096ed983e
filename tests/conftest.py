"""Shared fixtures: run the CLI through its real entry point, a throwaway store, a loopback simulator."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from afgap.cli import main

SENTINEL_KEY = "sk-afgap-SENTINEL-7f3a9c1e5b"


@dataclass(frozen=True)
class CliResult:
    """What one CLI invocation produced."""

    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout parsed whole as one JSON document."""
        return json.loads(self.stdout)


def run_main(args: Sequence[str]) -> CliResult:
    """Run afgap.cli.main with captured streams, so tests see the real error-to-exit-code mapping."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """Invoke `afgap ARGS…` in-process; returns a CliResult."""
    monkeypatch.delenv("AFGAP_DB", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str, env: dict[str, str] | None = None) -> CliResult:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        return run_main(args)

    return invoke


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store path that does not exist yet."""
    return tmp_path / "study.sqlite"


@pytest.fixture
def sim() -> Iterator[Any]:
    """A simulator on a free loopback port for the duration of one test."""
    from afgap.sim.server import start_in_thread

    with start_in_thread() as running:
        yield running


@pytest.fixture
def no_backoff() -> Iterator[None]:
    """Retry waits are zero in tests; attempt limits stay as configured."""
    import stamina

    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@pytest.fixture
def fake() -> Iterator[Any]:
    """The scripted provider server of tests/fake_provider.py on loopback, expecting the sentinel key."""
    from tests.fake_provider import RunningFake

    with RunningFake(key=SENTINEL_KEY) as server:
        yield server


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may see a real key: wipe provider keys from the environment."""
    for name in list(os.environ):
        if name.endswith("_API_KEY"):
            monkeypatch.delenv(name)
