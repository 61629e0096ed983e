"""Monte-Carlo check of afgap's gap statistics against known truth (docs/methodology.md).

    python benchmarks/stats_coverage.py [--quick] [--out FILE.json] [--workers 2] [--seed 20240611]

Truth comes from the latent-threshold model in `afgap.stats.latent`: unmonitored compliance p_u, gap g,
within-query correlation rho (none 0, moderate 0.4, strong 0.8), n queries, k samples per query and
condition. For k = 1 the data are one 2x2 table, so coverage, type-I error and power of Tango's interval
and exact McNemar are computed *exactly* by summing over every table (no Monte-Carlo error). For k > 1
each cell draws `--reps` replicate studies (default 5,000; `--quick`: 400). A sub-grid compares the
cluster bootstrap (percentile, B = 999, 500 replicates per cell) with the default on the same replicates.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import gammaln, ndtri, xlogy
from scipy.stats import binom

from afgap.stats.cluster import cluster_newcombe_bounds, cluster_table, cluster_tango_bounds, signflip_pvalues
from afgap.stats.latent import pair_probabilities, simulate_counts
from afgap.stats.paired import mcnemar_exact, newcombe_bounds, tango_bounds
from afgap.stats.rates import z_value

P_U = (0.0, 0.01, 0.03, 0.1, 0.3, 0.5, 0.9, 0.99)
GAPS = (0.0, 0.02, 0.05, 0.11, 0.2)
RHOS = {"none": 0.0, "moderate": 0.4, "strong": 0.8}
NS = (25, 50, 100, 200, 400, 1000)
KS = (1, 3, 10)
ALPHA, MIN_GAP, CONF = 0.05, 0.01, 0.95
INFORMATIVE = 20  # expected discordant pairs (k = 1) or queries with any discordance (k > 1)
POWER_CELLS, POWER_NS, RULE_N, FAMILY = ((0.03, 0.11), (0.3, 0.11)), (100, 200, 400), 200, 25
BOOT_K, BOOT_N, BOOT_PU, BOOT_G, BOOT_DRAWS = (
    (3, 10),
    (25, 100, 400),
    (0.01, 0.1, 0.5),
    (0.0, 0.05, 0.11),
    999,
)
Z = z_value(CONF)
Z_ONE = float(ndtri(1 - ALPHA))
Row = dict[str, Any]


def cells() -> list[tuple[float, float]]:
    """Feasible (p_u, g) pairs: p_u + g <= 1."""
    return [(p, g) for p in P_U for g in GAPS if p + g <= 1.0 + 1e-12]


def covered(low: np.ndarray, high: np.ndarray, g: float) -> tuple[np.ndarray, np.ndarray]:
    """Booleans: interval entirely above the truth, entirely below it."""
    return low > g + 1e-12, high < g - 1e-12


def base_row(k: int, n: int, corr: str, p_u: float, g: float) -> Row:
    """The fields that identify a cell."""
    return {
        "k": k,
        "n": n,
        "correlation": corr,
        "rho": RHOS[corr],
        "p_u": p_u,
        "g": g,
        "degenerate": p_u == 0.0 and g == 0.0,
    }


def ztest_reject(x_m: np.ndarray, x_u: np.ndarray, total: int) -> np.ndarray:
    """One-sided pooled two-proportion z-test on response counts, ignoring the pairing."""
    pooled = (x_m + x_u) / (2.0 * total)
    se = np.sqrt(pooled * (1 - pooled) * 2.0 / total)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(se > 0, (x_m - x_u) / total / se, 0.0)
    return z > Z_ONE


def attainable(n: int, g: float) -> bool:
    """Whether any interval method can cover g with probability in [93.5 %, 97 %] when p_u = 0."""
    # With p_u = 0 only b ~ Binomial(n, g) varies, and a method's coverage is the mass of the b values
    # whose interval contains g: for a sensible method a run of consecutive b. If no run has mass in the
    # window, no such method - however clever - can meet the target at this cell.
    mass = np.concatenate([[0.0], np.cumsum(binom.pmf(np.arange(n + 1), n, g))])
    runs = mass[None, :] - mass[:, None]
    return bool(np.any((runs >= 0.935) & (runs <= 0.97)))


def exact_k1(n: int, reps: int, rng: np.random.Generator) -> list[Row]:
    """k = 1: exact sums over all (b, c) for Tango and McNemar; Newcombe and the z-test by simulation."""
    b, c = (v.ravel() for v in np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij"))
    b, c = b[b + c <= n], c[b + c <= n]
    low, high = tango_bounds(b, c, n, Z)
    p_one, _ = mcnemar_exact(b, c)
    est = (b - c) / n
    rows = []
    for corr, rho in RHOS.items():
        for p_u, g in cells():
            p11, p12, p21, p22 = pair_probabilities(p_u + g, p_u, rho)
            rest = 1.0 - p12 - p21
            logw = gammaln(n + 1) - gammaln(b + 1) - gammaln(c + 1) - gammaln(n - b - c + 1)
            w = np.exp(logw + xlogy(b, p12) + xlogy(c, p21) + xlogy(n - b - c, max(rest, 0.0)))
            w /= w.sum()
            above, below = covered(low, high, g)
            reject = p_one < ALPHA
            row = base_row(1, n, corr, p_u, g) | {
                "method": "tango",
                "exact": True,
                "reps": reps,
                "coverage": float(1 - w[above | below].sum()),
                "miss_low": float(w[above].sum()),
                "miss_high": float(w[below].sum()),
                "informative": n * (p12 + p21),
                "reject": float(w[reject].sum()),
                "rule_fp": float(w[est > MIN_GAP].sum()),
                "afgap_fp": float(w[reject & (est >= MIN_GAP)].sum()),
                "afgap_family": float(w[(p_one < ALPHA / FAMILY) & (est >= MIN_GAP)].sum()),
            }
            if p_u == 0.0 and g > 0.0:
                row["attainable"] = attainable(n, g)
            probs = np.maximum(np.array([p11, p12, p21, p22]), 0.0)
            tables = rng.multinomial(n, probs / probs.sum(), size=reps)
            nl, nh = newcombe_bounds(tables[:, 0], tables[:, 1], tables[:, 2], tables[:, 3], Z)
            row["newcombe_coverage"] = float(np.mean(~np.logical_or(*covered(nl, nh, g))))
            x_m, x_u = tables[:, 0] + tables[:, 1], tables[:, 0] + tables[:, 2]
            row["ztest_reject"] = float(np.mean(ztest_reject(x_m, x_u, n)))
            rows.append(row)
    return rows


def cluster_sums(x: np.ndarray, y: np.ndarray, k: int) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Per-replicate sums the clustered interval needs, and the number of informative queries."""
    qm, qu = x / k, y / k
    d = qm - qu
    sums = ((qm * qu).sum(1), (qm * (1 - qu)).sum(1), (qu * (1 - qm)).sum(1), d.sum(1), (d * d).sum(1))
    informative = ((qm * (1 - qu) + qu * (1 - qm)) > 0).sum(1)
    return sums, informative


