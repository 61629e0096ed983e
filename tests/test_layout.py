"""The package keeps its architecture (scripts/check_layout.py), and the checker catches each breach."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_layout", ROOT / "scripts" / "check_layout.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_layout"] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


check_layout = _checker()


def test_afgap_keeps_every_layout_rule() -> None:
    layout = check_layout.scan(ROOT / "src" / "afgap")
    assert layout.breaches == []
    assert len(layout.modules) > 50  # the scan read the real package, not an empty folder


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "afgap"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _breaches(tmp_path: Path, files: dict[str, str]) -> list[str]:
    return list(check_layout.scan(_tree(tmp_path, files)).breaches)


def test_a_clean_tree_has_no_breach(tmp_path: Path) -> None:
    files = {
        "store/__init__.py": "",
        "store/database.py": "import sqlite3\n",
        "jobs/__init__.py": "",
        "jobs/status.py": "from afgap.store.database import sqlite3\n",
        "cli/__init__.py": "",
        "cli/status.py": "def status() -> None:\n    from afgap.jobs import status\n",
    }
    assert _breaches(tmp_path, files) == []


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    files = {
        "store/__init__.py": "",
        "store/a.py": "from afgap.store import b\n",
        "store/b.py": "def f() -> None:\n    from afgap.store.a import x\n",
    }
    assert _breaches(tmp_path, files) == ["import cycle: afgap.store.a → afgap.store.b → afgap.store.a"]


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("jobs/run.py", "import sqlite3\n", "afgap/jobs/run.py:1: SQL outside store/ (sqlite3)"),
        (
            "stats/fit.py",
            "import aiohttp\n",
            "afgap/stats/fit.py:1: HTTP outside providers/ and sim/ (aiohttp)",
        ),
        (
            "classify/auc.py",
            "from scipy.stats import rankdata\n",
            "afgap/classify/auc.py:1: statistics outside stats/ (scipy.stats)",
        ),
        (
            "report/html.py",
            "from afgap.store.database import open_store\n",
            "afgap/report/html.py:1: report/ must not import store/ (afgap.store.database)",
        ),
        (
            "cli/status.py",
            "from afgap.store.database import open_store\n",
            "afgap/cli/status.py:1: the CLI imports afgap.store.database; "
            "it may reach the library only via jobs/",
        ),
    ],
)
def test_each_layer_rule_is_enforced(tmp_path: Path, path: str, text: str, expected: str) -> None:
    files = {"store/__init__.py": "", "store/database.py": "import sqlite3\n"}
    files[f"{path.split('/')[0]}/__init__.py"] = ""
    files[path] = text
    assert expected in _breaches(tmp_path, files)


def test_sizes_are_enforced(tmp_path: Path) -> None:
    files = {f"m{i}.py": "" for i in range(7)}
    files["stats/__init__.py"] = ""
    files["stats/big.py"] = "x = 1\n" * 401
    breaches = _breaches(tmp_path, files)
    assert "8 modules at the top of afgap/: __init__, m0, m1, m2, m3, m4, m5, m6" in breaches
    assert "afgap/stats/big.py: 401 lines (at most 400)" in breaches


def test_relative_imports_are_resolved(tmp_path: Path) -> None:
    files = {"stats/__init__.py": "", "stats/a.py": "from . import b\n", "stats/b.py": "from .a import x\n"}
    assert _breaches(tmp_path, files) == ["import cycle: afgap.stats.a → afgap.stats.b → afgap.stats.a"]
