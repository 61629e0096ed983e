"""The comparison's input from counts aggregated in SQL: the same ModelData, without a row per response.

Used for the classic two-condition comparison (no pooling, no misclassification correction, no anti-lab
scenario, no design beyond two framings); every other comparison reads the responses one by one. Both
ways give the same counts, hence the same results byte for byte (tests/jobs/test_compare_counts.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from afgap.errors import InputError
from afgap.jobs.af_labels import af_sources
from afgap.records import TWO_CONDITION, Design
from afgap.stats.tabulate import count_array
from afgap.stats.types import ModelData
from afgap.store.counts import OutcomeCount
from afgap.store.database import Store

UNLABELLED = "none (unlabelled)"


@dataclass(frozen=True)
class Counted:
    """What compare needs from the store, counted: the data per row, version notes and labels used."""

    data: list[ModelData]
    notes: list[str]
    labels_used: dict[str, int]
    af_sources: dict[tuple[str, str], Counter[str]]
    """Per (model, scenario row), the classifiers that gave its AF labels (jobs.af_labels.af_sources)."""


def counted_data(
    store: Store, models: Sequence[str] | None, classifier: str | None, scenarios: Sequence[str]
) -> Counted | None:
    """The comparison's input from SQL counts, or None when this comparison must read row by row."""
    if store.has_anti_lab_labels():
        return None
    groups = store.outcome_counts(models, classifier)
    if groups is None or any(g.condition not in TWO_CONDITION.conditions for g in groups):
        return None
    if not _classic(groups, store.read_designs()):
        return None
    chosen = _selected(groups, scenarios)
    versions = _versions(chosen)
    return Counted(
        _model_data(chosen, versions),
        notes_for(versions),
        _labels_used(chosen),
        af_sources(
            ((g.model, _label(g, versions)), g.classifier, g.af_reasoning, g.responses) for g in chosen
        ),
    )


def _classic(groups: Sequence[OutcomeCount], designs: Mapping[str, Design]) -> bool:
    return all(designs[h].is_two_condition for h in {g.scenario_hash for g in groups} if h in designs)


def version_tag(scenario_hash: str) -> str:
    """Short label of one scenario version: the hash's first 8 hex digits, or 'imported'."""
    # Imported records carry "import:<name>" instead of a content hash: there is no prompt to hash.
    return "imported" if scenario_hash.startswith("import:") else scenario_hash[:8]


def _versions(groups: Sequence[OutcomeCount]) -> dict[str, Counter[str]]:
    versions: dict[str, Counter[str]] = defaultdict(Counter)
    for g in groups:
        versions[g.scenario][version_tag(g.scenario_hash)] += g.responses
    return dict(versions)


def _label(g: OutcomeCount, versions: Mapping[str, Counter[str]]) -> str:
    return f"{g.scenario}@{version_tag(g.scenario_hash)}" if len(versions[g.scenario]) > 1 else g.scenario


def _selected(groups: Sequence[OutcomeCount], scenarios: Sequence[str]) -> list[OutcomeCount]:
    """As jobs.compare.select_rows, on counts."""
    if not scenarios:
        return list(groups)
    versions = _versions(groups)
    known = set(versions) | {f"{n}@{tag}" for n, tags in versions.items() for tag in tags}
    for wanted in scenarios:
        if wanted not in known:
            raise InputError(f"no responses for scenario {wanted!r}; stored: {', '.join(sorted(known))}")
    chosen = set(scenarios)
    return [
        g for g in groups if g.scenario in chosen or f"{g.scenario}@{version_tag(g.scenario_hash)}" in chosen
    ]


def _model_data(groups: Sequence[OutcomeCount], versions: Mapping[str, Counter[str]]) -> list[ModelData]:
    rows: dict[tuple[str, str], list[OutcomeCount]] = defaultdict(list)
    for g in groups:
        rows[(g.model, _label(g, versions))].append(g)
    return [
        ModelData(
            model=model,
            scenario=name,
            simulated=any(g.simulated for g in found),
            observations=(),
            counts=count_array(
                [(g.query_id, g.condition, g.outcome, g.af_reasoning, g.responses) for g in found]
            ),
        )
        for (model, name), found in sorted(rows.items())
    ]


def notes_for(versions: Mapping[str, Counter[str]]) -> list[str]:
    """One note per scenario name stored under more than one version (responses per version tag)."""
    notes = []
    for name, tags in sorted(versions.items()):
        if len(tags) > 1:
            listed = ", ".join(f"{name}@{tag} ({count} responses)" for tag, count in sorted(tags.items()))
            notes.append(
                f"scenario {name!r} was edited: {len(tags)} versions are stored and reported as separate "
                f"rows, never pooled: {listed}"
            )
    return notes


def _labels_used(groups: Sequence[OutcomeCount]) -> dict[str, int]:
    """Responses per classifier, most first; ties in the order the row-wise reading meets them (by id)."""
    first: dict[str, int] = {}
    used: Counter[str] = Counter()
    for g in groups:
        name = g.classifier or UNLABELLED
        used[name] += g.responses
        first[name] = min(first.get(name, g.first_id), g.first_id)
    ordered = Counter({name: used[name] for name in sorted(used, key=first.__getitem__)})
    return dict(ordered.most_common())
