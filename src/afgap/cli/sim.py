"""`afgap sim serve`: the built-in simulator on loopback; `afgap sim batch-run`: its offline batch runner."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from afgap.settings import DEFAULT_SEED, DEFAULT_SIM_PORT, DEFAULT_SIM_RETRY_AFTER, DEFAULT_SIM_SLOW_MS

sim_app = typer.Typer(
    help="The built-in simulator of model organisms with known truth.", no_args_is_help=True
)

PortOption = Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")]
LatencyOption = Annotated[float, typer.Option(help="Added latency per request, ms.")]
SeedOption = Annotated[int, typer.Option(help="Seed: same seed and request give the same reply.")]
FaultRateOption = Annotated[
    float,
    typer.Option(help="Fraction of attempts that fault, split 70 % 429 (with Retry-After) / 30 % 500."),
]
RateLimitRateOption = Annotated[
    float, typer.Option(help="Fraction of attempts answered 429 with Retry-After (see --retry-after).")
]
ErrorRateOption = Annotated[float, typer.Option(help="Fraction of attempts answered 500.")]
DropRateOption = Annotated[
    float, typer.Option(help="Fraction of attempts whose connection is closed without a reply.")
]
SlowRateOption = Annotated[
    float, typer.Option(help="Fraction of attempts answered late, by --slow-ms on top of the latency.")
]
SlowMsOption = Annotated[float, typer.Option(help="How late a slow attempt is answered, ms.")]
RetryAfterOption = Annotated[float, typer.Option(help="Retry-After seconds sent with 429s and 529s.")]
BatchDelayOption = Annotated[float, typer.Option(help="Seconds until a submitted batch ends (batch APIs).")]
BatchExpireRateOption = Annotated[
    float, typer.Option(help="Fraction of batch items that expire the first time they are submitted.")
]


@sim_app.command("serve")
def sim_serve(
    port: PortOption = DEFAULT_SIM_PORT,
    latency_ms: LatencyOption = 0.0,
    seed: SeedOption = DEFAULT_SEED,
    fault_rate: FaultRateOption = 0.0,
    rate_limit_rate: RateLimitRateOption = 0.0,
    error_rate: ErrorRateOption = 0.0,
    drop_rate: DropRateOption = 0.0,
    slow_rate: SlowRateOption = 0.0,
    slow_ms: SlowMsOption = DEFAULT_SIM_SLOW_MS,
    retry_after: RetryAfterOption = DEFAULT_SIM_RETRY_AFTER,
    batch_delay_s: BatchDelayOption = 0.0,
    batch_expire_rate: BatchExpireRateOption = 0.0,
) -> None:
    """Serve the simulator on loopback, speaking OpenAI Chat Completions and Anthropic Messages.

    Fault rates are per attempt and add to an organism's own (sim/flaky has 20 % 429, 5 % 500, 3 % 529,
    2 % dropped connections and 5 % slow answers), so a retried request can succeed; the same seed gives
    the same faults.
    """
    from afgap.jobs.sim import SimSettings, serve

    settings = SimSettings(
        port=port,
        seed=seed,
        latency_ms=latency_ms,
        fault_rate=fault_rate,
        rate_limit_rate=rate_limit_rate,
        error_rate=error_rate,
        drop_rate=drop_rate,
        slow_rate=slow_rate,
        slow_ms=slow_ms,
        retry_after=retry_after,
        batch_delay_s=batch_delay_s,
        batch_expire_rate=batch_expire_rate,
    )
    serve(settings)


@sim_app.command("batch-run")
def sim_batch_run(
    requests: Annotated[
        Path, typer.Argument(help="Batch request file (JSONL), e.g. from `afgap batch export`.")
    ],
    results: Annotated[Path, typer.Argument(help="Result file to write (JSONL, vLLM's output format).")],
) -> None:
    """Answer a batch request file offline, standing in for vLLM's run_batch (SIMULATED models only)."""
    from afgap.cli.console import err_console
    from afgap.jobs.sim import batch_run

    count = batch_run(requests, results)
    err_console().print(f"answered {count} requests (SIMULATED) into {results}")
