"""Collection throughput and fault tolerance against the simulator in its own process.

    python benchmarks/collect.py            # N=2,000 and 10,000, each at C=100 and C=256, at 50 ms
    python benchmarks/collect.py --faults   # 10,000 calls, 20 % 429 (Retry-After 1 s) + 5 % 500
    python benchmarks/collect.py --quick    # N=2,000/C=100 only
    python benchmarks/collect.py --repeat 5 # each case 5 times (default 3), interleaved; medians reported
    python benchmarks/collect.py --server stdlib  # against benchmarks/mock_openai.py instead (or `both`)
    python benchmarks/collect.py --baseline /tmp/old/src  # also afgap from another source tree, interleaved

The simulator runs in its own process (`afgap.sim.process.start_in_subprocess`); each `afgap collect` is a
separate process on a fresh store, timed from spawn to exit (start-up, planning, store and shutdown
included). N is exact: the first 100 built-in queries x 2 conditions x K samples of the
`helpful-only-no-cot` scenario (one request per call, so the floor N x latency / C is the true network
floor). A raw aiohttp client (no store, no parsing, run in its own process the same way) is the second
reference: it shows how much of the time is the simulator's, which shares the machine with the client.
Shared machines drift by ±20 % over minutes, so each case runs `--repeat` times, afgap and the raw client in
turn, and the table shows the median run of each (with the range of ratios). `--server stdlib` runs the same
cases against benchmarks/mock_openai.py, a standard-library asyncio server sharing no code with afgap
(`both`: the simulator, then it). CPU s is the collecting process's own (with its writer child), from wait4;
"CPU x raw" is afgap's CPU over the raw client's in the same case. Every timed process may write and read
Python's bytecode cache (an inherited PYTHONDONTWRITEBYTECODE is dropped), and each client runs once untimed
first: an installed afgap has its bytecode compiled by pip, so compiling afgap's source on every run would
time the compiler, not afgap, and would weigh more on afgap, which loads more modules than the raw client. A
second table splits CPU into fixed and marginal cost: per server, client and C, the marginal CPU per call is
(median CPU at N=10,000 - median CPU at N=2,000) / 8,000, so start-up, planning, the store's opening and the
writer child's start cancel out; "marginal x raw" is afgap's over the raw client's, beside the total-based
ratio at N=10,000. Results go to benchmarks/out/collect*.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Only light modules at the top: the raw client runs this file in its own timed process.
from afgap.providers.wire import SAMPLE_HEADER

OUT = Path(__file__).parent / "out"
QUERIES = 100  # of the 130 built-in ones, so N = 100 x 2 conditions x samples is a round number
SCENARIO = "helpful-only-no-cot"
MODEL = "openai-api/bench/faker"
CASES = ((2_000, 100), (10_000, 100), (2_000, 256), (10_000, 256))


def bench_env(**extra: str) -> dict[str, str]:
    """The timed processes' environment: this one, with the bytecode cache allowed (see above)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


def sim_stats(base: str, reset: bool = False) -> dict[str, Any]:
    """The simulator's request counters (POST /stats/reset to zero them)."""
    req = urllib.request.Request(
        f"{base}/stats/reset" if reset else f"{base}/stats", method="POST" if reset else "GET"
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return dict(json.load(resp))


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float, int, str, float]:
    """Run a child process; (wall seconds, peak RSS MB, exit code, stderr tail, CPU seconds)."""
    started = time.perf_counter()
    child = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert child.stderr is not None
    err = child.stderr.read()
    # wait4 gives this child's own rusage, so each run's peak RSS is its own (ru_maxrss is kB on Linux).
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    tail = err.strip().splitlines()[-1] if err.strip() else ""
    return wall, usage.ru_maxrss / 1024, child.returncode, tail, usage.ru_utime + usage.ru_stime


def sim_stats_or_none(base: str, reset: bool = False) -> dict[str, Any] | None:
    """The simulator's counters, or None from a server that keeps none (benchmarks/mock_openai.py)."""
    try:
        return sim_stats(base, reset)
    except urllib.error.HTTPError:
        return None


