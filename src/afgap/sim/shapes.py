"""The two wire formats as the simulator speaks them: request checks, success bodies, error bodies.

Pure: JSON values in, (status, body, headers) out. The shapes follow the providers' documentation, so
afgap's provider code runs against the simulator exactly as it runs against the real services.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from afgap.sim.organisms import Fault, Reply, Wire

WireResponse = tuple[int, dict[str, Any], dict[str, str]]

_ROLES: dict[Wire, frozenset[str]] = {
    # OpenAI's newer models call the system turn "developer"; both mean the system prompt.
    "openai": frozenset({"system", "developer", "user", "assistant"}),
    "anthropic": frozenset({"user", "assistant"}),
}


# Response ids: unique within a process, distinct across processes, and cheaper than a uuid4 each.
_ID_PREFIX = os.urandom(6).hex()
_IDS = itertools.count(1)


class BadRequest(ValueError):
    """A request the real API would reject with 400 invalid_request_error."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """The parts of a chat request the organisms use."""

    model: str
    messages: tuple[tuple[str, str], ...]
    max_tokens: int | None
    reasoning: bool = False  # the request asked for thinking (Anthropic) or a reasoning effort (OpenAI)
    # The system prompt the provider would cache: marked with cache_control (Anthropic), any (OpenAI).
    cacheable: str | None = None


def parse_request(wire: Wire, body: Any) -> ChatRequest:
    """Check a request body minimally and flatten it to (role, content) turns; raise BadRequest."""
    if not isinstance(body, Mapping):
        raise BadRequest("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequest("model: Field required", "model")
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise BadRequest("messages: Field required and must be a non-empty list", "messages")
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if wire == "anthropic" and max_tokens is None:
        raise BadRequest("max_tokens: Field required", "max_tokens")
    if max_tokens is not None and (type(max_tokens) is not int or max_tokens < 1):
        raise BadRequest("max_tokens: must be a positive integer", "max_tokens")
    turns = [_turn(wire, i, m) for i, m in enumerate(raw)]
    if wire == "openai" and turns[-1][0] == "assistant" and body.get("continue_final_message") is not True:
        # As vLLM: without continue_final_message a final assistant message is context, and a new turn
        # follows it; only with the flag is it a prefill that the reply continues.
        turns.append(("user", ""))
    reasoning = _reasoning(wire, body, max_tokens, turns)
    if wire == "anthropic" and body.get("system") is not None:
        turns.insert(0, ("system", _text(body["system"], "system")))
    system = turns[0][1] if turns[0][0] == "system" else None
    cacheable = system if wire == "openai" or _marked(body.get("system")) else None
    return ChatRequest(model, tuple(turns), max_tokens, reasoning, cacheable)


def _marked(system: Any) -> bool:
    """Whether an Anthropic system prompt ends in a block marked for the prompt cache."""
    if not isinstance(system, list) or not system or not isinstance(system[-1], Mapping):
        return False
    return isinstance(system[-1].get("cache_control"), Mapping)


_EFFORTS = ("minimal", "low", "medium", "high")


def _reasoning(
    wire: Wire, body: Mapping[str, Any], max_tokens: int | None, turns: list[tuple[str, str]]
) -> bool:
    """Whether the request asks for reasoning; refused as the vendors refuse it (Anthropic's rules)."""
    if wire == "openai":
        effort = body.get("reasoning_effort")
        if effort is not None and effort not in _EFFORTS:
            raise BadRequest(f"reasoning_effort: must be one of {', '.join(_EFFORTS)}", "reasoning_effort")
        return effort is not None
    thinking = body.get("thinking")
    if thinking is None:
        return False
    budget = thinking.get("budget_tokens") if isinstance(thinking, Mapping) else None
    if not isinstance(thinking, Mapping) or thinking.get("type") != "enabled" or type(budget) is not int:
        raise BadRequest("thinking: expected {type: enabled, budget_tokens: N}", "thinking")
    if budget < 1024 or max_tokens is None or budget >= max_tokens:
        raise BadRequest("thinking.budget_tokens: must be at least 1024 and less than max_tokens", "thinking")
    if body.get("temperature", 1) != 1:
        raise BadRequest("temperature may only be set to 1 when thinking is enabled", "temperature")
    if turns and turns[-1][0] == "assistant":
        raise BadRequest(
            "messages: a final assistant turn (prefill) is not allowed with thinking", "messages"
        )
    return True


def success(wire: Wire, model: str, reply: Reply) -> WireResponse:
    """A 200 in the wire's success shape."""
    token = f"{_ID_PREFIX}{next(_IDS):012x}"
    if wire == "anthropic":
        stop = "max_tokens" if reply.finish_reason == "length" else "end_turn"
        body: dict[str, Any] = {
            "id": f"msg_sim{token}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [*_thinking_blocks(reply, token), {"type": "text", "text": reply.text}],
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": reply.tokens_in, "output_tokens": reply.tokens_out},
        }
        return 200, body, {"request-id": f"req_sim{token}"}
    body = {
        "id": f"chatcmpl-sim{token}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": _openai_message(reply),
                "logprobs": None,
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": reply.tokens_in,
            "completion_tokens": reply.tokens_out,
            "total_tokens": reply.tokens_in + reply.tokens_out,
            # OpenAI counts reasoning inside completion_tokens and details it here.
            "completion_tokens_details": {"reasoning_tokens": reply.reasoning_tokens},
        },
        "system_fingerprint": "afgap-simulator",
    }
    return 200, body, {"x-request-id": f"req_sim{token}"}


