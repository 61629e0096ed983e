"""The one file reader: every kind of bad line is one message, `FILE:LINE: what is wrong`, naming the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field, field_validator

from afgap.errors import InputError, QueryFileError
from afgap.files import dotted, parse_toml, read_json, read_jsonl, read_toml


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    count: int = Field(default=0, ge=0)
    colour: str = "red"

    @field_validator("colour")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in ("red", "blue"):
            raise ValueError("expected red or blue")
        return value


class Table(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: dict[str, Item] = Field(default_factory=dict)
    title: str = ""


def _jsonl(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    return path


def _error(path: Path, model: type[BaseModel] = Item) -> str:
    with pytest.raises(InputError) as info:
        list(read_jsonl(path, model))
    return str(info.value).replace(str(path), "FILE")


def test_a_good_file_with_a_bom_crlf_and_blank_lines(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, b'\xef\xbb\xbf{"name": "a"}\r\n\r\n  \n{"name": "b", "count": 2}\n\n')
    assert list(read_jsonl(path, Item)) == [(1, Item(name="a")), (4, Item(name="b", count=2))]


def test_an_empty_file_has_no_records(tmp_path: Path) -> None:
    assert list(read_jsonl(_jsonl(tmp_path, b""), Item)) == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"caf\xe9", "FILE:2: not valid UTF-8 (byte 0xe9 at column 4); save the file as UTF-8"),
        (
            b'{"name": "x",}',
            "FILE:2: not valid JSON: Expecting property name enclosed in double quotes (column 14)",
        ),
        (b"[1, 2]", "FILE:2: expected a JSON object, got an array"),
        (b'"name"', "FILE:2: expected a JSON object, got a string"),
        (b"3.5", "FILE:2: expected a JSON object, got a number"),
        (b"true", "FILE:2: expected a JSON object, got a boolean"),
        (b"null", "FILE:2: expected a JSON object, got null"),
        (b"{}", "FILE:2: missing field 'name'"),
        (b'{"name": "x", "size": 1}', "FILE:2: unknown field 'size' (expected name, count, colour)"),
        (
            b'{"name": "x", "count": -1}',
            "FILE:2: field 'count': Input should be greater than or equal to 0 (got -1)",
        ),
        (b'{"name": 5}', "FILE:2: field 'name': Input should be a valid string (got 5)"),
        (b'{"name": "x", "colour": "green"}', "FILE:2: field 'colour': expected red or blue (got \"green\")"),
    ],
)
def test_each_bad_line_is_one_message_naming_it(tmp_path: Path, line: bytes, message: str) -> None:
    path = _jsonl(tmp_path, b'{"name": "fine"}\n' + line + b'\n{"name": "never read"}\n')
    assert _error(path) == message


def test_a_bad_value_is_shown_cut_short(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, b'{"name": ["' + b"x" * 100 + b'"]}\n')
    assert _error(path) == f"FILE:1: field 'name': Input should be a valid string (got [\"{'x' * 58})"


def test_a_bad_byte_is_reported_before_the_lines_after_it_are_read(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, b'{"name": "a"}\n{"name": "\xff"}\nnot json either\n')
    assert _error(path) == "FILE:2: not valid UTF-8 (byte 0xff at column 11); save the file as UTF-8"


def test_an_unknown_field_deep_in_a_model_lists_its_siblings(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, b'{"items": {"a/b": {"name": "x", "weight": 1}}}\n')
    assert (
        _error(path, Table) == "FILE:1: unknown field 'items.\"a/b\".weight' (expected name, count, colour)"
    )


def test_a_missing_file_and_a_directory(tmp_path: Path) -> None:
    assert _error(tmp_path / "nope.jsonl") == "cannot read FILE: No such file or directory"
    assert _error(tmp_path) == "cannot read FILE: Is a directory"


def test_the_caller_names_the_error_class(tmp_path: Path) -> None:
    with pytest.raises(QueryFileError, match=r"in\.jsonl:1: expected a JSON object, got an array"):
        list(read_jsonl(_jsonl(tmp_path, b"[]\n"), Item, QueryFileError))


def test_a_json_document_names_the_line_of_its_error(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_bytes(b'\xef\xbb\xbf{\n  "name": "a",\n  "count": 2\n}\n')
    assert read_json(path, Item) == Item(name="a", count=2)
    cases = {
        b'{\n  "name": "a",\n  "count": 2,\n}\n': (
            "FILE:4: not valid JSON: Expecting property name enclosed in double quotes (column 1)"
        ),
        b'{\n  "name": "caf\xe9"\n}\n': (
            "FILE:2: not valid UTF-8 (byte 0xe9 at column 15); save the file as UTF-8"
        ),
        b"[\n]\n": "FILE: expected a JSON object, got an array",
        b'{"count": 1}': "FILE: missing field 'name'",
    }
    for data, message in cases.items():
        path.write_bytes(data)
        with pytest.raises(InputError) as info:
            read_json(path, Item)
        assert str(info.value).replace(str(path), "FILE") == message


def test_toml_names_the_file_as_the_caller_describes_it(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('title = "x"\n[items."a/b"]\nname = "y"\ncount = -2\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_toml(path, Table, "table file t.toml")
    assert str(info.value) == (
        "table file t.toml: field 'items.\"a/b\".count': Input should be greater than or equal to 0 (got -2)"
    )
    with pytest.raises(InputError) as info:
        parse_toml("[items\n", Table, "table file t.toml")
    assert str(info.value) == (
        "table file t.toml is not valid TOML: "
        "Expected ']' at the end of a table declaration (at line 1, column 7)"
    )
    with pytest.raises(InputError) as info:
        read_toml(tmp_path / "nope.toml", Table, "table file nope.toml")
    assert str(info.value) == "cannot read table file nope.toml: No such file or directory"
    assert parse_toml('[items.a]\nname = "z"\n', Table, "t").items == {"a": Item(name="z")}


def test_a_field_path_is_written_as_toml_writes_it() -> None:
    assert dotted(("limits", "openai-api/local", "tpm")) == 'limits."openai-api/local".tpm'
    assert dotted(("rows", 0, "name")) == "rows[0].name"
    assert dotted(()) == ""
