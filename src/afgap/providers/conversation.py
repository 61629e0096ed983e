"""One plan's conversation: prefill, continuation turns (`<NEXT/>`), and the CallRecord it becomes.

A scratchpad scenario's model may stop after a `</SCRATCHPAD_REASONING>` block and expect the user to
say `<NEXT/>`; `converse` does that up to the plan's max_turns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from afgap.providers import completions
from afgap.providers import prefill as prefills
from afgap.providers.clients import AttemptError
from afgap.providers.transport import Endpoint, Reply, RetryPolicy, send
from afgap.providers.wire import SAMPLE_HEADER, WireFormat, encode_body
from afgap.records import CallPlan, CallRecord, CallStatus, Completion, Message, ModelSpec

NEXT_TURN = "<NEXT/>"
SCRATCHPAD_END = "</SCRATCHPAD_REASONING>"
OUTPUT_END = "</OUTPUT>"
# Turns are separate assistant messages on the wire; the stored text joins them with this.
TURN_SEPARATOR = "\n"


async def converse(
    endpoint: Endpoint, plan: CallPlan, policy: RetryPolicy, on_retry: Callable[[], None]
) -> tuple[Transcript, AttemptError | None]:
    """Run every turn of `plan`; the transcript so far, and the error that ended it early if any."""
    spec = plan.spec
    prefill = first_prefill(endpoint.wire, plan)
    headers = {**endpoint.headers, SAMPLE_HEADER: str(plan.sample)}
    transcript = Transcript(plan.messages, spec.simulated)
    conversation = plan.messages
    for turn in range(1, max(plan.max_turns, 1) + 1):
        turn_prefill = prefill if turn == 1 else None
        body = request_body(endpoint.wire, plan, conversation, turn_prefill)
        transcript.sent = sent_messages(plan, conversation, body, turn_prefill) or transcript.sent
        content = encode_body(body)
        if endpoint.token_limiter is not None:
            # Estimated input tokens (bytes / 4); a request larger than the whole budget waits for all of it.
            limiter = endpoint.token_limiter
            await limiter.acquire(min(len(content) / 4, limiter.max_rate))
        try:
            reply = await send(endpoint, content, headers, policy, on_retry)
        except AttemptError as exc:
            transcript.attempts += exc.attempts
            transcript.simulated = transcript.simulated or exc.simulated
            return transcript, exc
        text = transcript.add(reply, turn_prefill)
        if turn == plan.max_turns or not needs_continuation(transcript.text, reply.completion, text):
            break
        conversation = next_conversation(conversation, text)
        if plan.document is None:
            transcript.sent = conversation
    return transcript, None


def first_prefill(wire: WireFormat, plan: CallPlan) -> str | None:
    """The prefill of a plan's first turn: only servers that continue a partial assistant turn get it
    (it is re-joined to the reply)."""
    return plan.prefill if plan.prefill and _continues(wire, plan.spec) else None


def _continues(wire: WireFormat, spec: ModelSpec) -> bool:
    """Whether this endpoint continues a prefilled assistant turn (chat servers differ)."""
    if spec.wire == "openai":
        return prefills.chat_style(spec) is not None
    return wire.SUPPORTS_PREFILL


def request_body(
    wire: WireFormat, plan: CallPlan, conversation: tuple[Message, ...], prefill: str | None
) -> dict[str, Any]:
    """The request body for one turn; a completions plan renders the whole conversation as one document."""
    if plan.document is not None:
        # The framing is the scenario's, not the wire's, so it comes from the plan.
        return completions.to_wire(plan.spec, conversation, plan.sampling, prefill, plan.document)
    return wire.to_wire(plan.spec, conversation, plan.sampling, prefill)


def sent_messages(
    plan: CallPlan, conversation: tuple[Message, ...], body: Mapping[str, Any], prefill: str | None
) -> tuple[Message, ...] | None:
    """What a turn's request stores as sent, where it is not simply the conversation so far (None)."""
    if plan.document is not None:
        # A base model was sent one document: that prompt, prefill included, is what was sent.
        return (Message(role="user", content=body["prompt"]),)
    if prefill:
        return (*conversation, Message(role="assistant", content=prefill))
    return None


