"""What a long job reports while it runs: the engine's progress events, for the CLI to render.

The CLI imports the event type from here, so it renders progress without importing the engine.
"""

from __future__ import annotations

from collections.abc import Callable

from afgap.engine.run import ProgressEvent as ProgressEvent

Progress = Callable[[ProgressEvent], None]