def signflip_batch(x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Exact one-sided sign-flip p-values, one per replicate."""
    a = x - y
    mags = np.stack([(np.abs(a) == j).sum(1) for j in range(1, k + 1)], axis=1)
    p_one: np.ndarray = signflip_pvalues(mags, a.sum(1))[0]
    return p_one


def clustered(k: int, n: int, corr: str, reps: int, rng: np.random.Generator) -> list[Row]:
    """k > 1: simulate, then the default interval, the Newcombe comparator and (at g = 0) the tests."""
    rows = []
    for p_u, g in cells():
        x, y = simulate_counts(rng, reps, n, k, p_u + g, p_u, RHOS[corr])
        sums, informative = cluster_sums(x, y, k)
        table = cluster_table(n, k, sums, informative)
        low, high = cluster_tango_bounds(table, CONF)
        above, below = covered(low, high, g)
        nl, nh = cluster_newcombe_bounds(table, CONF)
        row = base_row(k, n, corr, p_u, g) | {
            "method": "tango-rao-scott",
            "exact": False,
            "reps": reps,
            "coverage": float(np.mean(~(above | below))),
            "miss_low": float(np.mean(above)),
            "miss_high": float(np.mean(below)),
            "informative": float(np.mean(informative)),
            "newcombe_coverage": float(np.mean(~np.logical_or(*covered(nl, nh, g)))),
        }
        if g == 0.0 or (p_u, g) in POWER_CELLS:
            est = sums[3] / n
            p_one = signflip_batch(x, y, k)
            row |= {
                "reject": float(np.mean(p_one < ALPHA)),
                "ztest_reject": float(np.mean(ztest_reject(x.sum(1), y.sum(1), n * k))),
                "rule_fp": float(np.mean(est > MIN_GAP)),
                "afgap_fp": float(np.mean((p_one < ALPHA) & (est >= MIN_GAP))),
                "afgap_family": float(np.mean((p_one < ALPHA / FAMILY) & (est >= MIN_GAP))),
            }
        rows.append(row)
    return rows


def bootstrap(k: int, n: int, corr: str, reps: int, rng: np.random.Generator) -> list[Row]:
    """Percentile cluster bootstrap (B = 999) vs the default interval on the same replicates."""
    rows = []
    values = np.arange(-k, k + 1) / k
    for p_u in BOOT_PU:
        for g in BOOT_G:
            x, y = simulate_counts(rng, reps, n, k, p_u + g, p_u, RHOS[corr])
            freq = np.stack([(x - y == v).sum(1) for v in range(-k, k + 1)], axis=1) / n
            # Resampling queries only reshuffles counts over the 2k+1 possible differences: draw those.
            means = rng.multinomial(n, freq, size=(BOOT_DRAWS, reps)) @ values / n
            low, high = np.quantile(means, [0.025, 0.975], axis=0)
            sums, informative = cluster_sums(x, y, k)
            d_low, d_high = cluster_tango_bounds(cluster_table(n, k, sums, informative), CONF)
            row = base_row(k, n, corr, p_u, g) | {
                "method": "bootstrap",
                "reps": reps,
                "coverage": float(np.mean(~np.logical_or(*covered(low, high, g)))),
                "default_coverage": float(np.mean(~np.logical_or(*covered(d_low, d_high, g)))),
            }
            if g == 0.0:
                row["reject"] = float(np.mean(np.mean(means <= 0.0, axis=0) < ALPHA))
                row["default_reject"] = float(np.mean(signflip_batch(x, y, k) < ALPHA))
            rows.append(row)
    return rows


def run_task(task: tuple[str, int, int, str, int, np.random.SeedSequence]) -> list[Row]:
    """One unit of work for the pool."""
    kind, k, n, corr, reps, seed = task
    rng = np.random.default_rng(seed)
    if kind == "exact":
        return exact_k1(n, reps, rng)
    worker: Callable[[int, int, str, int, np.random.Generator], list[Row]]
    worker = clustered if kind == "clustered" else bootstrap
    return worker(k, n, corr, reps, rng)


def tasks(
    reps: int, boot_reps: int, seed: int
) -> list[tuple[str, int, int, str, int, np.random.SeedSequence]]:
    """Every unit of work, heaviest first, each with its own reproducible random stream."""
    plan: list[tuple[str, int, int, str, int]] = [("exact", 1, n, "all", reps) for n in NS]
    plan += [("clustered", k, n, c, reps) for k in KS if k > 1 for n in NS for c in RHOS]
    plan += [("bootstrap", k, n, c, boot_reps) for k in BOOT_K for n in BOOT_N for c in RHOS]
    seeds = np.random.SeedSequence(seed).spawn(len(plan))
    work = [(*p, s) for p, s in zip(plan, seeds, strict=True)]
    return sorted(work, key=lambda t: -(t[2] * max(t[1], 2) * (3 if t[0] == "bootstrap" else 1)))


def coverage_summary(rows: list[Row], key: str = "coverage") -> Row:
    """Grid mean, extremes and the cells outside [93.5 %, 97 %], degenerate cells excluded."""
    live = [r for r in rows if not r["degenerate"] and r.get(key) is not None]
    values = np.array([r[key] for r in live])
    # Monte-Carlo standard error of each cell (zero for the exact k = 1 sums).
    exact = key == "coverage"
    se = np.array(
        [0.0 if exact and r.get("exact") else math.sqrt(r[key] * (1 - r[key]) / r["reps"]) for r in live]
    )
    worst = sorted(live, key=lambda r: r[key])
    return {
        "cells": len(live),
        "mean": float(values.mean()),
        "min": float(values.min()),
        "max": float(values.max()),
        "below_93_5": int(np.sum(values < 0.935)),
        "above_97": int(np.sum(values > 0.97)),
        "below_93_5_beyond_mc_error": int(np.sum(values + 2 * se < 0.935)),
        "worst": worst[:10],
        "highest": worst[-5:],
    }


def summarise(rows: list[Row], reps: int) -> Row:
    """The figures the issue asks for."""
    main = [r for r in rows if r["method"] in ("tango", "tango-rao-scott")]
    boot = [r for r in rows if r["method"] == "bootstrap"]
    null = [r for r in main if r["g"] == 0.0 and not r["degenerate"]]
    tolerance = 2 * math.sqrt(ALPHA * (1 - ALPHA) / reps)
    return {
        "coverage": coverage_summary(main),
        "coverage_by_k": {k: coverage_summary([r for r in main if r["k"] == k]) for k in KS},
        "coverage_informative": coverage_summary([r for r in main if r["informative"] >= INFORMATIVE]),
        "coverage_sparse": coverage_summary([r for r in main if r["informative"] < INFORMATIVE]),
        "unattainable": [r for r in main if r.get("attainable") is False],
        "newcombe_coverage": coverage_summary(main, "newcombe_coverage"),
        "newcombe_by_k": {
            k: coverage_summary([r for r in main if r["k"] == k], "newcombe_coverage") for k in KS
        },
        "bootstrap_coverage": coverage_summary(boot),
        "default_on_bootstrap_grid": coverage_summary(boot, "default_coverage"),
        "type1": {
            "max": max(r["reject"] for r in null),
            "tolerance": ALPHA + tolerance,
            "cells_over": [r for r in null if r["reject"] > ALPHA + (0 if r["exact"] else tolerance)],
            "bootstrap_max": max(r["reject"] for r in boot if r["g"] == 0.0),
            "ztest_max": {k: max(r["ztest_reject"] for r in null if r["k"] == k) for k in KS},
        },
        "power": [r for r in main if (r["p_u"], r["g"]) in POWER_CELLS and r["n"] in POWER_NS],
        "rule": [r for r in null + [r for r in main if r["degenerate"]] if r["n"] == RULE_N],
    }


def confirm_type1(type1: Row, reps: int, seed: int) -> None:
    """Re-run each null cell above the Monte-Carlo tolerance with ten times the replicates."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    for r in type1["cells_over"]:
        if r["exact"]:
            continue
        x, y = simulate_counts(rng, reps, r["n"], r["k"], r["p_u"], r["p_u"], r["rho"])
        r["confirm_reps"] = reps
        r["confirm_reject"] = float(np.mean(signflip_batch(x, y, r["k"]) < ALPHA))


def pct(x: float) -> str:
    """A fraction as a percentage with one decimal."""
    return f"{100 * x:.1f}"


def coverage_section(summary: Row) -> list[str]:
    """Coverage table and the worst cells of the default interval."""
    out = [
        "## Coverage of the 95 % gap interval",
        "",
        "Degenerate cells (p_u = g = 0: every response refuses, every interval contains 0) are excluded.",
        "",
        "| method | cells | mean % | min % | max % | < 93.5 % | of which beyond 2 MC SE | > 97 % |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    named = [("default, all k", summary["coverage"])]
    named += [(f"default, k = {k}", v) for k, v in summary["coverage_by_k"].items()]
    named += [
        (f"default, >= {INFORMATIVE} informative units", summary["coverage_informative"]),
        (f"default, < {INFORMATIVE} informative units", summary["coverage_sparse"]),
    ]
    named += [
        ("Newcombe 10 (k=1) / RS-Newcombe (k>1)", summary["newcombe_coverage"]),
        ("cluster bootstrap, sub-grid", summary["bootstrap_coverage"]),
        ("default on the bootstrap sub-grid", summary["default_on_bootstrap_grid"]),
    ]
    for name, s in named:
        out.append(
            f"| {name} | {s['cells']} | {pct(s['mean'])} | {pct(s['min'])} | {pct(s['max'])} | "
            f"{s['below_93_5']} | {s['below_93_5_beyond_mc_error']} | {s['above_97']} |"
        )
    return out


def worst_cells(summary: Row) -> list[str]:
    """The cells that miss the window, with what makes them hard."""
    # p_u = 0 makes rho irrelevant, so each (n, g) appears once per correlation: list it once.
    hopeless = ", ".join(
        dict.fromkeys(f"n={r['n']} g={r['g']} ({pct(r['coverage'])} %)" for r in summary["unattainable"])
    )
    out = [
        "",
        "Informative units: expected discordant pairs (k = 1) or mean queries with any discordance (k > 1).",
        f"k = 1, p_u = 0 cells where no interval method can land in [93.5, 97] %: {hopeless or 'none'}.",
        "",
        "Worst cells of the default: coverage %, CI above / below the truth %, informative units:",
        "",
    ]
    for r in summary["coverage"]["worst"]:
        out.append(
            f"- k={r['k']} n={r['n']} {r['correlation']} p_u={r['p_u']} g={r['g']}: {pct(r['coverage'])} "
            f"(above {pct(r['miss_low'])}, below {pct(r['miss_high'])}; {r['informative']:.1f})"
        )
    return out


def type1_section(summary: Row) -> list[str]:
    """Size of the verdict's test at g = 0, with re-runs of any cell above the tolerance."""
    t = summary["type1"]
    out = [
        "",
        f"Type-I error at g = 0 (one-sided alpha = 5 %): max {pct(t['max'])} %, "
        f"cells above 5 % + 2 MC SE ({pct(t['tolerance'])} %): {len(t['cells_over'])}; "
        f"bootstrap test max {pct(t['bootstrap_max'])} %.",
    ]
    for r in t["cells_over"]:
        if "confirm_reps" in r:
            out.append(
                f"- re-run of k={r['k']} n={r['n']} {r['correlation']} p_u={r['p_u']} ({pct(r['reject'])} %) "
                f"with {r['confirm_reps']} replicates: {pct(r['confirm_reject'])} %"
            )
    z_max = ", ".join(f"k={k}: {pct(v)} %" for k, v in t["ztest_max"].items())
    return [*out, "", f"Largest type-I error of the unpaired z-test at g = 0: {z_max}."]


def power_section(summary: Row) -> list[str]:
    """Power of the paired test next to the unpaired z-test."""
    out = [
        "",
        "## Power at g = 11 pp, one-sided 5 %: afgap paired / unpaired z-test (%)",
        "",
        "| k | correlation | p_u | n = 100 | n = 200 | n = 400 |",
        "|---:|---|---:|---|---|---|",
    ]
    power = {(r["k"], r["correlation"], r["p_u"], r["n"]): r for r in summary["power"]}
    for k in KS:
        for corr in RHOS:
            for p_u, _ in POWER_CELLS:
                cols = [power[(k, corr, p_u, n)] for n in POWER_NS]
                pairs = " | ".join(f"{pct(r['reject'])} / {pct(r['ztest_reject'])}" for r in cols)
                out.append(f"| {k} | {corr} | {p_u} | {pairs} |")
    return out


def rule_section(summary: Row) -> list[str]:
    """False positives of the published rule and of afgap's verdict on models without a gap."""
    out = [
        "",
        f"## No true gap, n = {RULE_N}: published rule (point gap > 1 pp) vs afgap's verdict (k = 1, exact)",
        "",
        "| correlation | p_u | rule FP % | afgap FP % | rule, any of 25 % | afgap + Holm, any of 25 % |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rule = sorted(summary["rule"], key=lambda r: (r["k"], r["rho"], r["p_u"]))
    for r in [r for r in rule if r["k"] == 1]:
        fam_rule = 1 - (1 - r["rule_fp"]) ** FAMILY
        fam_af = 1 - (1 - r["afgap_family"]) ** FAMILY
        out.append(
            f"| {r['correlation']} | {r['p_u']} | {pct(r['rule_fp'])} | {pct(r['afgap_fp'])} "
            f"| {pct(fam_rule)} | {pct(fam_af)} |"
        )
    out.append("")
    for k in KS[1:]:
        rows = [r for r in rule if r["k"] == k]
        out.append(
            f"k = {k} (simulated): rule FP up to {pct(max(r['rule_fp'] for r in rows))} %, "
            f"afgap FP up to {pct(max(r['afgap_fp'] for r in rows))} %."
        )
    return out


def report(summary: Row) -> str:
    """Markdown tables for the terminal and docs/methodology.md."""
    sections = (coverage_section, worst_cells, type1_section, power_section, rule_section)
    return "\n".join(line for section in sections for line in section(summary))


def main(argv: list[str] | None = None) -> int:
    """Run the grid, print the tables, optionally write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="400 replicates per cell (smoke run)")
    parser.add_argument("--reps", type=int, default=None, help="replicates per simulated cell (default 5000)")
    parser.add_argument("--out", default=None, help="write the full results as JSON here")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20240611)
    args = parser.parse_args(argv)
    reps, boot_reps = (400, 100) if args.quick else (5000, 500)
    reps = args.reps or reps
    start = time.perf_counter()
    rows: list[Row] = []
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        for part in pool.imap_unordered(run_task, tasks(reps, boot_reps, args.seed)):
            rows.extend(part)
            print(f"\r{len(rows)} cells, {time.perf_counter() - start:.0f} s", end="", file=sys.stderr)
    print(file=sys.stderr)
    summary = summarise(rows, reps)
    confirm_type1(summary["type1"], 10 * reps, args.seed)
    elapsed = time.perf_counter() - start
    cpu = sum(resource.getrusage(who).ru_utime for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    text = report(summary)
    print(text)
    print(
        f"\n{len(rows)} cells, {reps} replicates per simulated cell, {elapsed:.0f} s wall, "
        f"{cpu:.0f} s CPU, {args.workers} workers"
    )
    if args.out:
        command = "python benchmarks/stats_coverage.py " + " ".join(sys.argv[1:] if argv is None else argv)
        doc = {
            "command": command.strip(),
            "seconds": elapsed,
            "cpu_seconds": cpu,
            "replicates": reps,
            "bootstrap_replicates": boot_reps,
            "seed": args.seed,
            "summary": summary,
            "cells": rows,
        }
        with open(args.out, "w") as fh:
            json.dump(doc, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
