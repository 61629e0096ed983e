"""Public query sets fetched by name: downloaded once into the user cache, then read from there.

`--queries advbench` is the only one so far. Tests never reach the network: they point
AFGAP_CACHE_DIR at a temporary directory holding a fixture file, or replace `fetch`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from afgap.errors import QueryFileError
from afgap.providers.download import fetch

__all__ = ["CACHE_ENV", "PUBLIC_SETS", "cache_dir", "cached_path", "fetch", "resolve"]

CACHE_ENV = "AFGAP_CACHE_DIR"
PUBLIC_SETS: dict[str, str] = {
    "advbench": "https://raw.githubusercontent.com/llm-attacks/llm-attacks/main/data/advbench/harmful_behaviors.csv",
}


def cache_dir() -> Path:
    """Where downloaded sets live: $AFGAP_CACHE_DIR, else the platform's user cache (platformdirs)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    from platformdirs import user_cache_dir  # lazy: only a named set needs it

    return Path(user_cache_dir("afgap", appauthor=False))


def cached_path(name: str) -> Path:
    """The cache file of a public set, keeping the file's published name so the CSV loader knows it."""
    return cache_dir() / name / PUBLIC_SETS[name].rsplit("/", 1)[-1]


def resolve(name: str) -> Path:
    """The local file of a public set, downloading it on first use."""
    path = cached_path(name)
    if path.is_file():
        return path
    url = PUBLIC_SETS[name]
    # stderr, not stdout: stdout carries data; this happens once per machine
    sys.stderr.write(f"afgap: downloading {name} once into {path}\n")
    try:
        fetch(url, path)
    except (OSError, ValueError) as exc:  # URLError, timeouts and refused connections are OSErrors
        reason = getattr(exc, "reason", None) or exc
        raise QueryFileError(
            f"cannot download {name} from {url} ({reason}); are you offline? "
            f"Download the file yourself and pass its path, or place it at {path}"
        ) from None
    return path
