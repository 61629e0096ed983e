"""Writing report files: check a target before any work, write it, and name any OS failure in one line."""

from __future__ import annotations

import os
from pathlib import Path

from afgap.errors import InputError
from afgap.report.plots import plot_files, svg_to_png
from afgap.stats.types import Comparison

PNG_MISSING = " (SVG only: PNG needs `pip install 'afgap[plots]'` and the system's libcairo)"


def check_writable(path: Path) -> None:
    """Fail before any work if the report cannot be written to path."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError(f"cannot write report {path}: it is a directory")
    if not parent.is_dir():
        raise InputError(f"cannot write report {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"cannot write report {path}: permission denied")


def write_text(path: Path, text: str) -> None:
    """Write a report file, turning an OS failure into one clear line."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_bytes(path: Path, data: bytes) -> None:
    """Write a binary report file (a PNG plot), turning an OS failure into one clear line."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_plots(directory: Path, comparison: Comparison) -> str:
    """Every plot as SVG (and PNG when cairosvg works) into directory; returns the line to tell the user."""
    if directory.exists() and not directory.is_dir():
        raise InputError(f"--plots {directory}: not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {directory}: {exc.strerror or exc}") from None
    png_missing = False
    for stem, svg in plot_files(comparison).items():
        write_text(directory / f"{stem}.svg", svg)
        png = svg_to_png(svg)
        png_missing |= png is None
        if png is not None:
            write_bytes(directory / f"{stem}.png", png)
    return f"wrote plots to {directory}{PNG_MISSING if png_missing else ''}"
