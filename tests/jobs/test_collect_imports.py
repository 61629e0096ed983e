"""What a collect loads: numpy and scipy only when a statistic needs them, never for sending calls."""

from __future__ import annotations

import subprocess
import sys

# Loaded only by the options that need them: --until-decided's statistics and --batch's vendor batches.
_ONLY_WHEN_ASKED = ("numpy", "scipy", "statsmodels", "afgap.stats.sequential", "afgap.jobs.batch_collect")


def test_the_collect_job_does_not_load_numpy_scipy_or_the_batch_and_sequential_modules() -> None:
    """A plain live collect skips the start-up of what only --until-decided and --batch use."""
    code = (
        "import sys, afgap.jobs.collect, afgap.jobs.sequential, afgap.store.writer_child; "
        f"print(','.join(m for m in {_ONLY_WHEN_ASKED!r} if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""
