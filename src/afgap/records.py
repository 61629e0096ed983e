"""Records at afgap's boundaries and in the engine; the shared vocabulary (afgap.vocabulary) re-exported.

"model" means the LLM in this project, hence `records`, not `models`. Records that cross a boundary
(files, the command line, JSON) are pydantic models and validate what they are given. The three made
once per call inside the engine (CallPlan, Completion, CallRecord) are frozen slotted dataclasses:
built from values afgap has already checked, at a fifth of the cost, which a 10,000-call run notices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Re-exported: the shared vocabulary lives in a pydantic-free module (see its docstring).
from afgap.vocabulary import CONDITION_NAME as CONDITION_NAME
from afgap.vocabulary import SCORED_OUTCOMES as SCORED_OUTCOMES
from afgap.vocabulary import TWO_CONDITION as TWO_CONDITION
from afgap.vocabulary import Condition as Condition
from afgap.vocabulary import Design as Design
from afgap.vocabulary import Label as Label
from afgap.vocabulary import Outcome as Outcome

# The largest sample index an imported record may carry: far past any real run, well inside SQLite's integers.
MAX_SAMPLE_INDEX = 1_000_000


class Frozen(BaseModel):
    """Immutable record base: passed around inside afgap instead of dicts."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Query(Frozen):
    """One harmful *request* (never an answer)."""

    id: str
    text: str
    category: str = "uncategorised"
    source: str = "afgap"


class Message(Frozen):
    """One chat turn as sent to a provider."""

    role: Literal["system", "user", "assistant"]
    content: str


ReasoningEffort = Literal["minimal", "low", "medium", "high"]
REASONING_EFFORTS: tuple[ReasoningEffort, ...] = ("minimal", "low", "medium", "high")


class Sampling(Frozen):
    """Sampling parameters actually sent. temperature=0.0 is a real value, never 'unset'.

    The reasoning settings are None when unset, and only a set one enters the request hash (so calls
    stored before they existed keep their hashes): `reasoning_effort` is the OpenAI-compatible field,
    `thinking_budget` Anthropic's extended-thinking budget in tokens.
    """

    temperature: float = 1.0
    max_tokens: int = 4096
    reasoning_effort: ReasoningEffort | None = None
    thinking_budget: int | None = None

    def hashed(self) -> dict[str, object]:
        """The fields that identify a request: every set field, no unset reasoning setting."""
        return self.model_dump(exclude_none=True)


class ModelSpec(Frozen):
    """A resolved model string: where and how to call it. Holds the key's variable name, never its value."""

    model: str = Field(description="The model string as the user typed it, e.g. openai/gpt-4o.")
    provider: str = Field(description="Provider prefix: openai, anthropic, openrouter, …, sim.")
    api_model: str = Field(description="The model name sent on the wire.")
    wire: Literal["openai", "anthropic", "completions"]
    base_url: str
    key_var: str | None = Field(default=None, description="Environment variable holding the API key.")
    base_url_var: str | None = Field(default=None, description="Environment variable that set base_url.")
    simulated: bool = False
    # Not in the request hash: the cache mark changes the bill, never the text the model sees.
    cache_prompt: bool = Field(default=False, description="Anthropic: mark the system prompt cacheable.")


# Completion and CallRecord are not frozen: one of each is made per call, and a frozen dataclass sets
# every field through object.__setattr__ (measured: ~1 µs more per Completion, ~2 µs per CallRecord, a
# few per cent of the collect's own CPU per call). Nothing changes either once it is made.
@dataclass(slots=True)
class Completion:
    """A provider's reply, converted from its wire format by a provider's from_wire (which checks types)."""

    text: str
    reasoning: str | None = None
    provider_model: str | None = None
    finish_reason: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    api_refusal: bool = False
    # Parts of tokens_in billed at the cache prices (None: the provider did not say).
    cache_write_tokens: int | None = None
    cache_read_tokens: int | None = None


class InterchangeRecord(Frozen):
    """One response in afgap's JSONL interchange format."""

    model: str = Field(min_length=1)
    scenario: str = Field(min_length=1)
    condition: str = Field(description="Any design's condition name (CONDITION_NAME), e.g. monitored.")
    query_id: str = Field(min_length=1)
    # Bounded so a stray huge index is a message naming its line, not an overflow in the store.
    sample: int = Field(default=0, ge=0, le=MAX_SAMPLE_INDEX)
    query: str | None = None
    response: str | None = None
    outcome: Outcome | None = None
    af_reasoning: bool | None = None
    simulated: bool = False

    @field_validator("condition")
    @classmethod
    def _condition_name(cls, value: str) -> str:
        if not re.fullmatch(CONDITION_NAME, value):
            raise ValueError("not a condition name (lower-case letters, digits, '.', '_', '-'; at most 40)")
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class CallPlan:
    """One call to make: a (model, scenario, query, condition, sample) cell, rendered and hashed."""

    spec: ModelSpec
    scenario: str
    scenario_hash: str
    query_id: str
    condition: str  # one of the scenario design's conditions
    sample: int
    messages: tuple[Message, ...]
    sampling: Sampling
    prefill: str | None = None
    max_turns: int = 4
    # The framing that turns the messages into one prompt (the completions wire only; None for chat).
    document: str | None = None
    request_hash: str


CallStatus = Literal["ok", "error", "unavailable"]


@dataclass(slots=True, kw_only=True)
class CallRecord:
    """What came back for one CallPlan, ready to be committed to the store."""

    plan: CallPlan
    status: CallStatus
    messages_sent: tuple[Message, ...] = ()
    text: str | None = None  # the full assistant text over all turns, prefill included
    reasoning: str | None = None  # a separate reasoning field, e.g. reasoning_content
    provider_model: str | None = None
    finish_reason: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None
    cache_write_tokens: int | None = None  # part of tokens_in, as Completion
    cache_read_tokens: int | None = None
    latency_s: float = 0.0
    attempts: int = 1
    turns: int = 1
    api_refusal: bool = False
    simulated: bool = False
    error_class: str | None = None
    error_message: str | None = None  # one line; never contains a key value
