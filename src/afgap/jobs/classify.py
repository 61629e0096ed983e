"""The `classify` job: relabel stored responses. Labels sit beside responses; a response is never changed."""

from __future__ import annotations

from pathlib import Path

from afgap.classify.labels import default_labels
from afgap.classify.screen import screen_label
from afgap.classify.tags import classify_response
from afgap.errors import InputError
from afgap.records import Label
from afgap.store.database import open_store

BATCH = 2000
OFFLINE = ("tags", "screen")


def offline_labels(text: str | None, reasoning: str | None, only: str | None = None) -> list[Label]:
    """The offline labels for one response: both by default, or just the tag parser's or the screen's."""
    if only is None:
        return default_labels(text, reasoning)
    if only == "tags":
        return [classify_response(text, reasoning)]
    return [screen_label(text, reasoning)]


def reclassify(db: Path, only: str | None = None) -> int:
    """Run the offline classifiers over every answered response; returns how many were labelled."""
    if only is not None and only not in OFFLINE:
        raise InputError(f"offline classifier must be one of {', '.join(OFFLINE)}, got {only!r}")
    count = 0
    with open_store(db, create=False) as store:
        batch: list[tuple[int, Label]] = []
        for item in store.responses_to_classify():
            batch.extend(
                (item.response_id, label) for label in offline_labels(item.text, item.reasoning, only)
            )
            count += 1
            if len(batch) >= BATCH:
                store.write_labels(batch)
                batch = []
        if batch:
            store.write_labels(batch)
    return count
