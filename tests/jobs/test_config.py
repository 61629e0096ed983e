"""The config file (`--config`): every key checked by its model, every bad one named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from afgap.errors import InputError
from afgap.jobs.config import load_config, parse_provider_limit
from afgap.providers.limits import ProviderLimits


def _error(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_config(path)
    return str(info.value).replace(str(path), "FILE")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[paths]\nx = 1\n", "unknown field 'paths' (expected collect, limits)"),
        (
            "[collect]\nthreads = 4\n",
            "unknown field 'collect.threads' (expected concurrency, rpm, max_cost, prices, "
            "reasoning_effort, thinking_budget, cache_prompt)",
        ),
        (
            "[collect]\nconcurrency = 0\n",
            "field 'collect.concurrency': Input should be greater than or equal to 1 (got 0)",
        ),
        (
            "[collect]\nconcurrency = 2.5\n",
            "field 'collect.concurrency': Input should be a valid integer (got 2.5)",
        ),
        ("[collect]\nrpm = true\n", "field 'collect.rpm': Input should be a valid number (got true)"),
        (
            "[collect]\nmax_cost = -1\n",
            "field 'collect.max_cost': Input should be greater than or equal to 0 (got -1)",
        ),
        ("[collect]\nprices = 3\n", "field 'collect.prices': Input should be a valid string (got 3)"),
        ("[collect]\nrpm = nan\n", "field 'collect.rpm': Input should be greater than 0 (got NaN)"),
        (
            '[limits."openai-api/local"]\ntpm = 0\n',
            "field 'limits.\"openai-api/local\".tpm': Input should be greater than 0 (got 0)",
        ),
        ("limits = 5\n", "field 'limits': Input should be a valid dictionary (got 5)"),
    ],
)
def test_a_bad_key_or_value_is_one_line_naming_it(tmp_path: Path, text: str, message: str) -> None:
    assert _error(tmp_path / "afgap.toml", text) == f"config file FILE: {message}"


def test_an_unreadable_or_unparseable_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_config(tmp_path / "nope.toml")
    assert str(info.value) == f"cannot read config file {tmp_path / 'nope.toml'}: No such file or directory"
    assert _error(tmp_path / "afgap.toml", "[collect\n") == (
        "config file FILE is not valid TOML: "
        "Expected ']' at the end of a table declaration (at line 1, column 9)"
    )


def test_an_empty_file_sets_nothing(tmp_path: Path) -> None:
    path = tmp_path / "afgap.toml"
    path.write_text("", encoding="utf-8")
    config = load_config(path)
    assert (config.concurrency, config.rpm, config.max_cost, config.prices, dict(config.limits)) == (
        None,
        None,
        None,
        None,
        {},
    )


def test_provider_limit_flags_are_text_parsed_by_the_same_model() -> None:
    assert parse_provider_limit("anthropic:concurrency=8,rpm=50,tpm=4e4") == (
        "anthropic",
        ProviderLimits(concurrency=8, rpm=50.0, tpm=40000.0),
    )
    with pytest.raises(InputError) as info:
        parse_provider_limit("openai:concurrency=1.5")
    assert str(info.value) == (
        "--provider-limit 'openai:concurrency=1.5': field 'concurrency': Input should be a valid integer, "
        'unable to parse string as an integer (got "1.5")'
    )
