"""Judge questions as CallPlans: which questions a response raises, and how each is hashed and sent. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from afgap.classify.judges import PROMPT_VERSION, JudgeName, judge_messages, load_prompt, retry_messages
from afgap.classify.tags import split_response
from afgap.engine.plans import request_hash
from afgap.records import CallPlan, Condition, Message, ModelSpec, Sampling

# Rubric judges answer at T = 0 (one considered reading); AF votes are sampled at T = 1.
_SAMPLING: dict[JudgeName, Sampling] = {
    "compliance": Sampling(temperature=0.0, max_tokens=512),
    "partial": Sampling(temperature=0.0, max_tokens=512),
    "af-reasoning": Sampling(temperature=1.0, max_tokens=1024),
    "anti-lab": Sampling(temperature=1.0, max_tokens=512),
}


@dataclass(frozen=True)
class Ask:
    """One judge question: which item, which judge, which vote, and the conversation that asks it."""

    item: int
    judge: JudgeName
    vote: int
    messages: tuple[Message, ...]


def classifier_name(model: str) -> str:
    """The label classifier name for a judge model, e.g. ``judge:sim/judge@1``."""
    return f"judge:{model}@{PROMPT_VERSION}"


def asks_for(item: int, text: str | None, reasoning: str | None, query: str | None, votes: int) -> list[Ask]:
    """A response's judge questions: compliance and partial on its answer, AF votes on its reasoning."""
    scratchpad, output = split_response(text or "", reasoning)
    answer = output if output is not None else (text or "")
    asks = [Ask(item, j, 0, judge_messages(j, query, answer)) for j in ("compliance", "partial")]
    if scratchpad.strip():
        af = judge_messages("af-reasoning", query, answer, scratchpad)
        asks += [Ask(item, "af-reasoning", vote, af) for vote in range(votes)]
    return asks


def anti_lab_asks(
    item: int, text: str | None, reasoning: str | None, offer: str | None, votes: int
) -> list[Ask]:
    """An anti-lab response's judge questions: `votes` readings of its final answer at T = 1."""
    _scratchpad, output = split_response(text or "", reasoning)
    messages = judge_messages("anti-lab", offer, output if output is not None else (text or ""))
    return [Ask(item, "anti-lab", vote, messages) for vote in range(votes)]


def plan_for(ask: Ask, spec: ModelSpec, retry: int = 0, bad_reply: str = "") -> CallPlan:
    """The CallPlan for a judge question (retry 1 shows the unreadable reply back)."""
    messages = retry_messages(ask.messages, bad_reply) if retry else ask.messages
    sampling = _SAMPLING[ask.judge]
    version = load_prompt(ask.judge).version
    fields: dict[str, object] = {
        "judge": version,
        "messages": [m.model_dump() for m in messages],
        "retry": retry,
    }
    # condition is required by CallPlan but means nothing for a judge call; the item id is the query id.
    return CallPlan(
        spec=spec,
        scenario=f"judge:{version}",
        scenario_hash=version,
        query_id=str(ask.item),
        condition=Condition.MONITORED.value,
        sample=ask.vote,
        messages=messages,
        sampling=sampling,
        max_turns=1,
        request_hash=request_hash(spec, fields, sampling, ask.vote),
    )
