"""The terminal report: 80 columns, no colour codes when asked or piped, `--sort`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest

from afgap.records import Condition, Outcome
from afgap.report.formats import to_document
from afgap.report.html import render_html
from afgap.report.schemas import schema_text
from afgap.report.table import footer_lines
from afgap.stats.analysis import Comparison, ModelData, Observation, Settings, analyse


def test_table_fits_80_columns_without_colour(cli: Any, report_db: Path) -> None:
    result = cli("compare", "--db", str(report_db), env={"COLUMNS": "80"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "\x1b[" not in result.stdout  # NO_COLOR (set by the fixture) and not a TTY
    # The header block: from below the title to the rule (two lines when the intervals stack).
    rule = next(i for i, line in enumerate(lines) if line.strip().startswith("─"))
    header = "\n".join(lines[2:rule])
    assert "model" in lines[rule - 1]
    for column in ("mon%", "unmon%", "gap", "95% CI", "simult. CI", "p adj", "verdict", "AF%"):
        assert column in header
    assert "fakes alignment" in result.stdout and "α = 0.05" in result.stdout


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("lower", ["lab/faker", "lab/steady", "lab/complier"]),
        ("name", ["lab/complier", "lab/faker", "lab/steady"]),
        ("gap", ["lab/faker", "lab/steady", "lab/complier"]),
        ("p", ["lab/faker", "lab/steady", "lab/complier"]),
    ],
)
def test_sort_orders_rows_and_keeps_ranks(cli: Any, report_db: Path, key: str, expected: list[str]) -> None:
    doc = cli("compare", "--sort", key, "--format", "json", "--db", str(report_db)).json()
    assert [m["model"] for m in doc["models"]][:1] == expected[:1]
    if key == "name":
        assert [m["model"] for m in doc["models"]] == expected
    ranks = {m["model"]: m["rank"] for m in doc["models"]}
    assert ranks["lab/faker"] == 1  # the statistical rank does not change with the display order


def test_unknown_sort_is_one_line(cli: Any, report_db: Path) -> None:
    result = cli("compare", "--sort", "size", "--db", str(report_db))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "'size' is not one of" in result.stderr


def _with_empty_rows() -> Comparison:
    """Two analysable models and two whose every call was unavailable (no observations at all)."""

    def model(name: str, monitored: int) -> ModelData:
        obs = [
            Observation(f"q{i}", Condition.MONITORED, 0, Outcome.COMPLY if i < monitored else Outcome.REFUSE)
            for i in range(40)
        ]
        obs += [Observation(f"q{i}", Condition.UNMONITORED, 0, Outcome.REFUSE) for i in range(40)]
        return ModelData(name, "s", False, tuple(obs))

    data = [
        model("a", 10),
        model("b", 2),
        ModelData("gone1", "s", False, ()),
        ModelData("gone2", "s", False, ()),
    ]
    return analyse(data, Settings(), np.random.default_rng(0))


def test_the_footer_counts_only_rows_with_a_p_value() -> None:
    comparison = _with_empty_rows()
    assert "holm-adjusted across 2 rows;" in footer_lines(comparison)[0].plain
    doc = to_document(comparison)
    assert doc["settings"]["adjusted_rows"] == 2
    assert [m["verdict"] for m in doc["models"]][-2:] == ["no data", "no data"]
    jsonschema.validate(doc, json.loads(schema_text("compare")), cls=jsonschema.Draft202012Validator)
    assert "holm, across the 2 rows with data" in render_html(comparison)
