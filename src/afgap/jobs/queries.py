"""The `queries` jobs: list a query set, find one query in it."""

from __future__ import annotations

from afgap.errors import InputError
from afgap.queries import load_queries
from afgap.records import Query


def list_queries(source: str) -> list[Query]:
    """Every query of a set: 'builtin', a public benchmark's name or a query file."""
    return load_queries(source)


def find_query(source: str, query_id: str, hint: str = "") -> Query:
    """The query with this id in the set; an InputError naming the id (and `hint`) when there is none."""
    found = next((q for q in load_queries(source) if q.id == query_id), None)
    if found is None:
        raise InputError(f"unknown query id {query_id!r} in {source}{hint}")
    return found
