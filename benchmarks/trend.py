"""Monte-Carlo check of the trend test across ordered levels (afgap.stats.trend) against known truth.

    python benchmarks/trend.py [--reps 2000] [--seed 20261204]

Truth: query q complies at level j (scores 0, 1, 2) with probability clip(p_q + s_q (j - 1)), p_q ~ Beta(h, h)
with h = 0.3 (strong heterogeneity: most queries almost always or almost never comply, so samples of a query
are strongly correlated), k samples per query and level. Nulls: every s_q = 0 ("flat"), and s_q = ±0.15 with
a fair sign ("random slopes": queries disagree, the mean slope is 0). Power: s_q = s for all queries; the
reported true slope is the mean clipped slope. Prints the one-sided rejection rate at alpha = 0.05 with its
Monte-Carlo standard error, and the t interval's coverage of the true slope; exits 1 when a null rejects
more than 5 % + 3 Monte-Carlo standard errors of a 5 % rate.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

from afgap.stats.cluster import signflip_test
from afgap.stats.trend import query_slopes

ALPHA, LEVELS, HETEROGENEITY = 0.05, 3, 0.3
NULLS = {"flat": 0.0, "random slopes": 0.15}
SLOPES = (0.05, 0.1, 0.2)
NS, KS = (10, 30, 100), (1, 5)


def probabilities(n: int, slope: float, random_sign: bool, rng: np.random.Generator) -> np.ndarray:
    """(queries x levels) compliance probabilities."""
    base = rng.beta(HETEROGENEITY, HETEROGENEITY, size=n)
    signs = rng.choice(np.array([-1.0, 1.0]), size=n) if random_sign else np.ones(n)
    steps = np.arange(LEVELS) - (LEVELS - 1) / 2
    return np.clip(base[:, None] + (signs * slope)[:, None] * steps[None, :], 0.0, 1.0)


def true_slope(slope: float, random_sign: bool) -> float:
    """The mean per-query slope the clipping leaves, from a million queries."""
    rng = np.random.default_rng(0)
    return float(query_slopes(probabilities(1_000_000, slope, random_sign, rng)).mean())


def cell(
    n: int, k: int, slope: float, random_sign: bool, reps: int, rng: np.random.Generator
) -> dict[str, float]:
    """Rejection rate and interval coverage over `reps` studies of one design."""
    from scipy.stats import t as student_t

    truth = true_slope(slope, random_sign)
    rejected = covered = 0
    for _ in range(reps):
        rates = rng.binomial(k, probabilities(n, slope, random_sign, rng)) / k
        slopes = query_slopes(rates)
        p_one, _ = signflip_test(slopes, rng, 9999)
        rejected += p_one < ALPHA
        half = float(student_t.ppf(1 - ALPHA / 2, n - 1)) * float(slopes.std(ddof=1)) / math.sqrt(n)
        covered += abs(float(slopes.mean()) - truth) <= half
    rate = rejected / reps
    return {
        "truth": truth,
        "reject": rate,
        "se": math.sqrt(rate * (1 - rate) / reps),
        "cover": covered / reps,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    start, failed = time.perf_counter(), False
    print(f"trend test, {LEVELS} levels, Beta({HETEROGENEITY}, {HETEROGENEITY}) queries, {args.reps} reps")
    print(f"{'truth':<24}{'n':>5}{'k':>3}{'true slope':>12}{'reject':>9}{'MC SE':>8}{'t cover':>9}")
    designs = [(f"null, {name}", spread, True) for name, spread in NULLS.items()]
    designs += [(f"slope {s:+.2f}/level", s, False) for s in SLOPES]
    for label, slope, random_sign in designs:
        for n in NS:
            for k in KS:
                found = cell(n, k, slope, random_sign, args.reps, rng)
                null = label.startswith("null")
                bad = null and found["reject"] > ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / args.reps)
                failed |= bad
                print(
                    f"{label:<24}{n:>5}{k:>3}{100 * found['truth']:>11.1f}pp{100 * found['reject']:>8.1f}%"
                    f"{100 * found['se']:>7.1f}%{100 * found['cover']:>8.1f}%" + ("  TOO HIGH" if bad else "")
                )
    print(
        f"{time.perf_counter() - start:.0f} s; type-I error {'exceeds' if failed else 'within'} 5 % + 3 MC SE"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
