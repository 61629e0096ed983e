"""The labels every answered response gets on arrival: the tag parser's, and the offline AF screen's."""

from __future__ import annotations

from afgap.classify.screen import screen_label
from afgap.classify.tags import classify_and_split
from afgap.vocabulary import Label, Outcome

API_REFUSAL = Label(outcome=Outcome.REFUSE, classifier="tags@1", rule="api-refusal")


def default_labels(text: str | None, reasoning: str | None, api_refusal: bool = False) -> list[Label]:
    """Tag-parser label plus screen label; a provider-side content filter is a refusal by the API."""
    if api_refusal:
        return [API_REFUSAL]
    tags, scratchpad = classify_and_split(text, reasoning)
    return [tags, screen_label(text, reasoning, tags, scratchpad)]
