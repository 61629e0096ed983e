"""`afgap collect`: send every (query, condition, sample) to each model and store each response."""

from __future__ import annotations

import dataclasses
import shlex
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from afgap.cli.options import INVOCATION, DbOption, TimeoutOption, literal, resolve_db
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
from afgap.settings import (
    DEFAULT_ALPHA,
    DEFAULT_CONCURRENCY,
    DEFAULT_LOCK_TIMEOUT_S,
    DEFAULT_MAX_TOKENS,
    DEFAULT_SAMPLES,
    DEFAULT_SCENARIO,
    DEFAULT_SEED,
    DEFAULT_TEMPERATURE,
    DEFAULT_TIMEOUT_S,
    MAX_CONCURRENCY,
    MAX_LOCK_TIMEOUT_S,
)

if TYPE_CHECKING:
    from afgap.jobs.batch_collect import BatchOptions

ModelOption = Annotated[
    list[str], typer.Option("--model", "-m", help="Model string, repeatable (e.g. sim/faker).")
]
ThinkingBudgetOption = Annotated[
    int | None,
    typer.Option(
        help="Anthropic models: extended thinking with this token budget (at least 1024, below "
        "--max-tokens; temperature 1; no prefill)."
    ),
]
ConcurrencyOption = Annotated[
    int | None,
    typer.Option(
        help=literal(
            f"Calls in flight per provider, 1 to {MAX_CONCURRENCY:,} "
            f"[default: {DEFAULT_CONCURRENCY}, less for some]."
        ),
        show_default=False,
    ),
]
LockTimeoutOption = Annotated[
    float,
    typer.Option(
        help="Seconds to wait while another process locks the store before saving the received replies "
        f"to a recovery file and stopping (0 to {MAX_LOCK_TIMEOUT_S:,g})."
    ),
]
RpmOption = Annotated[float | None, typer.Option(help="Requests per minute per provider (positive, finite).")]
ProviderLimitOption = Annotated[
    list[str] | None,
    typer.Option(help="Limits for one provider, repeatable: PROVIDER:concurrency=N,rpm=N,tpm=N."),
]
MaxCostOption = Annotated[
    float | None, typer.Option(help="Stop sending before the estimated cost would exceed USD.")
]
PricesOption = Annotated[
    Path | None, typer.Option(help="Price file (TOML, USD per 1M tokens) overriding the shipped one.")
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(help=literal("Config file (TOML) [default: $AFGAP_CONFIG]."), show_default=False),
]
CachePromptFlag = Annotated[
    bool | None,
    typer.Option(
        "--cache-prompt/--no-cache-prompt",
        help=literal(
            "Anthropic: mark the shared system prompt for the prompt cache (writes 1.25x input, reads "
            "0.1x); not in the request hash [default: --cache-prompt]."
        ),
        show_default=False,
    ),
]


BatchFlag = Annotated[
    bool,
    typer.Option(
        "--batch",
        help="Send through the provider's batch API (OpenAI, Anthropic; half price, replies within 24 h); "
        "a rerun resumes polling the recorded batches.",
    ),
]


class BatchFallback(StrEnum):
    """`--batch-fallback` values (jobs/batch_collect.FALLBACKS)."""

    resubmit = "resubmit"
    live = "live"


BatchFallbackOption = Annotated[
    BatchFallback,
    typer.Option(help="Calls a batch did not answer (expired, failed): in a new batch, or sent live."),
]
DryRunFlag = Annotated[bool, typer.Option("--dry-run", help="Print the plan and its cost; send nothing.")]
UntilDecidedFlag = Annotated[
    bool,
    typer.Option(
        "--until-decided",
        help="Visit each model's queries in a seeded random order and stop sending to it once its "
        "anytime-valid verdict is settled (at most the usual plan; docs/collection.md).",
    ),
]
AlphaOption = Annotated[
    float,
    typer.Option(
        help="With --until-decided: error level, spread evenly over models × scenarios (Bonferroni)."
    ),
]
MinGapOption = Annotated[
    float, typer.Option(help="With --until-decided: smallest gap that matters, as a fraction (0.05 = 5 pp).")
]
QuietFlag = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]


def collect(
    models: ModelOption,
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
    thinking_budget: ThinkingBudgetOption = None,
    concurrency: ConcurrencyOption = None,
    rpm: RpmOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT_S,
    lock_timeout: LockTimeoutOption = DEFAULT_LOCK_TIMEOUT_S,
    provider_limit: ProviderLimitOption = None,
    max_cost: MaxCostOption = None,
    prices: PricesOption = None,
    config: ConfigOption = None,
    cache_prompt: CachePromptFlag = None,
    batch: BatchFlag = False,
    batch_fallback: BatchFallbackOption = BatchFallback.resubmit,
    dry_run: DryRunFlag = False,
    until_decided: UntilDecidedFlag = False,
    alpha: AlphaOption = DEFAULT_ALPHA,
    min_gap: MinGapOption = 0.01,
    quiet: QuietFlag = False,
    db: DbOption = None,
) -> None:
    """Send every (query, condition, sample) to each model and store every response as it arrives."""
    from afgap.cli.progress import collect_with_progress
    from afgap.jobs.collect import CollectRequest
    from afgap.jobs.config import config_path, engine_options, load_config
    from afgap.jobs.sequential import UntilDecided
    from afgap.records import Sampling

    rule = UntilDecided(alpha, min_gap)  # checked even when unused
    file = load_config(config_path(config))
    engine = dataclasses.replace(
        engine_options(concurrency, rpm, provider_limit or [], file), timeout_s=timeout
    )
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
            reasoning_effort=reasoning_effort.value if reasoning_effort else file.reasoning_effort,
            thinking_budget=thinking_budget if thinking_budget is not None else file.thinking_budget,
        ),
        engine=engine,
        prices=prices or file.prices,
        dry_run=dry_run,
        cache_prompt=next((c for c in (cache_prompt, file.cache_prompt) if c is not None), True),
        max_cost_usd=max_cost if max_cost is not None else file.max_cost,
        command=_safe_command_line(),
        lock_timeout_s=lock_timeout,
        batch=_batch_options(batch_fallback) if batch else None,
        until_decided=rule if until_decided else None,
    )
    collect_with_progress(request, quiet)


def _batch_options(fallback: BatchFallback) -> BatchOptions:
    """--batch's options, imported only then: a live collect loads none of the batch machinery."""
    from afgap.jobs.batch_collect import BatchOptions

    return BatchOptions(fallback=fallback.value)


def _safe_command_line() -> str:
    """The command line for the runs table. Keys never appear on it (they come from the environment)."""
    return "afgap " + " ".join(shlex.quote(a) for a in INVOCATION.get())
