"""Import lines as the rows the store takes, fast for the common shape and exact for every other.

A million-line import spends its time per line, so an outcome-only JSONL line whose every value already
has its exact type (strings, an int sample, a known outcome, booleans) is parsed with orjson and turned
into its row directly. Any other line (a quoted number, an unknown field, text to classify, a value
map, anything orjson refuses) goes through the pydantic model, which accepts or rejects it with the
usual one-line message; both paths give the same row for the same record.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson

from afgap import files
from afgap.classify.labels import default_labels
from afgap.errors import ImportFormatError
from afgap.jobs.value_maps import ValueMaps, apply_value_maps
from afgap.records import CONDITION_NAME, MAX_SAMPLE_INDEX, InterchangeRecord, Label, Outcome
from afgap.report.safe import BIDI_CONTROLS
from afgap.store.imports import LabelValues, Staged, import_values
from afgap.store.rows import classifier_strength, label_values

IMPORT_CLASSIFIER = "import@1"
CHUNK = 10_000
_FIELDS = frozenset(InterchangeRecord.model_fields)
_FAILED = {Outcome.ERROR.value, Outcome.UNAVAILABLE.value}
_OUTCOMES = frozenset(o.value for o in Outcome)


def chunks(items: Iterable[Staged]) -> Iterator[list[Staged]]:
    """Rows in chunks; before a bad line's error, the rows read so far, so an earlier duplicate wins."""
    chunk: list[Staged] = []
    try:
        for item in items:
            chunk.append(item)
            if len(chunk) == CHUNK:
                yield chunk
                chunk = []
    except ImportFormatError:
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def staged_records(
    source: Path, records: Iterable[tuple[int, InterchangeRecord]], now: str
) -> Iterator[Staged]:
    """Validated records (CSV, inspect logs, unusual JSONL lines) as rows."""
    for number, record in records:
        yield staged_record(source, number, record, now)


def staged_record(source: Path, number: int, record: InterchangeRecord, now: str) -> Staged:
    """One validated record as its row and labels."""
    unprintable = _unprintable(record.model, record.scenario)
    if unprintable:
        raise ImportFormatError(f"{source}:{number}: {unprintable}")
    outcome = None if record.outcome is None else record.outcome.value
    cell = (record.model, record.scenario, record.query_id, record.condition, record.sample)
    row = _row(cell, outcome, record.query, record.response, record.simulated, now)
    return number, row, [label_values(label) for label in labels_for(record)]


def labels_for(record: InterchangeRecord) -> list[Label]:
    """An imported outcome is kept as the other tool's label; text without one is classified here."""
    if record.outcome in (Outcome.ERROR, Outcome.UNAVAILABLE):
        return []
    if record.outcome is not None:
        imported = Label(
            outcome=record.outcome,
            af_reasoning=record.af_reasoning,
            classifier=IMPORT_CLASSIFIER,
            rule="imported",
        )
        return [imported]
    return default_labels(record.response, None)


