"""Turn (models × queries × conditions × samples) into hashed CallPlans. Pure."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from afgap.records import CallPlan, Message, ModelSpec, Query, Sampling
from afgap.scenarios import Scenario, prefill_for, render, scenario_hash

# The simulator listens on a fresh port each run; its address must not change the cache key.
SIM_BASE_URL_KEY = "sim"


def request_hash(spec: ModelSpec, plan_fields: dict[str, object], sampling: Sampling, sample: int) -> str:
    """sha256 of the canonical JSON of everything that determines what is sent."""
    return hashlib.sha256(_canonical(spec, plan_fields, sampling, sample).encode()).hexdigest()


def _canonical(spec: ModelSpec, plan_fields: dict[str, object], sampling: Sampling, sample: int) -> str:
    payload = {
        "provider": spec.provider,
        "model": spec.api_model,
        "base_url": SIM_BASE_URL_KEY if spec.simulated else spec.base_url.rstrip("/"),
        "sampling": sampling.hashed(),
        "sample": sample,
        **plan_fields,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class PlannedCall:
    """A CallPlan and the query text it carries (stored beside the response for export)."""

    plan: CallPlan
    query_text: str


def plan_calls(
    specs: Sequence[ModelSpec],
    scenario: Scenario,
    queries: Sequence[Query],
    samples: int,
    sampling: Sampling,
) -> Iterator[PlannedCall]:
    """Every cell, model-major, interleaving conditions so a partial run stays balanced."""
    s_hash = scenario_hash(scenario)
    conditions = scenario.design.conditions
    rendered = {(q.id, c): render(scenario, c, q) for q in queries for c in conditions}
    for spec in specs:
        # Anthropic refuses a prefilled reply when extended thinking is on, so none is planned then.
        prefill = None if sampling.thinking_budget is not None else prefill_for(scenario, spec.wire)
        document = scenario.document if spec.wire == "completions" else None
        hashers = _hashers(spec, rendered, prefill, scenario.max_turns, sampling, document)
        for sample in range(samples):
            for query in queries:
                for condition in conditions:
                    key = (query.id, condition)
                    plan = CallPlan(
                        spec=spec,
                        scenario=scenario.name,
                        scenario_hash=s_hash,
                        query_id=query.id,
                        condition=condition,
                        sample=sample,
                        messages=rendered[key],
                        sampling=sampling,
                        prefill=prefill,
                        max_turns=scenario.max_turns,
                        document=document,
                        request_hash=hashers[key].digest(sample),
                    )
                    yield PlannedCall(plan, query.text)


def _hashers(
    spec: ModelSpec,
    rendered: Mapping[tuple[str, str], tuple[Message, ...]],
    prefill: str | None,
    max_turns: int,
    sampling: Sampling,
    document: str | None = None,
) -> dict[tuple[str, str], _Hasher]:
    """One hasher per (query, condition) for `spec`."""
    # Chat plans hash exactly as before; a completions plan adds its wire and framing, so the same model
    # through both endpoints (or two framings) are different cells.
    extra: dict[str, object] = {} if document is None else {"wire": "completions", "document": document}
    # Hashing is ~30 µs a plan when each payload is re-encoded; the messages (the long part) are
    # encoded once per (query, condition) and each hash continues from a shared prefix instead.
    return {
        key: _Hasher(
            spec,
            {
                "messages": [m.model_dump() for m in messages],
                "prefill": prefill,
                "max_turns": max_turns,
                **extra,
            },
            sampling,
        )
        for key, messages in rendered.items()
    }


class _Hasher:
    """request_hash for one payload at many sample indices, from a shared sha256 prefix."""

    # Every payload's keys sort with "sample" right before "sampling", so the canonical JSON splits there.
    _SPLIT = '"sample":0,"sampling":'

    def __init__(self, spec: ModelSpec, plan_fields: dict[str, object], sampling: Sampling) -> None:
        canonical = _canonical(spec, plan_fields, sampling, 0)
        head, sep, tail = canonical.partition(self._SPLIT)
        self._fallback: tuple[ModelSpec, dict[str, object], Sampling] | None = None
        if not sep or self._SPLIT in tail:
            self._fallback = (spec, plan_fields, sampling)  # a key that breaks the split: hash in full
        self._prefix = hashlib.sha256((head + '"sample":').encode())
        self._tail = (',"sampling":' + tail).encode()

    def digest(self, sample: int) -> str:
        """The same value as request_hash(…, sample)."""
        if self._fallback is not None:
            spec, fields, sampling = self._fallback
            return request_hash(spec, fields, sampling, sample)
        h = self._prefix.copy()
        h.update(str(sample).encode())
        h.update(self._tail)
        return h.hexdigest()
