"""Cheaper searches with the same answers: literal prefilters for the screen's dearer cue patterns, and
case folding done once per text instead of at every position tried.

Python's regex engine tries a pattern that opens with a word boundary at every position of the text; an
alternation of plain words it skips through faster. Every match of a cue pattern contains one of a few
literal words (read off the pattern itself, never written by hand, so the lexicon stays the one source),
so a text holding none of them cannot match, and the dear search is skipped. Results are unchanged by
construction: the hint is a necessary condition, not a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import import_module
from typing import Any

# The standard library's own regex parser (re._parser, private but stable since 3.11; typed as Any).
_parser: Any = import_module("re._parser")
_const: Any = import_module("re._constants")
_REPEATS = (_const.MAX_REPEAT, _const.MIN_REPEAT, _const.POSSESSIVE_REPEAT)


def lowercase_pattern(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """Compile a case-insensitive pattern to run on *lowercased* text.

    Python's IGNORECASE folds case at every position tried; matching lowercased text case-sensitively
    gives the same matches several times faster. Literals are lowered, escapes (\\W, \\S) kept as written.
    """
    out, escaped = [], False
    for char in pattern:
        out.append(char if escaped else char.lower())
        escaped = not escaped and char == "\\"
    return re.compile("".join(out), flags)


class CaseFolded:
    """Case-insensitive patterns, any of which may match, whose search folds case once per text: ASCII
    text is lowered and searched with each pattern's lowercased twin (lowercase_pattern), without
    IGNORECASE.

    On ASCII text the answer is the same by construction: there IGNORECASE equates exactly the letters
    lower() maps onto each other, and lowering changes no length, word boundary or character class. Any
    other text is searched with the patterns as written and IGNORECASE (compiled on first need), as
    Unicode folding reaches past lower() ("ſ" matches "s"). Several patterns rather than one alternation:
    a branch that defeats the engine's scanning (a MULTILINE `^`) can cost the whole alternation several
    times its own price. `flags` (IGNORECASE aside) apply to every pattern.
    """

    __slots__ = ("_written", "flags", "folded", "sources")

    def __init__(self, *sources: str, flags: int = 0) -> None:
        for source in sources:
            if re.search(r"\\[xuUN0-7]", source):
                raise ValueError("a character escape (it may name an upper-case letter) in a folded pattern")
        self.sources, self.flags = sources, flags & ~re.IGNORECASE
        self.folded = tuple(lowercase_pattern(source, self.flags) for source in sources)
        self._written: tuple[re.Pattern[str], ...] | None = None

    def found_in(self, text: str) -> bool:
        """Whether any of the patterns matches anywhere in `text`."""
        if text.isascii():
            lowered = text.lower()
            return any(p.search(lowered) is not None for p in self.folded)
        if self._written is None:
            self._written = tuple(re.compile(s, self.flags | re.IGNORECASE) for s in self.sources)
        return any(p.search(text) is not None for p in self._written)


class Prefiltered:
    """A cue pattern with the literal hint that any match of it contains."""

    __slots__ = ("hint", "pattern")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        literals = required_literals(pattern) or frozenset()
        # A literal holding a shorter one adds nothing to the hint ("refuse" once "refus" is in).
        kept = sorted(lit for lit in literals if not any(o != lit and o in lit for o in literals))
        alternation = "|".join(map(re.escape, kept))
        self.hint = re.compile(alternation) if alternation else None

    def search(self, text: str) -> re.Match[str] | None:
        if self.hint is not None and self.hint.search(text) is None:
            return None
        return self.pattern.search(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        if self.hint is not None and self.hint.search(text) is None:
            return iter(())
        return self.pattern.finditer(text)


def required_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Literals one of which every match of `pattern` contains; None when no such set is found."""
    if pattern.flags & re.IGNORECASE:
        return None  # the literals would need case folding; the cue patterns run on lowercased text
    return _required(_parser.parse(pattern.pattern, pattern.flags))


def _required(sequence: Any) -> frozenset[str] | None:
    """For a parsed sequence: the most selective literal set any match must contain, if any."""
    best: frozenset[str] | None = None
    run = ""
    for op, arg in sequence:
        if op is _const.LITERAL:
            run += chr(arg)
            continue
        best = _better(best, frozenset([run]) if run else None)
        run = ""
        best = _better(best, _required_in(op, arg))
    return _better(best, frozenset([run]) if run else None)


def _required_in(op: Any, arg: Any) -> frozenset[str] | None:
    """The literal set one non-literal item requires: a group, an alternation, a repeat of at least one."""
    if op is _const.SUBPATTERN:
        # A group that turns on case folding would need its literals folded too.
        return None if arg[1] & re.IGNORECASE else _required(arg[-1])
    if op is _const.BRANCH:
        branches = [_required(branch) for branch in arg[1]]
        found = [branch for branch in branches if branch is not None]
        return frozenset[str]().union(*found) if len(found) == len(branches) else None
    if op in _REPEATS and arg[0] >= 1:
        return _required(arg[2])
    return None  # a class, an assertion, an optional part: nothing it must contain


def _better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The more selective of two literal sets: the one whose shortest literal is longer."""
    if a is None or b is None:
        return a if b is None else b
    return b if min(map(len, b)) > min(map(len, a)) else a
