"""The offline AF screen's throughput on one core: scratchpads per second, against a regex-only floor.

    python benchmarks/screen.py [--texts 2000] [--repeat 3] [--real FILE]

The texts are afgap's labelled sets and the simulator's scratchpads, each padded with more of the same
reasoning to the length of a real scratchpad (about 2,500 characters: real ones run to thousands), or a
labelled JSONL file of real text with `--real`. The floor is one pass of a single regex over the same
texts in the same run (the training cue, case-insensitive, as screen@1 ran it), so the ratio says how much
dearer the screen is than the cheapest thing that reads every character. Rates are per CPU second of
this process, so a busy machine slows the wall clock more than the figures. Prints screen@2's and
screen@1's rates and ratios, and exits 1 if screen@2 screens fewer than 1,000 scratchpads a second.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from afgap.classify import af_cues, screen, screen_v1
from afgap.records import Condition
from afgap.sim import texts as sim_texts

TARGET_PER_SECOND = 1000.0
REAL_LENGTH = 2500
DATA = Path(__file__).parent.parent / "tests" / "data"
# The floor: the training cue as screen@1 ran it, case-insensitive on the raw text.
_FLOOR = re.compile(af_cues.TRAINING.pattern, re.IGNORECASE)


def corpus(count: int, seed: int) -> list[str]:
    """`count` scratchpads of about REAL_LENGTH characters from the labelled sets and the simulator."""
    rng = random.Random(seed)
    pieces = [
        json.loads(line)["text"]
        for name in ("af_labelled.jsonl", "af_validation.jsonl")
        for line in (DATA / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    for _ in range(200):
        criteria = frozenset(c for c in (1, 2, 3, 4) if rng.random() < 0.5)
        decision = rng.choice(("comply", "refuse"))
        pieces.append(sim_texts.scratchpad(rng, "a request", decision, criteria, Condition.MONITORED))
    out = []
    for _ in range(count):
        text = rng.choice(pieces)
        while len(text) < REAL_LENGTH:
            text += "\n\n" + rng.choice(pieces)
        out.append(text)
    return out


def rate(score: Callable[[str], object], items: list[str], repeat: int) -> float:
    """Best-of-`repeat` items per CPU second of this process (what one core does, however loaded the box)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for text in items:
            score(text)
        best = min(best, time.process_time() - start)
    return len(items) / best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--real", type=Path, help="a labelled JSONL of real text to time instead")
    args = parser.parse_args()
    if args.real:
        lines = args.real.read_text(encoding="utf-8").splitlines()
        items = [json.loads(line)["text"] for line in lines if line.strip()]
    else:
        items = corpus(args.texts, args.seed)
    chars = sum(map(len, items)) / len(items)
    floor = rate(_FLOOR.findall, items, args.repeat)
    v2 = rate(screen.screen_text, items, args.repeat)
    v1 = rate(screen_v1.screen_text, items, args.repeat)
    print(f"{len(items)} scratchpads, {chars:,.0f} characters on average, one core")
    print(f"floor (one regex pass): {floor:,.0f}/s")
    print(f"screen@2: {v2:,.0f}/s = {v2 / floor:.3f} x floor (target >= {TARGET_PER_SECOND:,.0f}/s)")
    print(f"screen@1: {v1:,.0f}/s = {v1 / floor:.3f} x floor")
    return 0 if v2 >= TARGET_PER_SECOND else 1


if __name__ == "__main__":
    sys.exit(main())
