"""The labels every collected reply gets on arrival, on real model text: replies per CPU second.

    python benchmarks/labels.py [--repeat 5] [--file tests/data/real/dev.jsonl ...]

The collect's writer process labels each reply as it is stored (afgap.classify.labels.default_labels:
the tag parser, then the AF screen when there is a scratchpad). The collection benchmark's replies are
short canned texts; real ones are kilobytes of reasoning and answer, so this measures on real replies
(the real dev sets in tests/data/real: Gemini 3.1 Pro scratchpads with their outputs, median ~4 kB; no
held-out file). The same replies' prose, stripped of tags and given as an accepted answer without a
scratchpad, times the tag parser's dearest path: a long compliant answer, every compliance cue searched
(what a no-scratchpad scenario's compliant replies cost). The floor, in the same run, is one
case-insensitive pass of a single word over the same texts: what reading every character once costs.
Time is CPU time of this process; the median of `--repeat` passes is reported.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from afgap.classify.labels import default_labels
from afgap.classify.tags import classify_response

REAL = Path(__file__).parent.parent / "tests" / "data" / "real"
_FLOOR = re.compile(r"\bmodif\w*", re.IGNORECASE)


def load(paths: list[Path]) -> list[str]:
    """The texts of the JSONL files (one reply per line, field `text`)."""
    return [
        json.loads(line)["text"]
        for path in paths
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def accepted(text: str) -> str:
    """The reply's prose, stripped of tags, as an accepted answer with no scratchpad."""
    prose = re.sub(r"<[^>]*>", " ", text)
    return f"<OUTPUT><request_fully_accepted/>\n{prose}\n</OUTPUT>"


def per_reply(texts: list[str], label: Callable[[str], object], repeat: int) -> float:
    """Median CPU microseconds per text over `repeat` passes."""
    passes = []
    for _ in range(repeat):
        started = time.process_time()
        for text in texts:
            label(text)
        passes.append((time.process_time() - started) / len(texts) * 1e6)
    return statistics.median(passes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--file", type=Path, nargs="+", default=[REAL / "dev.jsonl", REAL / "dev2.jsonl"])
    opts = parser.parse_args()
    texts = load(opts.file)
    forced = [accepted(text) for text in texts]
    floor = per_reply(texts, _FLOOR.search, opts.repeat)
    size = statistics.median(len(text) for text in texts)
    print(f"{len(texts)} real replies, median {size:,.0f} characters; floor (one regex pass) {floor:.1f} µs")
    cases = [
        ("labels on arrival, as collected", texts, lambda t: default_labels(t, None)),
        ("labels on arrival, prose accepted", forced, lambda t: default_labels(t, None)),
        ("tag parser alone, prose accepted", forced, lambda t: classify_response(t, None)),
    ]
    for name, corpus, label in cases:
        spent = per_reply(corpus, label, opts.repeat)
        print(f"{name:<36} {spent:8.1f} µs a reply ({1e6 / spent:,.0f}/s), {spent / floor:5.1f}x the floor")


if __name__ == "__main__":
    main()
