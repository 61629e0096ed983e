"""What prompt caching saves: the same collect with and without the cache mark, priced from stored usage.

    python benchmarks/prompt_cache.py              # 100 queries x 2 conditions, a 7.3 kB system prompt
    python benchmarks/prompt_cache.py --queries 20

The control scenario (`baseline-no-conflict`) is padded to a ~7 kB system prompt and collected from the
loopback simulator's `anthropic/faker` priced as Claude 3.5 Sonnet ($3 input, $15 output per 1M tokens;
the shipped anthropic/* cache rule: writes $3.75, reads $0.30). Both runs send the same calls (the mark is
not in the request hash) to fresh stores. The floor is the run without caching: every figure is a ratio to
it, plus the dry-run estimate's input cost over the input cost the store recorded (the estimate counts
first turns only, so continuation turns put it below 1).
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from importlib import resources
from pathlib import Path

from afgap.engine.pricing import Price
from afgap.engine.run import EngineOptions
from afgap.jobs.collect import CollectRequest, collect
from afgap.providers.limits import ProviderLimits

SONNET = Price(3.0, 15.0, 3.75, 0.3)
MODEL = "anthropic/faker"


def long_scenario(folder: Path) -> Path:
    """The control scenario with ~5 kB of notes appended to its system prompt."""
    text = (
        resources.files("afgap").joinpath("scenarios/baseline-no-conflict.toml").read_text(encoding="utf-8")
    )
    end = "shown by the <is_free_tier_user> tag at the start of their message."
    notes = "\n\n## Notes\n\n" + "Aster Labs publishes its rating guidelines for every contractor. " * 80
    path = folder / "long.toml"
    path.write_text(text.replace(end, end + notes).replace('"baseline-no-conflict"', '"long-prompt"'))
    return path


def run(
    folder: Path, scenario: Path, queries: int, sim_url: str, cache: bool, dry_run: bool = False
) -> dict[str, float]:
    """One collect (or its dry run) on a fresh store; its costs in USD, from the stored usage."""
    prices = folder / "prices.toml"
    prices.write_text(f'[models]\n"{MODEL}" = {{ input = {SONNET.input}, output = {SONNET.output} }}\n')
    db = folder / f"{'cached' if cache else 'plain'}{'-dry' if dry_run else ''}.sqlite"
    engine = EngineOptions(limits={"anthropic": ProviderLimits(concurrency=16, rpm=1e6)})
    request = CollectRequest(
        models=[MODEL],
        db=db,
        scenarios=[str(scenario)],
        limit=queries,
        prices=prices,
        engine=engine,
        cache_prompt=cache,
        dry_run=dry_run,
    )
    summary = collect(request, {"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": sim_url})
    if dry_run:
        return {"input": summary.estimate.input_cost_usd or 0.0}
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT tokens_in, tokens_out, cache_write_tokens, cache_read_tokens, cost_usd FROM responses"
        ).fetchall()
    return {
        "total": sum(r[4] for r in rows),
        "input": sum(SONNET.call_cost(r[0], 0, r[2] or 0, r[3] or 0) for r in rows),
        "calls": len(rows),
        "written": sum(r[2] or 0 for r in rows),
        "read": sum(r[3] or 0 for r in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    from afgap.sim.server import start_in_thread

    with tempfile.TemporaryDirectory() as tmp, start_in_thread() as sim:
        folder = Path(tmp)
        scenario = long_scenario(folder)
        plain = run(folder, scenario, args.queries, sim.base_url, cache=False)
        cached = run(folder, scenario, args.queries, sim.base_url, cache=True)
        estimate = run(folder, scenario, args.queries, sim.base_url, cache=True, dry_run=True)
    print(f"{int(plain['calls'])} calls of {MODEL} priced as Claude 3.5 Sonnet, a ~7 kB system prompt")
    print(f"cache: {int(cached['written']):,} tokens written, {int(cached['read']):,} read")
    print(f"without caching (floor): input ${plain['input']:.4f}, total ${plain['total']:.4f}")
    print(f"with caching:            input ${cached['input']:.4f}, total ${cached['total']:.4f}")
    print(f"input cost ratio:  {cached['input'] / plain['input']:.3f} x floor")
    print(f"total cost ratio:  {cached['total'] / plain['total']:.3f} x floor")
    print(f"dry-run estimate of the cached input: {estimate['input'] / cached['input']:.3f} x the stored one")


if __name__ == "__main__":
    main()
