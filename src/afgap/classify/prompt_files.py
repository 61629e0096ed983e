"""Judge prompts a user brings: sandboxed Jinja2 templates, named by their content, read in a set shape. Pure.

The text comes in already read (jobs/ reads the file); here it is compiled once, checked for variables
afgap does not set, and given a version such as ``af-reasoning@file:1a2b3c4d`` (the first 8 hex digits of
its sha256), which goes into every request hash and label name so replies and labels of different prompts
never mix.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.meta import find_undeclared_variables
from jinja2.sandbox import SandboxedEnvironment

from afgap.classify.judges import JudgeName, Reading, parse_reply
from afgap.classify.published import (
    FORMAT_KIND,
    ReplyFormat,
    criteria_count,
    detect_format,
    parse_category,
    parse_criteria,
    parse_strongreject,
)
from afgap.errors import InputError
from afgap.records import Message

VARIABLES = ("scratchpad", "output", "request", "response")
"""What a prompt file may use: the reasoning, the final answer, the user's request, the whole response."""
RETRY_NOTE = (
    "Your reply could not be read. Reply again in exactly the format described above: every tag or line "
    "it asks for, once each, with only the allowed value inside."
)
_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@dataclass(frozen=True)
class PromptFile:
    """A compiled prompt file for one judge kind and the reply shape it is read in."""

    judge: JudgeName
    version: str
    fmt: ReplyFormat
    criteria: int
    template: Template = field(compare=False, repr=False)

    def messages(
        self, request: str | None, output: str | None, scratchpad: str, response: str
    ) -> tuple[Message, ...]:
        """The one user turn asking about a response (a value missing is rendered as "(none)")."""
        values = dict(zip(VARIABLES, (scratchpad, output, request, response), strict=True))
        # A template may still fail on one response's text (`{{ output[9] }}` on a short answer); the
        # questions are all built before any call, so that is an input error, not a failed run.
        try:
            text = self.template.render({k: (v or "").strip() or "(none)" for k, v in values.items()})
        except TemplateError as exc:
            raise InputError(f"judge prompt {self.version}: {_template_error(exc)}") from None
        return (Message(role="user", content=text),)

    def parse(self, reply: str | None) -> Reading | None:
        """The reply read in this file's shape; None when it does not match exactly."""
        if self.fmt == "criteria":
            return parse_criteria(reply, self.criteria)
        if self.fmt == "strongreject":
            return parse_strongreject(reply)
        if self.fmt == "partial-categories":
            return parse_category(reply)
        return parse_reply(self.judge, reply)


def compile_prompt(judge: JudgeName, text: str, fmt: ReplyFormat | None = None) -> PromptFile:
    """A prompt file checked whole: Jinja syntax, known variables only, a shape its kind can answer in."""
    try:
        template = _ENV.from_string(text)
        unknown = sorted(find_undeclared_variables(_ENV.parse(text)) - set(VARIABLES))
    except TemplateError as exc:
        raise InputError(_template_error(exc)) from None
    if unknown:
        raise InputError(
            f"unknown variable {', '.join(unknown)}; a judge prompt may use {', '.join(VARIABLES)}"
        )
    # A sandbox refusal or an unknown filter shows up now, not in the middle of a run.
    try:
        template.render(dict.fromkeys(VARIABLES, "x"))
    except TemplateError as exc:
        raise InputError(_template_error(exc)) from None
    chosen = fmt or detect_format(text)
    if chosen != "json" and FORMAT_KIND[chosen] != judge:
        raise InputError(f"reply format {chosen} answers the {FORMAT_KIND[chosen]} judge, not {judge}")
    count = criteria_count(text)
    if chosen == "criteria" and count < 1:
        raise InputError("reply format criteria needs the prompt to ask for <criteria1> … <criteriaN>")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return PromptFile(judge, f"{judge}@file:{digest}", chosen, count, template)


def _template_error(exc: TemplateError) -> str:
    """Jinja's complaint on one line, with the line number when it has one."""
    line = getattr(exc, "lineno", None)
    message = " ".join((exc.message or type(exc).__name__).split())
    return f"template error{f' on line {line}' if line else ''}: {message}"
