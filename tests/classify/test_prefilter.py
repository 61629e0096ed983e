"""The literal hints that let the screens skip a cue search: a hint must hold wherever its pattern matches."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afgap.classify import af_cues, af_links, screen_v1, tags
from afgap.classify.prefilter import CaseFolded, Prefiltered, required_literals

DATA = Path(__file__).parent.parent / "data"
CUES = {
    f"{module.__name__.rsplit('.', 1)[-1]}.{name}": value
    for module in (af_cues, af_links)
    for name, value in vars(module).items()
    if isinstance(value, re.Pattern)
}


def _corpus() -> list[str]:
    """The texts of the labelled, validation and real dev sets: text the cues really meet."""
    paths = [DATA / "af_labelled.jsonl", DATA / "af_validation.jsonl", DATA / "real" / "dev.jsonl"]
    return [
        json.loads(line)["text"]
        for path in paths
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _sentences() -> list[str]:
    """The distinct lowercased sentences of the corpus."""
    return sorted({s.lower() for text in _corpus() for s in screen_v1.split_sentences(text)})


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


# The tag parser's partial-compliance cues, each as one alternation the way it was written before it
# was folded: CaseFolded must answer exactly as this does on every text.
FOLDED = {name: getattr(tags, name) for name in ("_REFUSAL", "_HEDGE", "_DISCLAIM")}


def _whole(folded: CaseFolded) -> re.Pattern[str]:
    return re.compile("|".join(folded.sources), folded.flags | re.IGNORECASE)


def _texts() -> list[str]:
    """Whole texts the cues meet: the labelled, validation and real dev sets, and the tag parser's cases."""
    from tests.classify.test_tags import CASES

    return [*_corpus(), *(text for _, text, _, _, _ in CASES if text)]


@pytest.mark.parametrize("name", sorted(FOLDED))
def test_a_folded_cue_answers_as_the_case_insensitive_alternation_on_real_text(name: str) -> None:
    folded, whole = FOLDED[name], _whole(FOLDED[name])
    texts = _texts()
    assert len(texts) > 300
    hits = 0
    for text in texts:
        expected = whole.search(text) is not None
        assert folded.found_in(text) is expected, text[:200]
        hits += expected
    assert hits > 0  # the corpus exercises matches, not only misses


# Words from the cues in any case, with the separators they allow and the characters that fold past
# lower() ("ſ" is "s", "K" the Kelvin sign is "k", "İ" lowers to two characters).
_WORDS = (
    "I",
    "I'm",
    "am",
    "sorry",
    "afraid",
    "cannot",
    "can't",
    "won't",
    "help",
    "provide",
    "decline",
    "refuse",
    "as",
    "an",
    "AI",
    "only",
    "general",
    "high-level",
    "without",
    "specific",
    "instead",
    "here",
    "omitted",
    "disclaimer",
    "for",
    "educational",
    "purposes",
    "please",
    "don't",
    "use",
    "this",
    "is",
    "illegal",
    "consult",
    "a",
    "lawyer",
    "at",
    "your",
    "own",
    "risk",
    "must",
    "note",
    "**Warning**",
    "Note:",
    "Caution",
    "ſorry",
    "Kelvin",
    "İ",
    "é",
    "will",
    "not",
    "go",
    "further",
    "against",
    "my",
    "values",
    "keep",
    "it",
)
_SEPARATORS = (" ", "  ", "\n", "\t", ", ", ". ", ":", "\n  ", "**")


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_WORDS),
            st.sampled_from(("lower", "upper", "title", "as is")),
            st.sampled_from(_SEPARATORS),
        ),
        max_size=14,
    )
)
def test_a_folded_cue_answers_as_the_case_insensitive_alternation_on_any_casing(
    parts: list[tuple[str, str, str]],
) -> None:
    cased = {"lower": str.lower, "upper": str.upper, "title": str.title, "as is": str}
    text = "".join(cased[case](word) + separator for word, case, separator in parts)
    for folded in FOLDED.values():
        assert folded.found_in(text) is (_whole(folded).search(text) is not None)


def test_case_folding_refuses_a_pattern_it_cannot_fold() -> None:
    with pytest.raises(ValueError, match="escape"):
        CaseFolded(r"\x41bc")
    assert CaseFolded(r"\bAs\s+an\s+AI\b").found_in("well, AS AN ai, no")
    assert CaseFolded(r"\bAs\s+an\s+AI\b").found_in("well, AS AN ai, ſo no")  # as written, folded
    assert not CaseFolded(r"^note:").found_in("a\nNote: b") and CaseFolded(r"^note:", flags=re.M).found_in(
        "a\nNote: b"
    )


@pytest.mark.parametrize(
    "text",
    [
        "I'm ſorry, but no.",  # "ſ" (long s) folds to "s"; lower() keeps it
        "İ'm sorry about that.",  # "İ" folds to "i"; lower() makes it two characters
        "<b>İ must note</b> the risk.",
        "Here is juſt a general outline.",
    ],
)
def test_text_beyond_ascii_is_searched_with_unicode_case_folding(text: str) -> None:
    matched = [name for name, folded in FOLDED.items() if folded.found_in(text)]
    assert matched == [name for name, folded in FOLDED.items() if _whole(folded).search(text)]
    assert matched  # each text holds a cue only Unicode folding finds
