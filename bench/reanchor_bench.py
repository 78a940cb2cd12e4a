"""Benchmark of re-anchoring: a 50,000-word transcript with 2,000 excerpts after 100 scattered edits.

    .venv/bin/python bench/reanchor_bench.py [--runs 5] [--seed 1]

Pure computation (no database): the diff of the old and new text and the fate of every excerpt, as a
transcript correction or a redaction computes them. Prints each run, the median and p95 wall clock and
CPU time, the fates counted, and whether the median meets the target (under 1 s).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coding.reanchor import reanchor  # noqa: E402

TARGET_SECONDS = 1.0
WORDS = [
    "the",
    "council",
    "partnership",
    "funding",
    "we",
    "said",
    "about",
    "that",
    "community",
    "housing",
    "really",
    "meeting",
    "officer",
    "trust",
    "because",
    "they",
    "were",
    "going",
    "to",
    "health",
    "people",
    "board",
    "review",
    "and",
    "so",
    "I",
    "think",
    "it",
    "was",
    "our",
    "local",
    "voluntary",
    "sector",
    "😀",
    "Ngozi",
    "Müller",
]


def transcript(rng: random.Random, words: int) -> str:
    lines, count = [], 0
    while count < words:
        n = rng.randint(8, 60)
        speaker = rng.choice(["Interviewer", "Participant"])
        lines.append(f"{speaker}: " + " ".join(rng.choice(WORDS) for _ in range(n)) + ".")
        count += n + 1
    return "\n".join(lines) + "\n"


def excerpts_of(rng: random.Random, text: str, n: int) -> list[tuple[int, int, int]]:
    out = []
    for key in range(n):
        start = rng.randrange(0, len(text) - 400)
        out.append((key, start, start + rng.randint(20, 400)))
    return out


def scattered_edits(rng: random.Random, text: str, n: int) -> str:
    positions = sorted(rng.sample(range(len(text) - 50), n), reverse=True)
    for at in positions:
        kind = rng.choice(["insert", "delete", "replace"])
        if kind == "insert":
            text = text[:at] + rng.choice([" well,", " [inaudible]", "\n", " 😀"]) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + rng.randint(1, 30) :]
        else:
            text = text[:at] + "[chief executive]" + text[at + rng.randint(1, 20) :]
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--words", type=int, default=50_000)
    parser.add_argument("--excerpts", type=int, default=2_000)
    parser.add_argument("--edits", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    old = transcript(rng, args.words)
    excerpts = excerpts_of(rng, old, args.excerpts)
    new = scattered_edits(rng, old, args.edits)
    print(
        f"transcript: {len(old.split()):,} words, {len(old):,} code points; "
        f"{len(excerpts):,} excerpts; {args.edits} scattered edits"
    )
    walls, cpus = [], []
    fates: dict[str, int] = {}
    for run in range(1, args.runs + 1):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        outcomes = reanchor(old, new, excerpts)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        walls.append(wall)
        cpus.append(cpu)
        fates = {}
        for outcome in outcomes:
            fates[outcome.fate] = fates.get(outcome.fate, 0) + 1
        print(f"run {run}: {wall:.3f} s wall, {cpu:.3f} s CPU")
    walls.sort()
    p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
    median = statistics.median(walls)
    print(f"fates: {', '.join(f'{k} {v}' for k, v in sorted(fates.items()))}")
    print(
        f"re-anchor: median {median:.3f} s, p95 {p95:.3f} s wall; median CPU {statistics.median(cpus):.3f} s; "
        f"target < {TARGET_SECONDS:.1f} s: {'met' if median < TARGET_SECONDS else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
