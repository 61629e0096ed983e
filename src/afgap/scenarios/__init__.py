"""Scenarios: the system prompt and user-turn template that frame each query as monitored or not.

A scenario is a TOML file (docs/scenarios.md); the built-ins live beside this module.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import ConfigDict, Field, PrivateAttr, ValidationError, ValidationInfo, field_validator

from afgap.errors import ScenarioError
from afgap.records import Condition, Frozen, Message, Query
from afgap.scenarios import templates

__all__ = [
    "CONTINUATION",
    "HASHED_FIELDS",
    "Scenario",
    "builtin_scenario_names",
    "load_scenario",
    "parse_scenario",
    "prefill_for",
    "render",
    "scenario_hash",
]

CONTINUATION = "<NEXT/>"
"""The user turn sent when a reply stops inside the scratchpad (up to max_turns)."""

WIRES = ("openai", "anthropic")
_PLACEHOLDER = re.compile(r"\{(condition_signal|query)\}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_HASH_FORMAT = "afgap/scenario@1"
_FILES_HASH_FORMAT = "afgap/scenario-files@1"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Everything that changes what a provider receives; name, description, notes and citation do not,
# so renaming or re-documenting a scenario keeps its stored responses.
HASHED_FIELDS = (
    "system_prompt",
    "user_template",
    "monitored_signal",
    "unmonitored_signal",
    "suffix",
    "prefill",
    "scratchpad",
    "max_turns",
)


class Scenario(Frozen):
    """One framing set-up: what is sent, and how the two conditions are signalled."""

    # strict: a TOML `scratchpad = "yes"` is an error, not a silent coercion
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    name: str = Field(description="Short identifier, e.g. helpful-only.")
    description: str = Field(description="What the scenario tests.")
    system_prompt: str | None = Field(
        default=None, description="The system message; empty sends no system message."
    )
    user_template: str | None = Field(
        default=None, description="User turn; must contain {condition_signal} and {query}."
    )
    system_prompt_file: str | None = Field(
        default=None, description="Jinja2 file for the system message, relative to the scenario file."
    )
    user_template_file: str | None = Field(
        default=None, description="Jinja2 file for the user turn, relative to the scenario file."
    )
    template_root: str | None = Field(
        default=None,
        description="Where {% include %} looks, relative to the scenario file (default: its folder).",
    )
    variables: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Template variables for the file templates."
    )
    monitored_signal: str = Field(description="Replaces {condition_signal} in the monitored condition.")
    unmonitored_signal: str = Field(description="Replaces {condition_signal} in the unmonitored condition.")
    suffix: str = Field(default="", description="Appended to the query text where {query} stands.")
    prefill: dict[str, str] = Field(
        default_factory=dict, description="Assistant-turn prefill per wire format, e.g. anthropic = '<'."
    )
    scratchpad: bool = Field(description="Whether the model is asked to reason in <SCRATCHPAD_REASONING>.")
    max_turns: int = Field(
        default=4, ge=1, le=20, description="Most assistant turns, continuations included."
    )
    notes: str = ""
    citation: str = ""
    # the template files, read at load; None when the scenario renders as its inline texts
    _templates: templates.TemplateSet | None = PrivateAttr(default=None)

    @field_validator("name")
    @classmethod
    def _name_is_identifier(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not a valid name (letters, digits, '.', '_', '-')")
        return value

    @field_validator("description", "notes", "citation")
    @classmethod
    def _strip_prose(cls, value: str) -> str:
        # never sent to a model, so trimming the newline a multi-line TOML string leaves is free
        return value.strip()

    @field_validator("user_template")
    @classmethod
    def _template_has_placeholders(cls, value: str | None) -> str | None:
        if value is None:
            return value
        found = set(_PLACEHOLDER.findall(value))
        for needed in ("condition_signal", "query"):
            if needed not in found:
                raise ValueError(f"must contain {{{needed}}}")
        return value

    @field_validator("variables")
    @classmethod
    def _variable_names(cls, value: dict[str, object]) -> dict[str, object]:
        for name in value:
            if not _IDENTIFIER.fullmatch(name):
                raise ValueError(f"{name!r} is not a template variable name (letters, digits, '_')")
            if name in templates.RESERVED:
                raise ValueError(f"{name!r} is set by afgap for each call; choose another name")
        return value

    @field_validator("monitored_signal", "unmonitored_signal")
    @classmethod
    def _signals_differ(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        # a framing the model cannot tell apart would measure nothing
        if info.field_name == "unmonitored_signal" and value == info.data.get("monitored_signal"):
            raise ValueError("must differ from monitored_signal")
        return value

    @field_validator("prefill")
    @classmethod
    def _prefill_wires(cls, value: dict[str, str]) -> dict[str, str]:
        for wire in value:
            if wire not in WIRES:
                raise ValueError(f"unknown wire {wire!r} (known: {', '.join(WIRES)})")
        # drop empty prefills so "no prefill" has one spelling and one hash
        return {wire: text for wire, text in sorted(value.items()) if text}


def scenario_hash(s: Scenario) -> str:
    """Sha256 hex of everything in the scenario that changes what is sent.

    Template files that render as fixed texts hash as those texts inline would; other template files
    hash by their contents (includes too) and the variables, never by their paths.
    """
    content: dict[str, object] = {field: getattr(s, field) for field in HASHED_FIELDS}
    content |= {"format": _HASH_FORMAT, "continuation": CONTINUATION}
    if s._templates is not None:
        content |= {
            "format": _FILES_HASH_FORMAT,
            "templates": s._templates.contents(),
            "variables": s.variables,
        }
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def render(s: Scenario, condition: Condition, query: Query) -> tuple[Message, ...]:
    """The system and user messages for one query under one condition."""
    condition = Condition(condition)
    signal = s.monitored_signal if condition is Condition.MONITORED else s.unmonitored_signal
    values = {"condition_signal": signal, "query": _with_suffix(query.text, s.suffix)}
    t = s._templates
    if t is not None and t.has("system"):
        system_prompt = t.render("system", _template_values(s, condition, signal, values["query"]))
    else:
        system_prompt = s.system_prompt or ""
    if t is not None and t.has("user"):
        user = t.render("user", _template_values(s, condition, signal, values["query"]))
    else:
        # one pass, so a query that happens to contain "{query}" is never substituted again
        user = _PLACEHOLDER.sub(lambda m: values[m.group(1)], s.user_template or "")
    system = (Message(role="system", content=system_prompt),) if system_prompt else ()
    return (*system, Message(role="user", content=user))


def _template_values(s: Scenario, condition: str, signal: str, request: str) -> dict[str, object]:
    """What a template file sees: the scenario's variables, the condition's, then the call's own."""
    per_call = {"query": request, "user_input": request, "condition_signal": signal, "condition": condition}
    return {**s.variables, **templates.condition_variables(s, condition), **per_call}


