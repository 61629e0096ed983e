"""The literal hints that let the screens skip a cue search: a hint must hold wherever its pattern matches."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from afgap.classify import af_cues, af_links, screen_v1
from afgap.classify.prefilter import Prefiltered, required_literals

DATA = Path(__file__).parent.parent / "data"
CUES = {
    f"{module.__name__.rsplit('.', 1)[-1]}.{name}": value
    for module in (af_cues, af_links)
    for name, value in vars(module).items()
    if isinstance(value, re.Pattern)
}


def _sentences() -> list[str]:
    """The distinct lowercased sentences of the labelled and real dev sets: text the cues really meet."""
    paths = [DATA / "af_labelled.jsonl", DATA / "af_validation.jsonl", DATA / "real" / "dev.jsonl"]
    texts = [
        json.loads(line)["text"]
        for path in paths
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return sorted({s.lower() for text in texts for s in screen_v1.split_sentences(text)})


SENTENCES = _sentences()


@pytest.mark.parametrize("name", sorted(CUES))
def test_a_prefiltered_cue_finds_exactly_what_the_cue_finds(name: str) -> None:
    pattern, wrapped = CUES[name], Prefiltered(CUES[name])
    literals = required_literals(pattern) or frozenset()
    for text in SENTENCES:
        matches = list(pattern.finditer(text))
        assert [m.span() for m in wrapped.finditer(text)] == [m.span() for m in matches]
        found = wrapped.search(text)
        assert (found and found.span()) == (matches[0].span() if matches else None)
        # The claim the hint rests on, match by match: each holds one of the required literals.
        assert not literals or all(any(lit in m.group(0) for lit in literals) for m in matches)


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        (r"\bfoo(?:bar|qux)\b", {"foo"}),  # of equally selective sets, the first
        (r"\bno(?:bar|qux)\b", {"bar", "qux"}),  # the longer literals are the better hint
        (r"(?:ab){2}|cd+", {"ab", "c"}),
        (r"(?:ab)*c", {"c"}),
        (r"x?y\w+", {"y"}),
        (r"(?:x|\w+)", None),  # a branch with no literal leaves nothing every match needs
        (r"[ab]c?", None),
        (r"(?i:abc)", None),  # folded case: the literal would not be a plain substring
    ],
)
def test_required_literals_are_read_off_the_pattern(pattern: str, literals: set[str] | None) -> None:
    found = required_literals(re.compile(pattern))
    assert (set(found) if found is not None else None) == literals


def test_a_case_folding_pattern_gets_no_hint() -> None:
    wrapped = Prefiltered(re.compile("abc", re.IGNORECASE))
    assert wrapped.hint is None and wrapped.search("xABCx") is not None


def test_a_text_without_the_hint_skips_the_search() -> None:
    wrapped = Prefiltered(re.compile(r"\brefus\w*|\bdeclin\w*"))
    assert wrapped.hint is not None and wrapped.hint.pattern == "declin|refus"
    assert wrapped.search("i will help") is None and list(wrapped.finditer("i will help")) == []
    assert [m.group(0) for m in wrapped.finditer("i refuse, i decline")] == ["refuse", "decline"]
