"""Which design a compared scenario gets: classic, stored, or from --reference and --levels."""

from __future__ import annotations

import pytest

from afgap.errors import InputError
from afgap.jobs.compare import design_for, parse_levels
from afgap.records import TWO_CONDITION, Design, Outcome
from afgap.stats.analysis import ModelData, Observation

PROBE = Design(
    ("unmonitored", "throughput", "risk-low", "risk-high"), "unmonitored", ("risk-low", "risk-high")
)


def _data(*conditions: str, scenario: str = "probe") -> ModelData:
    obs = tuple(Observation("q", c, 0, Outcome.COMPLY) for c in conditions)
    return ModelData("m", scenario, False, obs)


def test_monitored_and_unmonitored_alone_are_the_classic_design() -> None:
    assert design_for(_data("monitored", "unmonitored"), {}, None, ()) is TWO_CONDITION
    assert design_for(_data("monitored"), {}, None, ()) is TWO_CONDITION
    assert design_for(_data("unmonitored", "monitored"), {}, "unmonitored", ()).is_two_condition


def test_other_conditions_need_a_design_or_a_reference() -> None:
    with pytest.raises(InputError) as caught:
        design_for(_data("a", "b", "c"), {}, None, ())
    assert str(caught.value) == (
        "scenario 'probe' has conditions a, b, c and no stored design; "
        "name the reference condition with --reference NAME"
    )
    assert design_for(_data("a", "b", "c"), {}, "b", ()) == Design(("a", "b", "c"), "b")


def test_a_stored_design_is_used_and_the_options_override_it() -> None:
    data = _data("unmonitored", "risk-low", scenario="probe@abcd1234")
    assert design_for(data, {"probe": PROBE}, None, ()) == PROBE
    flipped = design_for(data, {"probe": PROBE}, "throughput", ("risk-low", "risk-high"))
    assert flipped.reference == "throughput" and flipped.conditions == PROBE.conditions
    assert design_for(data, {"probe": PROBE}, None, ("risk-high", "risk-low")).levels == (
        "risk-high",
        "risk-low",
    )


@pytest.mark.parametrize(
    ("reference", "levels", "message"),
    [
        ("nope", (), "--reference 'nope' is not a condition of scenario 'probe'"),
        (None, ("risk-low", "gone"), "--levels must name distinct conditions of scenario 'probe'"),
        (None, ("unmonitored", "risk-low"), "other than the reference"),
    ],
)
def test_bad_overrides_are_one_line_errors(
    reference: str | None, levels: tuple[str, ...], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        design_for(_data("unmonitored", "risk-low"), {"probe": PROBE}, reference, levels)


def test_levels_parse_as_condition_names() -> None:
    assert parse_levels(None) == ()
    assert parse_levels("risk-low, risk-high") == ("risk-low", "risk-high")
    for bad in ("risk-low", "a,,b", "A,B", ""):
        with pytest.raises(InputError, match="--levels expects two or more condition names"):
            parse_levels(bad)
