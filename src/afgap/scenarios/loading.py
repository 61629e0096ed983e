"""Loading scenarios: built-ins by name, TOML files by path, their template files, one-line errors."""

from __future__ import annotations

import difflib
import re
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import (
    ValidationError,
)

import afgap.scenarios.templates as templates
from afgap.errors import ScenarioError
from afgap.records import Message, Query
from afgap.scenarios.design import DesignError
from afgap.scenarios.scenario import Scenario, condition_variables, render, template_values


def builtin_scenario_names() -> list[str]:
    """Names of the scenarios shipped with afgap, sorted."""
    return list(_builtin_names())


@cache
def _builtin_names() -> tuple[str, ...]:
    files = resources.files("afgap.scenarios").iterdir()
    return tuple(sorted(f.name.removesuffix(".toml") for f in files if f.name.endswith(".toml")))


def builtin_files(name: str) -> dict[str, bytes]:
    """A built-in's files by relative path: its TOML and, when it has one, the template folder of its name."""
    if name not in _builtin_names():
        raise ScenarioError(f"unknown built-in scenario {name!r} (built-ins: {', '.join(_builtin_names())})")
    root = resources.files("afgap.scenarios")
    files = {f"{name}.toml": root.joinpath(f"{name}.toml").read_bytes()}
    folder = root.joinpath(name)
    if folder.is_dir():
        files |= {f"{name}/{f.name}": f.read_bytes() for f in folder.iterdir() if f.is_file()}
    return files


