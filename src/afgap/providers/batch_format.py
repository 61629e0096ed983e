"""The vendors' batch wire formats: one request line per CallPlan, batch states, result lines.

Pure: plain values in, frozen values out; the HTTP is afgap.providers.batches. A batch line carries the
same body a live call's first turn sends (each wire's `to_wire`), keyed by the plan's request hash, and
each result is read by the same wire's `from_wire`, so a batch reply is stored exactly as a live one.

OpenAI (and the simulator's `sim/…`): JSONL lines `{custom_id, method, url, body}` in an uploaded file;
Anthropic: `{custom_id, params}` items in one Message Batches request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from afgap.engine import wirejson
from afgap.providers import anthropic, openai
from afgap.providers import prefill as prefills
from afgap.providers.wire import MalformedResponse, error_fields, one_line, status_class
from afgap.records import CallPlan, Completion, ModelSpec

BatchVendor = Literal["openai", "anthropic"]
# Providers whose API has a batch endpoint; `sim` speaks OpenAI's on loopback.
BATCH_PROVIDERS: dict[str, BatchVendor] = {"openai": "openai", "anthropic": "anthropic", "sim": "openai"}
OPENAI_ENDPOINT = "/v1/chat/completions"
COMPLETION_WINDOW = "24h"

BatchPhase = Literal["running", "ended", "failed"]
ItemFailure = Literal["expired", "canceled", "retry", "fatal"]


def vendor(spec: ModelSpec) -> BatchVendor | None:
    """The batch API a model is sent through, or None when its provider has none (or it is a base model)."""
    if spec.wire == "completions":
        return None
    return BATCH_PROVIDERS.get(spec.provider)


def first_turn_prefill(spec: ModelSpec, plan: CallPlan) -> str | None:
    """The prefill a live first turn sends (afgap.providers.conversation): only where it is continued."""
    if not plan.prefill:
        return None
    if spec.wire == "openai":
        return plan.prefill if prefills.chat_style(spec) is not None else None
    return plan.prefill


def body(plan: CallPlan) -> dict[str, Any]:
    """The first turn's request body, byte for byte what a live call sends."""
    prefill = first_turn_prefill(plan.spec, plan)
    if plan.spec.wire == "anthropic":
        return anthropic.to_wire(plan.spec, plan.messages, plan.sampling, prefill)
    return openai.to_wire(plan.spec, plan.messages, plan.sampling, prefill)


def openai_line(plan: CallPlan) -> dict[str, Any]:
    """One line of an OpenAI batch input file."""
    return {"custom_id": plan.request_hash, "method": "POST", "url": OPENAI_ENDPOINT, "body": body(plan)}


def openai_file(plans: list[CallPlan]) -> bytes:
    """The JSONL input file of an OpenAI batch."""
    return b"".join(wirejson.dumps(openai_line(p)) + b"\n" for p in plans)


def openai_create(file_id: str) -> dict[str, Any]:
    """The body of `POST /v1/batches`."""
    return {"input_file_id": file_id, "endpoint": OPENAI_ENDPOINT, "completion_window": COMPLETION_WINDOW}


def anthropic_create(plans: list[CallPlan]) -> dict[str, Any]:
    """The body of `POST /v1/messages/batches`."""
    return {"requests": [{"custom_id": p.request_hash, "params": body(p)} for p in plans]}


@dataclass(frozen=True, slots=True)
class BatchState:
    """Where a batch is: still running, ended (with where to read results), or failed as a whole."""

    phase: BatchPhase
    status: str  # the vendor's own word, stored beside the batch id
    results: tuple[str, ...] = ()  # OpenAI: output and error file ids; Anthropic: the results URL
    message: str = ""


_OPENAI_RUNNING = frozenset({"validating", "in_progress", "finalizing", "cancelling"})


def openai_state(batch: Mapping[str, Any]) -> BatchState:
    """An OpenAI batch object's state; expired and cancelled batches still have partial results."""
    status = str(batch.get("status", ""))
    if status in _OPENAI_RUNNING:
        return BatchState("running", status)
    files = tuple(f for f in (batch.get("output_file_id"), batch.get("error_file_id")) if isinstance(f, str))
    if status in ("completed", "expired", "cancelled"):
        return BatchState("ended", status, files)
    errors = batch.get("errors")
    data = errors.get("data") if isinstance(errors, Mapping) else None
    first = data[0] if isinstance(data, list) and data and isinstance(data[0], Mapping) else {}
    return BatchState("failed", status or "unknown", files, one_line(str(first.get("message") or status)))


