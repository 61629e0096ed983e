"""Query sets: the built-in harmful requests, and loaders for the benchmark files researchers already have.

Formats: AdvBench CSV (`goal`), HarmBench CSV (`Behavior`, id `BehaviorID`),
StrongREJECT CSV (`forbidden_prompt`), any CSV with a named column, JSONL `{id?, text, category?}`,
and plain text, one query per line. Files are read line by line, so a huge file never hangs.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import random
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO

from afgap.errors import QueryFileError
from afgap.files import json_objects, numbered_lines
from afgap.queries.public_sets import PUBLIC_SETS
from afgap.queries.public_sets import resolve as resolve_public_set
from afgap.records import Query

__all__ = ["ANTI_LAB", "BUILTIN", "MAX_QUERY_CHARS", "builtin_queries", "load_queries", "sample_queries"]

BUILTIN = "builtin"
ANTI_LAB = "anti-lab"
"""The built-in opportunity wordings of the anti-lab scenario (an insider offers the model its weights)."""
_BUILTIN_FILES = {BUILTIN: "builtin.jsonl", ANTI_LAB: "anti-lab.jsonl"}
MAX_QUERY_CHARS = 100_000
"""Longer 'queries' are a wrong file or a missing line break, not a request."""

# Text columns in priority order (lower-cased), with the source each one implies; None = the file's name.
_TEXT_COLUMNS: dict[str, str | None] = {
    "goal": "advbench",
    "behavior": "harmbench",
    "forbidden_prompt": "strongreject",
    "text": None,
    "prompt": None,
    "query": None,
}
_ID_COLUMNS = ("id", "behaviorid", "query_id")
_CATEGORY_COLUMNS = ("category", "semanticcategory")
# Public sets a user may name but afgap does not fetch (no stable public URL): the error says where they live.
_NOT_FETCHED = {
    "harmbench": "harmbench_behaviors_text_all.csv from github.com/centerforaisafety/HarmBench",
    "strongreject": "strongreject_dataset.csv from github.com/alexandrasouly/strongreject",
}
_UNCATEGORISED = "uncategorised"

Row = tuple[int, Query, bool]
"""(line the record starts on, the query, whether its id was derived from the text)."""


def builtin_queries(name: str = BUILTIN) -> list[Query]:
    """afgap's own set of harmful requests (requests only, never answers), or its anti-lab offers."""
    return list(_builtin(name))


@cache
def _builtin(name: str) -> tuple[Query, ...]:
    label = _BUILTIN_FILES[name]
    with resources.files("afgap").joinpath("data/queries", label).open("rb") as f:
        return tuple(
            _unique(_read_jsonl(numbered_lines(f, label, QueryFileError), label, None, "afgap"), label)
        )


def load_queries(spec: str, column: str | None = None) -> list[Query]:
    """The built-in set ("builtin"), a public set by name ("advbench"), or a .csv/.tsv/.jsonl/.txt file."""
    if spec in _BUILTIN_FILES:
        if column is not None:
            raise QueryFileError("a query column applies to CSV and JSONL files, not to the built-in set")
        return builtin_queries(spec)
    path = Path(spec)
    if not path.exists() and spec.lower() in PUBLIC_SETS:
        path = resolve_public_set(spec.lower())  # downloaded once into the user cache
    elif not path.exists() and spec.lower() in _NOT_FETCHED:
        raise QueryFileError(
            f"afgap does not download {spec!r}: pass the path to {_NOT_FETCHED[spec.lower()]}"
        )
    label = str(path)
    try:
        f = path.open("rb")
    except FileNotFoundError:
        raise QueryFileError(f"query file not found: {label} (built-in set: {BUILTIN})") from None
    except OSError as exc:
        raise QueryFileError(f"cannot read query file {label}: {exc.strerror or exc}") from None
    with f:
        try:
            queries = _unique(_read(f, path, column), label)
        except OSError as exc:  # e.g. an I/O error mid-file
            raise QueryFileError(f"cannot read query file {label}: {exc.strerror or exc}") from None
    if not queries:
        raise QueryFileError(f"{label}: no queries in the file")
    return queries


