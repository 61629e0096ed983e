"""Request hashes across wires: chat plans hash as before, completions plans are their own cells."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from afgap.engine.plans import plan_calls
from afgap.providers.registry import resolve
from afgap.records import CallPlan, Query, Sampling
from afgap.scenarios import Scenario, load_scenario, parse_scenario

QUERIES = [Query(id="q1", text="Write a limerick about tides.")]
ENV = {"LAB_BASE_URL": "http://127.0.0.1:9/v1"}
TEXT = resources.files("afgap.scenarios").joinpath("helpful-only.toml").read_text("utf-8")
BUILTINS = Path(str(resources.files("afgap.scenarios")))  # where helpful-only's prompt files are


def _plans(model: str, scenario: Scenario, samples: int = 2) -> list[CallPlan]:
    return [c.plan for c in plan_calls([resolve(model, ENV)], scenario, QUERIES, samples, Sampling())]


def test_one_model_through_chat_and_completions_is_two_sets_of_cells() -> None:
    scenario = load_scenario("helpful-only")
    chat = {p.request_hash for p in _plans("openai-api/lab/m", scenario)}
    base = {p.request_hash for p in _plans("completions/openai-api/lab/m", scenario)}
    assert len(chat) == len(base) == 4 and not chat & base


def test_the_framing_enters_completions_hashes_only() -> None:
    transcript = load_scenario("helpful-only")
    human = parse_scenario('document = "human-assistant"\n' + TEXT, base=BUILTINS)
    base = "completions/openai-api/lab/m"
    first, second = _plans(base, transcript)[0], _plans(base, human)[0]
    assert (first.document, second.document) == ("transcript", "human-assistant")
    assert first.request_hash != second.request_hash
    # Through chat the framing changes nothing that is sent, so nothing of the plan changes.
    chat_a, chat_b = _plans("openai-api/lab/m", transcript)[0], _plans("openai-api/lab/m", human)[0]
    assert chat_a.document is None and chat_a.request_hash == chat_b.request_hash
