"""The scenario's `document` key: two framings, hashed only when set to the non-default one."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from afgap.errors import ScenarioError
from afgap.scenarios import parse_scenario, prefill_for, scenario_hash

TEXT = resources.files("afgap.scenarios").joinpath("helpful-only.toml").read_text("utf-8")
# helpful-only keeps its prompts in template files beside it
BASE = Path(str(resources.files("afgap.scenarios")))


def test_the_default_framing_keeps_every_existing_hash() -> None:
    plain = parse_scenario(TEXT, base=BASE)
    explicit = parse_scenario('document = "transcript"\n' + TEXT, base=BASE)
    assert plain.document == "transcript"
    assert scenario_hash(plain) == scenario_hash(explicit)
    assert scenario_hash(parse_scenario('document = "human-assistant"\n' + TEXT, base=BASE)) != scenario_hash(
        plain
    )


def test_an_unknown_framing_is_one_line_naming_the_key() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario('document = "chatml"\n' + TEXT, "s.toml", BASE)
    assert str(caught.value).startswith("s.toml:1: document:") and "\n" not in str(caught.value)


def test_prefill_is_kept_per_wire_and_only_the_declared_one_is_used() -> None:
    scenario = parse_scenario(TEXT + "completions = '<'\n", base=BASE)
    assert prefill_for(scenario, "anthropic") == "<" and prefill_for(scenario, "completions") == "<"
    assert prefill_for(scenario, "openai") is None