def next_conversation(conversation: tuple[Message, ...], reply_text: str) -> tuple[Message, ...]:
    """The conversation of the next turn: the reply so far, then the user's <NEXT/>."""
    return (
        *conversation,
        Message(role="assistant", content=reply_text),
        Message(role="user", content=NEXT_TURN),
    )


def needs_continuation(transcript: str, reply: Completion, reply_text: str) -> bool:
    """True when a reply stopped right after a scratchpad block with no answer yet, so it expects <NEXT/>."""
    if reply.api_refusal or reply.finish_reason in ("length", "max_tokens"):
        # Truncated or blocked: another turn would not be the model choosing to continue.
        return False
    return OUTPUT_END not in transcript and reply_text.rstrip().endswith(SCRATCHPAD_END)


@dataclass(slots=True)
class Transcript:
    """What one call has sent and received so far, over all turns and attempts."""

    sent: tuple[Message, ...]
    simulated: bool
    parts: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    tokens_in: int | None = None
    tokens_out: int | None = None
    cache_write_tokens: int | None = None
    cache_read_tokens: int | None = None
    attempts: int = 0
    api_refusal: bool = False
    last: Completion | None = None
    started: float = field(default_factory=time.perf_counter)

    @property
    def text(self) -> str:
        """The full assistant text so far, prefill included."""
        return TURN_SEPARATOR.join(self.parts)

    def add(self, reply: Reply, prefill: str | None) -> str:
        """Account for one turn's reply; returns that turn's assistant text (prefill re-joined)."""
        completion = reply.completion
        text = (prefill or "") + completion.text
        self.parts.append(text)
        if completion.reasoning:
            self.reasoning.append(completion.reasoning)
        self.tokens_in = _add(self.tokens_in, completion.tokens_in)
        self.tokens_out = _add(self.tokens_out, completion.tokens_out)
        self.cache_write_tokens = _add(self.cache_write_tokens, completion.cache_write_tokens)
        self.cache_read_tokens = _add(self.cache_read_tokens, completion.cache_read_tokens)
        self.attempts += reply.attempts
        self.simulated = self.simulated or reply.simulated
        self.api_refusal = self.api_refusal or completion.api_refusal
        self.last = completion
        return text

    def record(self, plan: CallPlan, cost_usd: float | None) -> CallRecord:
        """The CallRecord of a call that got its reply."""
        last = self.last
        return CallRecord(
            plan=plan,
            status="ok",
            messages_sent=self.sent,
            text=self.text,
            reasoning="\n".join(self.reasoning) or None,
            provider_model=last.provider_model if last else None,
            finish_reason=last.finish_reason if last else None,
            tokens_in=self.tokens_in,
            tokens_out=self.tokens_out,
            cost_usd=cost_usd,
            cache_write_tokens=self.cache_write_tokens,
            cache_read_tokens=self.cache_read_tokens,
            latency_s=time.perf_counter() - self.started,
            attempts=self.attempts,
            turns=len(self.parts),
            api_refusal=self.api_refusal,
            simulated=self.simulated,
        )

    def failed(self, plan: CallPlan, status: CallStatus, error_class: str, message: str) -> CallRecord:
        """The CallRecord of a call that ended as error or unavailable (no text: nothing to classify)."""
        return CallRecord(
            plan=plan,
            status=status,
            messages_sent=self.sent,
            tokens_in=self.tokens_in,
            tokens_out=self.tokens_out,
            cache_write_tokens=self.cache_write_tokens,
            cache_read_tokens=self.cache_read_tokens,
            latency_s=time.perf_counter() - self.started,
            attempts=self.attempts,
            turns=max(len(self.parts), 1),
            simulated=self.simulated,
            error_class=error_class,
            error_message=message,
        )


def _add(total: int | None, more: int | None) -> int | None:
    """Sum token counts where a provider may leave some unreported (None stays unknown only if all are)."""
    if more is None:
        return total
    return more if total is None else total + more
