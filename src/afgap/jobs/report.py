"""The `report` job: the comparison to publish and the stored responses the HTML report quotes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from afgap.jobs.compare import compare
from afgap.settings import DEFAULT_EXAMPLES, DEFAULT_SEED
from afgap.stats.analysis import Comparison, Settings
from afgap.store.database import StoredExample, open_store


@dataclass(frozen=True)
class ReportContent:
    """What a report shows: the ranked comparison and example responses per model and outcome."""

    comparison: Comparison
    examples: tuple[StoredExample, ...]


def report_content(
    db: Path,
    models: Sequence[str],
    settings: Settings,
    scenario: str | None = None,
    classifier: str | None = None,
    seed: int = DEFAULT_SEED,
    examples: int = DEFAULT_EXAMPLES,
) -> ReportContent:
    """The comparison over the chosen models (none: all), and up to `examples` responses per model and
    outcome."""
    comparison = compare(db, models, settings, scenario, classifier, seed)
    return ReportContent(comparison, tuple(load_examples(db, comparison, classifier, examples)))


def load_examples(
    db: Path, comparison: Comparison, classifier: str | None = None, per_outcome: int = DEFAULT_EXAMPLES
) -> list[StoredExample]:
    """The first few responses per model and outcome, read with the same labels as the comparison."""
    if per_outcome <= 0:
        return []
    chosen = sorted({m.model for m in comparison.models})
    with open_store(db, readonly=True) as store:
        return store.examples(chosen, classifier, per_outcome)