def load_scenario(name_or_path: str) -> Scenario:
    """A built-in scenario by name, or a scenario TOML file by path."""
    if name_or_path in _builtin_names():
        return _load_builtin(name_or_path)
    path = Path(name_or_path)
    if not path.is_file():
        names = ", ".join(builtin_scenario_names())
        raise ScenarioError(f"unknown scenario {name_or_path!r}: not a built-in ({names}) and not a file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario file {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(f"{path}:{line}: not valid UTF-8; save the file as UTF-8") from None
    return parse_scenario(text, str(path), path.parent)


@cache
def _load_builtin(name: str) -> Scenario:
    text = resources.files("afgap.scenarios").joinpath(f"{name}.toml").read_text(encoding="utf-8")
    # built-ins sit in the installed package, so their template files are plain files beside this module
    return parse_scenario(text, f"<builtin>/{name}.toml", Path(__file__).parent)


def parse_scenario(text: str, source: str = "<string>", base: Path | None = None) -> Scenario:
    """A scenario from TOML text; errors name the source, the line and the key.

    Template file paths are relative to `base` (the scenario file's folder; default the working directory).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(_toml_message(exc, source)) from None
    for key in _PARTS.values():
        if key not in data and f"{key}_file" not in data:
            raise ScenarioError(f"{source}: missing required key {key!r}")
        if key in data and f"{key}_file" in data:
            raise ScenarioError(f"{_where(text, source, key)}: set either {key!r} or '{key}_file', not both")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_validation_message(exc, text, source)) from None
    loaded = _from_files(scenario, base or Path.cwd(), text, source)
    twin = _identical_conditions(loaded)
    if twin is not None:
        loc, msg = ["conditions", twin[1]], f"sends exactly what condition {twin[0]!r} sends"
        raise ScenarioError(_located(text, source, loc, f"conditions.{twin[1]}: {msg}"))
    return loaded


def _identical_conditions(s: Scenario) -> tuple[str, str] | None:
    """Two conditions whose prompts are identical: they would measure nothing (and share request hashes)."""
    probe = Query(id="probe", text="probe")
    seen: dict[tuple[Message, ...], str] = {}
    for condition in s.design.conditions:
        messages = render(s, condition, probe)
        if messages in seen:
            return seen[messages], condition
        seen[messages] = condition
    return None


def _from_files(s: Scenario, base: Path, text: str, source: str) -> Scenario:
    """The scenario with its template files read and checked; files that render as fixed texts become them."""
    names = {part: getattr(s, f"{key}_file") for part, key in _PARTS.items()}
    files = {part: (base / name, name) for part, name in names.items() if name}
    if not files:
        if s.variables:
            raise ScenarioError(f"{_where(text, source, 'variables')}: [variables] needs a template file")
        return s
    t = templates.load_templates(files, base / s.template_root if s.template_root else base)
    given = {name for c in s.design.conditions for name in condition_variables(s, c)}
    templates.check_variables(t, s.variables, given, lambda name: _where(text, source, "variables", name))
    per_condition = [template_values(s, c, "") for c in s.design.conditions]
    fixed = {part: templates.fixed_text(t, part, per_condition) for part in files}
    if all(rendered is not None for rendered in fixed.values()):
        # same messages, same hash: moving an inline prompt into a file keeps its stored responses' identity
        loaded = s.model_copy(update={_PARTS[part]: rendered for part, rendered in fixed.items()})
    else:
        loaded = s.model_copy()
        loaded._templates = t
    _check_sends_the_request(loaded, t, names["user"] or source)
    return loaded


_PARTS = {"system": "system_prompt", "user": "user_template"}


def _check_sends_the_request(s: Scenario, t: templates.TemplateSet, user_file: str) -> None:
    if t.has("user") and not t.used("user") & {"query", "user_input"}:
        raise ScenarioError(f"{user_file}: uses neither {{query}} nor {{user_input}}, so no request is sent")
    if _identical_conditions(s) is not None:
        # a framing the model cannot tell apart would measure nothing; said of the file that sends it
        raise ScenarioError(
            f"{user_file}: two conditions send the same messages; "
            "use {condition_signal} or a condition's variables"
        )


def _where(text: str, source: str, *key: str) -> str:
    line = _line_of(text, list(key))
    return f"{source}:{line}" if line else source


def _toml_message(exc: tomllib.TOMLDecodeError, source: str) -> str:
    # tomllib puts the position in the message: "Invalid value (at line 3, column 9)"
    msg = str(exc)
    at = re.search(r"\s*\(at line (\d+), column (\d+)\)$", msg)
    if at:
        return f"{source}:{at[1]}:{at[2]}: invalid TOML: {msg[: at.start()]}"
    return f"{source}: invalid TOML: {msg}"


def _validation_message(exc: ValidationError, text: str, source: str) -> str:
    errors = exc.errors()
    first = errors[0]
    loc = [str(part) for part in first["loc"]]
    cause = first.get("ctx", {}).get("error")
    missing = first["type"] == "missing"
    if isinstance(cause, DesignError):
        loc, missing = list(cause.loc), cause.missing
    key = ".".join(loc) or "scenario"
    if first["type"] == "extra_forbidden":
        close = difflib.get_close_matches(loc[-1], Scenario.model_fields, n=1)
        msg = f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
    elif missing:
        msg = f"missing required key {key!r}"
    else:
        msg = f"{key}: " + first["msg"].removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return _located(text, source, loc, msg + more)


def _located(text: str, source: str, loc: list[str], msg: str) -> str:
    line = _line_of(text, loc)
    return f"{source}:{line}: {msg}" if line else f"{source}: {msg}"


def _line_of(text: str, loc: list[str]) -> int | None:
    """The line where a key is set, best effort (tomllib keeps no positions)."""
    if not loc:
        return None
    lines = text.splitlines()
    nested = _line_in_table(lines, loc) if len(loc) > 1 else None
    if nested:
        return nested
    key = re.escape(loc[-1])
    patterns = [rf"[\"']?{key}[\"']?\s*="]
    if len(loc) > 1:
        table = re.escape(loc[0])
        patterns += [rf"{table}\s*=", rf"\[\s*{table}\s*\]"]
    else:
        patterns.append(rf"\[\s*{key}\s*\]")
    for pattern in patterns:
        for number, line in enumerate(lines, 1):
            if re.match(pattern, line.strip()):
                return number
    return None


def _line_in_table(lines: list[str], loc: list[str]) -> int | None:
    """A nested key's line: its own [a.b] header, or its `key =` inside the closest enclosing table."""
    for depth in range(len(loc), 1, -1):
        header = re.compile(rf"\[\s*{re.escape('.'.join(loc[:depth]))}\s*\]")
        start = next((n for n, line in enumerate(lines, 1) if header.fullmatch(line.strip())), None)
        if start is None:
            continue
        if depth == len(loc):
            return start
        key = re.compile(rf"[\"']?{re.escape(loc[depth])}[\"']?\s*=")
        for number in range(start + 1, len(lines) + 1):
            line = lines[number - 1].strip()
            if line.startswith("["):
                break
            if key.match(line):
                return number
        return start
    return None