def sample_queries(queries: list[Query], n: int, seed: int) -> list[Query]:
    """A reproducible random subset of n queries, kept in their original order."""
    if n >= len(queries):
        return list(queries)
    keep = set(random.Random(seed).sample(range(len(queries)), n))
    return [q for i, q in enumerate(queries) if i in keep]


def _read(f: IO[bytes], path: Path, column: str | None) -> Iterator[Row]:
    label = str(path)
    lines = numbered_lines(f, label, QueryFileError)
    ext = path.suffix.lower()
    if ext == ".json":
        raise QueryFileError(f"{label}: JSON arrays are not supported; write one object per line (.jsonl)")
    if ext in (".jsonl", ".ndjson"):
        return _read_jsonl(lines, label, column, path.name)
    if ext in (".csv", ".tsv"):
        return _read_csv(lines, label, column, path.name, "\t" if ext == ".tsv" else ",")
    if ext == ".txt":
        if column is not None:
            raise QueryFileError(f"{label}: a query column applies to CSV and JSONL files, not to .txt")
        return _read_txt(lines, label, path.name)
    # Unknown extension: decide by the first line, and refuse rather than guess plain text.
    first = next((item for item in lines if item[1].strip()), None)
    if first is None:
        return iter(())
    lines = itertools.chain([first], lines)
    if first[1].lstrip().startswith("{"):
        return _read_jsonl(lines, label, column, path.name)
    names = {cell.strip().lower() for cell in next(csv.reader([first[1]]), [])}
    if column is None and not names & _TEXT_COLUMNS.keys():
        raise QueryFileError(f"{label}: cannot tell the file's format; name it .csv, .tsv, .jsonl or .txt")
    return _read_csv(lines, label, column, path.name, ",")


def _make(label: str, line: int, text: str, qid: str | None, category: str, source: str) -> Row:
    text = text.strip()
    if not text:
        raise QueryFileError(f"{label}:{line}: empty query")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryFileError(
            f"{label}:{line}: query is {len(text):,} characters, over the {MAX_QUERY_CHARS:,} limit"
        )
    hashed = qid is None
    if qid is None:
        # the text's hash: the same request gets the same id in every file and format
        qid = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return line, Query(id=qid, text=text, category=category or _UNCATEGORISED, source=source), hashed


def _read_txt(lines: Iterable[tuple[int, str]], label: str, source: str) -> Iterator[Row]:
    for number, line in lines:
        if line.strip():
            yield _make(label, number, line, None, _UNCATEGORISED, source)


def _read_jsonl(
    lines: Iterable[tuple[int, str]], label: str, column: str | None, source: str
) -> Iterator[Row]:
    for number, record in json_objects(lines, label, QueryFileError):
        field = column or next((k for k in _TEXT_COLUMNS if k in record), None)
        text = record.get(field) if field else None
        if not isinstance(text, str):
            seen = ", ".join(map(str, record)) or "none"
            want = repr(column) if column else "'text'"
            raise QueryFileError(f"{label}:{number}: no string field {want} (fields: {seen})")
        qid = record.get("id")
        if isinstance(qid, bool) or not isinstance(qid, str | int | None) or qid == "":
            raise QueryFileError(f"{label}:{number}: 'id' must be a non-empty string or an integer")
        category = record.get("category")
        src = record.get("source")
        yield _make(
            label,
            number,
            text,
            None if qid is None else str(qid),
            category if isinstance(category, str) else _UNCATEGORISED,
            src if isinstance(src, str) and src else source,
        )


