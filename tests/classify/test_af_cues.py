"""The lexicon's one rewrite: grouping an alternation by first letter must not change a single match."""

from __future__ import annotations

import re

import pytest

from afgap.classify.af_cues import by_first_letter


@pytest.mark.parametrize(
    ("alternation", "grouped"),
    [
        ("ab|cd|ae|a", "a(?:b|e|)|cd"),  # within a letter the order stays, the bare letter last
        (r"re-?writ\w*|reset|rot", r"r(?:e-?writ\w*|eset|ot)"),
        (r"x(?:a|b)|y[|]z|x\|", r"x(?:(?:a|b)|\|)|y[|]z"),  # bars inside groups, classes, escapes stay
        ("solo", "solo"),
    ],
)
def test_alternatives_are_grouped_under_their_first_letter(alternation: str, grouped: str) -> None:
    assert by_first_letter(alternation) == grouped


@pytest.mark.parametrize("alternation", [r"ab|\wc", "ab|(?:c)d", "ab|a?c", "ab|[ab]c"])
def test_an_alternative_not_opening_with_a_plain_letter_is_refused(alternation: str) -> None:
    with pytest.raises(ValueError, match="plain letter"):
        by_first_letter(alternation)


def test_the_grouped_alternation_matches_exactly_where_the_original_does() -> None:
    alternation = r"re\w*|ran|rest|remain\w*|run\s+out|ra|rat\w*|sat|so\s+on"
    text = "rest ran rather remains; run out, sat so on ra rat reran restless " * 3
    original, grouped = (
        re.compile(rf"\b(?:{alternation})\b"),
        re.compile(rf"\b(?:{by_first_letter(alternation)})\b"),
    )
    assert [m.span() for m in grouped.finditer(text)] == [m.span() for m in original.finditer(text)]
