"""The OpenAI batch file format that vLLM's offline runner (`run_batch`) reads and writes. Pure.

A request line is `{"custom_id", "method": "POST", "url", "body"}`, the body exactly what afgap would send
live; a result line is `{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from afgap.providers.registry import wire_format
from afgap.providers.wire import ErrorInfo
from afgap.records import Completion, ModelSpec

# The relative URL of each wire's endpoint as a batch line names it.
URLS: Mapping[str, str] = {"openai": "/v1/chat/completions", "completions": "/v1/completions"}
OK = 200


def request_line(custom_id: str, spec: ModelSpec, body: Mapping[str, Any]) -> dict[str, Any]:
    """One line of a batch input file."""
    return {"custom_id": custom_id, "method": "POST", "url": URLS[spec.wire], "body": body}


class _Lax(BaseModel):
    # Runners add fields of their own (vLLM's request_id, OpenAI's usage): only afgap's are read.
    model_config = ConfigDict(frozen=True, extra="ignore")


class ResultResponse(_Lax):
    """A result line's HTTP exchange: its status and, when it succeeded, the reply body."""

    status_code: int = OK
    request_id: str | None = None
    body: dict[str, Any] | None = None


class ResultLine(_Lax):
    """One line of a batch output file."""

    id: str | None = None
    custom_id: str
    response: ResultResponse | None = None
    error: Any = None


@dataclass(frozen=True, slots=True)
class Failed:
    """A result line that carries no reply: the verdict afgap would give the same failure live."""

    info: ErrorInfo


def read_result(spec: ModelSpec, line: ResultLine) -> Completion | Failed:
    """The reply a result line carries, or its failure; ValueError when a 200 body is not the wire's shape."""
    wire = wire_format(spec)
    response = line.response
    if response is None and line.error is None:
        raise ValueError("the line has neither a response nor an error")
    if response is not None and response.status_code == OK and line.error is None:
        if response.body is None:
            raise ValueError("status 200 but no response body")
        try:
            return wire.from_wire(response.body)
        except (ValueError, AttributeError, TypeError) as exc:
            raise ValueError(str(exc) or type(exc).__name__) from None
    status = response.status_code if response is not None and response.status_code != OK else 500
    carried = line.error if line.error is not None else (response.body if response is not None else None)
    return Failed(wire.classify_error(status, carried, {}))