def collect_case(base: str, n: int, c: int, latency_ms: float, source: str | None = None) -> dict[str, Any]:
    """Time one `afgap collect` on a fresh store; check every call is stored exactly once.

    `source`: the `src` folder of another afgap to run instead (first on PYTHONPATH, its writer child too)."""
    samples = n // (QUERIES * 2)
    with tempfile.TemporaryDirectory(prefix="afgap-bench-") as tmp:
        db = Path(tmp) / "bench.sqlite"
        env = bench_env(BENCH_BASE_URL=f"{base}/v1", BENCH_API_KEY="bench", NO_COLOR="1")
        if source is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
        args = [sys.executable, "-m", "afgap", "collect", "-m", MODEL, "--scenario", SCENARIO, "--quiet"]
        args += ["--limit", str(QUERIES), "--samples", str(samples), "--concurrency", str(c), "--db", str(db)]
        sim_stats_or_none(base, reset=True)
        wall, rss, code, tail, cpu = timed(args, env)
        stats = sim_stats_or_none(base) or {"requests": n, "by_status": {}}
        stored, cells, answered, attempts = stored_counts(db)
    row = timing_row(
        "afgap collect" if source is None else "afgap baseline", n, c, latency_ms, wall, rss, cpu
    )
    row.update(exit_code=code, stored=stored, distinct=cells, answered=answered, requests=stats["requests"])
    row.update(retries=attempts - stored, by_status=stats["by_status"], last_line=tail)
    return row


def stored_counts(db: Path) -> tuple[int, int, int, int]:
    """Responses stored, distinct request hashes, answered ones, and attempts in all."""
    with sqlite3.connect(db) as conn:
        stored, cells, answered = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT request_hash), COALESCE(SUM(status = 'ok'), 0) FROM responses"
        ).fetchone()
        attempts = conn.execute("SELECT COALESCE(SUM(attempts), 0) FROM responses").fetchone()[0]
    return stored, cells, answered, attempts


def timing_row(
    client: str, n: int, c: int, latency_ms: float, wall: float, rss: float, cpu: float
) -> dict[str, Any]:
    """A result row's timing part: wall time against the floor N x latency / C, memory and CPU."""
    floor = n * latency_ms / 1000 / c
    return {
        "client": client,
        "n": n,
        "concurrency": c,
        "wall_s": round(wall, 3),
        "floor_s": round(floor, 3),
        "ratio": round(wall / floor, 2),
        "calls_per_s": round(n / wall, 1),
        "peak_rss_mb": round(rss, 1),
        "cpu_s": round(cpu, 2),
    }


def raw_case(base: str, n: int, c: int, latency_ms: float) -> dict[str, Any]:
    """The same N requests from a bare aiohttp client in its own process: the simulator-bound floor."""
    sim_stats_or_none(base, reset=True)
    wall, rss, code, _, cpu = timed(
        [sys.executable, __file__, "--raw-client", base, str(n), str(c)], bench_env()
    )
    row = timing_row("raw aiohttp", n, c, latency_ms, wall, rss, cpu)
    row.update(exit_code=code, requests=(sim_stats_or_none(base) or {"requests": n})["requests"])
    return row


def raw_bodies() -> list[bytes]:
    """The benchmark's rendered requests in both conditions, as the raw client sends them."""
    from afgap.queries import load_queries
    from afgap.records import Condition
    from afgap.scenarios import load_scenario, render

    scenario, queries = load_scenario(SCENARIO), load_queries("builtin")[:QUERIES]
    bodies = []
    for query in queries:
        for condition in Condition:
            messages = [m.model_dump() for m in render(scenario, condition, query)]
            body = {"model": "faker", "max_tokens": 4096, "temperature": 1.0, "messages": messages}
            bodies.append(json.dumps(body).encode())
    return bodies


