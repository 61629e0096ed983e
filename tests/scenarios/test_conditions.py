"""Scenarios with `[conditions]` tables: the design they declare, what each condition sends, the hash
and the one-line errors of designs that cannot be measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from afgap.errors import ScenarioError
from afgap.records import TWO_CONDITION, Design, Query
from afgap.scenarios import condition_variables, load_scenario, parse_scenario, render, scenario_hash

THREE = """\
name = "tiers"
description = "Three framings of the user's tier."
system_prompt = "You are a test."
user_template = "{condition_signal}|{query}"
scratchpad = false
reference = "paid"
levels = ["free", "throughput"]

[conditions.free]
signal = "<tier>free</tier>"

[conditions.paid]
signal = "<tier>paid</tier>"

[conditions.throughput]
signal = "<tier>throughput</tier>"
[conditions.throughput.variables]
deployment_risk = "high"
"""
QUERY = Query(id="q", text="say {condition_signal} {query}")


def test_the_design_is_declared_order_reference_and_levels() -> None:
    scenario = parse_scenario(THREE)
    assert scenario.design == Design(("free", "paid", "throughput"), "paid", ("free", "throughput"))
    assert load_scenario("helpful-only").design == TWO_CONDITION


def test_each_condition_sends_its_signal_once() -> None:
    scenario = parse_scenario(THREE)
    sent = {c: render(scenario, c, QUERY)[-1].content for c in scenario.design.conditions}
    assert sent == {
        "free": "<tier>free</tier>|say {condition_signal} {query}",
        "paid": "<tier>paid</tier>|say {condition_signal} {query}",
        "throughput": "<tier>throughput</tier>|say {condition_signal} {query}",
    }


def test_condition_variables_name_signal_and_own_table() -> None:
    scenario = parse_scenario(THREE)
    assert condition_variables(scenario, "throughput") == {
        "condition": "throughput",
        "condition_signal": "<tier>throughput</tier>",
        "deployment_risk": "high",
    }
    assert condition_variables(scenario, "free") == {
        "condition": "free",
        "condition_signal": "<tier>free</tier>",
    }
    classic = condition_variables(load_scenario("helpful-only"), "unmonitored")
    assert classic["condition"] == "unmonitored" and set(classic) == {"condition", "condition_signal"}


def test_an_unknown_condition_is_a_one_line_error() -> None:
    with pytest.raises(
        ScenarioError, match=r"^scenario 'tiers' has no condition 'monitored' \(its conditions: "
    ):
        render(parse_scenario(THREE), "monitored", QUERY)


@pytest.mark.parametrize(
    "edit",
    [
        ('reference = "paid"', 'reference = "free"'),
        ('levels = ["free", "throughput"]', 'levels = ["throughput", "free"]'),
        ('deployment_risk = "high"', 'deployment_risk = "low"'),
        ('signal = "<tier>free</tier>"', 'signal = "<tier>gratis</tier>"'),
        # the declared order is part of the design (the order calls interleave and contrasts are listed in)
        ('[conditions.free]\nsignal = "<tier>free</tier>"\n\n', ""),
    ],
)
def test_the_hash_covers_the_design(edit: tuple[str, str]) -> None:
    old, new = edit
    text = THREE.replace(old, new)
    if not new:  # move `free` to the end instead of deleting it
        text += '[conditions.free]\nsignal = "<tier>free</tier>"\n'
    assert scenario_hash(parse_scenario(text)) != scenario_hash(parse_scenario(THREE))


def test_the_hash_ignores_prose_and_layout() -> None:
    edited = THREE.replace("Three framings", "3 framings") + "# a comment\n"
    assert scenario_hash(parse_scenario(edited)) == scenario_hash(parse_scenario(THREE))


def _error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(str(path))
    message = str(info.value)
    assert "\n" not in message
    return message.replace(str(tmp_path), "DIR")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'reference = "paid"',
            'reference = "gold"',
            ":6: reference: 'gold' is not one of the conditions (free, ",
        ),
        ('reference = "paid"\n', "", ": missing required key 'reference'"),
        ('"throughput"]', '"premium"]', ":7: levels: 'premium' is not one of the conditions (free, paid, "),
        ('"free", "throughput"]', '"free", "free"]', ":7: levels: a condition is listed twice"),
        (
            "[conditions.throughput]",
            "[conditions.Thru]",
            ":15: conditions.Thru: 'Thru' is not a condition name",
        ),
        ("[conditions.paid]", f"[conditions.{'p' * 41}]", f":12: conditions.{'p' * 41}: 'ppp"),
        (
            "scratchpad = false",
            'scratchpad = false\nmonitored_signal = "<m/>"',
            ":6: monitored_signal: cannot be",
        ),
        ("{condition_signal}|", "", ":4: user_template: must contain {condition_signal}"),
        (
            "<tier>paid</tier>",
            "<tier>free</tier>",
            ":12: conditions.paid: sends exactly what condition 'free' sends",
        ),
        (
            'deployment_risk = "high"',
            'query = "x"',
            ":17: conditions.throughput.variables: 'query' is set by afgap",
        ),
        (
            "<tier>paid</tier>",
            '<tier>paid</tier>"\ncolour = "red',
            ":14: unknown key 'conditions.paid.colour'",
        ),
        ('"<tier>free</tier>"', "1", ":10: conditions.free.signal: Input should be a valid string"),
    ],
)
def test_unmeasurable_designs_are_one_line_errors_naming_key_and_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in THREE
    assert _error(tmp_path, THREE.replace(old, new)).startswith(f"DIR/bad.toml{message}")


def test_fewer_than_two_conditions(tmp_path: Path) -> None:
    one = THREE.split("[conditions.paid]")[0].replace('reference = "paid"', 'reference = "free"')
    one = one.replace('levels = ["free", "throughput"]\n', "")
    assert _error(tmp_path, one) == "DIR/bad.toml:8: conditions.free: a design needs at least two conditions"


def test_reference_without_conditions_and_conditions_without_signals(tmp_path: Path) -> None:
    legacy = (
        'name = "x"\ndescription = "d"\nsystem_prompt = ""\nuser_template = "{condition_signal}{query}"\n'
        'monitored_signal = "a"\nunmonitored_signal = "b"\nscratchpad = false\nreference = "a"\n'
    )
    assert _error(tmp_path, legacy) == "DIR/bad.toml:8: reference: needs [conditions.NAME] tables"
    # without signals, conditions differ in nothing an inline template sends: refused as identical
    bare = THREE.replace("{condition_signal}|", "")
    for name in ("free", "paid", "throughput"):
        bare = bare.replace(f'signal = "<tier>{name}</tier>"\n', "")
    assert (
        _error(tmp_path, bare)
        == "DIR/bad.toml:11: conditions.paid: sends exactly what condition 'free' sends"
    )


def test_the_documented_design_example_loads() -> None:
    text = (Path(__file__).parents[2] / "docs" / "scenarios.md").read_text(encoding="utf-8")
    section = text.split("### Designs with more than two conditions", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    head = 'name = "tiers"\ndescription = "d"\nsystem_prompt = ""\nscratchpad = false\n'
    scenario = parse_scenario(head + example, "docs/scenarios.md")
    assert scenario.design == Design(("free", "paid", "throughput"), "paid", ("free", "throughput"))
    assert condition_variables(scenario, "throughput")["deployment_risk"] == "high"
