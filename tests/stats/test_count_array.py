"""count_array over grouped counts gives the array tabulate makes from the same responses one by one."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from afgap.errors import InputError
from afgap.records import Outcome
from afgap.stats.tabulate import count_array, tabulate
from afgap.stats.types import Observation


@pytest.mark.parametrize("seed", range(4))
def test_grouped_counts_equal_row_by_row_tabulation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    af_choices: list[bool | None] = [None, False, True]
    observations = tuple(
        Observation(
            query_id=f"q{rng.integers(30)}",
            condition=("monitored", "unmonitored")[int(rng.integers(2))],
            sample=s,
            outcome=list(Outcome)[int(rng.integers(len(Outcome)))],
            af_reasoning=af_choices[int(rng.integers(3))],
        )
        for s in range(400)
    )
    groups = Counter((o.query_id, o.condition, o.outcome, o.af_reasoning) for o in observations)
    counted = count_array([(*key, n) for key, n in groups.items()])
    assert np.array_equal(counted, tabulate(observations).counts)


def test_an_empty_group_list_gives_an_empty_array() -> None:
    assert count_array([]).shape == (0, 2, 10)


def test_an_unknown_condition_is_named() -> None:
    with pytest.raises(InputError, match="'sideways'"):
        count_array(
            [("q1", "monitored", Outcome.COMPLY, None, 2), ("q1", "sideways", Outcome.COMPLY, None, 1)]
        )
