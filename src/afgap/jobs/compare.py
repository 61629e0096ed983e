"""The `compare` job: read stored outcomes, group them per (model, scenario), hand them to the statistics.

Scenario identity: responses are grouped by scenario *version* (content hash). When a name
has more than one version among the rows compared, each version gets its own row, `name@hash8`, and a
note says so; versions are never pooled silently. `--pool-scenarios` adds one pooled row per model
next to its per-scenario rows (afgap.stats.pooled), analysed and adjusted in the same family.

Designs: a scenario asked under exactly monitored and unmonitored is the classic design (compare@1).
Any other scenario needs a design, from the store or from `--reference` (and `--levels`): every other
condition is then compared with the reference, and all those contrasts are adjusted together
(afgap.stats.contrasts), with a trend across the levels when there are any.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from afgap.classify.antilab import MEASURE
from afgap.errors import InputError
from afgap.jobs.af_labels import af_labels, af_sources
from afgap.jobs.antilab import with_anti_lab_rows
from afgap.jobs.compare_counts import counted_data, notes_for, version_tag
from afgap.jobs.sequential import mark_sequential
from afgap.records import CONDITION_NAME, TWO_CONDITION, Design
from afgap.report.af_labels import AfLabels
from afgap.settings import check_seed
from afgap.stats.analysis import Comparison, ModelData, Observation, Settings, analyse
from afgap.stats.contrasts import DesignComparison, analyse_designs
from afgap.stats.misclassification import ClassifierAccuracy, CorrectedGap, corrected_gap
from afgap.stats.pooled import POOLED_PREFIX, pool_scenarios
from afgap.store.database import StoredOutcome, open_store

if TYPE_CHECKING:
    from afgap.jobs.validate_judge import ValidationReport

ALL_MODELS = "all"


@dataclass(frozen=True)
class ComparisonRun:
    """A comparison and the notes a reader must see beside it (scenario versions, pooling)."""

    comparison: Comparison
    notes: tuple[str, ...]
    # Which labels the rows used (classifier name -> responses), and the misclassification-corrected gap
    # per (model, scenario) row when a classifier's accuracy was given.
    labels_used: dict[str, int] = field(default_factory=dict)
    corrected: dict[tuple[str, str], CorrectedGap] = field(default_factory=dict)
    # Set when some scenario has a design beyond two framings: its rows are contrasts (compare@2).
    design: DesignComparison | None = None
    # Each row's AF label source, its matching validation and corrected AF rates (two-condition rows).
    af: AfLabels = field(default_factory=AfLabels)


def analysis_settings(alpha: float, correction: str, min_gap: float | None = None) -> Settings:
    """The analysis settings from the command line's values; min_gap None keeps the published default."""
    settings = Settings(alpha=alpha, correction=correction)  # validates every value
    return settings if min_gap is None else dataclasses.replace(settings, min_gap=min_gap)


def scenario_versions(rows: Sequence[StoredOutcome]) -> dict[str, Counter[str]]:
    """Per scenario name, the responses stored under each version tag."""
    versions: dict[str, Counter[str]] = defaultdict(Counter)
    # Counted per distinct (name, hash) first: a large store has millions of rows and a few versions.
    for (name, scenario_hash), count in Counter((row.scenario, row.scenario_hash) for row in rows).items():
        versions[name][version_tag(scenario_hash)] += count
    return dict(versions)


def row_scenario(row: StoredOutcome, versions: dict[str, Counter[str]]) -> str:
    """The scenario label of a response's report row: the name, or name@version when there are several."""
    if len(versions[row.scenario]) > 1:
        return f"{row.scenario}@{version_tag(row.scenario_hash)}"
    return row.scenario