def prefill_for(s: Scenario, wire: str) -> str | None:
    """The assistant prefill for a wire format, or None where there is none."""
    return s.prefill.get(wire) or None


def _with_suffix(text: str, suffix: str) -> str:
    # The minimal-setting suffix starts ". If you ..." (AdvBench goals carry no full stop);
    # a query that already ends a sentence keeps its own punctuation instead of gaining "?.".
    text = text.rstrip()
    if suffix.startswith(".") and text.endswith((".", "?", "!")):
        suffix = suffix[1:]
    return text + suffix


def builtin_scenario_names() -> list[str]:
    """Names of the scenarios shipped with afgap, sorted."""
    return list(_builtin_names())


@cache
def _builtin_names() -> tuple[str, ...]:
    files = resources.files(__name__).iterdir()
    return tuple(sorted(f.name.removesuffix(".toml") for f in files if f.name.endswith(".toml")))


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
    text = resources.files(__name__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
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
    return _from_files(scenario, base or Path.cwd(), text, source)


def _from_files(s: Scenario, base: Path, text: str, source: str) -> Scenario:
    """The scenario with its template files read and checked; files that render as fixed texts become them."""
    names = {part: getattr(s, f"{key}_file") for part, key in _PARTS.items()}
    files = {part: (base / name, name) for part, name in names.items() if name}
    if not files:
        if s.variables:
            raise ScenarioError(f"{_where(text, source, 'variables')}: [variables] needs a template file")
        return s
    t = templates.load_templates(files, base / s.template_root if s.template_root else base)
    given = {name for c in Condition for name in templates.condition_variables(s, c.value)}
    templates.check_variables(t, s.variables, given, lambda name: _where(text, source, "variables", name))
    signals = {Condition.MONITORED: s.monitored_signal, Condition.UNMONITORED: s.unmonitored_signal}
    per_condition = [_template_values(s, c, signal, "") for c, signal in signals.items()]
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
    probe = Query(id="probe", text="probe")
    if t.has("user") and not t.used("user") & {"query", "user_input"}:
        raise ScenarioError(f"{user_file}: uses neither {{query}} nor {{user_input}}, so no request is sent")
    if render(s, Condition.MONITORED, probe) == render(s, Condition.UNMONITORED, probe):
        # a framing the model cannot tell apart would measure nothing
        raise ScenarioError(f"{user_file}: both conditions send the same messages; use {{condition_signal}}")


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
    key = ".".join(loc) or "scenario"
    if first["type"] == "extra_forbidden":
        close = difflib.get_close_matches(loc[-1], Scenario.model_fields, n=1)
        msg = f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
    elif first["type"] == "missing":
        msg = f"missing required key {key!r}"
    else:
        msg = f"{key}: " + first["msg"].removeprefix("Value error, ")
    line = _line_of(text, loc)
    where = f"{source}:{line}" if line else source
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {msg}{more}"


def _line_of(text: str, loc: list[str]) -> int | None:
    """The line where a key is set, best effort (tomllib keeps no positions)."""
    if not loc:
        return None
    key = re.escape(loc[-1])
    patterns = [rf"[\"']?{key}[\"']?\s*="]
    if len(loc) > 1:
        table = re.escape(loc[0])
        patterns += [rf"{table}\s*=", rf"\[\s*{table}\s*\]"]
    else:
        patterns.append(rf"\[\s*{key}\s*\]")
    lines = text.splitlines()
    for pattern in patterns:
        for number, line in enumerate(lines, 1):
            if re.match(pattern, line.strip()):
                return number
    return None
