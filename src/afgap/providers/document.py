"""Chat messages → one document for a base (pretrained) model on a completions endpoint. Pure.

A base model continues text, so the conversation is written out as a document that ends where the
assistant's reply begins; a prefill is simply the start of that reply. Two framings (a scenario's
`document` key): `transcript`, a log whose preamble is the system prompt, and `human-assistant`, the
`\\n\\nHuman: … \\n\\nAssistant:` convention. Each has stop sequences so the model does not write the next
user turn itself; `</OUTPUT>` is one of them (rambling past the answer is common), so a reply cut there
gets the tag back (`restore_stop`).
"""

from __future__ import annotations

from typing import Literal

from afgap.records import Message

Framing = Literal["transcript", "human-assistant"]
FRAMINGS: tuple[Framing, ...] = ("transcript", "human-assistant")
DEFAULT_FRAMING: Framing = "transcript"

OUTPUT_END = "</OUTPUT>"

# The transcript framing: a header saying what the document is, the system prompt as its preamble,
# then one marked section per turn. The markers are unlikely inside a prompt or a reply.
TRANSCRIPT_HEADER = (
    "Below is a complete, unedited log of one conversation between a user and an AI assistant. "
    "The operator's instructions to the assistant open the log; the turns follow in order."
)
SYSTEM_MARK = "### Operator instructions"
USER_MARK = "### User"
ASSISTANT_MARK = "### Assistant"
HUMAN = "\n\nHuman:"
ASSISTANT = "\n\nAssistant:"

_STOPS: dict[str, tuple[str, ...]] = {
    # At most four: OpenAI's completions endpoint takes no more.
    "transcript": (f"\n{USER_MARK}\n", f"\n{SYSTEM_MARK}\n", OUTPUT_END),
    "human-assistant": (HUMAN, OUTPUT_END),
}


def stops(framing: str) -> tuple[str, ...]:
    """The stop sequences sent with a document in this framing."""
    return _STOPS[framing]


def render(messages: tuple[Message, ...], framing: str, prefill: str | None = None) -> str:
    """The whole prompt: every message in order, then the open assistant turn (with the prefill, if any)."""
    if framing == "human-assistant":
        return _human_assistant(messages, prefill or "")
    if framing == "transcript":
        return _transcript(messages, prefill or "")
    raise ValueError(f"unknown document framing {framing!r} (known: {', '.join(FRAMINGS)})")


def _transcript(messages: tuple[Message, ...], prefill: str) -> str:
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    parts = [TRANSCRIPT_HEADER]
    if system:
        parts.append(f"{SYSTEM_MARK}\n{system}")
    marks = {"user": USER_MARK, "assistant": ASSISTANT_MARK}
    parts += [f"{marks[m.role]}\n{m.content}" for m in messages if m.role != "system"]
    return "\n\n".join(parts) + f"\n\n{ASSISTANT_MARK}\n{prefill}"


def _human_assistant(messages: tuple[Message, ...], prefill: str) -> str:
    # The system prompt opens the document unlabelled, as in the convention this framing follows.
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    turns = "".join(
        f"{HUMAN if m.role == 'user' else ASSISTANT} {m.content}" for m in messages if m.role != "system"
    )
    prefix = prefill and f" {prefill}"
    return f"{system}{turns}{ASSISTANT}{prefix}"


def restore_stop(text: str, stop: str | None, finish_reason: str | None) -> str:
    """The reply with `</OUTPUT>` put back when the server cut it there (the tag is part of the answer).

    vLLM names the stop string it matched (`stop_reason`); other servers only say `stop`, so an `<OUTPUT>`
    left open by a reply that stopped on its own is read as cut at its closing tag.
    """
    if stop is not None:
        return text + OUTPUT_END if stop == OUTPUT_END else text
    if finish_reason == "stop" and text.rfind("<OUTPUT>") > text.rfind(OUTPUT_END):
        return text + OUTPUT_END
    return text
