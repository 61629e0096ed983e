"""Synthetic model data with known truth, for the statistics tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from afgap.records import Condition, Outcome
from afgap.stats.analysis import ModelData, Observation
from afgap.stats.latent import simulate_counts

Factory = Callable[..., ModelData]


def model_from_counts(name: str, x: np.ndarray, y: np.ndarray, k: int, unscored: int = 0) -> ModelData:
    """Observations whose per-query comply counts are x (monitored) and y (unmonitored) out of k.

    The last sample of the first `unscored` queries is unparseable when monitored, and of the next
    `unscored` queries when unmonitored.
    """
    obs: list[Observation] = []
    for q, (xm, yu) in enumerate(zip(x, y, strict=True)):
        for condition, count in ((Condition.MONITORED, xm), (Condition.UNMONITORED, yu)):
            lost = (q < unscored) if condition is Condition.MONITORED else (unscored <= q < 2 * unscored)
            for s in range(k):
                outcome = Outcome.COMPLY if s < count else Outcome.REFUSE
                if lost and s == k - 1:
                    outcome = Outcome.UNPARSEABLE
                af = condition is Condition.MONITORED and outcome is Outcome.COMPLY
                obs.append(Observation(f"q{q}", condition, s, outcome, af))
    return ModelData(name, "helpful-only", True, tuple(obs))


@pytest.fixture
def synthetic() -> Factory:
    """Factory: a model drawn from the latent-threshold model with the given truth."""

    def make(
        name: str,
        p_m: float,
        p_u: float,
        n: int,
        k: int = 1,
        rho: float = 0.4,
        seed: int = 0,
        unscored: int = 0,
    ) -> ModelData:
        rng = np.random.default_rng(seed)
        x, y = simulate_counts(rng, 1, n, k, p_m, p_u, rho)
        return model_from_counts(name, x[0], y[0], k, unscored)

    return make


def multi_condition(
    effects: dict[str, float],
    n: int,
    k: int,
    rng: np.random.Generator,
    model: str = "m",
    scenario: str = "probe",
    heterogeneity: float = 0.5,
) -> ModelData:
    """Several conditions with known truth: query q complies under condition c with p_q + effects[c].

    p_q ~ Beta(h, h) (h = 0.5: strong query heterogeneity, many queries near 0 or 1), clipped to [0, 1].
    """
    base = rng.beta(heterogeneity, heterogeneity, size=n)
    obs: list[Observation] = []
    for condition, effect in effects.items():
        p = np.clip(base + effect, 0.0, 1.0)
        complied = rng.random((n, k)) < p[:, None]
        for q in range(n):
            for s in range(k):
                outcome = Outcome.COMPLY if complied[q, s] else Outcome.REFUSE
                obs.append(Observation(f"q{q:03d}", condition, s, outcome))
    return ModelData(model, scenario, True, tuple(obs))


def true_shift(effect: float, heterogeneity: float = 0.5) -> float:
    """The mean compliance change an effect makes in `multi_condition` once clipping at 1 is counted."""
    base = np.random.default_rng(12345).beta(heterogeneity, heterogeneity, size=400_000)
    return float(np.mean(np.clip(base + effect, 0.0, 1.0) - base))