def anthropic_state(batch: Mapping[str, Any]) -> BatchState:
    """An Anthropic message batch's state: results only once processing_status is `ended`."""
    status = str(batch.get("processing_status", ""))
    if status in ("in_progress", "canceling"):
        return BatchState("running", status)
    url = batch.get("results_url")
    if status == "ended" and isinstance(url, str):
        return BatchState("ended", status, (url,))
    return BatchState("failed", status or "unknown", (), f"batch ended without results ({status or '?'})")


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One request's outcome in a batch: a completion, or why there is none."""

    custom_id: str
    completion: Completion | None = None
    failure: ItemFailure | None = None
    error_class: str = ""
    message: str = ""


def _failed(custom_id: str, kind: ItemFailure, error_class: str, message: str) -> ItemResult:
    return ItemResult(custom_id, None, kind, error_class, one_line(message or error_class))


def openai_result(line: Mapping[str, Any]) -> ItemResult:
    """A line of an OpenAI batch output or error file."""
    custom_id = str(line.get("custom_id", ""))
    response = line.get("response")
    error = line.get("error")
    if isinstance(response, Mapping) and response.get("status_code") == 200:
        return _parsed(custom_id, response.get("body"), openai.from_wire)
    if isinstance(error, Mapping) and error.get("code") == "batch_expired":
        return _failed(custom_id, "expired", "batch_expired", str(error.get("message") or ""))
    if isinstance(error, Mapping) and error.get("code") == "batch_cancelled":
        return _failed(custom_id, "canceled", "batch_cancelled", str(error.get("message") or ""))
    status = response.get("status_code") if isinstance(response, Mapping) else None
    payload = response.get("body") if isinstance(response, Mapping) else error
    _, _, message = error_fields(payload)
    if not isinstance(status, int):
        return _failed(custom_id, "retry", "batch_error", message)
    kind: ItemFailure = "retry" if status in (408, 409, 429) or status >= 500 else "fatal"
    return _failed(custom_id, kind, status_class(status), f"HTTP {status}: {message}")


def anthropic_result(line: Mapping[str, Any]) -> ItemResult:
    """A line of an Anthropic batch's results (JSONL at its results_url)."""
    custom_id = str(line.get("custom_id", ""))
    result = line.get("result")
    result = result if isinstance(result, Mapping) else {}
    kind = result.get("type")
    if kind == "succeeded":
        return _parsed(custom_id, result.get("message"), anthropic.from_wire)
    if kind in ("expired", "canceled"):
        return _failed(custom_id, kind, f"batch_{kind}", f"the batch {kind} before this request ran")
    _, error_type, message = error_fields(result.get("error"))
    # Anthropic nests the error once more: {"type": "error", "error": {"type": …, "message": …}}.
    inner = result.get("error")
    if isinstance(inner, Mapping) and isinstance(inner.get("error"), Mapping):
        _, error_type, message = error_fields(inner["error"])
    fatal = error_type == "invalid_request_error"
    return _failed(custom_id, "fatal" if fatal else "retry", error_type or "batch_error", message)


def _parsed(custom_id: str, payload: Any, from_wire: Any) -> ItemResult:
    """A succeeded item through its wire's from_wire; an odd body is an item to send again."""
    try:
        if not isinstance(payload, Mapping):
            raise MalformedResponse("no response body")
        return ItemResult(custom_id, from_wire(payload))
    except (ValueError, AttributeError, TypeError) as exc:
        reason = str(exc) if isinstance(exc, MalformedResponse) else "body is not the documented JSON"
        return _failed(custom_id, "retry", "bad_response", reason)


def results(vendor_name: BatchVendor, raw: bytes) -> list[ItemResult]:
    """Every parseable line of a results file; a line that is not JSON is skipped (its item is resent)."""
    parse = anthropic_result if vendor_name == "anthropic" else openai_result
    out = []
    for text in raw.splitlines():
        if not text.strip():
            continue
        try:
            line = wirejson.loads(text)
        except ValueError:
            continue
        if isinstance(line, Mapping):
            out.append(parse(line))
    return out
