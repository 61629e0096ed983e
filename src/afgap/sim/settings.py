"""The simulator's settings: one frozen object that every way of starting a simulator builds and passes.

`start_in_thread`, `serve_forever` (`afgap sim serve`) and `start_in_subprocess` all take a SimSettings;
the child process gets it as JSON. Light on purpose (no HTTP imports): jobs and the CLI build one before
they know whether a simulator will start.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from afgap.errors import InputError
from afgap.settings import DEFAULT_SEED, DEFAULT_SIM_RETRY_AFTER, DEFAULT_SIM_SLOW_MS

# The shares of attempts that fault (a slow answer is still an answer, so slow_rate is not one of them).
FAULT_RATES = ("fault_rate", "rate_limit_rate", "error_rate", "drop_rate")


@dataclass(frozen=True, slots=True)
class SimSettings:
    """Where the simulator listens, its seed, added latency, per-attempt fault rates and Retry-After.

    Rates are per attempt and add to an organism's own; the same seed gives the same replies and faults.
    """

    port: int = 0  # 0: a free port, reported once bound
    seed: int = DEFAULT_SEED
    latency_ms: float = 0.0
    fault_rate: float = 0.0  # split 70 % 429 (with Retry-After) / 30 % 500
    rate_limit_rate: float = 0.0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    slow_rate: float = 0.0
    slow_ms: float = DEFAULT_SIM_SLOW_MS
    retry_after: float = DEFAULT_SIM_RETRY_AFTER
    batch_delay_s: float = 0.0  # a batch (sim/batches.py) ends this long after it was created
    batch_expire_rate: float = 0.0  # share of batch items that expire the first time they are submitted

    def check(self, spell: Callable[[str], str] = str) -> None:
        """Raise InputError for the first impossible setting, named by `spell` (a field → its flag)."""
        if not 0 <= self.port <= 65535:
            raise InputError(f"{spell('port')} must be in 0..65535, got {self.port}")
        durations = ("latency_ms", "slow_ms", "retry_after")
        # `not 0 <= x < inf`: NaN fails too, and an infinite wait would hang every request.
        if not all(0 <= getattr(self, name) < math.inf for name in durations):
            got = [f"{getattr(self, name):g}" for name in durations]
            raise InputError(f"{_listed(durations, spell)} must be finite and >= 0, got {_joined(got)}")
        if not 0 <= self.batch_delay_s < math.inf:
            raise InputError(f"{spell('batch_delay_s')} must be finite and >= 0, got {self.batch_delay_s:g}")
        for name in (*FAULT_RATES, "slow_rate", "batch_expire_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise InputError(f"{spell(name)} must be in [0, 1], got {rate:g}")
        if sum(getattr(self, name) for name in FAULT_RATES) > 1.0:
            raise InputError(f"{_listed(FAULT_RATES, spell)} add up to over 1")


def as_flag(name: str) -> str:
    """A field's command-line flag: `slow_ms` → `--slow-ms` (for `check(spell=as_flag)`)."""
    return "--" + name.replace("_", "-")


def _listed(names: tuple[str, ...], spell: Callable[[str], str]) -> str:
    return _joined([spell(name) for name in names])


def _joined(items: list[str]) -> str:
    """'a, b and c'."""
    return f"{', '.join(items[:-1])} and {items[-1]}"