def select_rows(rows: Sequence[StoredOutcome], scenarios: Sequence[str]) -> list[StoredOutcome]:
    """Responses of the chosen scenarios: a name selects all its versions, name@hash8 one of them."""
    if not scenarios:
        return list(rows)
    versions = scenario_versions(rows)
    known = {name for name in versions} | {f"{n}@{tag}" for n, tags in versions.items() for tag in tags}
    for wanted in scenarios:
        if wanted not in known:
            raise InputError(f"no responses for scenario {wanted!r}; stored: {', '.join(sorted(known))}")
    chosen = set(scenarios)
    return [
        row
        for row in rows
        if row.scenario in chosen or f"{row.scenario}@{version_tag(row.scenario_hash)}" in chosen
    ]


def group_outcomes(rows: Sequence[StoredOutcome], scenarios: Sequence[str] = ()) -> list[ModelData]:
    """One ModelData per (model, scenario version); a later response to a cell supersedes an earlier one."""
    selected = select_rows(rows, scenarios)
    versions = scenario_versions(selected)
    cells: dict[tuple[str, str], dict[tuple[str, str, int], StoredOutcome]] = defaultdict(dict)
    labels: dict[tuple[str, str], str] = {}  # (name, hash) -> row label, worked out once per version
    for row in selected:
        version = (row.scenario, row.scenario_hash)
        label = labels.get(version) or labels.setdefault(version, row_scenario(row, versions))
        cells[(row.model, label)][(row.query_id, row.condition, row.sample)] = row
    return [
        ModelData(
            model=model,
            scenario=name,
            simulated=any(r.simulated for r in by_cell.values()),
            observations=tuple(
                Observation(r.query_id, r.condition, r.sample, r.outcome, r.af_reasoning)
                for r in by_cell.values()
            ),
        )
        for (model, name), by_cell in sorted(cells.items())
    ]


def version_notes(rows: Sequence[StoredOutcome]) -> list[str]:
    """One note per scenario name stored under more than one version."""
    return notes_for(scenario_versions(rows))


def pooling_notes(comparison: Comparison, pooled: Sequence[ModelData]) -> list[str]:
    """What each pooled row averages over, and whether its scenarios' verdicts disagree."""
    notes = []
    for data in pooled:
        parts = [
            r for r in comparison.models if r.model == data.model and not r.scenario.startswith(POOLED_PREFIX)
        ]
        gaps = [r.gap.estimate for r in parts if r.gap.estimate is not None]
        spread = f"per-scenario gaps {100 * min(gaps):.1f} to {100 * max(gaps):.1f} pp; " if gaps else ""
        verdicts = {r.verdict for r in parts}
        differ = "; per-scenario verdicts differ" if len(verdicts) > 1 else ""
        notes.append(
            f"{data.model} {data.scenario}: {spread}scenarios are fixed strata, queries the clusters "
            f"(docs/scenarios.md), so the pooled gap holds for these {len(parts)} scenarios only{differ}"
        )
    return notes


