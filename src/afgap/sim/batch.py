"""The simulator's offline batch runner, standing in for vLLM's `run_batch`: a request file in, results out.

Each line of the OpenAI batch input format is answered by the organism its body's `model` names, through
the same handler the HTTP server uses, and written in vLLM's output format. A batch line carries no sample
header, so each line's draw is keyed by its custom id up to the first ':' (afgap's continuation turns
`HASH:N` so continue the same draw, as a live conversation does).

    python -m afgap.sim.batch requests.jsonl results.jsonl      (or `afgap sim batch-run …`)
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from afgap.engine import wirejson
from afgap.errors import InputError
from afgap.files import read_jsonl
from afgap.providers.wire import SAMPLE_HEADER
from afgap.sim.http import Request
from afgap.sim.server import Simulator, build_app
from afgap.sim.settings import SimSettings


class RequestLine(BaseModel):
    """One line of a batch input file."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    custom_id: str
    method: Literal["POST"]
    url: str
    body: dict[str, Any]


def run_batch(source: Path, target: Path, settings: SimSettings | None = None) -> int:
    """Answer every request line of `source` into `target` (written whole); how many lines were answered."""
    if source.is_dir():
        raise InputError(f"{source} is a directory, not a batch request file")
    sim = build_app(settings)
    outputs = [answer(sim, number, line) for number, line in read_jsonl(source, RequestLine)]
    _write(target, outputs)
    return len(outputs)


def answer(sim: Simulator, number: int, line: RequestLine) -> dict[str, Any]:
    """The output line for one request line, in vLLM's format: a failure has no body and an `error`."""
    key = line.custom_id.partition(":")[0]
    request = Request("POST", line.url, {SAMPLE_HEADER: key}, wirejson.dumps(line.body))
    reply = sim(request)
    request_id = f"sim-batch-{number}"
    if reply.drop:
        return _line(number, line.custom_id, None, {"message": "the connection was closed"})
    body = wirejson.loads(reply.body) if reply.body else None
    if reply.status == 200:
        return _line(
            number, line.custom_id, {"status_code": 200, "request_id": request_id, "body": body}, None
        )
    response = {"status_code": reply.status, "request_id": request_id, "body": None}
    return _line(number, line.custom_id, response, body)


def _line(number: int, custom_id: str, response: dict[str, Any] | None, error: Any) -> dict[str, Any]:
    return {"id": f"sim-{number}", "custom_id": custom_id, "response": response, "error": error}


def _write(target: Path, lines: Sequence[dict[str, Any]]) -> None:
    """The whole result file, or none: a runner's output is read as one unit."""
    if not target.parent.is_dir():
        raise InputError(f"{target}: directory {target.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(line) + "\n" for line in lines)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: Sequence[str]) -> int:
    """`python -m afgap.sim.batch IN OUT`: 0 when every line was answered, 2 on bad input."""
    if len(argv) != 2:
        print("usage: python -m afgap.sim.batch REQUESTS.jsonl RESULTS.jsonl", file=sys.stderr)
        return 2
    try:
        count = run_batch(Path(argv[0]), Path(argv[1]))
    except InputError as exc:
        print(f"afgap: error: {exc}", file=sys.stderr)
        return 2
    print(f"answered {count} requests (SIMULATED) into {argv[1]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
