"""How long reading a transcript takes, per format, for a typical interview and for a long one.

    .venv/bin/python bench/import_formats.py [--words 15000 60000]

Prints, for each format and size, the file's size and the median time of three reads through
`casestudies.importers.read_transcript` (no database involved).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")
os.environ.setdefault("DEBUG", "true")  # development settings (the fallback SECRET_KEY, plain HTTP), as before

import django  # noqa: E402

django.setup()

from casestudies.importers import read_transcript  # noqa: E402
from tests.casestudies import transcript_files as files  # noqa: E402

SENTENCE = "We went back to the council with the figures from the first year, and they listened this time."


def turns_for(words: int) -> list[str]:
    per_turn = 60
    count = max(2, words // per_turn)
    body = " ".join([SENTENCE] * (per_turn // len(SENTENCE.split()) + 1))
    return [f"{'Interviewer' if n % 2 == 0 else 'Siân'}: {body}" for n in range(count)]


def cues_for(turns: list[str]) -> list[tuple[float, float, str]]:
    return [(n * 5.0, n * 5.0 + 4.5, turn) for n, turn in enumerate(turns)]


def vtt_for(turns: list[str]) -> bytes:
    def stamp(seconds: float) -> str:
        return f"{int(seconds) // 3600:02d}:{int(seconds) % 3600 // 60:02d}:{seconds % 60:06.3f}"

    cues = [
        (stamp(start), stamp(end), f"<v {text.split(':')[0]}>{text.split(': ', 1)[1]}")
        for start, end, text in cues_for(turns)
    ]
    return files.vtt_file(cues)


MAKERS = {
    "txt": lambda turns: "\n\n".join(turns).encode(),
    "docx": files.docx_file,
    "odt": files.odt_file,
    "pdf": files.pdf_file,
    "rtf": files.rtf_file,
    "html": files.html_file,
    "md": lambda turns: "\n\n".join(turns).encode(),
    "vtt": vtt_for,
    "srt": lambda turns: files.srt_file(cues_for(turns)),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--words", type=int, nargs="+", default=[15_000, 60_000])
    parser.add_argument("--formats", nargs="+", default=list(MAKERS))
    args = parser.parse_args()
    print(f"{'format':8} {'words':>8} {'file size':>12} {'read (median of 3)':>20}")
    for words in args.words:
        turns = turns_for(words)
        for key in args.formats:
            data = MAKERS[key](turns)
            timings = []
            for _ in range(3):
                started = time.perf_counter()
                result = read_transcript(name=f"bench.{key}", data=data)
                timings.append(time.perf_counter() - started)
            assert len(result.turns) >= len(turns), (key, len(result.turns), len(turns))
            size = f"{len(data) / 1024:,.0f} KB"
            print(f"{key:8} {len(result.text.split()):>8,} {size:>12} {statistics.median(timings):>18.2f} s")


if __name__ == "__main__":
    main()