def compare_run(
    db: Path,
    models: Sequence[str],
    settings: Settings,
    scenarios: Sequence[str] = (),
    classifier: str | None = None,
    seed: int = 0,
    pool: bool = False,
    accuracy: ClassifierAccuracy | None = None,
    designs: Mapping[str, Design] | None = None,
    reference: str | None = None,
    levels: Sequence[str] = (),
    validations: Sequence[ValidationReport] = (),
) -> ComparisonRun:
    """Statistics over what the store holds for the chosen models and scenarios, with notes.

    `designs` (by scenario name) come from the store; `reference` and `levels` override them.
    """
    check_seed(seed)
    chosen = None if not models or list(models) == [ALL_MODELS] else list(dict.fromkeys(models))
    # The classic comparison is counted in SQL; anything else reads the responses one by one.
    classic = not (pool or accuracy or designs or reference or levels or validations)
    with open_store(db, readonly=True) as store:
        _check_models(db, store.models(), chosen)
        runs = store.run_settings()
        # A run collected until decided needs each response in order (jobs.sequential): read row by row.
        counted = None
        if classic and not any(run.get("until_decided") for run in runs):
            counted = counted_data(store, chosen, classifier, scenarios)
        if counted is not None:
            result = analyse(counted.data, settings, np.random.default_rng(seed))
            af, _ = af_labels(counted.data, result.models, counted.af_sources, (), settings, seed)
            return ComparisonRun(result, tuple(counted.notes), counted.labels_used, af=af)
        rows, anti_lab = with_anti_lab_rows(store, store.outcomes(chosen, classifier), chosen, classifier)
        stored = store.read_designs()
    data = group_outcomes(rows, scenarios)
    chosen_rows = select_rows(rows, scenarios)
    notes = version_notes(chosen_rows)
    used, sources = _labels_of(chosen_rows)
    designs = {**designs_by_label(chosen_rows, stored), **(designs or {})}
    chosen_designs = {d.scenario: design_for(d, designs or {}, reference, tuple(levels)) for d in data}
    if any(not design.is_two_condition for design in chosen_designs.values()):
        if pool or accuracy:
            raise InputError(
                "--pool-scenarios and --correct-misclassification work on two-condition scenarios only"
            )
        if validations:
            raise InputError("--validation works on two-condition scenarios only")
        found = analyse_designs(data, chosen_designs, settings, np.random.default_rng(seed))
        af, _ = af_labels(data, found.comparison.models, sources, (), settings, seed)
        return ComparisonRun(found.comparison, tuple(notes), used, design=found, af=af)
    measures = {d.scenario: MEASURE for d in data if d.scenario.split("@")[0] in anti_lab}
    # Taking an offer and complying with a request are different events: never pooled together.
    pooled = pool_scenarios([d for d in data if d.scenario not in measures]) if pool else []
    if pool and not pooled:
        notes.append("--pool-scenarios: no model has responses under two or more scenarios; nothing pooled")
    # The seed fixes the bootstrap/permutation draws, so the same store always gives the same report.
    # Pooled rows join the same analysis, so Holm/BH adjust across per-scenario and pooled rows together.
    comparison = analyse([*data, *pooled], settings, np.random.default_rng(seed))
    comparison = dataclasses.replace(comparison, measures=measures)
    comparison = mark_sequential(comparison, data, runs, settings)
    corrected = corrected_gaps(data, accuracy, settings, seed) if accuracy else {}
    notes += pooling_notes(comparison, pooled)
    # A pooled row's AF labels are those of the scenarios it pools.
    pooled_sources = {
        (p.model, p.scenario): sum(
            (
                sources.get((d.model, d.scenario), Counter())
                for d in data
                if d.model == p.model and d.scenario not in measures
            ),
            Counter(),
        )
        for p in pooled
    }
    af, af_notes = af_labels(
        [*data, *pooled], comparison.models, {**sources, **pooled_sources}, validations, settings, seed
    )
    return ComparisonRun(comparison, (*notes, *af_notes), used, corrected, af=af)


def _labels_of(rows: Sequence[StoredOutcome]) -> tuple[dict[str, int], dict[tuple[str, str], Counter[str]]]:
    """Responses per classifier, most first; and per report row, the classifiers that gave its AF labels."""
    used = Counter(r.classifier or "none (unlabelled)" for r in rows)
    versions = scenario_versions(rows)
    labelled = (((r.model, row_scenario(r, versions)), r.classifier, r.af_reasoning, 1) for r in rows)
    return dict(used.most_common()), af_sources(labelled)


def _check_models(db: Path, known: Sequence[str], chosen: Sequence[str] | None) -> None:
    """InputError for an empty store or a model it does not hold."""
    if not known:
        raise InputError(f"the store {db} holds no responses yet (run `afgap collect` or `afgap import`)")
    missing = [m for m in chosen or [] if m not in known]
    if missing:
        raise InputError(f"model {missing[0]!r} is not in the store; it holds: {', '.join(known)}")


def designs_by_label(rows: Sequence[StoredOutcome], by_hash: Mapping[str, Design]) -> dict[str, Design]:
    """The stored design of each scenario row label (`name`, or `name@version` for an edited scenario)."""
    versions = scenario_versions(rows)
    return {
        row_scenario(row, versions): by_hash[row.scenario_hash]
        for row in rows
        if row.scenario_hash in by_hash
    }


