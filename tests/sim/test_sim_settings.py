"""SimSettings: one object for every way of starting the simulator, checked once, handed on whole."""

from __future__ import annotations

import dataclasses
import math

import pytest

from afgap.errors import InputError
from afgap.sim.process import _JSON
from afgap.sim.settings import SimSettings, as_flag


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (SimSettings(port=70000), "port must be in 0..65535, got 70000"),
        (
            SimSettings(slow_ms=-1),
            "latency_ms, slow_ms and retry_after must be finite and >= 0, got 0, -1 and 1",
        ),
        (
            SimSettings(latency_ms=math.nan),
            "latency_ms, slow_ms and retry_after must be finite and >= 0, got nan, 1000 and 1",
        ),
        (SimSettings(fault_rate=1.5), "fault_rate must be in [0, 1], got 1.5"),
        (SimSettings(slow_rate=-0.1), "slow_rate must be in [0, 1], got -0.1"),
        (
            SimSettings(error_rate=0.6, drop_rate=0.6),
            "fault_rate, rate_limit_rate, error_rate and drop_rate add up to over 1",
        ),
    ],
)
def test_check_names_the_field(settings: SimSettings, message: str) -> None:
    with pytest.raises(InputError) as raised:
        settings.check()
    assert str(raised.value) == message


def test_check_names_the_flag_when_asked() -> None:
    with pytest.raises(InputError) as raised:
        SimSettings(drop_rate=2).check(spell=as_flag)
    assert str(raised.value) == "--drop-rate must be in [0, 1], got 2"


def test_a_slow_share_is_not_a_fault_share() -> None:
    SimSettings(rate_limit_rate=0.6, slow_rate=0.6).check()


def test_the_child_process_gets_every_field() -> None:
    values = {"port": 1, "seed": 2, "latency_ms": 3.0, "fault_rate": 0.1, "rate_limit_rate": 0.2}
    values |= {"error_rate": 0.3, "drop_rate": 0.05, "slow_rate": 0.5, "slow_ms": 6.0, "retry_after": 7.0}
    values |= {"batch_delay_s": 0.5, "batch_expire_rate": 0.25}
    settings = SimSettings(**values)  # type: ignore[arg-type]
    assert set(values) == {f.name for f in dataclasses.fields(SimSettings)}
    assert _JSON.validate_json(_JSON.dump_json(settings)) == settings