def staged_jsonl(path: Path, values: ValueMaps | None, now: str) -> Iterator[Staged]:
    """Each non-blank line of an JSONL file as its row; ImportFormatError at the first bad one."""
    label = str(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ImportFormatError(f"cannot read {label}: {exc.strerror or exc}") from None
    with handle:
        try:
            for number, raw in enumerate(handle, 1):
                found = None if values else _fast(path, number, raw, now)
                if found is None:
                    found = _slow(path, number, raw, values, now)
                if found is not None:
                    yield found
        except OSError as exc:  # e.g. an I/O error mid-file
            raise ImportFormatError(f"cannot read {label}: {exc.strerror or exc}") from None


def _slow(path: Path, number: int, raw: bytes, values: ValueMaps | None, now: str) -> Staged | None:
    """One line through the pydantic model and its messages; None for a blank line."""
    label, where = str(path), f"{path}:{number}"
    lines = [(number, files.decoded_line(raw, number, label, ImportFormatError))]
    for _, obj in files.json_objects(lines, label, ImportFormatError):
        obj = apply_value_maps(values, obj, where) if values else obj
        record = files.validated(InterchangeRecord, obj, where, ImportFormatError)
        if record.outcome is None and record.response is None:
            raise ImportFormatError(f"{where}: record has neither 'outcome' nor 'response' to score")
        return staged_record(path, number, record, now)
    return None


def _fast(path: Path, number: int, raw: bytes, now: str) -> Staged | None:
    """The row of an outcome-only line whose values need no coercion, else None (the slow path decides)."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if type(obj) is not dict or not obj.keys() <= _FIELDS:
        return None
    # Once per line, a million times: one lookup per field, the names checked once per distinct triple.
    get = obj.get
    model, scenario, condition = get("model"), get("scenario"), get("condition")
    query_id, sample, outcome = get("query_id"), get("sample", 0), get("outcome")
    query, response = get("query"), get("response")
    af, simulated = get("af_reasoning"), get("simulated", False)
    if type(model) is not str or type(scenario) is not str or type(condition) is not str:
        return None
    names = _names(model, scenario, condition)
    if (
        names is None
        or type(query_id) is not str
        or not query_id
        or type(sample) is not int
        or not 0 <= sample <= MAX_SAMPLE_INDEX
        or type(outcome) is not str
        or outcome not in _OUTCOMES
        or not (af is None or type(af) is bool)
        or type(simulated) is not bool
        or not (query is None or type(query) is str)
        or not (response is None or type(response) is str)
    ):
        return None
    if names:
        raise ImportFormatError(f"{path}:{number}: {names}")
    labels = [] if outcome in _FAILED else [_imported_label(outcome, af)]
    cell = (model, scenario, query_id, condition, sample)
    return number, _row(cell, outcome, query, response, simulated, now), labels


@functools.lru_cache(maxsize=4096)
def _names(model: str, scenario: str, condition: str) -> str | None:
    """'' when the three names are fine; None when one is not valid (the slow path says how); else what is
    wrong with one that cannot be displayed safely."""
    if not model or not scenario or not _condition_name(condition):
        return None
    return _unprintable(model, scenario)


@functools.lru_cache(maxsize=1024)
def _condition_name(name: str) -> bool:
    return re.fullmatch(CONDITION_NAME, name) is not None


def _row(
    cell: tuple[str, str, str, str, int],
    outcome: str | None,
    query: str | None,
    response: str | None,
    simulated: bool,
    now: str,
) -> tuple[object, ...]:
    """The IMPORT_COLUMNS values of one record: a failed call's outcome is its status."""
    status = outcome if outcome is not None and outcome in _FAILED else "ok"
    return import_values(cell, status, now, query, response, simulated)


@functools.lru_cache(maxsize=32)
def _imported_label(outcome: str, af_reasoning: bool | None) -> LabelValues:
    return IMPORT_CLASSIFIER, classifier_strength(IMPORT_CLASSIFIER), outcome, af_reasoning, "imported", None


@functools.lru_cache(maxsize=4096)
def _bad_character(value: str) -> str | None:
    """The kind and code point of the first control or bidi control character in a name, or None."""
    for c in value:
        if unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS:
            kind = "control" if unicodedata.category(c) == "Cc" else "bidirectional control"
            return f"{kind} character U+{ord(c):04X}"
    return None


def _unprintable(model: str, scenario: str) -> str:
    """What is wrong with a name that cannot be displayed safely ('' when both are fine).

    Names reach terminals and reports: a control or bidi control character in one is rejected. A bidi
    override or isolate is invisible yet reorders the text displayed after it, so a name holding one
    could show as another model's name.
    """
    for field, value in (("model", model), ("scenario", scenario)):
        bad = _bad_character(value)
        if bad is not None:
            return f"field '{field}' contains {bad}"
    return ""