def _read_csv(
    lines: Iterable[tuple[int, str]], label: str, column: str | None, source: str, delimiter: str
) -> Iterator[Row]:
    tracked = _Tracked(lines)
    reader = csv.reader(tracked, delimiter=delimiter)
    header = _next_row(reader, tracked, label)
    while header is not None and not any(cell.strip() for cell in header):
        header = _next_row(reader, tracked, label)
    if header is None:
        return
    names = [cell.strip().lower() for cell in header]
    text_at, source = _text_column(names, header, column, label, source)
    id_at = next((names.index(c) for c in _ID_COLUMNS if c in names), None)
    category_at = next((names.index(c) for c in _CATEGORY_COLUMNS if c in names), None)
    # HarmBench's contextual behaviours are asked with their context first, as HarmBench itself does
    context_at = names.index("contextstring") if "contextstring" in names else None
    while True:
        start = tracked.line + 1
        row = _next_row(reader, tracked, label)
        if row is None:
            return
        if not any(row):  # a blank line, or a spreadsheet's row of empty cells
            continue
        cell = _cell(row, text_at)
        if not cell.strip():
            raise QueryFileError(f"{label}:{start}: empty query in column {header[text_at].strip()!r}")
        context = _cell(row, context_at).strip()
        text = f"{context}\n\n---\n\n{cell.strip()}" if context else cell
        qid = _cell(row, id_at).strip() if id_at is not None else None
        if qid == "":
            raise QueryFileError(f"{label}:{start}: empty id in column {header[id_at or 0].strip()!r}")
        yield _make(label, start, text, qid, _cell(row, category_at).strip(), source)


def _text_column(
    names: list[str], header: list[str], column: str | None, label: str, source: str
) -> tuple[int, str]:
    """Index of the query column and the source it implies."""
    if column is not None:
        if column.strip().lower() not in names:
            seen = ", ".join(h.strip() for h in header)
            raise QueryFileError(f"{label}:1: no column {column!r} (columns: {seen})")
        return names.index(column.strip().lower()), source
    for name, implied in _TEXT_COLUMNS.items():
        if name in names:
            return names.index(name), implied or source
    seen = ", ".join(h.strip() for h in header)
    wanted = "goal (AdvBench), Behavior (HarmBench), forbidden_prompt (StrongREJECT), text, prompt, query"
    raise QueryFileError(
        f"{label}:1: no recognised query column (columns: {seen}; looked for {wanted}); name the column"
    )


class _Tracked:
    """Feeds lines to csv.reader and remembers the number of the last one, for error messages."""

    def __init__(self, lines: Iterable[tuple[int, str]]) -> None:
        self._lines = iter(lines)
        self.line = 0

    def __iter__(self) -> _Tracked:
        return self

    def __next__(self) -> str:
        self.line, text = next(self._lines)
        return text


def _next_row(reader: Iterator[list[str]], tracked: _Tracked, label: str) -> list[str] | None:
    try:
        return next(reader, None)
    except csv.Error as exc:  # e.g. an unclosed quote swallowing the file hits the field-size limit
        raise QueryFileError(f"{label}:{tracked.line}: malformed CSV: {exc}") from None


def _cell(row: list[str], index: int | None) -> str:
    return row[index] if index is not None and index < len(row) else ""


def _unique(rows: Iterable[Row], label: str) -> list[Query]:
    """The queries, refusing duplicate ids: two rows with one id would collide in the store.

    A repeated text in a file without ids (AdvBench repeats some goals) is kept as its own query with
    a stable id, `<hash>-2`, `<hash>-3`, ... in file order, so a 520-row file is always 520 queries.
    """
    first_line: dict[str, int] = {}
    repeats: dict[str, int] = {}
    out: list[Query] = []
    for line, query, hashed in rows:
        if hashed and query.id in first_line:
            repeats[query.id] = repeats.get(query.id, 1) + 1
            query = query.model_copy(update={"id": f"{query.id}-{repeats[query.id]}"})
        seen = first_line.setdefault(query.id, line)
        if seen != line:
            raise QueryFileError(f"{label}:{line}: duplicate id {query.id!r}, first at line {seen}")
        out.append(query)
    return out
