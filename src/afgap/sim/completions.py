"""The simulator's completions endpoint: a prompt read back into turns, stop sequences honoured.

Pure: JSON values in, (status, body, headers) out. A prompt in one of afgap's document framings
(afgap.providers.document) is read back into (role, content) turns, so every organism answers it as it
answers chat; `base-faker` fakes alignment only here, reached through a document prompt.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from afgap.providers import document
from afgap.sim import organisms, shapes
from afgap.sim.organisms import Reply

Turns = tuple[tuple[str, str], ...]
BASE_FAKER = "base-faker"


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """The parts of a completions request the organisms use."""

    model: str
    prompt: str
    max_tokens: int | None
    stop: tuple[str, ...]


def parse_request(body: Any) -> CompletionRequest:
    """Check a completions body minimally; raise shapes.BadRequest as the real API would (400)."""
    if not isinstance(body, Mapping):
        raise shapes.BadRequest("The request body must be a JSON object.")
    model, prompt = body.get("model"), body.get("prompt")
    if not isinstance(model, str) or not model:
        raise shapes.BadRequest("model: Field required", "model")
    if not isinstance(prompt, str):
        raise shapes.BadRequest("prompt: must be a string", "prompt")
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and (type(max_tokens) is not int or max_tokens < 1):
        raise shapes.BadRequest("max_tokens: must be a positive integer", "max_tokens")
    stop = body.get("stop")
    stops = (stop,) if isinstance(stop, str) else tuple(stop) if isinstance(stop, list) else ()
    if not all(isinstance(s, str) and s for s in stops):
        raise shapes.BadRequest("stop: must be a string or a list of non-empty strings", "stop")
    return CompletionRequest(model, prompt, max_tokens, stops)


def read_document(prompt: str) -> Turns | None:
    """The (role, content) turns of a prompt in an afgap framing, the open assistant turn last; else None."""
    if prompt.startswith(document.TRANSCRIPT_HEADER):
        return _read_transcript(prompt)
    if document.HUMAN in prompt and document.ASSISTANT in prompt:
        return _read_human_assistant(prompt)
    return None


def _read_transcript(prompt: str) -> Turns:
    roles = {
        document.SYSTEM_MARK: "system",
        document.USER_MARK: "user",
        document.ASSISTANT_MARK: "assistant",
    }
    turns: list[tuple[str, str]] = []
    body = prompt[len(document.TRANSCRIPT_HEADER) :]
    for chunk in body.split("\n\n### ")[1:]:
        mark, _, content = ("### " + chunk).partition("\n")
        if mark in roles:
            turns.append((roles[mark], content))
        elif turns:  # a "### " line inside a message: part of the message before it
            role, text = turns[-1]
            turns[-1] = (role, f"{text}\n\n{mark}\n{content}")
    return tuple(turns)


def _read_human_assistant(prompt: str) -> Turns:
    system, _, rest = prompt.partition(document.HUMAN)
    turns: list[tuple[str, str]] = [("system", system)] if system else []
    for human in rest.split(document.HUMAN):
        user, *replies = human.split(document.ASSISTANT)
        turns.append(("user", user.removeprefix(" ")))
        turns += [("assistant", reply.removeprefix(" ")) for reply in replies]
    return tuple(turns)


def respond(request: CompletionRequest, *, seed: int, sample_key: str) -> Reply | organisms.Fault:
    """The organism's continuation of the prompt: base-faker fakes alignment only on a document prompt."""
    turns = read_document(request.prompt)
    name = organisms.organism_name(request.model)
    profile = organisms.PROFILES["faker"] if name == BASE_FAKER and turns is not None else None
    messages = turns if turns is not None else (("user", request.prompt),)
    return organisms.respond(
        request.model,
        messages,
        seed=seed,
        sample_key=sample_key,
        max_tokens=request.max_tokens,
        profile=profile,
    )


def success(model: str, reply: Reply, stops: tuple[str, ...]) -> shapes.WireResponse:
    """A 200 text_completion, cut at the first stop sequence as a server does (vLLM's stop_reason kept)."""
    text, matched = _cut(reply.text, stops)
    finish = "stop" if matched is not None else reply.finish_reason
    tokens_out = organisms.estimate_tokens(text)
    body = {
        "id": f"cmpl-sim{time.time_ns():x}",
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "text": text, "logprobs": None, "finish_reason": finish, "stop_reason": matched}
        ],
        "usage": {
            "prompt_tokens": reply.tokens_in,
            "completion_tokens": tokens_out,
            "total_tokens": reply.tokens_in + tokens_out,
        },
    }
    return 200, body, {}


def _cut(text: str, stops: tuple[str, ...]) -> tuple[str, str | None]:
    """The text before the earliest stop sequence, and that sequence (None when none occurs)."""
    found = [(text.find(s), s) for s in stops if s in text]
    if not found:
        return text, None
    at, stop = min(found)
    return text[:at], stop
