"""afgap: measure the alignment-faking compliance gap of language models, honestly.

The public API is the names in ``__all__``; they load lazily so that ``afgap --help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "AfgapError": "afgap.errors",
    "InputError": "afgap.errors",
    "PartialFailure": "afgap.errors",
    "Interrupted": "afgap.errors",
    "Condition": "afgap.records",
    "Outcome": "afgap.records",
    "Query": "afgap.records",
    "Sampling": "afgap.records",
    "InterchangeRecord": "afgap.records",
    "CollectRequest": "afgap.jobs.collect",
    "CollectSummary": "afgap.jobs.collect",
    "collect": "afgap.jobs.collect",
    "compare": "afgap.jobs.compare",
    "reclassify": "afgap.jobs.classify",
    "Settings": "afgap.stats.analysis",
    "Comparison": "afgap.stats.analysis",
    "analyse": "afgap.stats.analysis",
    "open_store": "afgap.store.database",
    "load_scenario": "afgap.scenarios",
    "load_queries": "afgap.queries",
    "classify_response": "afgap.classify.tags",
    "resolve_model": "afgap.providers.registry",
}
_RENAMED = {"resolve_model": "resolve"}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'afgap' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), _RENAMED.get(name, name))
    globals()[name] = value
    return value
