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
from typing import Literal

from pydantic import ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from afgap.errors import ScenarioError
from afgap.records import Design, Frozen, Message, Query
from afgap.scenarios.design import ConditionSpec, DesignError, design_of, design_problem, legacy_signal

__all__ = [
    "CONTINUATION",
    "DESIGN_FIELDS",
    "HASHED_FIELDS",
    "HASHED_WHEN_SET",
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

WIRES = ("openai", "anthropic", "completions")
_PLACEHOLDER = re.compile(r"\{(condition_signal|query)\}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_HASH_FORMAT = "afgap/scenario@1"

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
# Fields added later: hashed only when they differ from their default, so older scenarios keep their hash.
HASHED_WHEN_SET: dict[str, object] = {"document": "transcript"}
# Hashed only when a scenario declares [conditions] tables, so a legacy scenario keeps its hash.
DESIGN_FIELDS = ("conditions", "reference", "levels")


class Scenario(Frozen):
    """One framing set-up: what is sent, and how each condition is signalled."""

    # strict: a TOML `scratchpad = "yes"` is an error, not a silent coercion
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    name: str = Field(description="Short identifier, e.g. helpful-only.")
    description: str = Field(description="What the scenario tests.")
    system_prompt: str = Field(description="The system message; empty sends no system message.")
    user_template: str = Field(
        description="User turn; must contain {query} and, to use signals, {condition_signal}."
    )
    monitored_signal: str | None = Field(
        default=None, description="Replaces {condition_signal} in the monitored condition (classic design)."
    )
    unmonitored_signal: str | None = Field(
        default=None, description="Replaces {condition_signal} in the unmonitored condition (classic design)."
    )
    suffix: str = Field(default="", description="Appended to the query text where {query} stands.")
    prefill: dict[str, str] = Field(
        default_factory=dict, description="Assistant-turn prefill per wire format, e.g. anthropic = '<'."
    )
    scratchpad: bool = Field(description="Whether the model is asked to reason in <SCRATCHPAD_REASONING>.")
    max_turns: int = Field(
        default=4, ge=1, le=20, description="Most assistant turns, continuations included."
    )
    document: Literal["transcript", "human-assistant"] = Field(
        default="transcript", description="How a base model on a completions endpoint sees the conversation."
    )
    conditions: dict[str, ConditionSpec] = Field(
        default_factory=dict, description="[conditions.NAME] tables, in declared order; replace the signals."
    )
    reference: str | None = Field(default=None, description="The condition the others are compared with.")
    levels: list[str] = Field(
        default_factory=list, description="Conditions forming an ordered factor, lowest first."
    )
    notes: str = ""
    citation: str = ""
    # What a response is scored on. Not hashed: it changes how replies are read, never what is sent.
    measures: Literal["compliance", "anti-lab"] = Field(
        default="compliance",
        description="compliance, or anti-lab: whether the model takes an offered chance.",
    )
    queries: str = Field(default="", description="The query set collect uses when --queries is not given.")

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
    def _template_has_query(cls, value: str) -> str:
        # {condition_signal} is the design's business: a design without signals may not need it
        if "{query}" not in value:
            raise ValueError("must contain {query}")
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

    @model_validator(mode="after")
    def _design_holds(self) -> Scenario:
        legacy = {"monitored_signal": self.monitored_signal, "unmonitored_signal": self.unmonitored_signal}
        problem = design_problem(self.conditions, self.reference, self.levels, legacy, self.user_template)
        if problem is not None:
            raise problem
        return self

    @property
    def design(self) -> Design:
        """The conditions each query is asked under, the reference, and the ordered levels."""
        return design_of(self.conditions, self.reference, self.levels)

    @field_validator("prefill")
    @classmethod
    def _prefill_wires(cls, value: dict[str, str]) -> dict[str, str]:
        for wire in value:
            if wire not in WIRES:
                raise ValueError(f"unknown wire {wire!r} (known: {', '.join(WIRES)})")
        # drop empty prefills so "no prefill" has one spelling and one hash
        return {wire: text for wire, text in sorted(value.items()) if text}


def scenario_hash(s: Scenario) -> str:
    """Sha256 hex of everything in the scenario that changes what is sent."""
    content: dict[str, object] = {field: getattr(s, field) for field in HASHED_FIELDS}
    if s.conditions:
        # a list of pairs, not a mapping: the declared order of the conditions is part of the design
        content["conditions"] = [[name, spec.model_dump()] for name, spec in s.conditions.items()]
        content |= {"reference": s.reference, "levels": s.levels}
    content |= {"format": _HASH_FORMAT, "continuation": CONTINUATION}
    content |= {f: getattr(s, f) for f, default in HASHED_WHEN_SET.items() if getattr(s, f) != default}
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def render(s: Scenario, condition: str, query: Query) -> tuple[Message, ...]:
    """The system and user messages for one query under one condition (one of `s.design.conditions`)."""
    signal = condition_signal(s, condition)
    values = {"condition_signal": signal, "query": _with_suffix(query.text, s.suffix)}
    # one pass, so a query that happens to contain "{query}" is never substituted again
    user = _PLACEHOLDER.sub(lambda m: values[m.group(1)], s.user_template)
    system = (Message(role="system", content=s.system_prompt),) if s.system_prompt else ()
    return (*system, Message(role="user", content=user))


def condition_signal(s: Scenario, condition: str) -> str:
    """What `{condition_signal}` becomes under `condition`; ScenarioError for a condition s does not have."""
    if s.conditions:
        spec = s.conditions.get(condition)
        signal = None if spec is None else spec.signal
    else:
        signal = legacy_signal(condition, s.monitored_signal, s.unmonitored_signal)
    if signal is None:
        known = ", ".join(s.design.conditions)
        raise ScenarioError(f"scenario {s.name!r} has no condition {condition!r} (its conditions: {known})")
    return signal


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
    return parse_scenario(text, str(path))


@cache
def _load_builtin(name: str) -> Scenario:
    text = resources.files(__name__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return parse_scenario(text, f"<builtin>/{name}.toml")


def parse_scenario(text: str, source: str = "<string>") -> Scenario:
    """A scenario from TOML text; errors name the source, the line and the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(_toml_message(exc, source)) from None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_validation_message(exc, text, source)) from None
    twin = _identical_conditions(scenario)
    if twin is not None:
        loc, msg = ["conditions", twin[1]], f"sends exactly what condition {twin[0]!r} sends"
        raise ScenarioError(_located(text, source, loc, f"conditions.{twin[1]}: {msg}"))
    return scenario


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
