"""Collection output on stderr: a throttled rich bar on a terminal, periodic plain lines otherwise, and
the closing summary (which also decides exit code 3)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from afgap.cli.console import err_console
from afgap.errors import PartialFailure

if TYPE_CHECKING:
    from afgap.jobs.collect import CollectRequest, CollectSummary
    from afgap.jobs.estimate import Estimate, ModelEstimate
    from afgap.jobs.progress import ProgressEvent

PLAIN_INTERVAL_S = 5.0
# At thousands of calls a second a re-render per call would cost more than the calls; 10 Hz looks live.
BAR_INTERVAL_S = 0.1


@contextmanager
def progress_reporter(
    quiet: bool = False, label: str = "collect"
) -> Iterator[Callable[[ProgressEvent], None]]:
    """Yield a callback that renders engine progress events, throttled, under `label`."""
    console = err_console()
    if quiet:
        yield lambda _event: None
        return
    if not console.is_terminal:
        yield _throttled(PLAIN_INTERVAL_S, lambda e: console.print(f"{label}: {_line(e)}", soft_wrap=True))
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, TextColumn("{task.fields[info]}"), console=console, refresh_per_second=5) as bar:
        task = bar.add_task(label, total=None, info="")

        def update(event: ProgressEvent) -> None:
            bar.update(task, total=event.total, completed=event.done, info=_info(event))

        yield _throttled(BAR_INTERVAL_S, update)


def _throttled(interval: float, render: Callable[[ProgressEvent], None]) -> Callable[[ProgressEvent], None]:
    """Render at most once per `interval` seconds, and always the last event."""
    last = [float("-inf")]

    def maybe(event: ProgressEvent) -> None:
        now = time.monotonic()
        if now - last[0] >= interval or event.done == event.total:
            last[0] = now
            render(event)

    return maybe


def _line(event: ProgressEvent) -> str:
    eta = ""
    if 0 < event.done < event.total and event.elapsed > 0:
        eta = f", ETA {(event.total - event.done) * event.elapsed / event.done:.0f} s"
    return f"{event.done}/{event.total} {_info(event)}{eta}"


def _info(event: ProgressEvent) -> str:
    rate = event.done / event.elapsed if event.elapsed > 0 else 0.0
    return (
        f"{rate:.0f} calls/s, {event.errors} errors, {event.unavailable} unavailable, "
        f"{event.retries} retries, {_cost(event.cost_usd, event.unpriced)}"
    )


def _cost(usd: float, unpriced: int) -> str:
    if unpriced and not usd:
        return "cost unknown"
    known = f"${usd:.4f}" if usd < 1 else f"${usd:.2f}"
    return f"{known} + unknown for {unpriced} calls" if unpriced else known


def collect_with_progress(request: CollectRequest, quiet: bool = False) -> None:
    """Run a collection with live progress (none for a dry run), then its closing lines."""
    from afgap.jobs.collect import collect

    with progress_reporter(quiet or request.dry_run) as progress:
        summary = collect(
            request,
            os.environ,
            # Quiet: no callback at all, so the engine builds no progress event per call.
            None if quiet else progress,
            notice,
            lambda split: err_console().print(share_line(split), soft_wrap=True, markup=False),
        )
    report_summary(summary, request.db)


def notice(line: str) -> None:
    """A line the user must see even with --quiet (a wait for the store's lock, recovered replies).

    A new console writes to the current sys.stderr, which a live bar redirects to print above itself.
    """
    err_console().print(f"afgap: {line}", soft_wrap=True, markup=False)


def share_line(summary: CollectSummary) -> str:
    """Who makes the calls this collect leaves to other collects, and what it sends itself."""
    who = "; ".join(
        f"run {run}, pid {pid}" + (f" on {host}" if host else "") for run, pid, host in summary.holders
    )
    collects = "another collect" if len(summary.holders) == 1 else f"{len(summary.holders)} other collects"
    taken = f"{summary.elsewhere} calls are being made by {collects} on this store ({who})"
    if summary.to_send == 0:
        return f"{taken}; nothing is left for this run to send"
    return f"{taken}; this run sends the other {summary.to_send}"


def report_summary(summary: CollectSummary, db: Path) -> None:
    """The closing lines on stderr; PartialFailure (exit 3) when any call failed or was left unsent."""
    console = err_console()
    if summary.dry_run:
        _report_plan(summary)
        return
    for line in decision_lines(summary):
        console.print(line, soft_wrap=True, markup=False)
    if summary.to_send == 0 and summary.decisions:
        console.print(f"nothing sent: every model is decided or has its plan stored in {db}", soft_wrap=True)
        return
    if summary.to_send == 0 and summary.elsewhere:
        console.print(
            f"nothing sent: {summary.cached} calls already stored, the other {summary.elsewhere} are being "
            "made by another collect; rerun the same command once it ends to send anything it left",
            soft_wrap=True,
        )
        return
    if summary.to_send == 0:
        console.print(f"nothing to send: all {summary.planned} calls are already stored in {db}")
        return
    console.print(
        f"collected: {summary.ok} ok, {summary.errors} errors, {summary.unavailable} unavailable, "
        f"{summary.unsent} unsent ({summary.cached} already stored, {_elsewhere(summary)}"
        f"{summary.retries} retries, "
        f"{_cost(summary.cost_usd, summary.unpriced)}) in {summary.elapsed_s:.1f} s -> {db}",
        soft_wrap=True,
    )
    if summary.failed or summary.unsent:
        raise PartialFailure(_failure_line(summary))


def decision_lines(summary: CollectSummary) -> list[str]:
    """--until-decided: where each (model, scenario) sequence stands and how many calls it left unsent."""
    lines = []
    for d in summary.decisions:
        gap = d.gap
        where = "decided" if gap.verdict != "inconclusive" else "undecided"
        estimate = "no complete query yet" if gap.estimate is None else f"gap {100 * gap.estimate:+.1f} pp"
        lines.append(
            f"until-decided: {d.model} · {d.scenario}: {gap.verdict} after {gap.n} of {d.planned_queries} "
            f"queries ({estimate}, anytime-valid interval [{100 * gap.ci_low:+.1f}, "
            f"{100 * gap.ci_high:+.1f}] pp); {where}, {d.unsent_calls} calls not sent"
        )
    return lines


def _failure_line(summary: CollectSummary) -> str:
    """One line with the counts and the reason calls were left unsent."""
    counts = f"{summary.errors} calls failed, {summary.unavailable} unavailable, {summary.unsent} not sent"
    if summary.budget_stopped:
        spent = _cost(summary.cost_usd, 0)
        return f"{counts}: stopped before exceeding --max-cost (spent {spent}); raise it and rerun to go on"
    reason = summary.first_errors.get("connect")
    if reason is None and summary.auth_failures:
        reason = f"authentication failed: check {', '.join(summary.auth_failures)}"
    hints = []
    if summary.errors or summary.unsent:
        hints.append("rerun the same command to retry the failed and unsent calls")
    if summary.unavailable:
        # Unavailable is final by design (a 404, a retired model): a rerun sends none of those again.
        hints.append("unavailable calls are not retried: the model was not found")
    return f"{counts}{f' ({reason})' if reason else ''}; {'; '.join(hints)}"


def _report_plan(summary: CollectSummary) -> None:
    est, console = summary.estimate, err_console()
    console.print(
        f"plan: {summary.planned} calls, {summary.cached} already stored, {summary.to_send} to send",
        soft_wrap=True,
    )
    console.print(f"estimated input tokens: ~{est.input_tokens:,} (characters / 4)", soft_wrap=True)
    for line in plan_lines(est):
        console.print(line, soft_wrap=True, markup=False)
    if est.cache_write_tokens or est.cache_read_tokens:
        console.print(_caching_line(est), soft_wrap=True, markup=False)


def plan_lines(est: Estimate) -> list[str]:
    """One line per model (calls, input tokens, its cost), then the total of the priced models."""
    lines = [
        f"  {m.model}: {m.calls:,} calls, ~{m.input_tokens:,} input tokens, {_model_cost(m)}"
        for m in est.models
    ]
    unpriced = f"no public price: {', '.join(est.unpriced_models)} (see --prices)"
    if not est.priced:
        return [*lines, f"estimated cost: unknown ({unpriced})"] if est.unpriced_models else lines
    total = (
        f"estimated cost: ${est.input_cost_usd:.2f} input + up to ${est.max_output_cost_usd:.2f} output "
        "(if every reply used --max-tokens)"
    )
    return [*lines, f"{total}; priced models only, {unpriced}" if est.unpriced_models else total]


def _model_cost(m: ModelEstimate) -> str:
    if m.input_cost_usd is None or m.max_output_cost_usd is None:
        return "no public price"
    return (
        f"${m.input_cost_usd:.2f} input + up to ${m.max_output_cost_usd:.2f} output "
        f"(price as of {m.price_as_of or 'unknown'})"
    )


def _caching_line(est: Estimate) -> str:
    """What prompt caching changes in the estimate (the assumption is in docs/collection.md)."""
    line = f"prompt caching: ~{est.cache_read_tokens:,} input tokens read from the cache"
    if est.cache_write_tokens:
        line += f", ~{est.cache_write_tokens:,} written (once per model and system prompt)"
    if est.priced:
        line += f"; input ${est.uncached_input_cost_usd:.2f} without caching"
    return line


def _elsewhere(summary: CollectSummary) -> str:
    return f"{summary.elsewhere} left to another collect, " if summary.elsewhere else ""
