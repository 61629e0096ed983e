"""What a collect loads: numpy and scipy only when a statistic needs them, never for sending calls."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# Loaded only by the options that need them: --until-decided's statistics and --batch's vendor batches.
_ONLY_WHEN_ASKED = ("numpy", "scipy", "statsmodels", "afgap.stats.sequential", "afgap.jobs.batch_collect")


def test_a_plain_collect_does_not_load_numpy_scipy_or_the_batch_and_sequential_modules(
    tmp_path: Path,
) -> None:
    """`afgap collect` without --until-decided or --batch skips the start-up of what only they use."""
    argv = [
        "afgap",
        "collect",
        "-m",
        "sim/faker",
        "--limit",
        "2",
        "--dry-run",
        "--db",
        str(tmp_path / "s.db"),
    ]
    code = (
        "import sys, afgap.jobs.sequential, afgap.store.writer_child; from afgap.cli import main; "
        f"sys.argv = {argv!r}\n"
        "try:\n    main()\nexcept SystemExit as stop:\n    assert not stop.code, stop.code\n"
        f"print('loaded:' + ','.join(m for m in {_ONLY_WHEN_ASKED!r} if m in sys.modules), file=sys.stderr)"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stderr.splitlines()[-1] == "loaded:"
