"""afgap's interchange: export every response as JSONL, import JSONL or CSV from other tools.

Import is all-or-nothing and streamed: lines are checked as they are read into one transaction, and one
bad line rolls the whole file back (jobs/import_rows turns lines into rows, store/imports stores them).
A CSV (from a spreadsheet, say) names its columns as it likes; `--map field=column` says which is which.
Either format may name conditions and outcomes its own way; `--map-value` renames them (jobs/value_maps).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import IO

from afgap import files
from afgap.errors import ImportFormatError, InputError
from afgap.jobs.import_rows import chunks, staged_jsonl, staged_records
from afgap.jobs.value_maps import ValueMaps, apply_value_maps, parse_value_maps
from afgap.records import InterchangeRecord
from afgap.store.database import Store, open_store
from afgap.store.imports import IMPORT_COLUMNS, Staged
from afgap.store.rows import check_conditions, timestamp

_CONDITION = IMPORT_COLUMNS.index("condition")
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
    mapping = parse_map(map_spec)
    now = timestamp()
    if path.suffix.lower() == ".csv":
        return store_staged(db, path, staged_records(path, read_csv(path, mapping, maps), now))
    if mapping:
        raise ImportFormatError(f"--map applies to CSV files only; {path} is read as interchange JSONL")
    return store_staged(db, path, staged_jsonl(path, maps, now))


def store_records(
    db: Path, source: Path, records: Iterable[tuple[int, InterchangeRecord]]
) -> tuple[int, int]:
    """Store a file's validated records in one transaction: (inserted, already present)."""
    return store_staged(db, source, staged_records(source, records, timestamp()))


def store_staged(db: Path, source: Path, rows: Iterable[Staged]) -> tuple[int, int]:
    """Stream a file's rows into the store in one transaction: (inserted, already present).

    Lines are checked as they are read and the first bad one rolls the whole import back. A file that is
    empty or bad from its first line never opens the store; a store this import created is removed again
    when the import fails.
    """
    lines = iter(rows)
    first = next(lines, None)
    if first is None:
        raise ImportFormatError(f"{source}: no records to import (empty file)")
    created = not db.exists()
    try:
        with open_store(db) as store:
            check_conditions({str(first[1][_CONDITION])})
            return store.import_chunks(_checked(chain([first], lines)), _duplicate(source))
    except BaseException:
        if created:
            for leftover in (db, *(db.with_name(db.name + suffix) for suffix in ("-wal", "-shm"))):
                leftover.unlink(missing_ok=True)
        raise


def _checked(rows: Iterator[Staged]) -> Iterator[list[Staged]]:
    """The rows in chunks, every chunk's condition names checked as the store checks them."""
    for chunk in chunks(rows):
        check_conditions({str(row[_CONDITION]) for _, row, _ in chunk})
        yield chunk


def _duplicate(source: Path) -> Callable[[int, int], Exception]:
    def error(line: int, first: int) -> Exception:
        return ImportFormatError(
            f"{source}:{line}: duplicates line {first} (same model, scenario, query_id, condition, sample)"
        )

    return error


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
