"""Parquet export: the interchange columns, typed, read back whole by pyarrow, written in row groups."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import pytest

from afgap.errors import InputError
from afgap.jobs.parquet_export import COLUMNS, MISSING_EXTRA, export_parquet
from afgap.records import InterchangeRecord
from afgap.store.database import open_store

pq = pytest.importorskip("pyarrow.parquet", reason="the optional extra afgap[parquet] is not installed")


@pytest.fixture
def store(cli: Any, tmp_path: Path) -> Path:
    db = tmp_path / "s.sqlite"
    assert (
        cli("collect", "-m", "sim/faker", "--limit", "5", "--samples", "2", "-q", "--db", str(db)).exit_code
        == 0
    )
    return db


def _expected(db: Path) -> list[dict[str, Any]]:
    with open_store(db, readonly=True) as s:
        return [r.model_dump(mode="json") for r in s.export_records()]


def test_the_columns_are_the_interchange_fields() -> None:
    assert [name for name, _, _ in COLUMNS] == list(InterchangeRecord.model_fields)


def test_round_trip_reads_back_every_record_typed_in_row_groups(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    count = export_parquet(store, out, row_group=7)
    expected = _expected(store)
    assert count == len(expected) == 20
    assert pq.ParquetFile(out).metadata.num_row_groups == math.ceil(count / 7)
    table = pq.read_table(out)
    assert table.to_pylist() == expected
    types = {f.name: (str(f.type), f.nullable) for f in table.schema}
    assert types["sample"] == ("int64", False) and types["simulated"] == ("bool", False)
    assert types["condition"] == ("string", False) and types["outcome"] == ("string", True)
    assert types["af_reasoning"] == ("bool", True)
    assert {r["outcome"] for r in expected} <= {"comply", "partial", "refuse"}


def test_an_empty_store_gives_an_empty_file_with_the_schema(cli: Any, tmp_path: Path) -> None:
    db, out = tmp_path / "e.sqlite", tmp_path / "e.parquet"
    cli("collect", "-m", "sim/faker", "--limit", "1", "--dry-run", "--db", str(db))
    assert export_parquet(db, out) == 0
    assert pq.read_table(out).num_rows == 0 and len(pq.read_schema(out)) == len(COLUMNS)


def test_a_failed_export_leaves_the_target_and_no_partial_file(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r.parquet"
    out.write_bytes(b"earlier")

    def broken(self: Any, table: Any, row_group_size: Any = None) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", broken)
    with pytest.raises(InputError, match=f"cannot write {out}: No space left on device"):
        export_parquet(store, out)
    assert out.read_bytes() == b"earlier" and sorted(
        p.name for p in tmp_path.iterdir() if "parquet" in p.name
    ) == ["r.parquet"]


def test_without_pyarrow_one_line_names_the_extra(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(InputError) as info:
        export_parquet(store, tmp_path / "r.parquet")
    assert str(info.value) == MISSING_EXTRA
    assert not (tmp_path / "r.parquet").exists()
