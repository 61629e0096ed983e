"""Judge questions as CallPlans: which questions a response raises, and how each is hashed and sent. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from afgap.classify.judges import (
    PROMPT_VERSION,
    JudgeName,
    Reading,
    judge_messages,
    load_prompt,
    parse_reply,
    retry_messages,
)
from afgap.classify.prompt_files import RETRY_NOTE, PromptFile
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
    prompt: PromptFile | None = None
    """A prompt file the user brought for this judge; None = the built-in prompt and its JSON reply."""

    def parse(self, reply: str | None) -> Reading | None:
        """The reply read in the shape this question asked for."""
        if self.prompt is not None:
            return self.prompt.parse(reply)
        return parse_reply(self.judge, reply)


Prompts = Mapping[JudgeName, PromptFile]


def classifier_name(model: str, prompts: Prompts | None = None) -> str:
    """The label classifier name, e.g. ``judge:sim/judge@1``.

    Each prompt file's version and reply shape is part of the name
    (``…@1+af-reasoning@file:1a2b3c4d:criteria``), so labels from different prompts or shapes never
    replace or mix with one another.
    """
    files = "".join(f"+{p.version}:{p.fmt}" for _, p in sorted((prompts or {}).items()))
    return f"judge:{model}@{PROMPT_VERSION}{files}"


def _ask(
    item: int, judge: JudgeName, vote: int, prompts: Prompts, values: tuple[str | None, str, str, str]
) -> Ask:
    """One question, in the user's prompt file for this judge when there is one."""
    query, answer, scratchpad, whole = values
    prompt = prompts.get(judge)
    if prompt is None:
        reasoning = scratchpad if judge == "af-reasoning" else ""
        return Ask(item, judge, vote, judge_messages(judge, query, answer, reasoning))
    return Ask(item, judge, vote, prompt.messages(query, answer, scratchpad, whole), prompt)


def asks_for(
    item: int,
    text: str | None,
    reasoning: str | None,
    query: str | None,
    votes: int,
    prompts: Prompts | None = None,
) -> list[Ask]:
    """A response's judge questions: compliance and partial on its answer, AF votes on its reasoning."""
    scratchpad, output = split_response(text or "", reasoning)
    answer = output if output is not None else (text or "")
    values = (query, answer, scratchpad, text or "")
    asks = [_ask(item, j, 0, prompts or {}, values) for j in ("compliance", "partial")]
    if scratchpad.strip():
        asks += [_ask(item, "af-reasoning", vote, prompts or {}, values) for vote in range(votes)]
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
    note = RETRY_NOTE if ask.prompt is not None and ask.prompt.fmt != "json" else None
    messages = retry_messages(ask.messages, bad_reply, note) if retry else ask.messages
    sampling = _SAMPLING[ask.judge]
    version = ask.prompt.version if ask.prompt is not None else load_prompt(ask.judge).version
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
