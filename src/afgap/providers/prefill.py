"""Which OpenAI-compatible chat servers continue a prefilled assistant turn, and how they are asked. Pure.

Chat Completions has no prefill of its own. vLLM (and servers copying its extra parameters, such as the
simulator) continue a final assistant message when the body says `continue_final_message: true,
add_generation_prompt: false`; OpenRouter continues a final assistant message as it is. OpenAI, Gemini's
compatible endpoint, Together and Ollama document nothing of the kind, so a prefill for them is refused
before anything is sent rather than silently dropped or answered as a new turn.
"""

from __future__ import annotations

from typing import Literal

from afgap.errors import InputError
from afgap.records import ModelSpec

PrefillStyle = Literal["continue", "native"]

_STYLES: dict[str, PrefillStyle] = {"vllm": "continue", "sim": "continue", "openrouter": "native"}
# Custom endpoints (openai-api/<name>) are usually vLLM or SGLang, which both take vLLM's parameters.
_CUSTOM: PrefillStyle = "continue"
SUPPORTED = ("vllm", "openai-api/<name>", "openrouter", "sim")


def chat_style(spec: ModelSpec) -> PrefillStyle | None:
    """How an OpenAI-compatible chat server is asked to continue a prefill, or None if it cannot."""
    if spec.provider.startswith("openai-api/"):
        return _CUSTOM
    return _STYLES.get(spec.provider)


def check(spec: ModelSpec, prefill: str | None) -> None:
    """Refuse, before any call, a prefill the spec's server would drop or answer as a new turn."""
    if prefill and spec.wire == "openai" and chat_style(spec) is None:
        raise InputError(
            f"{spec.provider} cannot continue a prefilled assistant turn; remove the scenario's prefill "
            f"for this wire or use a server that supports it ({', '.join(SUPPORTED)})"
        )
