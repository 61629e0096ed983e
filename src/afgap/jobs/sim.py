"""The `sim serve` job: check the simulator's settings, then serve it on loopback until stopped."""

from __future__ import annotations

from afgap.errors import InputError
from afgap.settings import DEFAULT_SEED, DEFAULT_SIM_PORT, DEFAULT_SIM_RETRY_AFTER, DEFAULT_SIM_SLOW_MS


def serve(
    port: int = DEFAULT_SIM_PORT,
    *,
    seed: int = DEFAULT_SEED,
    latency_ms: float = 0.0,
    fault_rate: float = 0.0,
    rate_limit_rate: float = 0.0,
    error_rate: float = 0.0,
    drop_rate: float = 0.0,
    slow_rate: float = 0.0,
    slow_ms: float = DEFAULT_SIM_SLOW_MS,
    retry_after: float = DEFAULT_SIM_RETRY_AFTER,
) -> None:
    """Serve the simulator on 127.0.0.1:port; an InputError naming the flag for any impossible setting."""
    faults = {
        "fault_rate": fault_rate,
        "rate_limit_rate": rate_limit_rate,
        "error_rate": error_rate,
        "drop_rate": drop_rate,
    }
    _check_port_and_times(port, latency_ms, slow_ms, retry_after)
    _check_rates(faults, slow_rate)
    # The HTTP server's imports only once the settings are sound.
    from afgap.sim.server import serve_forever

    serve_forever(
        port,
        seed=seed,
        latency_ms=latency_ms,
        fault_rate=fault_rate,
        rate_limit_rate=rate_limit_rate,
        error_rate=error_rate,
        drop_rate=drop_rate,
        slow_rate=slow_rate,
        slow_ms=slow_ms,
        retry_after=retry_after,
    )


def _check_port_and_times(port: int, latency_ms: float, slow_ms: float, retry_after: float) -> None:
    if not 0 <= port <= 65535:
        raise InputError(f"--port must be in 0..65535, got {port}")
    if latency_ms < 0 or retry_after < 0 or slow_ms < 0:
        raise InputError(
            "--latency-ms, --slow-ms and --retry-after must be >= 0, "
            f"got {latency_ms:g}, {slow_ms:g} and {retry_after:g}"
        )


def _check_rates(faults: dict[str, float], slow_rate: float) -> None:
    for name, rate in {**faults, "slow_rate": slow_rate}.items():
        if not 0.0 <= rate <= 1.0:
            raise InputError(f"--{name.replace('_', '-')} must be in [0, 1], got {rate:g}")
    if sum(faults.values()) > 1.0:
        raise InputError("--fault-rate, --rate-limit-rate, --error-rate and --drop-rate add up to over 1")
