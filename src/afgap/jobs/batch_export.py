"""`afgap batch export`: the calls a collect would still send, as an offline batch file for vLLM's runner.

Planning is collect's (same options, same request hashes), and whatever the store holds is skipped. A
line's body is exactly what afgap would send live; its custom id is the request hash for a first turn and
`HASH:N` for turn N. A reply that stops inside the scratchpad needs a `<NEXT/>` turn: `batch import` adds
that turn to the store, and the next `batch export` writes it (so a study takes up to max_turns rounds of
export → run → import, each smaller than the last).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afgap.engine.plans import PlannedCall, plan_calls
from afgap.errors import InputError
from afgap.jobs.collect import CollectRequest, select_queries, validate_request
from afgap.providers.batchfile import request_line
from afgap.providers.conversation import first_prefill, next_conversation, request_body
from afgap.providers.registry import resolve, wire_format
from afgap.records import CallPlan, Message, ModelSpec
from afgap.scenarios import load_scenario, scenario_hash
from afgap.store import batchfiles
from afgap.store.busy import Patience
from afgap.store.database import open_store
from afgap.store.rows import BatchExportRow, timestamp

# The wires a batch file can carry: vLLM's runner speaks the OpenAI formats only.
BATCH_WIRES = ("openai", "completions")


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote: first turns of calls not yet stored, and continuation turns still owed."""

    path: Path
    planned: int
    stored: int
    first_turns: int
    continuations: int
    by_model: Mapping[str, int] = field(default_factory=dict)

    @property
    def lines(self) -> int:
        """Request lines in the file."""
        return self.first_turns + self.continuations


@dataclass
class TurnState:
    """A call's turns so far, kept between import rounds: the reply parts and what they cost."""

    parts: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    tokens_in: int | None = None
    tokens_out: int | None = None
    api_refusal: bool = False

    def dumps(self) -> str:
        """The JSON kept in `batch_exports.state`."""
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def loads(cls, text: str | None) -> TurnState:
        """The state a continuation row holds (an empty one for a first turn)."""
        return cls(**json.loads(text)) if text else cls()


def conversation(plan: CallPlan, state: TurnState) -> tuple[Message, ...]:
    """The conversation the next turn sends: each reply part followed by the user's <NEXT/>."""
    sent = plan.messages
    for part in state.parts:
        sent = next_conversation(sent, part)
    return sent


def turn_request(plan: CallPlan, state: TurnState) -> tuple[dict[str, Any], str | None]:
    """The body of a call's next turn (what converse sends live), and the prefill it carries."""
    wire = wire_format(plan.spec)
    prefill = first_prefill(wire, plan) if not state.parts else None
    return request_body(wire, plan, conversation(plan, state), prefill), prefill


def custom_id(request_hash: str, turn: int) -> str:
    """A line's custom id: the request hash, with the turn after it from the second turn on."""
    return request_hash if turn == 1 else f"{request_hash}:{turn}"


def export_row(planned: PlannedCall, turn: int, state: TurnState | None, now: str) -> batchfiles.Exported:
    """The `batch_exports` row of one line (its prompt id is filled in by the store)."""
    plan = planned.plan
    row = BatchExportRow(
        custom_id=custom_id(plan.request_hash, turn),
        request_hash=plan.request_hash,
        turn=turn,
        model=plan.spec.model,
        scenario=plan.scenario,
        scenario_hash=plan.scenario_hash,
        query_id=plan.query_id,
        condition=plan.condition,
        sample=plan.sample,
        query_text=planned.query_text,
        plan=batchfiles.plan_json(plan),
        prompt_id=0,
        state=state.dumps() if state is not None else None,
        exported_at=now,
    )
    return row, batchfiles.messages_json(plan)


def export_batch(req: CollectRequest, out: Path, env: Mapping[str, str]) -> ExportSummary:
    """Write the batch file of every planned call the store lacks, and remember each line in the store."""
    validate_request(req)
    specs = _batch_specs(req.models, env)
    _check_out(out)
    scenarios = [load_scenario(name) for name in dict.fromkeys(req.scenarios)]
    planned = [
        call
        for scenario in scenarios
        for call in plan_calls(specs, scenario, select_queries(req, scenario), req.samples, req.sampling)
    ]
    with open_store(req.db, patience=Patience(req.lock_timeout_s)) as store:
        done = store.completed_hashes()
        hashes = {p.plan.request_hash for p in planned}
        owed = [
            (row, m) for row, m in batchfiles.open_continuations(store) if row.request_hash in hashes - done
        ]
        waiting = {row.request_hash for row, _ in owed}
        todo = [p for p in planned if p.plan.request_hash not in done | waiting]
        now = timestamp()
        firsts = [export_row(p, 1, None, now) for p in todo]
        # A response's scenario version has its design stored before the response arrives.
        store.write_designs((scenario_hash(s), s.name, s.design, s.measures) for s in scenarios)
        batchfiles.record_exports(store, firsts)
    lines = [_line(p.plan, TurnState(), 1) for p in todo]
    lines += [_owed_line(row, m) for row, m in owed]
    _write_lines(out, lines)
    by_model: dict[str, int] = {}
    for line in lines:
        by_model[line["body"]["model"]] = by_model.get(line["body"]["model"], 0) + 1
    stored = sum(1 for p in planned if p.plan.request_hash in done)
    return ExportSummary(out, len(planned), stored, len(todo), len(owed), by_model)


def _line(plan: CallPlan, state: TurnState, turn: int) -> dict[str, Any]:
    body, _ = turn_request(plan, state)
    return request_line(custom_id(plan.request_hash, turn), plan.spec, body)


def _owed_line(row: BatchExportRow, messages: str) -> dict[str, Any]:
    return _line(batchfiles.stored_plan(row.plan, messages), TurnState.loads(row.state), row.turn)


def _batch_specs(models: Sequence[str], env: Mapping[str, str]) -> list[ModelSpec]:
    """Resolve the models; only OpenAI-format ones fit a batch file (no key is needed: nothing is sent)."""
    specs = [resolve(m, env) for m in dict.fromkeys(models)]
    for spec in specs:
        if spec.wire not in BATCH_WIRES:
            raise InputError(
                f"{spec.model} speaks the {spec.wire} wire format; a batch file carries OpenAI-format "
                "requests only (chat or completions/ models, e.g. vllm/…): collect it with `afgap collect`"
            )
    return specs


def _check_out(out: Path) -> None:
    if out.is_dir():
        raise InputError(f"--out {out} is a directory; name the batch file to write")
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: directory {out.parent} does not exist")


def _write_lines(out: Path, lines: Sequence[dict[str, Any]]) -> None:
    """Write the file whole or not at all: a half-written batch file would run only part of the plan."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(line) + "\n" for line in lines)
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