async def raw_client(base: str, n: int, c: int) -> None:
    """POST n rendered requests with c workers; no parsing beyond reading the body."""
    import aiohttp

    bodies, todo = raw_bodies(), iter(range(n))
    connector = aiohttp.TCPConnector(limit=c, limit_per_host=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for i in todo:
                headers = {"content-type": "application/json", SAMPLE_HEADER: str(i)}
                request = session.post(
                    f"{base}/v1/chat/completions", data=bodies[i % len(bodies)], headers=headers
                )
                async with request as resp:
                    await resp.read()

        await asyncio.gather(*(worker() for _ in range(c)))


def table(rows: list[dict[str, Any]]) -> str:
    """A fixed-width table of the results (one row per server, client and case: its median run)."""
    names = (
        "N",
        "C",
        "wall s",
        "floor s",
        "ratio",
        "range",
        "calls/s",
        "RSS MB",
        "CPU s",
        "µs/call",
        "CPU x raw",
    )
    widths = (6, 4, 7, 7, 6, 11, 8, 7, 6, 8, 9)
    head = f"{'server':<7} {'client':<14} " + " ".join(
        f"{n:>{w}}" for n, w in zip(names, widths, strict=True)
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        spread = f"{r['ratio_min']:.2f}-{r['ratio_max']:.2f}"
        versus = f"{r['cpu_vs_raw']:.2f}" if r.get("cpu_vs_raw") else ""
        lines.append(
            f"{r.get('server', 'sim'):<7} {r['client']:<14} {r['n']:>6} {r['concurrency']:>4} "
            f"{r['wall_s']:>7.2f} {r['floor_s']:>7.2f} {r['ratio']:>6.2f} {spread:>11} "
            f"{r['calls_per_s']:>8.0f} {r['peak_rss_mb']:>7.1f} {r['cpu_s']:>6.2f} "
            f"{r['cpu_s'] / r['n'] * 1e6:>8.0f} {versus:>9}"
        )
    return "\n".join(lines)


def marginal_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per server and C: each client's fixed and marginal CPU from its median CPU at the least and most N."""
    found: dict[tuple[str, int], dict[str, dict[int, float]]] = {}
    for r in rows:
        key = (r.get("server", "sim"), r["concurrency"])
        found.setdefault(key, {}).setdefault(r["client"], {})[r["n"]] = r["cpu_s"]
    out = []
    for (server, c), clients in found.items():
        margin: dict[str, Any] = {"server": server, "concurrency": c}
        for client, by_n in clients.items():
            if len(by_n) < 2:
                continue
            n1, n2 = min(by_n), max(by_n)
            per_call = (by_n[n2] - by_n[n1]) / (n2 - n1)
            name = {"afgap collect": "afgap", "afgap baseline": "baseline"}.get(client, "raw")
            margin.update({"n1": n1, "n2": n2, f"{name}_us_per_call": round(per_call * 1e6, 1)})
            # What the run costs with no calls at all: the line through both points, at N = 0.
            margin[f"{name}_fixed_s"] = round(by_n[n1] - per_call * n1, 2)
            margin[f"{name}_total_s"] = by_n[n2]
        if "afgap_us_per_call" in margin and "raw_us_per_call" in margin:
            margin["marginal_vs_raw"] = round(margin["afgap_us_per_call"] / margin["raw_us_per_call"], 2)
            margin["total_vs_raw"] = round(margin["afgap_total_s"] / margin["raw_total_s"], 2)
        if "baseline_us_per_call" in margin and "raw_us_per_call" in margin:
            margin["baseline_marginal_vs_raw"] = round(
                margin["baseline_us_per_call"] / margin["raw_us_per_call"], 2
            )
            margin["baseline_total_vs_raw"] = round(margin["baseline_total_s"] / margin["raw_total_s"], 2)
        if "afgap_us_per_call" in margin:
            out.append(margin)
    return out


def marginal_table(margins: list[dict[str, Any]]) -> str:
    """CPU split into fixed (the line through both N, at N = 0) and marginal per call, against raw."""
    head = (
        f"{'server':<7} {'C':>4} {'N1-N2':<12} {'client':<9} {'fixed s':>8} {'µs/call':>8} "
        f"{'marginal x raw':>14} {'total x raw':>11}"
    )
    lines = ["CPU per call, marginal: (CPU at N2 - CPU at N1) / (N2 - N1), medians", head, "-" * len(head)]
    for m in margins:
        for name in ("afgap", "baseline", "raw"):
            if f"{name}_us_per_call" not in m:
                continue
            prefix = "" if name == "afgap" else f"{name}_"
            versus = [m.get(f"{prefix}marginal_vs_raw", ""), m.get(f"{prefix}total_vs_raw", "")]
            if name == "raw":
                versus = ["", ""]
            fixed, per_call = m[f"{name}_fixed_s"], m[f"{name}_us_per_call"]
            lines.append(
                f"{m['server']:<7} {m['concurrency']:>4} {m['n1']:>5}-{m['n2']:<6} {name:<9} "
                f"{fixed:>8.2f} {per_call:>8.0f} {versus[0]:>14} {versus[1]:>11}"
            )
    return "\n".join(lines)


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median wall time, with the range of ratios, every run's ratio and the median CPU."""
    ordered = sorted(runs, key=lambda r: r["wall_s"])
    row = dict(ordered[(len(ordered) - 1) // 2])
    ratios = [r["ratio"] for r in runs]
    row.update(ratio_min=min(ratios), ratio_max=max(ratios), ratios=ratios, runs=len(runs))
    row["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    # CPU seconds are their own median: the run with the median wall time may have had the worst CPU.
    cpus = sorted(r["cpu_s"] for r in runs)
    row.update(cpu_s=cpus[(len(cpus) - 1) // 2], cpu_runs=[r["cpu_s"] for r in runs])
    return row


def main() -> None:
    """Parse flags, run the chosen benchmark, print the table, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--faults", action="store_true", help="the fault benchmark instead")
    parser.add_argument("--quick", action="store_true", help="N=2,000/C=100 only")
    parser.add_argument("--concurrency", type=int, nargs="+", help="only the cases at these C")
    parser.add_argument("--no-raw", action="store_true", help="skip the raw aiohttp reference")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each case (medians reported)")
    parser.add_argument(
        "--server",
        choices=("sim", "stdlib", "both"),
        default="sim",
        help="afgap's simulator or mock_openai.py",
    )
    parser.add_argument(
        "--baseline", metavar="SRC", help="also time afgap from this src folder (before/after, interleaved)"
    )
    parser.add_argument("--raw-client", nargs=3, metavar=("BASE", "N", "C"), help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.raw_client:
        base, n, c = opts.raw_client
        asyncio.run(raw_client(base, int(n), int(c)))
        return
    if opts.faults:
        rows, name = run_faults(opts.latency_ms), "collect-faults.json"
    else:
        cases: tuple[tuple[int, int], ...] = CASES[:1] if opts.quick else CASES
        if opts.concurrency:
            cases = tuple(case for case in cases if case[1] in opts.concurrency)
        servers = ("sim", "stdlib") if opts.server == "both" else (opts.server,)
        rows = [row for server in servers for row in run_throughput(opts.latency_ms, cases, opts, server)]
        name = "collect.json" if opts.server == "sim" else f"collect-{opts.server}.json"
    print(table(rows))
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    margins = marginal_rows(rows)
    if margins:
        print()
        print(marginal_table(margins))
    OUT.mkdir(exist_ok=True)
    meta: dict[str, Any] = {"python": platform.python_version(), "machine": platform.machine()}
    meta.update(cpus=os.cpu_count(), load_average_at_end=[round(x, 2) for x in os.getloadavg()])
    document = {"meta": meta, "latency_ms": opts.latency_ms, "rows": rows, "marginal": margins}
    (OUT / name).write_text(json.dumps(document, indent=2))
    print(f"wrote {OUT / name}", file=sys.stderr)


def run_throughput(
    latency_ms: float, cases: tuple[tuple[int, int], ...], opts: argparse.Namespace, server: str
) -> list[dict[str, Any]]:
    """Every case `repeat` times with afgap collect and the raw client in turn; the median run of each."""
    rows = []
    with serving(server, latency_ms) as base:
        # Untimed: fills the bytecode cache of each client, so no timed run compiles source.
        collect_case(base, QUERIES * 2, 100, latency_ms)
        if opts.baseline:
            collect_case(base, QUERIES * 2, 100, latency_ms, opts.baseline)
        if not opts.no_raw:
            raw_case(base, QUERIES * 2, 100, latency_ms)
        for n, c in cases:
            mine, older, theirs = [], [], []
            for _ in range(max(opts.repeat, 1)):
                row = collect_case(base, n, c, latency_ms)
                assert row["stored"] == row["distinct"] == n == row["requests"], row
                mine.append(row)
                if opts.baseline:
                    older.append(collect_case(base, n, c, latency_ms, opts.baseline))
                    assert older[-1]["stored"] == older[-1]["distinct"] == n, older[-1]
                if not opts.no_raw:
                    theirs.append(raw_case(base, n, c, latency_ms))
            rows.append(median_run(mine))
            if older:
                rows.append(median_run(older))
            if theirs:
                rows.append(median_run(theirs))
                # CPU is compared median to median: each run's CPU drifts with the machine like its wall time.
                for row in rows[-3 if older else -2 : -1]:
                    row["cpu_vs_raw"] = round(row["cpu_s"] / rows[-1]["cpu_s"], 2)
            for row in rows[-(1 + bool(older) + bool(theirs)) :]:
                row["server"] = server
    return rows


@contextlib.contextmanager
def serving(server: str, latency_ms: float) -> Iterator[str]:
    """The base URL of afgap's simulator or of benchmarks/mock_openai.py, each in its own process."""
    if server == "sim":
        from afgap.sim.process import start_in_subprocess
        from afgap.sim.settings import SimSettings

        with start_in_subprocess(SimSettings(latency_ms=latency_ms)) as sim:
            yield sim.base_url
        return
    mock = Path(__file__).with_name("mock_openai.py")
    args = [sys.executable, str(mock), "--latency-ms", str(latency_ms)]
    child = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        port = child.stdout.readline().split()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.wait()


def run_faults(latency_ms: float) -> list[dict[str, Any]]:
    """10,000 calls with 20 % 429 (Retry-After 1 s) and 5 % 500 per attempt: stored exactly once each."""
    from afgap.sim.process import start_in_subprocess
    from afgap.sim.settings import SimSettings

    faults = SimSettings(latency_ms=latency_ms, rate_limit_rate=0.2, error_rate=0.05, retry_after=1.0)
    with start_in_subprocess(faults) as sim:
        row = collect_case(sim.base_url, 10_000, 256, latency_ms)
    print(
        f"faults: {row['stored']} stored ({row['distinct']} distinct, {row['answered']} answered) of 10000, "
        f"{row['requests']} requests, "
        f"{row['retries']} retries, by status {row['by_status']}, exit {row['exit_code']}: {row['last_line']}"
    )
    assert row["stored"] == row["distinct"] == 10_000, row
    return [median_run([row])]


if __name__ == "__main__":
    main()
