"""The curated public API: every exported name resolves, and nothing heavy loads at import."""

from __future__ import annotations

import subprocess
import sys

import afgap

# The public API, pinned: a name added or dropped is a decision, made here on purpose.
PUBLIC_API = [
    "AfgapError",
    "CollectRequest",
    "CollectSummary",
    "Comparison",
    "Condition",
    "InputError",
    "InterchangeRecord",
    "Interrupted",
    "Outcome",
    "PartialFailure",
    "Query",
    "Sampling",
    "Settings",
    "__version__",
    "analyse",
    "classify_response",
    "collect",
    "compare",
    "load_queries",
    "load_scenario",
    "open_store",
    "reclassify",
    "resolve_model",
]


def test_the_public_api_is_pinned() -> None:
    assert sorted(afgap.__all__) == PUBLIC_API


def test_every_exported_name_resolves() -> None:
    for name in afgap.__all__:
        assert getattr(afgap, name) is not None, name


def test_importing_the_cli_does_not_load_heavy_libraries() -> None:
    """`afgap --help` stays fast: scipy, statsmodels, httpx, aiohttp load only when a command needs them."""
    code = (
        "import sys, afgap.cli; heavy = [m for m in ('scipy', 'statsmodels', 'httpx', 'aiohttp', 'numpy') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
