"""The batch APIs over HTTP: upload and create a batch, read its state, download its results.

The formats are afgap.providers.batch_format's. Each request is retried on the statuses and network
failures a live call retries (afgap.providers.wire.RETRY_STATUSES), with exponential backoff; anything
else ends the batch step with a one-line PartialFailure (exit 3): whatever is stored stays stored, and
the batch ids recorded so far are polled again by a rerun.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from afgap.engine import wirejson
from afgap.errors import PartialFailure
from afgap.providers import anthropic, openai
from afgap.providers import batch_format as fmt
from afgap.providers.clients import network_error
from afgap.providers.wire import RETRY_STATUSES, SIMULATED_HEADER, error_fields, one_line
from afgap.records import CallPlan, ModelSpec

_ATTEMPTS = 6
_WAIT_INITIAL_S = 0.5
_WAIT_MAX_S = 30.0


@dataclass(frozen=True, slots=True)
class Fetched:
    """A batch's results, and whether the server marked them simulated."""

    items: tuple[fmt.ItemResult, ...]
    simulated: bool


class BatchApi:
    """One model's batch endpoint (OpenAI or Anthropic format); open inside the running loop."""

    def __init__(self, spec: ModelSpec, key: str | None, timeout_s: float) -> None:
        import aiohttp

        vendor = fmt.vendor(spec)
        if vendor is None:
            raise ValueError(f"{spec.model} has no batch API")  # collect checks this before any send
        self.spec, self.vendor = spec, vendor
        wire = anthropic if vendor == "anthropic" else openai
        self._headers = wire.headers(spec, key)
        self._errors = (aiohttp.ClientError, OSError)
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s))
        # Anthropic's base URL has no version; OpenAI's (and the simulator's) ends in /v1.
        self._root = f"{spec.base_url}/v1/messages/batches" if vendor == "anthropic" else spec.base_url

    async def aclose(self) -> None:
        """Close every connection."""
        await self._session.close()

    async def submit(self, plans: Sequence[CallPlan]) -> str:
        """Create a batch carrying the plans' first turns; its id."""
        if self.vendor == "anthropic":
            created = await self._json("POST", self._root, json=fmt.anthropic_create(list(plans)))
        else:
            upload = await self._upload(fmt.openai_file(list(plans)))
            created = await self._json("POST", f"{self._root}/batches", json=fmt.openai_create(upload))
        return _id(created, "batch")

    async def state(self, batch_id: str) -> fmt.BatchState:
        """Where the batch is now."""
        if self.vendor == "anthropic":
            return fmt.anthropic_state(await self._json("GET", f"{self._root}/{batch_id}"))
        return fmt.openai_state(await self._json("GET", f"{self._root}/batches/{batch_id}"))

    async def fetch(self, state: fmt.BatchState) -> Fetched:
        """Every item's result in an ended batch (OpenAI: its output and error files)."""
        items: list[fmt.ItemResult] = []
        simulated = False
        for where in state.results:
            url = self._results_url(where)
            _, headers, raw = await self._send("GET", url)
            simulated = simulated or SIMULATED_HEADER in headers
            items += fmt.results(self.vendor, raw)
        return Fetched(tuple(items), simulated)

    def _results_url(self, where: str) -> str:
        if self.vendor == "openai":
            return f"{self._root}/files/{where}/content"
        # The key goes with the request: only to the API's own host, never wherever a reply points.
        if urlsplit(where)[:2] != urlsplit(self.spec.base_url)[:2]:
            raise PartialFailure(f"{self.spec.model}: the batch results URL is not on {self.spec.base_url}")
        return where

    async def _upload(self, content: bytes) -> str:
        import aiohttp

        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            data.add_field("purpose", "batch")
            data.add_field("file", content, filename="afgap-batch.jsonl", content_type="application/jsonl")
            return data

        return _id(await self._json("POST", f"{self._root}/files", form=form), "file")

    async def _json(self, method: str, url: str, **kwargs: Any) -> Mapping[str, Any]:
        _, _, raw = await self._send(method, url, **kwargs)
        try:
            body = wirejson.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, Mapping):
            raise PartialFailure(
                f"{self.spec.model}: the batch API answered {method} {url} with no JSON object"
            )
        return body

    async def _send(
        self, method: str, url: str, json: Any = None, form: Any = None
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One request, retried like a live call; PartialFailure when it fails for good."""
        headers = dict(self._headers)
        if form is not None:
            headers.pop("content-type")  # aiohttp sets the multipart boundary
        content = wirejson.dumps(json) if json is not None else None
        reason = ""
        for attempt in range(1, _ATTEMPTS + 1):
            if attempt > 1:
                wait = min(_WAIT_MAX_S, _WAIT_INITIAL_S * 2 ** (attempt - 2)) + random.uniform(0, 0.2)
                await asyncio.sleep(wait)
            try:
                data = form() if form is not None else content
                request = self._session.request(
                    method, url, data=data, headers=headers, allow_redirects=False
                )
                async with request as response:
                    status, raw = response.status, await response.read()
                    if 200 <= status < 300:
                        return status, response.headers, raw
            except self._errors as exc:
                reason = network_error(exc).message
                continue
            except TimeoutError:
                reason = "timeout"
                continue
            reason = f"HTTP {status}: {_message(raw)}"
            if status not in RETRY_STATUSES and status < 500:
                break
        raise PartialFailure(
            one_line(f"{self.spec.model}: batch API {method} {urlsplit(url).path}: {reason}")
        )


def _message(raw: bytes) -> str:
    try:
        body = wirejson.loads(raw)
    except ValueError:
        return raw[:200].decode("utf-8", "replace")
    return error_fields(body)[2]


def _id(body: Mapping[str, Any], what: str) -> str:
    value = body.get("id")
    if not isinstance(value, str) or not value:
        raise PartialFailure(f"the batch API created a {what} without an id")
    return value