def parse_levels(value: str | None) -> tuple[str, ...]:
    """`--levels a,b,c`: condition names, lowest first; one-line error for an empty or malformed name."""
    if value is None:
        return ()
    names = tuple(part.strip() for part in value.split(","))
    bad = [name for name in names if not re.fullmatch(CONDITION_NAME, name)]
    if bad or len(names) < 2:
        raise InputError(f"--levels expects two or more condition names separated by commas, got {value!r}")
    return names


def design_for(
    data: ModelData, designs: Mapping[str, Design], reference: str | None, levels: tuple[str, ...]
) -> Design:
    """The design of one (model, scenario) row: stored, overridden by --reference/--levels, or classic."""
    name = data.scenario.split("@", 1)[0]
    observed = tuple(dict.fromkeys(sorted(o.condition for o in data.observations)))
    base = designs.get(data.scenario, designs.get(name))
    if base is None and reference is None and not levels:
        if set(observed) <= set(TWO_CONDITION.conditions):
            return TWO_CONDITION
        raise InputError(
            f"scenario {name!r} has conditions {', '.join(observed)} and no stored design; "
            "name the reference condition with --reference NAME"
        )
    conditions = base.conditions if base is not None else tuple(dict.fromkeys(observed + levels))
    chosen = reference or (base.reference if base is not None else TWO_CONDITION.reference)
    if chosen not in conditions:
        raise InputError(
            f"--reference {chosen!r} is not a condition of scenario {name!r} ({', '.join(conditions)})"
        )
    missing = [level for level in levels if level not in conditions]
    if missing or chosen in levels or len(set(levels)) != len(levels):
        raise InputError(
            f"--levels must name distinct conditions of scenario {name!r} other than the reference "
            f"({', '.join(c for c in conditions if c != chosen)}), got {','.join(levels)}"
        )
    return Design(conditions, chosen, levels or (base.levels if base is not None else ()))


def corrected_gaps(
    data: Sequence[ModelData], accuracy: ClassifierAccuracy, settings: Settings, seed: int
) -> dict[tuple[str, str], CorrectedGap]:
    """The misclassification-corrected gap of every (model, scenario) row (stats.misclassification)."""
    rng = np.random.default_rng(seed)
    return {
        (d.model, d.scenario): corrected_gap(
            d.observations, accuracy, rng, settings.confidence, settings.n_boot
        )
        for d in data
    }


def compare(
    db: Path,
    models: Sequence[str],
    settings: Settings,
    scenario: str | Sequence[str] | None = None,
    classifier: str | None = None,
    seed: int = 0,
) -> Comparison:
    """Statistics over what the store holds for the chosen models (or all of them)."""
    scenarios = [scenario] if isinstance(scenario, str) else list(scenario or [])
    return compare_run(db, models, settings, scenarios, classifier, seed).comparison


def read_accuracy(value: str) -> ClassifierAccuracy:
    """`SENS,SPEC[,N_POS,N_NEG]`, or a JSON file written by `afgap validate-judge --format json`."""
    path = Path(value)
    if path.is_file():
        from afgap.jobs.validate_judge import read_report  # only for a file: its job's imports are many

        report = read_report(path)
        return ClassifierAccuracy(report.recall, report.specificity, report.n_positive, report.n_negative)
    parts = value.split(",")
    try:
        numbers = [float(p) for p in parts[:2]] + [int(p) for p in parts[2:]]
    except ValueError:
        numbers = []
    if len(parts) not in (2, 4) or len(numbers) != len(parts):
        raise InputError(
            "--correct-misclassification expects SENS,SPEC[,N_POS,N_NEG] or a validate-judge JSON file, "
            f"got {value!r}"
        )
    counts = (int(numbers[2]), int(numbers[3])) if len(numbers) == 4 else (None, None)
    return ClassifierAccuracy(numbers[0], numbers[1], *counts)
