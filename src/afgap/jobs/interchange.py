"""afgap's interchange: export every response as JSONL, import JSONL or CSV from other tools.

Import is all-or-nothing: every line is validated first, and one bad line rejects the whole file.
A CSV (from a spreadsheet, say) names its columns as it likes; `--map field=column` says which is which.
Either format may name conditions and outcomes its own way; `--map-value` renames them (jobs/value_maps).
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO

from afgap import files
from afgap.classify.labels import default_labels
from afgap.errors import ImportFormatError, InputError
from afgap.jobs.value_maps import ValueMaps, apply_value_maps, parse_value_maps
from afgap.records import InterchangeRecord, Label, Outcome
from afgap.report.safe import BIDI_CONTROLS
from afgap.store.database import Store, open_store
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


def export_store(db: Path, out: IO[str]) -> int:
    """Write every response stored in db to out as interchange JSONL; returns the count."""
    with open_store(db, readonly=True) as store:
        return export_jsonl(store, out)


def export_file(db: Path, out: Path) -> int:
    """Write every response stored in db to the file `out` as interchange JSONL; returns the count."""
    with open_store(db, readonly=True) as store:
        try:
            with out.open("w", encoding="utf-8") as f:
                return export_jsonl(store, f)
        except OSError as exc:
            raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None


def import_file(
    db: Path, path: Path, map_spec: str | None = None, value_maps: Sequence[str] = ()
) -> tuple[int, int]:
    """Import interchange JSONL or CSV (`--map` for CSV), all-or-nothing: (inserted, already present)."""
    maps = parse_value_maps(value_maps)
    # The whole file is read before the store opens.
    records = list(read_records(path, parse_map(map_spec), maps))
    return store_records(db, path, records)


def store_records(
    db: Path, source: Path, records: Iterable[tuple[int, InterchangeRecord]]
) -> tuple[int, int]:
    """Validate and label a whole file's records, then store them in one go: (inserted, already present)."""
    batch = prepare_import(source, records)  # a bad file never creates or touches the store
    with open_store(db) as store:
        return store.import_records(batch)


def read_jsonl(path: Path, values: ValueMaps | None = None) -> Iterator[tuple[int, InterchangeRecord]]:
    """Yield (line number, record); raise ImportFormatError naming the file and line on the first bad one."""
    prepare = (lambda raw, where: apply_value_maps(values, raw, where)) if values else None
    for number, record in files.read_jsonl(path, InterchangeRecord, ImportFormatError, prepare):
        yield number, _scorable(record, f"{path}:{number}")


def _validate(path: Path, number: int, raw: dict[str, object]) -> InterchangeRecord:
    where = f"{path}:{number}"
    return _scorable(files.validated(InterchangeRecord, raw, where, ImportFormatError), where)


def _scorable(record: InterchangeRecord, where: str) -> InterchangeRecord:
    if record.outcome is None and record.response is None:
        raise ImportFormatError(f"{where}: record has neither 'outcome' nor 'response' to score")
    return record


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


def read_csv(
    path: Path, mapping: Mapping[str, str], values: ValueMaps | None = None
) -> Iterator[tuple[int, InterchangeRecord]]:
    """Yield (line number, record) from a CSV with a header; empty cells are absent values."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ImportFormatError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        # Decoded line by line (a spreadsheet's BOM dropped), so a bad byte is reported with its line.
        lines = (text for _, text in files.numbered_lines(handle, str(path), ImportFormatError))
        reader = csv.DictReader(lines)
        try:
            columns = _csv_columns(path, reader.fieldnames or [], mapping)
            for row in reader:
                raw = {f: row[c] for f, c in columns.items() if row.get(c) not in ("", None)}
                if raw:
                    where = f"{path}:{reader.line_num}"
                    yield (
                        reader.line_num,
                        _validate(path, reader.line_num, apply_value_maps(values or {}, raw, where)),
                    )
        except csv.Error as exc:
            raise ImportFormatError(f"{path}:{reader.line_num}: not valid CSV ({exc})") from None


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
    path: Path, mapping: Mapping[str, str] | None = None, values: ValueMaps | None = None
) -> Iterator[tuple[int, InterchangeRecord]]:
    """Records from a .csv file (with optional column and value maps) or interchange JSONL (anything else)."""
    if path.suffix.lower() == ".csv":
        return read_csv(path, mapping or {}, values)
    if mapping:
        raise ImportFormatError(f"--map applies to CSV files only; {path} is read as interchange JSONL")
    return read_jsonl(path, values)


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
        _printable_names(path, number, record)
        batch.append((record, labels_for(record)))
    if not batch:
        raise ImportFormatError(f"{path}: no records to import (empty file)")
    return batch


def _printable_names(path: Path, number: int, record: InterchangeRecord) -> None:
    """Names reach terminals and reports: a control or bidi control character in one is rejected.

    A bidi override or isolate is invisible yet reorders the text displayed after it, so a name holding
    one could show as another model's name.
    """
    for field in ("model", "scenario"):
        for c in getattr(record, field):
            if unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS:
                kind = "control" if unicodedata.category(c) == "Cc" else "bidirectional control"
                raise ImportFormatError(
                    f"{path}:{number}: field '{field}' contains {kind} character U+{ord(c):04X}"
                )
