"""`afgap batch export|import`: offline batch files for open-weight models under vLLM's runner."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from afgap.cli.console import err_console
from afgap.cli.options import DbOption, resolve_db
from afgap.cli.planning import (
    ColumnOption,
    EffortOption,
    LimitOption,
    MaxTokensOption,
    QueriesOption,
    SampleQueriesOption,
    SamplesOption,
    ScenarioOption,
    SeedOption,
    TemperatureOption,
)
from afgap.errors import PartialFailure
from afgap.settings import (
    DEFAULT_LOCK_TIMEOUT_S,
    DEFAULT_MAX_TOKENS,
    DEFAULT_SAMPLES,
    DEFAULT_SCENARIO,
    DEFAULT_SEED,
    DEFAULT_TEMPERATURE,
    MAX_LOCK_TIMEOUT_S,
)

batch_app = typer.Typer(
    help="Offline batch files for vLLM's runner: export the calls still missing, import the results.",
    no_args_is_help=True,
)

ModelOption = Annotated[
    list[str],
    typer.Option("--model", "-m", help="Model string, repeatable (e.g. vllm/ORG/MODEL, sim/faker)."),
]
LockTimeoutOption = Annotated[
    float,
    typer.Option(
        help=f"Seconds to wait while another process locks the store (0 to {MAX_LOCK_TIMEOUT_S:,g})."
    ),
]
OutOption = Annotated[Path, typer.Option("--out", "-o", help="Batch request file to write (JSONL).")]
ResultsArgument = Annotated[Path, typer.Argument(help="Batch result file (JSONL) from vLLM's run_batch.")]


@batch_app.command("export")
def batch_export(
    models: ModelOption,
    out: OutOption,
    scenario: ScenarioOption = None,
    queries: QueriesOption = None,
    queries_column: ColumnOption = None,
    samples: SamplesOption = DEFAULT_SAMPLES,
    limit: LimitOption = None,
    sample_queries: SampleQueriesOption = None,
    seed: SeedOption = DEFAULT_SEED,
    temperature: TemperatureOption = DEFAULT_TEMPERATURE,
    max_tokens: MaxTokensOption = DEFAULT_MAX_TOKENS,
    reasoning_effort: EffortOption = None,
    lock_timeout: LockTimeoutOption = DEFAULT_LOCK_TIMEOUT_S,
    db: DbOption = None,
) -> None:
    """Write every call collect would still send as one batch line, planned as collect plans them."""
    from afgap.jobs.batch_export import export_batch
    from afgap.jobs.collect import CollectRequest
    from afgap.records import Sampling

    request = CollectRequest(
        models=models,
        db=resolve_db(db),
        scenarios=tuple(scenario or [DEFAULT_SCENARIO]),
        queries=queries,
        queries_column=queries_column,
        samples=samples,
        limit=limit,
        sample_queries=sample_queries,
        query_seed=seed,
        sampling=Sampling(
            temperature=temperature,
            max_tokens=max_tokens,
            reasoning_effort=reasoning_effort.value if reasoning_effort else None,
        ),
        lock_timeout_s=lock_timeout,
    )
    done = export_batch(request, out, os.environ)
    console = err_console()
    if not done.lines:
        console.print(
            f"nothing to export: all {done.planned} planned calls are stored (wrote an empty {out})"
        )
        return
    console.print(
        f"exported {done.lines} requests to {out} ({done.first_turns} first turns, {done.continuations} "
        f"continuation turns; {done.stored} of {done.planned} planned calls already stored)"
    )
    for model in done.by_model:
        console.print(
            f"next: python -m vllm.entrypoints.openai.run_batch -i {out} -o results.jsonl --model {model}"
        )
    console.print("then: afgap batch import results.jsonl")


@batch_app.command("import")
def batch_import(
    results: ResultsArgument, lock_timeout: LockTimeoutOption = DEFAULT_LOCK_TIMEOUT_S, db: DbOption = None
) -> None:
    """Store a batch result file all-or-nothing; one bad line names FILE:LINE and stores nothing."""
    from afgap.jobs.batch_import import import_batch

    done = import_batch(results, resolve_db(db), lock_timeout)
    console = err_console()
    console.print(
        f"imported {results}: {done.stored} calls stored ({done.failed} failed), {done.continuations} "
        f"need a continuation turn, {done.already} already stored"
    )
    if done.continuations:
        console.print("run `afgap batch export` again with the same options for the continuation turns")
    if done.failed:
        raise PartialFailure(
            f"{done.failed} calls failed in the batch run; `afgap batch export` with the same options "
            "exports them again"
        )
