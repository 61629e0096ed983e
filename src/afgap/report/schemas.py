"""The JSON Schemas of the JSON documents afgap writes, shipped beside this module."""

from __future__ import annotations

from importlib.resources import files

from afgap.errors import InputError

SCHEMA_FILES = {
    "compare": "compare.schema.json",
    "compare@2": "compare2.schema.json",
    "validation": "validation.schema.json",
}


def schema_text(name: str) -> str:
    """The JSON Schema of one document, by name; InputError naming the known ones for any other."""
    if name not in SCHEMA_FILES:
        raise InputError(f"unknown schema {name!r}; known: {', '.join(SCHEMA_FILES)}")
    return files("afgap.report").joinpath(SCHEMA_FILES[name]).read_text(encoding="utf-8")
