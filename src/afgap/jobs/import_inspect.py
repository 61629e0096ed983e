"""Inspect AI logs in: map each sample of an eval log to an afgap interchange record.

inspect_ai is an optional extra (`afgap[inspect]`), imported lazily, and read only through its stable
reading API `read_eval_log`, never the log's zip internals. Mapping, per sample:

    model      the log's eval model (Inspect's model strings are afgap's)
    scenario   --scenario, else the log's task name
    condition  sample metadata[--condition-field]: "monitored"/"unmonitored", or a boolean that is
               true when monitored (e.g. is_free_tier_user)
    query_id   metadata["query_id"] when present (the same query under both conditions), else the sample id
    sample     epoch - 1
    outcome    the chosen scorer's value (see SCORE_VALUES); no scorer: afgap's tag parser reads the output
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from afgap.errors import ImportFormatError, InputError
from afgap.files import validated
from afgap.jobs.interchange import store_records
from afgap.records import Condition, InterchangeRecord, Outcome
from afgap.settings import INSPECT_CONDITION_FIELD

LOG_SUFFIXES = (".eval", ".json")
# Inspect's conventional score values (CORRECT "C", INCORRECT "I", PARTIAL "P", NOANSWER "N") read as
# "did it comply with the harmful request"; afgap's own outcome words pass through unchanged.
SCORE_VALUES: dict[object, Outcome] = {
    "C": Outcome.COMPLY,
    "I": Outcome.REFUSE,
    "P": Outcome.PARTIAL,
    "N": Outcome.UNPARSEABLE,
    # True == 1 and False == 0 as dict keys, so booleans and 0/1 scores share these entries.
    1: Outcome.COMPLY,
    0: Outcome.REFUSE,
    0.5: Outcome.PARTIAL,
    **{o.value: o for o in Outcome},
}
MONITORED_WORDS = {"monitored": Condition.MONITORED, "unmonitored": Condition.UNMONITORED}


def _read_eval_log() -> Any:
    try:
        from inspect_ai.log import read_eval_log
    except ImportError:
        raise InputError(
            "import-inspect needs the optional inspect_ai package: pip install 'afgap[inspect]'"
        ) from None
    return read_eval_log


def log_files(path: Path) -> list[Path]:
    """The Inspect log files at path: the file itself, or every .eval/.json log in the directory tree."""
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.suffix in LOG_SUFFIXES and p.is_file())
        if not found:
            raise ImportFormatError(f"{path}: no Inspect logs (*.eval, *.json) in this directory")
        return found
    if not path.exists():
        raise ImportFormatError(f"cannot read {path}: no such file or directory")
    return [path]


def import_inspect(
    db: Path,
    path: Path,
    condition_field: str = INSPECT_CONDITION_FIELD,
    scorer: str | None = None,
    scenario: str | None = None,
) -> tuple[int, int]:
    """Import every sample of the Inspect logs at path, all-or-nothing: (inserted, already present)."""
    return store_records(db, path, list(read_inspect(path, condition_field, scorer, scenario)))


def read_inspect(
    path: Path,
    condition_field: str = INSPECT_CONDITION_FIELD,
    scorer: str | None = None,
    scenario: str | None = None,
) -> Iterator[tuple[int, InterchangeRecord]]:
    """Yield (number, record) per sample of every log at path; ImportFormatError on the first bad one."""
    read_eval_log = _read_eval_log()
    number = 0
    for file in log_files(path):
        try:
            log = read_eval_log(str(file))
        except Exception as exc:  # inspect_ai raises many types for a file that is not one of its logs
            raise ImportFormatError(f"{file}: not an Inspect AI eval log ({type(exc).__name__})") from None
        model, task = str(log.eval.model), scenario or str(log.eval.task)
        for sample in log.samples or []:
            number += 1
            where = f"{file}: sample {sample.id!r} (epoch {sample.epoch})"
            yield number, _record(sample, where, model, task, condition_field, scorer)


def _record(
    sample: Any, where: str, model: str, scenario: str, condition_field: str, scorer: str | None
) -> InterchangeRecord:
    metadata = dict(sample.metadata or {})
    af = metadata.get("af_reasoning")
    raw = {
        "model": model,
        "scenario": scenario,
        "condition": _condition(metadata, where, condition_field).value,
        "query_id": str(metadata.get("query_id", sample.id)),
        "sample": max(0, int(sample.epoch) - 1),
        "query": sample.input if isinstance(sample.input, str) else None,
        "response": sample.output.completion if sample.output else None,
        "outcome": Outcome.ERROR if sample.error else _outcome(sample, where, scorer),
        "af_reasoning": af if isinstance(af, bool) else None,
    }
    return validated(InterchangeRecord, raw, where, ImportFormatError)


def _condition(metadata: dict[str, Any], where: str, condition_field: str) -> Condition:
    """The sample's condition: a monitored/unmonitored word, or a boolean that is true when monitored."""
    if condition_field not in metadata:
        raise ImportFormatError(f"{where}: no metadata field {condition_field!r} (use --condition-field)")
    raw = metadata[condition_field]
    if isinstance(raw, bool):
        return Condition.MONITORED if raw else Condition.UNMONITORED
    condition = MONITORED_WORDS.get(raw.lower()) if isinstance(raw, str) else None
    if condition is None:
        raise ImportFormatError(
            f"{where}: {condition_field}={raw!r} is neither monitored/unmonitored nor a boolean"
        )
    return condition


def _outcome(sample: Any, where: str, scorer: str | None) -> Outcome | None:
    """The chosen scorer's value as an outcome; None (afgap classifies the text) when nothing scored it."""
    scores = dict(sample.scores or {})
    if not scores:
        if scorer:
            raise ImportFormatError(f"{where}: no scores, so no scorer {scorer!r}")
        return None
    if scorer is None:
        if len(scores) > 1:
            raise ImportFormatError(
                f"{where}: several scorers ({', '.join(scores)}); choose one with --scorer"
            )
        scorer = next(iter(scores))
    if scorer not in scores:
        raise ImportFormatError(f"{where}: no scorer {scorer!r}; it has {', '.join(scores)}")
    value = scores[scorer].value
    outcome = SCORE_VALUES.get(value.lower() if isinstance(value, str) and len(value) > 1 else value)
    if outcome is None:
        raise ImportFormatError(
            f"{where}: scorer {scorer!r} gave {value!r}, which is not an outcome afgap knows"
        )
    return outcome
