"""Figures for suggested coding: training time on N coded sentences (cross-validation included), suggestions
for a 50,000-word interview, and the peak memory of the process while training. Synthetic text, no database.

    .venv/bin/python bench/suggest_bench.py [--excerpts 100000] [--codes 30]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from suggestions import learning  # noqa: E402

WORDS = [f"word{i}" for i in range(5000)]


def sentence(rng: random.Random, code: int | None) -> str:
    words = rng.choices(WORDS, k=12)
    if code is not None:
        words += [f"topic{code}a", f"topic{code}b"]
    rng.shuffle(words)
    return " ".join(words).capitalize() + "."


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--excerpts", type=int, default=100_000)
    parser.add_argument("--codes", type=int, default=30)
    parser.add_argument("--interviews", type=int, default=200)
    options = parser.parse_args()
    rng = random.Random(1)
    sentences, spans = [], []
    for index in range(options.excerpts * 2):
        code = rng.randrange(options.codes) if index % 2 == 0 else None
        interview = index % options.interviews
        sentences.append(learning.Sentence(interview, index * 200, index * 200 + 100, sentence(rng, code)))
        if code is not None:
            spans.append(learning.Span(interview, index * 200, index * 200 + 100, code))
    began = time.perf_counter()
    trained, labels = learning.train(sentences, spans)
    fitted = time.perf_counter() - began
    learning.cross_validate(sentences, labels, min_precision=0.6, min_examples=5, folds=3)
    total = time.perf_counter() - began
    print(
        f"training on {options.excerpts} excerpts ({len(sentences)} sentences, {options.codes} codes): "
        f"fit {fitted:.1f} s, with 3-fold cross-validation {total:.1f} s"
    )
    interview = [sentence(rng, rng.randrange(options.codes) if rng.random() < 0.3 else None) for _ in range(3600)]
    began = time.perf_counter()
    trained.predict(interview, range(options.codes))
    print(
        f"suggestions for a {sum(len(s.split()) for s in interview)}-word interview: "
        f"{1000 * (time.perf_counter() - began):.0f} ms"
    )
    print(f"peak memory of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
