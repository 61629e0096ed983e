"""Scenario templates from files: sandboxed Jinja2, plus the `{name}` fields published prompt files mix in.

The files are read once, when the scenario loads (every `{% include %}` too), so what is rendered, shown
and hashed is one snapshot however long a run takes. This module knows nothing of `Scenario`: the package
hands it paths, variables and conditions, and it hands back texts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import BaseLoader, Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.meta import find_undeclared_variables
from jinja2.sandbox import SandboxedEnvironment

from afgap.errors import ScenarioError

__all__ = [
    "PARTS",
    "PER_REQUEST",
    "RESERVED",
    "TemplateSet",
    "check_variables",
    "fixed_text",
    "load_templates",
]

PARTS = ("system", "user")
PER_REQUEST = ("query", "user_input", "condition_signal")
"""The variables whose value changes from one call to the next."""
RESERVED = (*PER_REQUEST, "condition")
"""Names afgap sets itself; a scenario's [variables] may not reuse them."""

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Words Jinja reads as constants or operators: `{true}` in a file stays text rather than becoming True.
_KEYWORDS = frozenset(
    {"true", "false", "none", "True", "False", "None", "and", "or", "not", "in", "is", "if", "else"}
)
_MAIN = {part: f"<{part}>" for part in PARTS}  # loader keys of the two parts' own files
# What a fixed template renders for the per-request variables: an inline template's placeholders, and
# markers no template text contains, to prove the placeholders are plain substitutions.
_PLACEHOLDERS = {"query": "{query}", "user_input": "{query}", "condition_signal": "{condition_signal}"}
_MARKERS = {"query": "\ue000q\ue001", "user_input": "\ue000q\ue001", "condition_signal": "\ue000s\ue001"}
_PLACEHOLDER = re.compile(r"\{(query|condition_signal)\}")


class _FormatFields(Extension):
    """`{name}` in a file's literal text becomes `{{ name }}`: the str.format fields published files use.

    Only literal text is scanned, so the value of a variable (a request containing "{query}") is never
    substituted again, and `{{ '{name}' }}` writes a literal `{name}`.
    """

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        for token in stream:
            if token.type == "data":
                yield from _split_fields(token)
            else:
                yield token


def _split_fields(token: Token) -> Iterator[Token]:
    text, line, start = token.value, token.lineno, 0
    for match in _FIELD.finditer(text):
        if match[1] in _KEYWORDS:
            continue
        before = text[start : match.start()]
        if before:
            yield Token(line, "data", before)
        line += before.count("\n")
        yield from (Token(line, "variable_begin", "{{"), Token(line, "name", match[1]))
        yield Token(line, "variable_end", "}}")
        start = match.end()
    if text[start:]:
        yield Token(line, "data", text[start:])


class _Snapshot(BaseLoader):
    """Templates by name from the texts read at load time; the file name is the name, for messages."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self.sources = sources

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        if template not in self.sources:
            raise TemplateNotFound(template)
        return self.sources[template], template, lambda: True


def _environment(sources: Mapping[str, str]) -> SandboxedEnvironment:
    # No autoescape: prompts are text, not HTML. Jinja's default keep_trailing_newline=False drops one
    # final newline per file, so the newline an editor adds is not sent (inline TOML strings behave alike).
    env = SandboxedEnvironment(
        loader=_Snapshot(sources), undefined=StrictUndefined, autoescape=False, extensions=[_FormatFields]
    )
    # the same scenario must render the same bytes every time: its hash and the request cache rely on it
    env.filters.pop("random", None)
    env.globals.pop("lipsum", None)
    return env


@dataclass(frozen=True)
class TemplateSet:
    """The template files of one scenario, read once, and what they reference."""

    sources: Mapping[str, str]
    """Loader key → text: the main files under their part's key, includes under their name."""
    names: Mapping[str, str]
    """Loader key → the name errors show: the path as the scenario wrote it, or the include's name."""
    reach: Mapping[str, frozenset[str]]
    """Each part → the keys of its file and every file it includes, transitively."""
    # two loads of the same files are the same scenario: the environment built from them does not count
    env: SandboxedEnvironment = field(compare=False)
    trees: Mapping[str, nodes.Template] = field(compare=False)
    """Loader key → its parsed template, parsed once at load."""

    def has(self, part: str) -> bool:
        return _MAIN[part] in self.sources

    def used(self, part: str | None = None) -> frozenset[str]:
        """Variables referenced by one part's files, or by all of them."""
        keys = self.reach[part] if part else frozenset(self.sources)
        found = frozenset().union(*(find_undeclared_variables(self._parse(key)) for key in keys))
        # an included file sees what its includer `{% set %}`s, which Jinja's per-file analysis cannot tell
        assigned = {n.name for key in keys for n in self._parse(key).find_all(nodes.Name) if n.ctx == "store"}
        return found - assigned

    def contents(self) -> dict[str, str]:
        """Every file's text by role (`<system>`, `<user>`) or include name: what the scenario hash covers."""
        return dict(self.sources)

    def render(self, part: str, values: Mapping[str, object]) -> str:
        """One part rendered; a failure inside a template is the template's, named by file and line."""
        try:
            return self.env.get_template(_MAIN[part]).render(values)
        except Exception as exc:  # template code is the user's: any failure in it is bad input
            raise ScenarioError(f"{self._where(exc)}: template error: {_one_line(exc)}") from None

    def plain_substitution(self, part: str) -> bool:
        """Whether the per-request variables appear only as `{{ name }}` or `{name}` (no filter or branch)."""
        for key in self.reach[part]:
            ast = self._parse(key)
            every = sum(1 for n in ast.find_all(nodes.Name) if n.name in PER_REQUEST)
            direct = sum(
                1
                for out in ast.find_all(nodes.Output)
                for n in out.nodes
                if isinstance(n, nodes.Name) and n.name in PER_REQUEST
            )
            if every != direct:
                return False
        return True

    def first_line(self, name: str) -> str:
        """`file:line` where a variable is first referenced."""
        for key in sorted(self.sources):
            for node in self._parse(key).find_all(nodes.Name):
                if node.name == name:
                    return f"{self.names[key]}:{node.lineno}"
        return "template"

    def _parse(self, key: str) -> nodes.Template:
        return self.trees[key]

    def _where(self, exc: BaseException) -> str:
        # Jinja rewrites the traceback so each template frame carries the template's name and line
        where, tb = self.names[_MAIN["user"]] if self.has("user") else "template", exc.__traceback__
        while tb is not None:
            key = tb.tb_frame.f_code.co_filename
            if key in self.names:
                where = f"{self.names[key]}:{tb.tb_lineno}"
            tb = tb.tb_next
        return where


