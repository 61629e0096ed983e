"""`afgap export --format parquet`: the interchange columns as a typed Parquet file, for pandas, polars, R.

pyarrow is the optional extra `afgap[parquet]`, imported only here and only when asked for. The rows come
from the store's iterator and go out one row group at a time, so memory stays flat however large the store.
The file appears whole or not at all: it is written beside the target and renamed into place at the end.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from afgap.errors import InputError
from afgap.records import InterchangeRecord
from afgap.store.database import open_store

ROW_GROUP = 50_000
MISSING_EXTRA = "--format parquet needs pyarrow: install afgap[parquet] (pip install 'afgap[parquet]')"
# The interchange fields, in their order, with their Arrow types; the nullable ones may be absent.
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("model", "string", False),
    ("scenario", "string", False),
    ("condition", "string", False),
    ("query_id", "string", False),
    ("sample", "int64", False),
    ("query", "string", True),
    ("response", "string", True),
    ("outcome", "string", True),
    ("af_reasoning", "bool", True),
    ("simulated", "bool", False),
)


def export_parquet(db: Path, out: Path, row_group: int = ROW_GROUP) -> int:
    """Write every response stored in db to `out` as Parquet; returns the count."""
    pa, pq = _pyarrow()
    _check_target(out)
    with open_store(db, readonly=True) as store:
        return _write(pa, pq, store.export_records(), out, row_group)


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(MISSING_EXTRA) from None
    return pa, pq


def _check_target(out: Path) -> None:
    if out.is_dir():
        raise InputError(f"cannot write {out}: it is a directory")
    if not out.parent.is_dir():
        raise InputError(f"cannot write {out}: directory {out.parent} does not exist")


def _write(pa: Any, pq: Any, records: Iterable[InterchangeRecord], out: Path, row_group: int) -> int:
    schema = pa.schema([pa.field(name, kind, nullable=null) for name, kind, null in COLUMNS])
    count = 0
    try:
        fd, partial = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
        os.close(fd)
        try:
            with pq.ParquetWriter(partial, schema) as writer:
                for chunk in _chunks(records, row_group):
                    writer.write_table(pa.Table.from_pydict(_columns(chunk), schema=schema))
                    count += len(chunk)
            os.replace(partial, out)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None
    return count


def _chunks(records: Iterable[InterchangeRecord], size: int) -> Iterator[list[InterchangeRecord]]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk


def _columns(chunk: list[InterchangeRecord]) -> dict[str, list[Any]]:
    """One row group as columns; the outcome goes out as its string value, as in the JSONL."""
    columns: dict[str, list[Any]] = {name: [] for name, _, _ in COLUMNS}
    for record in chunk:
        for name, values in columns.items():
            value = getattr(record, name)
            values.append(value.value if name == "outcome" and value is not None else value)
    return columns
