"""Download one public file (a published query set) to disk: the only HTTP afgap sends besides API calls."""

from __future__ import annotations

import urllib.request
from pathlib import Path

_TIMEOUT_S = 30.0


def fetch(url: str, dest: Path) -> None:
    """Download url to dest atomically: a partial download never looks like a finished file."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response, partial.open("wb") as out:
        while chunk := response.read(1 << 16):
            out.write(chunk)
    partial.replace(dest)
