"""Check that the package's layout keeps its architecture: run `python scripts/check_layout.py`.

What it proves, reading the source only (nothing is imported):
- no import cycles between afgap's modules (every import counts, also those inside functions or
  under TYPE_CHECKING: a cycle there is still two modules that cannot be understood apart);
- the layer rules: SQL only in store/, HTTP only in providers/ and sim/, statistics only in stats/,
  the pure stages (stats/, classify/) import no I/O stage, report/ never opens the store, and the
  CLI reaches the library only through jobs/ and report/;
- sizes: at most seven modules at the top of the package, no module over 400 lines.

Exits 1 and names each breach when a rule is broken; prints the figures either way.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "afgap"
MAX_LINES = 400
MAX_TOP_MODULES = 7  # the six shared ones plus `vocabulary`, pydantic-free for the writer child

# Third-party or stdlib modules that mark a layer: (module prefixes, packages allowed to import them).
OWNED_IMPORTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "SQL": (("sqlite3",), ("store",)),
    "HTTP": (
        ("aiohttp", "httpx", "httpx_aiohttp", "httptools", "urllib.request", "http.client", "socket"),
        ("providers", "sim"),
    ),
    "statistics": (("scipy", "statsmodels"), ("stats",)),
}
# afgap packages a package must never import (the pure and rendering stages stay free of I/O stages).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "stats": ("cli", "jobs", "engine", "store", "providers", "sim", "report", "classify", "scenarios"),
    "classify": ("cli", "jobs", "store", "providers", "sim", "report", "stats"),
    "report": ("cli", "jobs", "engine", "store", "providers", "sim"),
    "store": ("cli", "jobs", "report", "sim"),
    "engine": ("cli", "jobs", "report"),
    "providers": ("cli", "jobs", "report", "store"),
    "scenarios": ("cli", "jobs", "engine", "store", "providers", "sim", "report"),
    "queries": ("cli", "jobs", "engine", "store", "sim", "report"),
    "sim": ("cli", "jobs", "store", "report"),
    "jobs": ("cli",),
}
# The CLI parses, calls a job and renders: the only parts of the library it may import.
CLI_MAY_IMPORT = ("", "cli", "jobs", "report", "settings", "errors", "records")


@dataclass
class Layout:
    """What the checker found: figures and breaches."""

    modules: dict[str, Path] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    edges: dict[str, set[str]] = field(default_factory=dict)
    breaches: list[str] = field(default_factory=list)


def module_name(root: Path, path: Path) -> str:
    """`src/afgap/store/rows.py` → `afgap.store.rows`; a package's `__init__.py` is the package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(tree: ast.AST, current: str, is_package: bool) -> Iterator[tuple[str, int]]:
    """Every module name an AST imports (absolute, relative resolved), with its line."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = current.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, node.lineno
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The afgap module an imported name refers to: the longest known module prefix."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def package_of(module: str) -> str:
    """`afgap.store.rows` → `store`; a top-level module is its own name, the package itself ''."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def scan(root: Path) -> Layout:
    """Read every module under `root` (the afgap package folder) and check the rules."""
    layout = Layout()
    for path in sorted(root.rglob("*.py")):
        layout.modules[module_name(root, path)] = path
    for name, path in layout.modules.items():
        text = path.read_text(encoding="utf-8")
        layout.lines[name] = text.count("\n")
        tree = ast.parse(text, filename=str(path))
        layout.edges[name] = set()
        seen: set[tuple[str, int]] = set()
        for imported, line in imported_names(tree, name, path.name == "__init__.py"):
            target = resolve(imported, layout.modules) if imported.startswith(PACKAGE) else None
            # `from x.y import z` names x.y.z and x.y: one line, one finding
            key = target or imported.split(".")[0]
            if (key, line) in seen:
                continue
            seen.add((key, line))
            where = f"{path.relative_to(root.parent)}:{line}"
            if target is not None and target != name:
                layout.edges[name].add(target)
                _check_edge(layout, name, target, where)
            elif not imported.startswith(PACKAGE):
                _check_owned(layout, name, imported, where)
    _check_sizes(layout, root)
    for cycle in cycles(layout.edges):
        layout.breaches.append("import cycle: " + " → ".join([*cycle, cycle[0]]))
    return layout


def _check_edge(layout: Layout, source: str, target: str, where: str) -> None:
    src, dst = package_of(source), package_of(target)
    if src == dst:
        return
    if dst in FORBIDDEN.get(src, ()):
        layout.breaches.append(f"{where}: {src}/ must not import {dst}/ ({target})")
    if src == "cli" and dst not in CLI_MAY_IMPORT:
        layout.breaches.append(f"{where}: the CLI imports {target}; it may reach the library only via jobs/")


def _check_owned(layout: Layout, source: str, imported: str, where: str) -> None:
    pkg = package_of(source)
    for kind, (prefixes, owners) in OWNED_IMPORTS.items():
        if any(imported == p or imported.startswith(p + ".") for p in prefixes) and pkg not in owners:
            allowed = " and ".join(f"{o}/" for o in owners)
            layout.breaches.append(f"{where}: {kind} outside {allowed} ({imported})")


def _check_sizes(layout: Layout, root: Path) -> None:
    top = [p for p in root.glob("*.py")]
    if len(top) > MAX_TOP_MODULES:
        names = ", ".join(p.stem for p in sorted(top))
        layout.breaches.append(f"{len(top)} modules at the top of {root.name}/: {names}")
    for name, count in layout.lines.items():
        if count > MAX_LINES:
            path = layout.modules[name].relative_to(root.parent)
            layout.breaches.append(f"{path}: {count} lines (at most {MAX_LINES})")


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan 1972), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def summary(layout: Layout, root: Path) -> Iterable[str]:
    """The figures a reader checks: counts, the largest modules, and each breach."""
    n_edges = sum(len(v) for v in layout.edges.values())
    top = sorted(p.stem for p in root.glob("*.py"))
    largest = sorted(layout.lines.items(), key=lambda kv: -kv[1])[:3]
    n_cycles = len(cycles(layout.edges))
    yield f"{len(layout.modules)} modules, {n_edges} internal imports, {n_cycles} import cycles"
    yield f"top of {root.name}/: {len(top)} modules ({', '.join(top)}); at most {MAX_TOP_MODULES}"
    sizes = ", ".join(f"{name} {count}" for name, count in largest)
    yield f"largest modules: {sizes}; at most {MAX_LINES}"
    yield "layer rules: " + ("all hold" if not layout.breaches else f"{len(layout.breaches)} breaches")
    yield from (f"  {breach}" for breach in layout.breaches)


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "src" / PACKAGE
    layout = scan(root)
    for line in summary(layout, root):
        print(line)
    return 1 if layout.breaches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
