"""The `sim` jobs: serve the simulator on loopback until stopped (its settings checked first), or answer a
batch request file offline."""

from __future__ import annotations

from pathlib import Path

# SimSettings is part of this job's surface: the CLI builds one without importing the simulator package.
from afgap.sim.settings import SimSettings, as_flag

__all__ = ["SimSettings", "batch_run", "serve"]


def serve(settings: SimSettings) -> None:
    """Serve the simulator on loopback until stopped; an InputError naming the flag of a bad setting."""
    settings.check(spell=as_flag)
    # The HTTP server's imports only once the settings are sound.
    from afgap.sim.server import serve_forever

    serve_forever(settings)


def batch_run(source: Path, target: Path) -> int:
    """Answer a batch request file into a result file, as vLLM's offline runner would; lines answered."""
    from afgap.sim.batch import run_batch

    return run_batch(source, target)
