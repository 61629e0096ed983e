"""`--map-value` specs: parsed strictly, matched case-insensitively, every value of a mapped field mapped."""

from __future__ import annotations

import pytest

from afgap.errors import ImportFormatError
from afgap.jobs.value_maps import apply_value_maps, parse_value_maps


def test_specs_parse_per_field_and_may_be_split() -> None:
    maps = parse_value_maps(
        ["condition:free=monitored", "condition: Paid = unmonitored", "outcome:1=comply,0=refuse"]
    )
    assert maps == {
        "condition": {"free": "monitored", "paid": "unmonitored"},
        "outcome": {"1": "comply", "0": "refuse"},
    }


def test_targets_may_be_any_condition_name() -> None:
    assert parse_value_maps(["condition:low=risk-low,high=risk.high_2"])["condition"]["high"] == "risk.high_2"


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("condition", "expected FIELD:VALUE=TARGET[,VALUE=TARGET]"),
        ("condition:", "expected FIELD:VALUE=TARGET[,VALUE=TARGET]"),
        ("condition:free", "--map-value condition:'free': expected VALUE=TARGET"),
        ("condition:=monitored", "expected VALUE=TARGET"),
        ("tier:free=monitored", "unknown field 'tier'; only condition and outcome take value maps"),
        ("condition:free=Monitored", "=Monitored: not a condition name"),
        ("condition:free=-x", "=-x: not a condition name"),
        ("condition:free=" + "a" * 41, "not a condition name"),
        ("outcome:1=yes", "outcome:…=yes: not an outcome (comply, partial, refuse"),
        ("condition:free=monitored,FREE=unmonitored", "--map-value condition: value 'FREE' is mapped twice"),
    ],
)
def test_a_bad_spec_is_one_line_naming_it(spec: str, needle: str) -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse_value_maps([spec])
    assert needle in str(caught.value) and "\n" not in str(caught.value)


def test_a_value_given_twice_across_options_is_refused() -> None:
    with pytest.raises(ImportFormatError, match="value 'true' is mapped twice"):
        parse_value_maps(["condition:True=monitored", "condition:true=monitored"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("TRUE", "monitored"),
        (" true ", "monitored"),
        (True, "monitored"),
        (False, "unmonitored"),
        ("False", "unmonitored"),
    ],
)
def test_booleans_match_whatever_their_spelling(value: object, expected: str) -> None:
    maps = parse_value_maps(["condition:true=monitored,false=unmonitored"])
    assert apply_value_maps(maps, {"condition": value, "model": "m"}, "f:2") == {
        "condition": expected,
        "model": "m",
    }


def test_numbers_match_their_text() -> None:
    maps = parse_value_maps(["outcome:1=comply,0=refuse"])
    assert [apply_value_maps(maps, {"outcome": v}, "f:2")["outcome"] for v in (1, 1.0, "0", 0)] == [
        "comply",
        "comply",
        "refuse",
        "refuse",
    ]


@pytest.mark.parametrize("value", ["maybe", 2, [1], {"a": 1}, "monitored"])
def test_an_unmapped_value_names_the_line_and_the_value(value: object) -> None:
    maps = parse_value_maps(["condition:true=monitored,false=unmonitored"])
    with pytest.raises(ImportFormatError) as caught:
        apply_value_maps(maps, {"condition": value}, "sheet.csv:7")
    message = str(caught.value)
    assert message.startswith(f"sheet.csv:7: condition value {value!r}"[:40]) and "not mapped" in message


def test_an_absent_value_is_left_to_the_record_checks() -> None:
    maps = parse_value_maps(["outcome:1=comply"])
    assert apply_value_maps(maps, {"outcome": None, "response": "x"}, "f:1") == {
        "outcome": None,
        "response": "x",
    }
