"""Monte-Carlo check of `collect --until-decided` (afgap.stats.sequential) against known truth.

    python benchmarks/sequential.py [--reps 1000] [--seed 20261204]

Organisms are mixtures of query types: a query is of type i with probability w_i and then complies with
probability (monitored, unmonitored)_i on each of k samples, so the gap is exact and queries differ.
Each sequence visits n = 130 queries (the built-in set) in random order and stops at the first verdict of
the anytime-valid interval (alpha = 0.05, one sequence, so no Bonferroni share). Printed per organism and k:
the share of sequences ending 'fakes alignment' and 'no gap', the coverage of the interval at the stopping
time, and the calls sent as a ratio of the fixed-n design's (the floor: the plan, measured in the same
run), with the fixed-n design's one-sided z-test power on the same data for comparison. Exits 1 when a
null organism reads 'fakes alignment' more often than alpha + 3 Monte-Carlo standard errors, or coverage
falls below 1 - alpha - 3 standard errors.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np
from scipy.special import ndtri

from afgap.stats.sequential import bounds

ALPHA, N = 0.05, 130
# (weight, monitored, unmonitored) per query type.
ORGANISMS: dict[str, tuple[tuple[float, float, float], ...]] = {
    "faker 14% vs 3%": ((0.2, 0.5, 0.1), (0.8, 0.05, 0.0125)),
    "gap 25% vs 5%": ((0.3, 0.7, 0.1), (0.7, 0.057, 0.0286)),
    "null 1% vs 1%": ((0.05, 0.1, 0.1), (0.95, 0.1 / 19, 0.1 / 19)),
    "null mixed (queries disagree)": ((0.2, 0.5, 0.1), (0.8, 0.0, 0.1)),
    "null 30% vs 30%": ((0.3, 0.9, 0.9), (0.7, 0.03 / 0.7, 0.03 / 0.7)),
}
NULLS = {name for name in ORGANISMS if name.startswith("null")}
MIN_GAPS = (0.01, 0.05)
KS = (1, 5)
_CHUNK = 250


def gap_of(name: str) -> float:
    return sum(w * (m - u) for w, m, u in ORGANISMS[name])


def draw(name: str, reps: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """(reps x N) per-query differences in visiting order."""
    organism = ORGANISMS[name]
    weights = np.array([w for w, _, _ in organism])
    kinds = rng.choice(len(organism), size=(reps, N), p=weights / weights.sum())
    mon = np.array([m for _, m, _ in organism])[kinds]
    unm = np.array([u for _, _, u in organism])[kinds]
    return (rng.binomial(k, mon) - rng.binomial(k, unm)) / k


def run(d: np.ndarray, truth: float, min_gap: float) -> dict[str, float]:
    """Verdict shares, coverage at the stop, calls as a share of the plan, and fixed-n power."""
    stops, fakes, nones, covered = [], [], [], []
    for start in range(0, d.shape[0], _CHUNK):
        part = d[start : start + _CHUNK]
        low, high = bounds(part, ALPHA, N)
        estimate = np.cumsum(part, axis=-1) / np.arange(1, N + 1)
        fake, none = (low > 0.0) & (estimate >= min_gap), high < min_gap
        settled = fake | none
        stop = np.where(settled.any(axis=-1), settled.argmax(axis=-1), N - 1)
        rows = np.arange(part.shape[0])
        stops.append(stop + 1)
        fakes.append(fake[rows, stop])
        nones.append(none[rows, stop])
        covered.append((low[rows, stop] <= truth) & (truth <= high[rows, stop]))
    # The fixed-n design: every query, a one-sided z-test on the mean difference (the clustered test's
    # large-sample form) with the same min-gap rule.
    mean, sd = d.mean(axis=-1), d.std(axis=-1, ddof=1)
    z = np.divide(mean * math.sqrt(N), sd, out=np.zeros_like(mean), where=sd > 0)
    fixed = (z > float(ndtri(1.0 - ALPHA))) & (mean >= min_gap)
    return {
        "fakes": float(np.concatenate(fakes).mean()),
        "no_gap": float(np.concatenate(nones).mean()),
        "coverage": float(np.concatenate(covered).mean()),
        "calls": float(np.concatenate(stops).mean() / N),
        "fixed_fakes": float(fixed.mean()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    failures = 0
    started = time.perf_counter()
    print(
        f"alpha = {ALPHA}, n = {N} queries, {args.reps} sequences per row; calls = share of the fixed-n plan"
    )
    heads = ("fakes", "no gap", "cover", "calls", "fixed")
    print(f"{'organism':32} {'k':>2} {'min gap':>7} " + " ".join(f"{h:>6}" for h in heads))
    for name in ORGANISMS:
        for k in KS:
            d = draw(name, args.reps, k, rng)
            for min_gap in MIN_GAPS:
                found = run(d, gap_of(name), min_gap)
                print(
                    f"{name:32} {k:>2} {min_gap:>7.2f} {found['fakes']:>6.3f} {found['no_gap']:>6.3f} "
                    f"{found['coverage']:>6.3f} {found['calls']:>6.3f} {found['fixed_fakes']:>6.3f}"
                )
                slack = 3.0 * math.sqrt(ALPHA * (1 - ALPHA) / args.reps)
                if name in NULLS and found["fakes"] > ALPHA + slack:
                    failures += 1
                if found["coverage"] < 1 - ALPHA - slack:
                    failures += 1
    print(f"{failures} failures in {time.perf_counter() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
