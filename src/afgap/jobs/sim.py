"""The `sim serve` job: check the simulator's settings, then serve it on loopback until stopped."""

from __future__ import annotations

# SimSettings is part of this job's surface: the CLI builds one without importing the simulator package.
from afgap.sim.settings import SimSettings, as_flag

__all__ = ["SimSettings", "serve"]


def serve(settings: SimSettings) -> None:
    """Serve the simulator on loopback until stopped; an InputError naming the flag of a bad setting."""
    settings.check(spell=as_flag)
    # The HTTP server's imports only once the settings are sound.
    from afgap.sim.server import serve_forever

    serve_forever(settings)
