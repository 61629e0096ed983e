"""The simulator's batch APIs: OpenAI Files + Batches and Anthropic Message Batches, on loopback.

Routes: `POST /v1/files` (multipart, purpose batch), `GET /v1/files/{id}/content`, `POST /v1/batches`,
`GET /v1/batches/{id}`, `POST /v1/messages/batches`, `GET /v1/messages/batches/{id}` and its
`results_url`, `GET /v1/messages/batches/{id}/results`. A batch ends `batch_delay_s` after it was
created; each item is answered then by the same organisms as a live call, keyed by its custom_id
(a batch line carries no sample header). With `batch_expire_rate`, that share of items expires the first
time it is submitted, as items of a real batch do when its 24 h window closes. `counts()` tells tests
how often each custom_id was submitted.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from afgap.engine import wirejson
from afgap.sim.http import Answer, Request
from afgap.sim.organisms import Wire
from afgap.sim.settings import SimSettings

# (wire, request body, sample key) → (status, response body): the simulator's live answer.
Responder = Callable[[Wire, Any, str], tuple[int, dict[str, Any]]]
_CUSTOM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ROUTES = (
    ("POST", re.compile(r"/v1/files"), "_upload"),
    ("GET", re.compile(r"/v1/files/([^/]+)/content"), "_content"),
    ("POST", re.compile(r"/v1/batches"), "_create_openai"),
    ("GET", re.compile(r"/v1/batches/([^/]+)"), "_get_openai"),
    ("POST", re.compile(r"/v1/messages/batches"), "_create_anthropic"),
    ("GET", re.compile(r"/v1/messages/batches/([^/]+)"), "_get_anthropic"),
    ("GET", re.compile(r"/v1/messages/batches/([^/]+)/results"), "_results_anthropic"),
)


@dataclass
class _Batch:
    id: str
    wire: Wire
    items: list[tuple[str, Any]]
    created: float
    results: list[bytes] | None = None  # OpenAI: [output, errors]; Anthropic: [results]
    files: tuple[str | None, str | None] = (None, None)


@dataclass
class SimBatches:
    """Every batch and file the simulator holds, and how often each item was submitted."""

    settings: SimSettings
    respond: Responder
    files: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, _Batch] = field(default_factory=dict)
    submitted: Counter[str] = field(default_factory=Counter)
    created: int = 0

    def counts(self) -> dict[str, Any]:
        """Batches created, items submitted, and items submitted more than once (for /stats)."""
        resubmitted = sum(1 for n in self.submitted.values() if n > 1)
        items = sum(self.submitted.values())
        return {"batches": self.created, "items": items, "resubmitted": resubmitted, "files": len(self.files)}

    def handle(self, request: Request) -> Answer | None:
        """The answer to a batch route, or None when the path is not one."""
        for method, pattern, action in _ROUTES:
            match = pattern.fullmatch(request.path)
            if match is not None:
                if request.method != method:
                    continue
                answer: Answer = getattr(self, action)(request, *match.groups())
                return answer
        return None

    # ---- OpenAI -----------------------------------------------------------------------------------
    def _upload(self, request: Request) -> Answer:
        content = _multipart_file(request)
        if content is None:
            return _error(400, "expected a multipart upload with a 'file' part and purpose 'batch'")
        file_id = f"file-sim{len(self.files) + 1:06d}"
        self.files[file_id] = content
        return _json(200, {"id": file_id, "object": "file", "purpose": "batch", "bytes": len(content)})

    def _content(self, _: Request, file_id: str) -> Answer:
        content = self.files.get(file_id)
        return _error(404, f"No such File object: {file_id}") if content is None else Answer(200, content)

    def _create_openai(self, request: Request) -> Answer:
        body = _body(request)
        content = self.files.get(str(body.get("input_file_id")))
        if content is None or body.get("endpoint") != "/v1/chat/completions":
            return _error(400, "input_file_id must name an uploaded file; endpoint /v1/chat/completions")
        lines = [wirejson.loads(line) for line in content.splitlines() if line.strip()]
        items = [(str(line.get("custom_id")), line.get("body")) for line in lines]
        batch = self._new("batch_sim", "openai", items)
        return _json(200, self._openai_object(batch))

    def _get_openai(self, _: Request, batch_id: str) -> Answer:
        batch = self.batches.get(batch_id)
        if batch is None or batch.wire != "openai":
            return _error(404, f"No batch found with id '{batch_id}'.")
        return _json(200, self._openai_object(batch))

    def _openai_object(self, batch: _Batch) -> dict[str, Any]:
        done = self._finish(batch)
        if done:
            output, errors = batch.files
        return {
            "id": batch.id,
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
            "status": "completed" if done else "in_progress",
            "output_file_id": output if done else None,
            "error_file_id": errors if done else None,
            "request_counts": {"total": len(batch.items)},
        }

    # ---- Anthropic --------------------------------------------------------------------------------
    def _create_anthropic(self, request: Request) -> Answer:
        requests = _body(request).get("requests")
        if not isinstance(requests, list) or not requests:
            return _error(400, "requests: a non-empty list is required", "anthropic")
        items = [(str(r.get("custom_id")), r.get("params")) for r in requests if isinstance(r, dict)]
        if any(not _CUSTOM_ID.fullmatch(custom_id) for custom_id, _ in items):
            return _error(400, "custom_id must match ^[a-zA-Z0-9_-]{1,64}$", "anthropic")
        batch = self._new("msgbatch_sim", "anthropic", items)
        return _json(200, self._anthropic_object(batch, request))

    def _get_anthropic(self, request: Request, batch_id: str) -> Answer:
        batch = self.batches.get(batch_id)
        if batch is None or batch.wire != "anthropic":
            return _error(404, f"No batch found with id '{batch_id}'.", "anthropic")
        return _json(200, self._anthropic_object(batch, request))

    def _anthropic_object(self, batch: _Batch, request: Request) -> dict[str, Any]:
        done = self._finish(batch)
        host = request.headers.get("host", "127.0.0.1")
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": "ended" if done else "in_progress",
            "results_url": f"http://{host}/v1/messages/batches/{batch.id}/results" if done else None,
        }

    def _results_anthropic(self, _: Request, batch_id: str) -> Answer:
        batch = self.batches.get(batch_id)
        if batch is None or not self._finish(batch) or batch.results is None:
            return _error(404, f"No results for batch '{batch_id}'.", "anthropic")
        return Answer(200, batch.results[0])

    # ---- both -------------------------------------------------------------------------------------
    def _new(self, prefix: str, wire: Wire, items: list[tuple[str, Any]]) -> _Batch:
        self.created += 1
        batch = _Batch(f"{prefix}{self.created:06d}", wire, items, time.monotonic())
        self.submitted.update(custom_id for custom_id, _ in items)
        self.batches[batch.id] = batch
        return batch

    def _finish(self, batch: _Batch) -> bool:
        """Whether the batch has ended; its results are made the first time it is seen ended."""
        if time.monotonic() - batch.created < self.settings.batch_delay_s:
            return False
        if batch.results is None:
            lines = [self._item(batch.wire, custom_id, body) for custom_id, body in batch.items]
            if batch.wire == "anthropic":
                batch.results = [b"".join(wirejson.dumps(line) + b"\n" for _, line in lines)]
            else:
                ok = b"".join(wirejson.dumps(line) + b"\n" for good, line in lines if good)
                bad = b"".join(wirejson.dumps(line) + b"\n" for good, line in lines if not good)
                batch.results = [ok, bad]
                batch.files = (self._file(ok), self._file(bad) if bad else None)
        return True

    def _file(self, content: bytes) -> str:
        file_id = f"file-sim{len(self.files) + 1:06d}"
        self.files[file_id] = content
        return file_id

    def _item(self, wire: Wire, custom_id: str, body: Any) -> tuple[bool, dict[str, Any]]:
        """(succeeded, result line) for one item."""
        if self._expires(custom_id):
            if wire == "anthropic":
                return False, {"custom_id": custom_id, "result": {"type": "expired"}}
            error = {
                "code": "batch_expired",
                "message": "This request could not be executed before the completion window expired.",
            }
            return False, {"custom_id": custom_id, "response": None, "error": error}
        status, reply = self.respond(wire, body, custom_id)
        if wire == "anthropic":
            result = (
                {"type": "succeeded", "message": reply}
                if status == 200
                else {"type": "errored", "error": reply}
            )
            return status == 200, {"custom_id": custom_id, "result": result}
        response = {"status_code": status, "request_id": f"req_{custom_id[:12]}", "body": reply}
        return status == 200, {"custom_id": custom_id, "response": response, "error": None}

    def _expires(self, custom_id: str) -> bool:
        """A fixed share of items expires, only the first time each is submitted."""
        if self.settings.batch_expire_rate <= 0 or self.submitted[custom_id] > 1:
            return False
        digest = hashlib.sha256(f"{self.settings.seed}:{custom_id}".encode()).digest()
        return int.from_bytes(digest[:8]) / 2**64 < self.settings.batch_expire_rate


def _multipart_file(request: Request) -> bytes | None:
    """The `file` part of a multipart/form-data body (enough of RFC 7578 for one upload)."""
    kind = request.headers.get("content-type", "")
    match = re.search(r'boundary="?([^";]+)"?', kind)
    if match is None:
        return None
    for part in request.body.split(b"--" + match.group(1).encode("latin-1")):
        head, sep, content = part.partition(b"\r\n\r\n")
        if sep and b'name="file"' in head:
            return content[:-2] if content.endswith(b"\r\n") else content
    return None


def _body(request: Request) -> dict[str, Any]:
    try:
        body = wirejson.loads(request.body)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _json(status: int, body: dict[str, Any]) -> Answer:
    return Answer(status, wirejson.dumps(body))


def _error(status: int, message: str, wire: Wire = "openai") -> Answer:
    if wire == "anthropic":
        return _json(
            status, {"type": "error", "error": {"type": "invalid_request_error", "message": message}}
        )
    return _json(status, {"error": {"message": message, "type": "invalid_request_error", "code": None}})
