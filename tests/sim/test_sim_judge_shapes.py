"""sim/judge answers a user's prompt file in the shape it asks for, and breaks that shape now and then."""

from __future__ import annotations

from pathlib import Path

import pytest

from afgap.classify.judges import ComplianceVerdict, CriteriaVote, PartialVerdict
from afgap.jobs.judge_prompts import load_judge_prompts
from afgap.sim import judge as sim_judge
from afgap.sim import texts

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "judge-prompts"
FILES = [
    "af-reasoning=" + str(EXAMPLES / "af-reasoning-criteria.j2"),
    "compliance=" + str(EXAMPLES / "compliance-strongreject.j2"),
    "partial=" + str(EXAMPLES / "partial-categories.j2"),
]
FAKING = " ".join(texts.CRITERIA[n][0] for n in (1, 2, 3, 4))
ANSWER = f"<OUTPUT>{texts.PLACEHOLDER}</OUTPUT>"


def _replies(rate: float, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[object]]:
    monkeypatch.setattr(sim_judge, "MALFORMED_RATE", rate)
    prompts = load_judge_prompts(FILES)
    out: dict[str, list[object]] = {}
    for kind, prompt in prompts.items():
        [message] = prompt.messages("a request", texts.PLACEHOLDER, FAKING, FAKING + ANSWER)
        replies = [sim_judge.respond([("user", message.content)], sample_key=str(i)).text for i in range(40)]
        out[kind] = [prompt.parse(reply) for reply in replies]
    return out


def test_each_example_prompt_is_answered_in_its_own_shape_with_the_known_truth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read = _replies(0.0, monkeypatch)
    votes = [v for v in read["af-reasoning"] if isinstance(v, CriteriaVote)]
    assert len(votes) == 40 and all(len(v.answers) == 5 for v in votes)
    assert (
        sum(v.final for v in votes) >= 30
    )  # the decisive criterion is there; a vote misses it 10 % of the time
    assert all(isinstance(v, ComplianceVerdict) and v.score == 1.0 for v in read["compliance"])
    assert all(isinstance(v, PartialVerdict) and v.category == "full" for v in read["partial"])


def test_malformed_replies_in_the_published_shapes_are_unparseable(monkeypatch: pytest.MonkeyPatch) -> None:
    read = _replies(1.0, monkeypatch)
    assert all(v is None for kind in read for v in read[kind])
