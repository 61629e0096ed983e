"""afgap's interchange: export every response as JSONL, import JSONL or CSV from other tools.

Import is all-or-nothing: every line is validated first, and one bad line rejects the whole file.
A CSV (from a spreadsheet, say) names its columns as it likes; `--map field=column` says which is which.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from afgap.classify.labels import default_labels
from afgap.errors import ImportFormatError
from afgap.records import InterchangeRecord, Label, Outcome
from afgap.store.database import Store
from afgap.store.rows import import_key

IMPORT_CLASSIFIER = "import@1"
FIELDS = tuple(InterchangeRecord.model_fields)
REQUIRED = tuple(name for name, field in InterchangeRecord.model_fields.items() if field.is_required())


def export_jsonl(store: Store, out: IO[str]) -> int:
    """Write every stored response as one JSON line; returns the count."""
    count = 0
    for record in store.export_records():
        out.write(record.model_dump_json(exclude_none=True) + "\n")
        count += 1
    return count


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "record"
    if first["type"] == "missing":
        return f"missing field '{where}'"
    if first["type"] == "extra_forbidden":
        return f"unknown field '{where}'"
    value = first.get("input")
    return f"field '{where}': {first['msg']} (got {json.dumps(value)[:60]})"


def read_jsonl(path: Path) -> Iterator[tuple[int, InterchangeRecord]]:
    """Yield (line number, record); raise ImportFormatError naming the file and line on the first bad one."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise ImportFormatError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                yield number, _parse_line(path, number, line)
        except UnicodeDecodeError:
            raise ImportFormatError(f"{path}: not UTF-8 text (after line {number})") from None


def _parse_line(path: Path, number: int, line: str) -> InterchangeRecord:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
    if not isinstance(raw, dict):
        raise ImportFormatError(f"{path}:{number}: expected a JSON object, got {type(raw).__name__}")
    return _validate(path, number, raw)


def _validate(path: Path, number: int, raw: dict[str, object]) -> InterchangeRecord:
    try:
        record = InterchangeRecord.model_validate(raw)
    except ValidationError as exc:
        raise ImportFormatError(f"{path}:{number}: {_describe(exc)}") from None
    if record.outcome is None and record.response is None:
        raise ImportFormatError(f"{path}:{number}: record has neither 'outcome' nor 'response' to score")
    return record


def labels_for(record: InterchangeRecord) -> list[Label]:
    """An imported outcome is kept as the other tool's label; text without one is classified here."""
    if record.outcome in (Outcome.ERROR, Outcome.UNAVAILABLE):
        return []
    if record.outcome is not None:
        return [
            Label(
                outcome=record.outcome, af_reasoning=record.af_reasoning,
                classifier=IMPORT_CLASSIFIER, rule="imported",
            )
        ]  # fmt: skip
    return default_labels(record.response, None)


def parse_map(spec: str | None) -> dict[str, str]:
    """`condition=tier,outcome=label` -> {field: column}; InputError naming the bad part."""
    mapping: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        field, sep, column = (piece.strip() for piece in part.partition("="))
        if not sep or not field or not column:
            raise ImportFormatError(f"--map {part.strip()!r}: expected FIELD=COLUMN, e.g. condition=tier")
        if field not in FIELDS:
            raise ImportFormatError(f"--map {field}=…: unknown field {field!r}; fields: {', '.join(FIELDS)}")
        mapping[field] = column
    return mapping


def read_csv(path: Path, mapping: Mapping[str, str]) -> Iterator[tuple[int, InterchangeRecord]]:
    """Yield (line number, record) from a CSV with a header; empty cells are absent values."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")  # -sig: spreadsheets often write a BOM
    except OSError as exc:
        raise ImportFormatError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        try:
            columns = _csv_columns(path, reader.fieldnames or [], mapping)
            for row in reader:
                raw = {f: row[c] for f, c in columns.items() if row.get(c) not in ("", None)}
                if raw:
                    yield reader.line_num, _validate(path, reader.line_num, raw)
        except csv.Error as exc:
            raise ImportFormatError(f"{path}:{reader.line_num}: not valid CSV ({exc})") from None
        except UnicodeDecodeError:
            raise ImportFormatError(f"{path}: not UTF-8 text (after line {reader.line_num})") from None


def _csv_columns(path: Path, header: Iterable[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """{field: column} for every field the file provides; a required field without a column is an error."""
    header = list(header)
    if not header:
        raise ImportFormatError(f"{path}: empty CSV (expected a header line)")
    for field, column in mapping.items():
        if column not in header:
            raise ImportFormatError(
                f"--map {field}={column}: {path} has no column {column!r} (columns: {', '.join(header)})"
            )
    columns = {field: mapping.get(field, field) for field in FIELDS}
    for field in REQUIRED:
        if columns[field] not in header:
            raise ImportFormatError(
                f"{path}: no column for required field {field!r} (columns: {', '.join(header)}); "
                f"map one with --map {field}=COLUMN"
            )
    return {field: column for field, column in columns.items() if column in header}


def read_records(
    path: Path, mapping: Mapping[str, str] | None = None
) -> Iterator[tuple[int, InterchangeRecord]]:
    """Records from a .csv file (with an optional column mapping) or interchange JSONL (anything else)."""
    if path.suffix.lower() == ".csv":
        return read_csv(path, mapping or {})
    if mapping:
        raise ImportFormatError(f"--map applies to CSV files only; {path} is read as interchange JSONL")
    return read_jsonl(path)


def prepare_import(
    path: Path, records: Iterable[tuple[int, InterchangeRecord]]
) -> list[tuple[InterchangeRecord, list[Label]]]:
    """Validate a whole file (duplicates, emptiness) and label it, before any store is opened."""
    seen: dict[str, int] = {}
    batch: list[tuple[InterchangeRecord, list[Label]]] = []
    for number, record in records:
        key = import_key(record)
        if key in seen:
            raise ImportFormatError(
                f"{path}:{number}: duplicates line {seen[key]} "
                "(same model, scenario, query_id, condition, sample)"
            )
        seen[key] = number
        batch.append((record, labels_for(record)))
    if not batch:
        raise ImportFormatError(f"{path}: no records to import (empty file)")
    return batch
