"""OpenAI-compatible Completions wire format (`POST {base}/completions`), for base (pretrained) models.

Pure: builds request bodies and reads response bodies; the engine does the I/O. The messages become one
document (afgap.providers.document); errors, headers and the reply's metadata are read as in the chat
wire, with the same checks on every field of a hostile reply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from afgap.providers import document
from afgap.providers.openai import classify_error, headers
from afgap.providers.wire import (
    MalformedResponse,
    clean_text,
    first_choice,
    optional_count,
    optional_text,
)
from afgap.records import Completion, Message, ModelSpec, Sampling

__all__ = [
    "REASONING_SETTING",
    "SUPPORTS_PREFILL",
    "classify_error",
    "from_wire",
    "headers",
    "to_wire",
    "url",
]

# The prefill is the start of the assistant's part of the document.
SUPPORTS_PREFILL = True
# A completions endpoint takes neither reasoning setting: base models do not think apart from their text.
REASONING_SETTING: str | None = None


def url(spec: ModelSpec) -> str:
    """The endpoint: OpenAI-style base URLs include the version (`…/v1`)."""
    return f"{spec.base_url}/completions"


def to_wire(
    spec: ModelSpec,
    messages: tuple[Message, ...],
    sampling: Sampling,
    prefill: str | None = None,
    framing: str = document.DEFAULT_FRAMING,
) -> dict[str, Any]:
    """The request body: the conversation as one prompt in `framing`, with that framing's stops."""
    return {
        "model": spec.api_model,
        "prompt": document.render(messages, framing, prefill),
        "max_tokens": sampling.max_tokens,
        "temperature": sampling.temperature,
        "stop": list(document.stops(framing)),
    }


def from_wire(body: Mapping[str, Any]) -> Completion:
    """A Completion from a text_completion body; a reply cut at `</OUTPUT>` gets the tag back."""
    choice = first_choice(body)
    text = choice.get("text")
    if not isinstance(text, str):
        raise MalformedResponse("choices[0].text is not a string")
    finish = optional_text(choice.get("finish_reason"))
    # vLLM names the matched stop string; a stop token's id (an int) or no field says nothing about it.
    stop = optional_text(choice.get("stop_reason"))
    usage = body.get("usage")
    if not isinstance(usage, Mapping):
        usage = {}
    return Completion(
        text=clean_text(document.restore_stop(text, stop, finish)),
        provider_model=optional_text(body.get("model")),
        finish_reason=finish,
        tokens_in=optional_count(usage.get("prompt_tokens")),
        tokens_out=optional_count(usage.get("completion_tokens")),
        api_refusal=finish == "content_filter",
    )
