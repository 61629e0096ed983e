"""Reading the files a user hands afgap: JSON lines, JSON documents and TOML, checked by pydantic models.

Every reader reports a bad file in one format, `FILE:LINE: what is wrong` (`FILE: …` where no line
applies), as an InputError, or the subclass the caller names, so the CLI prints one line and exits 2.
JSON lines are decoded one at a time, so a bad byte is reported with its own line and a huge file fails
at its first bad line; a UTF-8 byte-order mark is dropped and blank lines are skipped.

    read_jsonl       a JSONL file → (line, model) pairs
    json_objects     numbered lines → (line, JSON object) pairs, for readers that look at fields themselves
    numbered_lines   a binary file → (line, text) pairs, for CSV and plain text too
    read_json        a JSON document → a model
    read_toml        a TOML file → a model (parse_toml: TOML text → a model)
    validated        one raw object → a model, with a pydantic error as one line (see `describe`)
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError

from afgap.errors import InputError

M = TypeVar("M", bound=BaseModel)
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SHOWN_CHARS = 60
_JSON_KINDS = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}


class FileRecord(BaseModel):
    """Base of the models of afgap's input files: frozen, strictly typed, and unknown fields refused.

    Strict, so a quoted "8" or a `true` is not taken for a number; field docstrings are the fields' docs.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, use_attribute_docstrings=True)


def numbered_lines(
    f: IO[bytes], label: str, error: type[InputError] = InputError
) -> Iterator[tuple[int, str]]:
    """(line number, text) for each line of a binary file; a byte that is not UTF-8 names its line."""
    for number, raw in enumerate(f, 1):
        yield number, decoded_line(raw, number, label, error)


def decoded_line(raw: bytes, number: int, label: str, error: type[InputError] = InputError) -> str:
    """Line `number` of a file as text (a first line's byte-order mark dropped), or an error naming it."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"{label}:{number}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1});"
            " save the file as UTF-8"
        ) from None
    return line.removeprefix("\ufeff") if number == 1 else line


def json_objects(
    lines: Iterable[tuple[int, str]], label: str, error: type[InputError] = InputError
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line, which must hold one JSON object."""
    for number, line in lines:
        if line.strip():
            yield number, _object(line, label, number, error)


def read_jsonl(
    path: Path,
    model: type[M],
    error: type[InputError] = InputError,
    prepare: Callable[[dict[str, Any], str], dict[str, Any]] | None = None,
) -> Iterator[tuple[int, M]]:
    """(line number, record) for each non-blank line of a JSONL file, validated as `model`.

    `prepare(raw, "FILE:LINE")`, when given, rewrites each object before it is validated.
    """
    label = str(path)
    with _open(path, label, error) as f:
        try:
            for number, raw in json_objects(numbered_lines(f, label, error), label, error):
                where = f"{label}:{number}"
                yield number, validated(model, prepare(raw, where) if prepare else raw, where, error)
        except OSError as exc:  # e.g. an I/O error mid-file
            raise error(f"cannot read {label}: {exc.strerror or exc}") from None


def read_json(path: Path, model: type[M], error: type[InputError] = InputError) -> M:
    """A JSON document holding one object, validated as `model`."""
    text = _text(path, str(path), error)
    return validated(model, _object(text, str(path), None, error), str(path), error)


def read_toml(path: Path, model: type[M], label: str, error: type[InputError] = InputError) -> M:
    """A TOML file validated as `model`; `label` ("config file afgap.toml") starts every message."""
    return parse_toml(_text(path, label, error), model, label, error)


def parse_toml(text: str, model: type[M], label: str, error: type[InputError] = InputError) -> M:
    """TOML text validated as `model`; `label` starts every message."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{label} is not valid TOML: {exc}") from None
    return validated(model, data, label, error)


def validated(
    model: type[M],
    raw: object,
    where: str,
    error: type[InputError] = InputError,
    *,
    strict: bool | None = None,
) -> M:
    """`raw` as a `model`, or `error("WHERE: what is wrong")` naming the first bad field."""
    try:
        return model.model_validate(raw, strict=strict)
    except ValidationError as exc:
        raise error(f"{where}: {describe(exc, model)}") from None


def describe(exc: ValidationError, model: type[BaseModel]) -> str:
    """A pydantic error as one line naming the first bad field: missing, unknown, or its value and why."""
    first = exc.errors(include_url=False)[0]
    loc = tuple(first["loc"])
    where = dotted(loc)
    if first["type"] == "missing":
        return f"missing field '{where}'"
    if first["type"] == "extra_forbidden":
        known = _field_names(model, loc[:-1])
        return f"unknown field '{where}'" + (f" (expected {', '.join(known)})" if known else "")
    message = first["msg"].removeprefix("Value error, ")
    if not loc:  # a check on the whole record: its message says what is wrong
        return message
    return f"field '{where}': {message} (got {_shown(first.get('input'))})"


def dotted(loc: tuple[int | str, ...]) -> str:
    """A field's path as TOML writes it: `limits."openai-api/local".tpm`; list items as `[0]`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            key = part if _BARE_KEY.fullmatch(part) else json.dumps(part)
            path += f".{key}" if path else key
    return path


def _open(path: Path, label: str, error: type[InputError]) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as exc:
        raise error(f"cannot read {label}: {exc.strerror or exc}") from None


def _text(path: Path, label: str, error: type[InputError]) -> str:
    """A whole file's text, decoded line by line so that a bad byte names its line."""
    with _open(path, label, error) as f:
        try:
            return "".join(line for _, line in numbered_lines(f, label, error))
        except OSError as exc:
            raise error(f"cannot read {label}: {exc.strerror or exc}") from None


def _object(text: str, label: str, line: int | None, error: type[InputError]) -> dict[str, Any]:
    """The one JSON object in `text`, which is line `line` of a JSONL file or (None) a whole document."""
    where = label if line is None else f"{label}:{line}"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        at = (line or 1) + exc.lineno - 1  # a document's own line, or the JSONL line
        raise error(f"{label}:{at}: not valid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(value, dict):
        kind = "null" if value is None else _JSON_KINDS.get(type(value), type(value).__name__)
        raise error(f"{where}: expected a JSON object, got {kind}")
    return value


def _shown(value: object) -> str:
    """A bad value as the user wrote it (JSON spelling), cut short."""
    return json.dumps(value, default=str, ensure_ascii=False)[:_SHOWN_CHARS]


def _field_names(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The fields of the (nested) model at `loc`, to list beside an unknown one; [] if not a model."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            current = field.annotation if field else None
        elif get_origin(current) is dict:  # `part` is a key the user chose: follow the value type
            current = get_args(current)[1]
        else:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []
