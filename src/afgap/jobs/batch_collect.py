"""`collect --batch`: send first turns through the vendors' batch APIs, store replies as live calls are.

Steps: batches recorded by an earlier collect on this store are polled again (never resubmitted); the
calls they do not carry are submitted in new batches, each recorded in the store the moment the vendor
accepts it; every batch is polled with backoff until it ends; its results become the same CallRecords a
live call makes (same request hash, same columns, `cost_usd` at batch prices) and go through the same
writer. Items that expired, were cancelled or failed in a way a retry may fix are submitted again in a
new batch (or sent live with `--batch-fallback live`); a reply that stops after its scratchpad and
expects `<NEXT/>` is sent again live, whole, because a batch carries one turn.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from afgap.engine import eventloop
from afgap.engine.plans import PlannedCall
from afgap.engine.pricing import PriceTable
from afgap.engine.run import EngineOptions, RunSummary, combined, run_calls
from afgap.errors import InputError, Interrupted, PartialFailure
from afgap.providers import batch_format as fmt
from afgap.providers.batches import BatchApi
from afgap.providers.conversation import Transcript, needs_continuation
from afgap.providers.registry import api_key
from afgap.providers.transport import Reply
from afgap.records import CallPlan, CallRecord, Completion, Message, ModelSpec
from afgap.store import provider_batches as recorded
from afgap.store.database import Store
from afgap.store.writer import Writer

Fallback = Literal["resubmit", "live"]
FALLBACKS: tuple[Fallback, ...] = ("resubmit", "live")
# Far below the vendors' caps (OpenAI 50,000 lines / 200 MB, Anthropic 100,000 requests / 256 MB).
MAX_ITEMS = 10_000
MAX_BYTES = 32 * 1024 * 1024
MAX_ROUNDS = 3  # batches of resubmitted items before what is left is stored as errors
POLL_INITIAL_S = 1.0
POLL_MAX_S = 60.0


@dataclass(frozen=True)
class BatchOptions:
    """How `--batch` runs: what happens to items a batch did not answer, and how often to poll."""

    fallback: Fallback = "resubmit"
    poll_initial_s: float = POLL_INITIAL_S
    poll_max_s: float = POLL_MAX_S


def check_batchable(specs: Sequence[ModelSpec], max_cost_usd: float | None = None) -> None:
    """Refuse, before anything is sent, a model whose provider has no batch API, or a budget to keep."""
    if max_cost_usd is not None:
        raise InputError(
            "--max-cost cannot stop a batch once it is submitted; see its cost with --batch --dry-run"
        )
    without = [s.model for s in specs if fmt.vendor(s) is None]
    if without:
        able = ", ".join(sorted(set(fmt.BATCH_PROVIDERS)))
        raise InputError(
            f"--batch needs a provider with a batch API ({able}; chat models only); "
            f"none for {', '.join(without)}"
        )


def run_batches(
    todo: list[PlannedCall],
    store: Store,
    run_id: int,
    env: Mapping[str, str],
    engine: EngineOptions,
    prices: PriceTable,
    options: BatchOptions,
    notice: Callable[[str], None],
) -> RunSummary:
    """Collect `todo` through batch APIs; every reply goes to the store through the collect writer."""
    writer = Writer(store, run_id, {p.plan.request_hash: p.query_text for p in todo}, notice)
    job = _BatchJob(todo, store, writer, env, engine, prices.for_batch(), options, notice)
    try:
        summary = eventloop.run(job.run())
    except (KeyboardInterrupt, asyncio.CancelledError):
        if writer.error is not None:
            raise writer.error from None
        raise Interrupted(
            "interrupted: every stored reply is kept and every submitted batch is recorded; rerun the "
            "same command to resume polling them"
        ) from None
    finally:
        writer.close()  # a clean stop never loses a reply already read
    # Only once the writer has committed its results is a batch collected (a rerun reads it again till then).
    for provider, batch_id in job.collected:
        recorded.set_status(store, provider, batch_id, recorded.COLLECTED)
    return summary


class _BatchJob:
    """One `--batch` collect: its plans, its APIs, and what has come back."""

    def __init__(
        self,
        todo: list[PlannedCall],
        store: Store,
        writer: Writer,
        env: Mapping[str, str],
        engine: EngineOptions,
        prices: PriceTable,
        options: BatchOptions,
        notice: Callable[[str], None],
    ) -> None:
        self.plans = {p.plan.request_hash: p.plan for p in todo}
        self.store, self.writer, self.env, self.engine = store, writer, env, engine
        self.prices, self.options, self.notice = prices, options, notice
        self.specs = {p.plan.spec.model: p.plan.spec for p in todo}
        self.apis: dict[str, BatchApi] = {}
        self.settled: set[str] = set()
        self.status: Counter[str] = Counter()
        self.tokens_in = self.tokens_out = self.unpriced = 0
        self.cost = 0.0
        self.collected: list[tuple[str, str]] = []
        self.stored = store.completed_hashes()
        self.started = time.perf_counter()

    async def run(self) -> RunSummary:
        main = asyncio.current_task()

        def stop() -> None:
            # A store that takes nothing stops the job like Ctrl-C; run_batches raises the writer's error.
            if main is not None:
                main.cancel()

        flusher = asyncio.create_task(self.writer.flush_periodically(stop))
        try:
            self.apis = {
                m: BatchApi(s, api_key(s, self.env), self.engine.timeout_s) for m, s in self.specs.items()
            }
            live = await self._rounds()
            return self._summary(await self._live(live))
        finally:
            flusher.cancel()
            for api in self.apis.values():
                await api.aclose()

    async def _rounds(self) -> list[CallPlan]:
        """Poll recorded batches, submit the rest, resubmit what failed; the plans left to send live."""
        pending = self._recorded()
        carried = {h for _, _, hashes in pending for h in hashes}
        fresh = [p for h, p in self.plans.items() if h not in carried]
        pending += await self._submit(fresh)
        live: list[CallPlan] = []
        for round_number in range(1, MAX_ROUNDS + 1):
            retry, continued = await self._poll(pending)
            live += continued
            if self.options.fallback == "live" or not retry:
                return live + retry
            if round_number == MAX_ROUNDS:
                for plan in retry:
                    self._store_failure(plan, "batch_error", f"no reply after {MAX_ROUNDS} batches")
                return live
            self.notice(f"resubmitting {len(retry)} calls a batch did not answer")
            pending = await self._submit(retry)
        return live

    def _recorded(self) -> list[tuple[str, ModelSpec, tuple[str, ...]]]:
        """Batches an earlier collect submitted for this collect's models: polled, not resubmitted."""
        found = []
        for batch in recorded.open_batches(self.store):
            spec = self.specs.get(batch.model)
            if spec is not None and spec.provider == batch.provider:
                found.append((batch.batch_id, spec, batch.request_hashes))
        if found:
            self.notice(f"resuming {len(found)} recorded batch{'es' if len(found) > 1 else ''}")
        return found

    async def _submit(self, plans: Sequence[CallPlan]) -> list[tuple[str, ModelSpec, tuple[str, ...]]]:
        """New batches for `plans`, per model and within the size caps; each recorded once accepted."""
        out = []
        for model, spec in self.specs.items():
            mine = [p for p in plans if p.spec.model == model]
            for chunk in _chunks(mine):
                batch_id = await self.apis[model].submit(chunk)
                hashes = tuple(p.request_hash for p in chunk)
                recorded.record(self.store, batch_id, spec.provider, model, hashes, "submitted")
                self.notice(f"batch {batch_id}: {len(chunk)} calls to {model} submitted")
                out.append((batch_id, spec, hashes))
        return out

    async def _poll(
        self, pending: list[tuple[str, ModelSpec, tuple[str, ...]]]
    ) -> tuple[list[CallPlan], list[CallPlan]]:
        """Wait for every batch to end and store its results: (plans to resubmit, plans to continue live)."""
        retry: list[CallPlan] = []
        live: list[CallPlan] = []
        wait = self.options.poll_initial_s
        waiting = list(pending)
        while waiting:
            still = []
            for batch_id, spec, hashes in waiting:
                api = self.apis[spec.model]
                try:
                    state = await api.state(batch_id)
                except PartialFailure as exc:
                    if "HTTP 404" not in str(exc):
                        raise
                    # The provider no longer has it (a restarted simulator): its calls go in a new batch.
                    recorded.set_status(self.store, spec.provider, batch_id, recorded.GONE)
                    self.notice(f"batch {batch_id} is unknown to {spec.model}; its calls are resubmitted")
                    retry += self._unsettled(hashes)
                    continue
                if state.phase == "running":
                    still.append((batch_id, spec, hashes))
                    continue
                more_retry, more_live = await self._read(api, batch_id, spec, hashes, state)
                retry += more_retry
                live += more_live
            waiting = still
            if waiting:
                await asyncio.sleep(wait)
                wait = min(self.options.poll_max_s, wait * 1.5)
        return retry, live

    async def _read(
        self, api: BatchApi, batch_id: str, spec: ModelSpec, hashes: tuple[str, ...], state: fmt.BatchState
    ) -> tuple[list[CallPlan], list[CallPlan]]:
        """An ended batch's results stored; its items without a reply to resubmit or continue live."""
        fetched = await api.fetch(state)
        live = []
        for item in fetched.items:
            plan = self.plans.get(item.custom_id)
            if plan is None or item.custom_id in self.settled or item.custom_id not in hashes:
                continue  # stored already, or not this batch's
            if item.completion is not None:
                if not self._store_reply(plan, item.completion, fetched.simulated):
                    live.append(plan)
            elif item.failure == "fatal":
                self._store_failure(plan, item.error_class, item.message, fetched.simulated)
        self.notice(f"batch {batch_id}: {state.status}" + (f" ({state.message})" if state.message else ""))
        # A batch carrying calls this collect did not plan (another scenario's, say) stays open for the
        # collect that plans them, which reads its results again.
        if all(h in self.plans or h in self.stored for h in hashes):
            self.collected.append((spec.provider, batch_id))
        else:
            recorded.set_status(self.store, spec.provider, batch_id, state.status)
        self.settled.update(p.request_hash for p in live)
        return self._unsettled(hashes), live

    def _unsettled(self, hashes: Iterable[str]) -> list[CallPlan]:
        """This job's plans among `hashes` that have no stored outcome yet."""
        return [self.plans[h] for h in hashes if h in self.plans and h not in self.settled]

    def _store_reply(self, plan: CallPlan, completion: Completion, simulated: bool) -> bool:
        """Store a batch reply as a live first turn would be; False when it needs a live continuation."""
        prefill = fmt.first_turn_prefill(plan.spec, plan)
        transcript = Transcript(plan.messages, plan.spec.simulated or simulated)
        if prefill:
            transcript.sent = (*plan.messages, Message(role="assistant", content=prefill))
        text = transcript.add(Reply(completion, simulated, 1), prefill)
        if plan.max_turns > 1 and needs_continuation(transcript.text, completion, text):
            return False
        cost = self.prices.cost(plan.spec, transcript.tokens_in, transcript.tokens_out)
        self._finish(transcript.record(plan, cost))
        return True

    def _store_failure(self, plan: CallPlan, error_class: str, message: str, simulated: bool = False) -> None:
        transcript = Transcript(plan.messages, plan.spec.simulated or simulated)
        transcript.attempts = 1
        self._finish(transcript.failed(plan, "error", error_class, message))

    def _finish(self, record: CallRecord) -> None:
        self.settled.add(record.plan.request_hash)
        self.status[record.status] += 1
        self.tokens_in += record.tokens_in or 0
        self.tokens_out += record.tokens_out or 0
        self.cost += record.cost_usd or 0.0
        self.unpriced += record.status == "ok" and record.cost_usd is None
        self.writer.add(record)

    async def _live(self, plans: list[CallPlan]) -> RunSummary | None:
        """Send live, whole, the calls a batch could not finish (continuations, or --batch-fallback live)."""
        if not plans:
            return None
        self.notice(f"sending {len(plans)} calls live")
        return await run_calls(plans, self.env, self.writer.add, self.engine)

    def _summary(self, live: RunSummary | None) -> RunSummary:
        ok, errors = self.status["ok"], self.status["error"]
        total = len(self.plans)
        summary = RunSummary(
            total=total,
            done=ok + errors,
            ok=ok,
            errors=errors,
            unavailable=0,
            unsent=0,
            retries=0,
            tokens_in=self.tokens_in,
            tokens_out=self.tokens_out,
            cost_usd=self.cost,
            elapsed_s=time.perf_counter() - self.started,
            unpriced=self.unpriced,
        )
        if live is None:
            return dataclasses.replace(summary, unsent=total - summary.done)
        return _added(summary, live, total)


def _added(batch: RunSummary, live: RunSummary, total: int) -> RunSummary:
    """The batch counts with the live calls' added; the batch's clock already ran through the live calls."""
    both = combined([batch, live])
    return dataclasses.replace(both, total=total, unsent=total - both.done, elapsed_s=batch.elapsed_s)


def _chunks(plans: list[CallPlan]) -> Iterable[list[CallPlan]]:
    """`plans` in batches of at most MAX_ITEMS calls and about MAX_BYTES of request bodies."""
    chunk: list[CallPlan] = []
    size = 0
    for plan in plans:
        # The messages' characters stand in for the body's bytes: cheap, and close enough for a cap.
        weight = sum(len(m.content) for m in plan.messages) + 512
        if chunk and (len(chunk) >= MAX_ITEMS or size + weight > MAX_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(plan)
        size += weight
    if chunk:
        yield chunk