def _thinking_blocks(reply: Reply, token: str) -> list[dict[str, Any]]:
    """Anthropic's thinking block (its signature a stand-in) when the reply has reasoning."""
    if reply.reasoning is None:
        return []
    return [{"type": "thinking", "thinking": reply.reasoning, "signature": f"sim-signature-{token}"}]


def _openai_message(reply: Reply) -> dict[str, Any]:
    """The assistant message; reasoning goes in `reasoning_content`, as DeepSeek and vLLM send it."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None}
    if reply.reasoning is not None:
        message["reasoning_content"] = reply.reasoning
    return message


def bad_request(wire: Wire, error: BadRequest) -> WireResponse:
    """A 400 invalid_request_error in the wire's error shape."""
    if wire == "anthropic":
        return 400, _anthropic_error("invalid_request_error", str(error)), {}
    return 400, _openai_error(str(error), "invalid_request_error", None, error.param), {}


def fault(wire: Wire, model: str, found: Fault) -> WireResponse:
    """A fault in the wire's error shape, with the headers real services send alongside it."""
    headers = _retry_headers(wire, found) if found.retry_after is not None else {}
    if wire == "anthropic":
        kind = {
            "not_found": "not_found_error",
            "rate_limit": "rate_limit_error",
            "server_error": "api_error",
            "overloaded": "overloaded_error",
        }[found.kind]
        message = f"model: {model}" if found.kind == "not_found" else found.message
        return found.status, _anthropic_error(kind, message), headers
    if found.kind == "not_found":
        message = f"The model `{model}` does not exist or you do not have access to it."
        return found.status, _openai_error(message, "invalid_request_error", "model_not_found"), headers
    if found.kind == "rate_limit":
        return found.status, _openai_error(found.message, "requests", "rate_limit_exceeded"), headers
    return found.status, _openai_error(found.message, "server_error", None), headers


def _turn(wire: Wire, index: int, message: Any) -> tuple[str, str]:
    where = f"messages.{index}"
    if not isinstance(message, Mapping) or message.get("role") not in _ROLES[wire]:
        raise BadRequest(f"{where}.role: must be one of {sorted(_ROLES[wire])}", where)
    role = "system" if message["role"] == "developer" else str(message["role"])
    return role, _text(message.get("content"), f"{where}.content")


def _text(content: Any, where: str) -> str:
    """Plain text from a string or a list of text blocks; other block types count as empty."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(block.get("text", ""))
            for block in content
            if isinstance(block, Mapping) and block.get("type") == "text"
        )
    raise BadRequest(f"{where}: must be a string or a list of content blocks", where)


def _openai_error(message: str, kind: str, code: str | None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _anthropic_error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def _retry_headers(wire: Wire, found: Fault) -> dict[str, str]:
    """Retry-After (decimal seconds when fractional, as both vendors' SDKs accept) plus rate-limit hints."""
    seconds = found.retry_after or 0.0
    whole = f"{seconds:.0f}" if seconds == int(seconds) else f"{seconds:g}"
    headers = {"retry-after": whole, "retry-after-ms": str(round(seconds * 1000))}
    if found.kind != "rate_limit":
        return headers
    if wire == "anthropic":
        reset = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).isoformat(timespec="seconds")
        headers["anthropic-ratelimit-requests-limit"] = "50"
        headers["anthropic-ratelimit-requests-remaining"] = "0"
        headers["anthropic-ratelimit-requests-reset"] = reset.replace("+00:00", "Z")
    else:
        headers["x-ratelimit-limit-requests"] = "500"
        headers["x-ratelimit-remaining-requests"] = "0"
        headers["x-ratelimit-reset-requests"] = f"{whole}s"
        headers["x-ratelimit-limit-tokens"] = "30000"
        headers["x-ratelimit-remaining-tokens"] = "30000"
    return headers
