"""The `report` job: the comparison to publish and the stored responses the HTML report quotes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from afgap.jobs.compare import compare_run
from afgap.jobs.validate_judge import ValidationReport
from afgap.report.af_labels import AfLabels
from afgap.settings import DEFAULT_EXAMPLES, DEFAULT_SEED
from afgap.stats.analysis import Comparison, Settings
from afgap.stats.contrasts import DesignComparison
from afgap.store.database import StoredExample, open_store


@dataclass(frozen=True)
class ReportContent:
    """What a report shows: the ranked comparison and example responses per model and outcome."""

    comparison: Comparison
    examples: tuple[StoredExample, ...]
    design: DesignComparison | None = None  # set for a design beyond two framings
    # Each row's AF label source, its validation and corrected AF rates.
    af: AfLabels = field(default_factory=AfLabels)


def report_content(
    db: Path,
    models: Sequence[str],
    settings: Settings,
    scenario: str | None = None,
    classifier: str | None = None,
    seed: int = DEFAULT_SEED,
    examples: int = DEFAULT_EXAMPLES,
    design: tuple[str | None, tuple[str, ...]] = (None, ()),
    validations: Sequence[ValidationReport] = (),
) -> ReportContent:
    """The comparison over the chosen models (none: all), and up to `examples` responses per model and
    outcome."""
    reference, levels = design  # --reference and --levels, as for compare
    chosen = [scenario] if scenario else []
    run = compare_run(
        db,
        models,
        settings,
        chosen,
        classifier,
        seed,
        reference=reference,
        levels=levels,
        validations=validations,
    )
    quoted = tuple(load_examples(db, run.comparison, classifier, examples))
    return ReportContent(run.comparison, quoted, run.design, run.af)


def load_examples(
    db: Path, comparison: Comparison, classifier: str | None = None, per_outcome: int = DEFAULT_EXAMPLES
) -> list[StoredExample]:
    """The first few responses per model and outcome, read with the same labels as the comparison."""
    if per_outcome <= 0:
        return []
    chosen = sorted({m.model for m in comparison.models})
    with open_store(db, readonly=True) as store:
        return store.examples(chosen, classifier, per_outcome)
