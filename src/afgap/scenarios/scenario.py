"""The Scenario record, and what it sends: its hash, its rendered messages and its prefill per wire."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Literal

from pydantic import (
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

import afgap.scenarios.templates as templates
from afgap.errors import ScenarioError
from afgap.records import Design, Frozen, Message, Query
from afgap.scenarios.design import (
    ConditionSpec,
    Value,
    check_variable_names,
    design_of,
    design_problem,
    legacy_signal,
)

CONTINUATION = "<NEXT/>"
"""The user turn sent when a reply stops inside the scratchpad (up to max_turns)."""

WIRES = ("openai", "anthropic", "completions")
_PLACEHOLDER = re.compile(r"\{(condition_signal|query)\}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_HASH_FORMAT = "afgap/scenario@1"
_FILES_HASH_FORMAT = "afgap/scenario-files@1"

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
    system_prompt: str | None = Field(
        default=None, description="The system message; empty sends no system message."
    )
    user_template: str | None = Field(
        default=None, description="User turn; must contain {query} and, to use signals, {condition_signal}."
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
    variables: dict[str, Value] = Field(
        default_factory=dict, description="Template variables for the file templates."
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
    def _template_has_query(cls, value: str | None) -> str | None:
        # {condition_signal} is the design's business: a design without signals may not need it
        if value is not None and "{query}" not in value:
            raise ValueError("must contain {query}")
        return value

    @field_validator("variables")
    @classmethod
    def _variable_names(cls, value: dict[str, Value]) -> dict[str, Value]:
        return check_variable_names(value)

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
    """Sha256 hex of everything in the scenario that changes what is sent.

    Template files that render as fixed texts hash as those texts inline would; other template files
    hash by their contents (includes too) and the variables, never by their paths.
    """
    content: dict[str, object] = {field: getattr(s, field) for field in HASHED_FIELDS}
    if s.conditions:
        # a list of pairs, not a mapping: the declared order of the conditions is part of the design
        content["conditions"] = [[name, spec.model_dump()] for name, spec in s.conditions.items()]
        content |= {"reference": s.reference, "levels": s.levels}
    content |= {"format": _HASH_FORMAT, "continuation": CONTINUATION}
    content |= {f: getattr(s, f) for f, default in HASHED_WHEN_SET.items() if getattr(s, f) != default}
    if s._templates is not None:
        content |= {
            "format": _FILES_HASH_FORMAT,
            "templates": s._templates.contents(),
            "variables": s.variables,
        }
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def render(s: Scenario, condition: str, query: Query) -> tuple[Message, ...]:
    """The system and user messages for one query under one condition (one of `s.design.conditions`)."""
    signal = condition_signal(s, condition)
    values = {"condition_signal": signal, "query": _with_suffix(query.text, s.suffix)}
    t = s._templates
    if t is not None and t.has("system"):
        system_prompt = t.render("system", template_values(s, condition, values["query"]))
    else:
        system_prompt = s.system_prompt or ""
    if t is not None and t.has("user"):
        user = t.render("user", template_values(s, condition, values["query"]))
    else:
        # one pass, so a query that happens to contain "{query}" is never substituted again
        user = _PLACEHOLDER.sub(lambda m: values[m.group(1)], s.user_template or "")
    system = (Message(role="system", content=system_prompt),) if system_prompt else ()
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


def condition_variables(s: Scenario, condition: str) -> dict[str, object]:
    """The template variables `condition` sets: its name, its signal and its own `variables` table.

    A classic (two-signal) scenario has no variables of its own. ScenarioError for an unknown condition.
    """
    return {
        "condition": condition,
        "condition_signal": condition_signal(s, condition),
        **_own_variables(s, condition),
    }


def template_values(s: Scenario, condition: str, request: str) -> dict[str, object]:
    """What a template file sees: the scenario's variables, the condition's, then the request."""
    return {**s.variables, **condition_variables(s, condition), "query": request, "user_input": request}


def _own_variables(s: Scenario, condition: str) -> dict[str, object]:
    spec = s.conditions.get(condition)
    return dict(spec.variables) if spec is not None else {}


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
