"""Commands that send calls: collect, demo, sim serve."""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from afgap.cli.app import app
from afgap.cli.console import err_console
from afgap.cli.options import INVOCATION, DbOption, FormatOption, OutputFormat, resolve_db
from afgap.settings import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_TOKENS,
    DEFAULT_SCENARIO,
    DEFAULT_TEMPERATURE,
    DEMO_CONCURRENCY,
    DEMO_MODELS,
    DEMO_SAMPLES,
)

if TYPE_CHECKING:  # heavy imports stay out of `afgap --help`
    from afgap.jobs.collect import CollectRequest

sim_app = typer.Typer(
    help="The built-in simulator of model organisms with known truth.", no_args_is_help=True
)
app.add_typer(sim_app, name="sim")


@app.command()
def collect(
    models: Annotated[
        list[str], typer.Option("--model", "-m", help="Model string, repeatable (e.g. sim/faker).")
    ],
    scenario: Annotated[
        list[str] | None, typer.Option(help="Built-in scenario name or TOML path (repeatable).")
    ] = None,
    queries: Annotated[str, typer.Option(help="'builtin' or a query file (CSV/JSONL/TXT).")] = "builtin",
    queries_column: Annotated[str | None, typer.Option(help="CSV column holding the request text.")] = None,
    samples: Annotated[int, typer.Option(help="Samples per query and condition.")] = 1,
    limit: Annotated[int | None, typer.Option(help="Use only the first N queries.")] = None,
    sample_queries: Annotated[
        int | None, typer.Option(help="A random subset of N queries (see --seed).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for --sample-queries.")] = 0,
    temperature: Annotated[
        float, typer.Option(help="Sampling temperature (0.0 is sent as 0.0).")
    ] = DEFAULT_TEMPERATURE,
    max_tokens: Annotated[int, typer.Option(help="Max output tokens per turn.")] = DEFAULT_MAX_TOKENS,
    concurrency: Annotated[
        int | None,
        typer.Option(
            help=f"Calls in flight per provider [default: {DEFAULT_CONCURRENCY}, less for some].",
            show_default=False,
        ),
    ] = None,
    rpm: Annotated[float | None, typer.Option(help="Requests per minute per provider.")] = None,
    provider_limit: Annotated[
        list[str] | None,
        typer.Option(help="Limits for one provider, repeatable: PROVIDER:concurrency=N,rpm=N,tpm=N."),
    ] = None,
    max_cost: Annotated[
        float | None, typer.Option(help="Stop sending before the estimated cost would exceed USD.")
    ] = None,
    prices: Annotated[
        Path | None, typer.Option(help="Price file (TOML, USD per 1M tokens) overriding the shipped one.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Config file (TOML) [default: $AFGAP_CONFIG].", show_default=False)
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan and its cost; send nothing.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    db: DbOption = None,
) -> None:
    """Send every (query, condition, sample) to each model and store every response as it arrives."""
    from afgap.engine.run import EngineOptions
    from afgap.jobs.collect import CollectRequest
    from afgap.jobs.config import config_path, load_config, parse_provider_limit, resolve_limits
    from afgap.records import Sampling

    settings = load_config(config_path(config))
    own = [parse_provider_limit(text) for text in provider_limit or []]
    run_concurrency, run_rpm, limits = resolve_limits(concurrency, rpm, own, settings)
    engine = EngineOptions(concurrency=DEFAULT_CONCURRENCY if run_concurrency is None else run_concurrency,
                           rpm=run_rpm, limits=limits)  # fmt: skip
    request = CollectRequest(
        models=models, db=resolve_db(db), scenarios=tuple(scenario or [DEFAULT_SCENARIO]), queries=queries,
        queries_column=queries_column, samples=samples, limit=limit, sample_queries=sample_queries,
        query_seed=seed, sampling=Sampling(temperature=temperature, max_tokens=max_tokens), engine=engine,
        prices=prices or settings.prices, dry_run=dry_run,
        max_cost_usd=max_cost if max_cost is not None else settings.max_cost, command=_safe_command_line(),
    )  # fmt: skip
    _collect_and_report(request, quiet)


def _collect_and_report(request: CollectRequest, quiet: bool) -> None:
    from afgap.cli.progress import progress_reporter, report_summary
    from afgap.jobs.collect import collect

    with progress_reporter(quiet or request.dry_run) as progress:
        summary = collect(request, os.environ, progress)
    report_summary(summary, request.db)


def _safe_command_line() -> str:
    """The command line for the runs table. Keys never appear on it (they come from the environment)."""
    return "afgap " + " ".join(shlex.quote(a) for a in INVOCATION.get())


@app.command()
def demo(
    db: DbOption = None,
    samples: Annotated[int, typer.Option(help="Samples per query and condition.")] = DEMO_SAMPLES,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Zero-setup tour: simulate three model organisms, collect, classify and print the ranked report."""
    from afgap.cli.analyze import render_comparison
    from afgap.engine.run import EngineOptions
    from afgap.jobs.collect import CollectRequest
    from afgap.jobs.compare import compare_run
    from afgap.report.formats import labels_description
    from afgap.stats.analysis import Settings

    with tempfile.TemporaryDirectory(prefix="afgap-demo-") as tmp:
        path = resolve_db(db) if db else Path(tmp) / "demo.sqlite"
        err_console().print(f"afgap demo: SIMULATED models {', '.join(DEMO_MODELS)} -> {path}")
        request = CollectRequest(
            models=DEMO_MODELS, db=path, samples=samples, command="afgap demo",
            engine=EngineOptions(concurrency=DEMO_CONCURRENCY),
        )  # fmt: skip
        _collect_and_report(request, quiet=False)
        run = compare_run(path, ["all"], Settings())
        render_comparison(run.comparison, fmt, labels_description(None, run.labels_used))


@sim_app.command("serve")
def sim_serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8765,
    latency_ms: Annotated[float, typer.Option(help="Added latency per request, ms.")] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed: same seed and request give the same reply.")] = 0,
    fault_rate: Annotated[
        float,
        typer.Option(help="Fraction of attempts that fault, split 70 % 429 (with Retry-After) / 30 % 500."),
    ] = 0.0,
    rate_limit_rate: Annotated[
        float, typer.Option(help="Fraction of attempts answered 429 with Retry-After (see --retry-after).")
    ] = 0.0,
    error_rate: Annotated[float, typer.Option(help="Fraction of attempts answered 500.")] = 0.0,
    drop_rate: Annotated[
        float, typer.Option(help="Fraction of attempts whose connection is closed without a reply.")
    ] = 0.0,
    slow_rate: Annotated[
        float, typer.Option(help="Fraction of attempts answered late, by --slow-ms on top of the latency.")
    ] = 0.0,
    slow_ms: Annotated[float, typer.Option(help="How late a slow attempt is answered, ms.")] = 1000.0,
    retry_after: Annotated[float, typer.Option(help="Retry-After seconds sent with 429s and 529s.")] = 1.0,
) -> None:
    """Serve the simulator on loopback, speaking OpenAI Chat Completions and Anthropic Messages.

    Fault rates are per attempt and add to an organism's own (sim/flaky has 20 % 429, 5 % 500, 3 % 529,
    2 % dropped connections and 5 % slow answers), so a retried request can succeed; the same seed gives
    the same faults.
    """
    from afgap.errors import InputError
    from afgap.sim.server import serve_forever

    if not 0 <= port <= 65535:
        raise InputError(f"--port must be in 0..65535, got {port}")
    if latency_ms < 0 or retry_after < 0 or slow_ms < 0:
        raise InputError(
            "--latency-ms, --slow-ms and --retry-after must be >= 0, "
            f"got {latency_ms:g}, {slow_ms:g} and {retry_after:g}"
        )
    rates = {
        "--fault-rate": fault_rate, "--rate-limit-rate": rate_limit_rate, "--error-rate": error_rate,
        "--drop-rate": drop_rate,
    }  # fmt: skip
    for flag, rate in {**rates, "--slow-rate": slow_rate}.items():
        if not 0.0 <= rate <= 1.0:
            raise InputError(f"{flag} must be in [0, 1], got {rate:g}")
    if sum(rates.values()) > 1.0:
        raise InputError("--fault-rate, --rate-limit-rate, --error-rate and --drop-rate add up to over 1")
    serve_forever(
        port=port, latency_ms=latency_ms, seed=seed, fault_rate=fault_rate, retry_after=retry_after,
        rate_limit_rate=rate_limit_rate, error_rate=error_rate, drop_rate=drop_rate, slow_rate=slow_rate,
        slow_ms=slow_ms,
    )  # fmt: skip