def load_templates(files: Mapping[str, tuple[Path, str]], root: Path) -> TemplateSet:
    """Read each part's file ((path, how the scenario names it)) and, under `root`, every file it includes."""
    sources = {_MAIN[part]: _read(path, shown) for part, (path, shown) in files.items()}
    names = {_MAIN[part]: shown for part, (_, shown) in files.items()}
    env = _environment(sources)  # the loader reads `sources`, which grows as includes are found
    disk = FileSystemLoader(str(root))
    reach: dict[str, frozenset[str]] = {}
    trees: dict[str, nodes.Template] = {}
    for part in files:
        seen: set[str] = set()
        pending = [_MAIN[part]]
        while pending:
            key = pending.pop()
            if key in seen:
                continue
            seen.add(key)
            trees[key] = trees.get(key) or _parse(env, sources[key], names[key])
            for name, line in _includes(trees[key], names[key]):
                if name in _MAIN.values():
                    raise ScenarioError(f"{names[key]}:{line}: template error: {name!r} is not a file name")
                if name not in sources:
                    sources[name] = _include(disk, env, name, f"{names[key]}:{line}", root)
                    names[name] = name
                pending.append(name)
        reach[part] = frozenset(seen)
    return TemplateSet(sources=sources, names=names, reach=reach, env=env, trees=trees)


def check_variables(
    templates: TemplateSet, declared: Iterable[str], given: Iterable[str], where: Callable[[str], str]
) -> None:
    """Every variable the files use is known, and each declared one is used: a typo would change nothing.

    `declared`: the scenario's [variables] (`where` names the line of one); `given`: the conditions' own.
    """
    used = templates.used()
    known = {*RESERVED, *declared, *given}
    for name in sorted(used - known - set(templates.env.globals)):
        listed = ", ".join(sorted(known))
        raise ScenarioError(f"{templates.first_line(name)}: unknown variable {name!r} (known: {listed})")
    for name in declared:
        if name not in used:
            raise ScenarioError(f"{where(name)}: variable {name!r} in [variables] is used by no template")


def fixed_text(templates: TemplateSet, part: str, values: Sequence[Mapping[str, object]]) -> str | None:
    """The one inline text a part is equivalent to in every condition (`values`), else None.

    The system part must not depend on the request or the signal at all; the user part may use them only
    as plain substitutions, which become `{query}` and `{condition_signal}` as in an inline template.
    """
    if not templates.plain_substitution(part):
        return None
    texts = {templates.render(part, {**v, **_PLACEHOLDERS}) for v in values}
    if len(texts) != 1:
        return None
    text = texts.pop()
    marked = templates.render(part, {**values[0], **_MARKERS})
    expected = _PLACEHOLDER.sub(lambda m: _MARKERS[m[1]], text) if part == "user" else text
    return text if marked == expected else None


def _read(path: Path, shown: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{shown}: cannot read {path}: {exc.strerror}") from None
    return _decode(data, shown)


def _decode(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(f"{shown}:{line}: not valid UTF-8; save the file as UTF-8") from None


def _parse(env: Environment, source: str, shown: str) -> nodes.Template:
    try:
        return env.parse(source, shown)
    except TemplateSyntaxError as exc:
        raise ScenarioError(f"{shown}:{exc.lineno}: template error: {exc.message}") from None


def _includes(ast: nodes.Template, shown: str) -> Iterator[tuple[str, int]]:
    """The files a template includes, imports or extends, with the line naming each."""
    for node in ast.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        target = getattr(node, "template", None)
        if not (isinstance(target, nodes.Const) and isinstance(target.value, str)):
            # a name computed at render time could not be read, checked or hashed at load time
            raise ScenarioError(f"{shown}:{node.lineno}: template error: name the included file literally")
        yield target.value, node.lineno


def _include(disk: FileSystemLoader, env: Environment, name: str, where: str, root: Path) -> str:
    try:
        source, _, _ = disk.get_source(env, name)
    except TemplateNotFound:
        raise ScenarioError(f"{where}: included file {name!r} not found under {root}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{where}: included file {name!r} is not valid UTF-8") from None
    except OSError as exc:
        raise ScenarioError(f"{where}: cannot read included file {name!r}: {exc.strerror}") from None
    return source


def _one_line(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, TemplateSyntaxError) and exc.message else str(exc)
    return " ".join(text.split()) or type(exc).__name__
