"""The labels every answered response gets on arrival: the tag parser's, and the offline AF screen's.

The screen's lexicon (afgap.classify.screen: ~40 ms of regular expressions to compile) is imported the
first time a reply has a scratchpad to screen. A reply without one gets the screen's label without it,
so a collect of a scenario without a scratchpad never loads it: its writer process pays every import
on every run.
"""

from __future__ import annotations

from afgap.classify.screen_record import unscreened
from afgap.classify.tags import classify_and_split
from afgap.vocabulary import Label, Outcome

API_REFUSAL = Label(outcome=Outcome.REFUSE, classifier="tags@1", rule="api-refusal")


def default_labels(text: str | None, reasoning: str | None, api_refusal: bool = False) -> list[Label]:
    """Tag-parser label plus screen label; a provider-side content filter is a refusal by the API."""
    if api_refusal:
        return [API_REFUSAL]
    tags, scratchpad = classify_and_split(text, reasoning)
    if not scratchpad.strip():
        return [tags, unscreened(tags.outcome, tags.rule)]
    from afgap.classify.screen import screen_label

    return [tags, screen_label(text, reasoning, tags, scratchpad)]
