"""What a collect loads: numpy and scipy only when a statistic needs them, never for sending calls."""

from __future__ import annotations

import subprocess
import sys


def test_the_collect_job_does_not_load_numpy_or_scipy() -> None:
    """--until-decided's statistics import numpy where they run, so a plain collect skips its start-up."""
    code = (
        "import sys, afgap.jobs.collect, afgap.jobs.sequential, afgap.store.writer_child; "
        "print(','.join(m for m in ('numpy', 'scipy', 'statsmodels') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""
