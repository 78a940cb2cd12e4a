"""Hostile transcript uploads, sent through the import page as a browser would, with the limits as shipped.

    .venv/bin/python bench/hostile_uploads.py                                          # SQLite, in memory
    DATABASE_URL=postgres:///partnership_uploads .venv/bin/python bench/hostile_uploads.py
    .venv/bin/python bench/hostile_uploads.py --only pdf md                            # cases whose name has these

Writes each hostile file into a temporary directory (zip bombs whose headers lie, honest but huge documents, PDF
Flate bombs, deeply nested Markdown and HTML, entity expansion, huge cue counts, files that claim one type and are
another, ...), then posts it to the interview import page through Django's test client, in a test database made
for the run and dropped after it. For each it prints whether it was refused or imported, the message the page
shows, the seconds the request took, how much the peak memory of this process (the web worker) grew, and the
memory of the child process that parsed the file, counted apart from the worker's: its peak resident size as wait4
reports it, and that peak less the peak of a child forked just before that does nothing.

Target: each answered in under 5 s, the worker's peak growing by under 200 MB, with a clear message.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")

import django  # noqa: E402

django.setup()

from bs4 import BeautifulSoup  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from casestudies import parsing_limits  # noqa: E402
from casestudies.models import Interview  # noqa: E402
from tests.casestudies import hostile_files as hostile  # noqa: E402
from tests.casestudies import transcript_files as files  # noqa: E402

MB = 1024 * 1024


def _odt_content_of(size: int) -> bytes:
    """An honest .odt whose content.xml is about `size` bytes of ordinary paragraphs."""
    turn = "Interviewer: " + "and then we went back to the council with the figures again " * 4
    return files.odt_file([f"{turn}{n}" for n in range(size // 300)])


CASES: list[tuple[str, str, Callable[[], bytes]]] = [
    # (file name, what it is, how to make it)
    ("bomb-lying.docx", "zip bomb, headers understate sizes, 1.9 GB", lambda: hostile.lying_zip_bomb_docx(1900 * MB)),
    ("honest-95mb.docx", "document.xml honestly 95 MB", lambda: hostile.honest_large_docx(95 * MB // 290)),
    (
        "honest-15mb.docx",
        "document.xml 15 MB (under the part limit)",
        lambda: hostile.honest_large_docx(15 * MB // 290),
    ),
    (
        "picture-95mb.docx",
        "honest 95 MB entry that no part refers to",
        lambda: hostile.zip_with_entry(files.docx_file(files.TURNS), name="word/media/image1.png", size=95 * MB),
    ),
    (
        "bomb-lying.odt",
        "odt zip bomb, headers understate, 1.9 GB",
        lambda: hostile.odt_bomb(1900 * MB, declared_size=10),
    ),
    ("honest-15mb.odt", "content.xml about 15 MB", lambda: _odt_content_of(15 * MB)),
    ("laughs.odt", "billion laughs in content.xml", hostile.odt_billion_laughs),
    ("flate-bomb.pdf", "Flate bomb, 1.5 GB of spaces", lambda: hostile.pdf_flate_bomb(1500 * MB)),
    ("flate-twice.pdf", "Flate bomb deflated twice, 1.5 GB", lambda: hostile.pdf_flate_bomb(1500 * MB, twice=True)),
    (
        "flate-cut.pdf",
        "truncated Flate bomb (damaged-stream path)",
        lambda: hostile.pdf_truncated_flate_bomb(1500 * MB),
    ),
    ("dense-page.pdf", "one page drawing 100,000 strings", lambda: hostile.pdf_many_text_operators(100_000)),
    ("long.pdf", "300 pages of ordinary text (1.1M characters)", lambda: hostile.pdf_of_pages(300)),
    ("typical.pdf", "40 pages of ordinary text (150,000 characters)", lambda: hostile.pdf_of_pages(40)),
    ("brackets.md", "nested brackets, 150 KB", lambda: hostile.markdown_nested_brackets(150_000)),
    ("open-links.md", "unclosed links [a]( x 40,000", lambda: hostile.markdown_open_links(40_000)),
    ("list.md", "3,000-level nested list", lambda: hostile.markdown_nested_list(3000)),
    ("quotes.md", "3,000-level nested quotation", lambda: hostile.markdown_nested_quotes(3000)),
    ("deep.html", "100,000 nested divs", lambda: hostile.html_nested(100_000)),
    ("laughs.html", "billion laughs in a DOCTYPE", hostile.html_billion_laughs),
    ("cues.vtt", "150,000 cues", lambda: hostile.vtt_cues(150_000)),
    ("cues.srt", "150,000 cues", lambda: hostile.srt_cues(150_000)),
    ("long.txt", "1.6 million characters", lambda: hostile.text_of_length(1_600_000)),
    ("max-size.txt", "19 MB of text", lambda: hostile.text_of_length(19 * MB)),
    ("turns.txt", "30,000 turns", lambda: hostile.text_with_many_turns(30_000)),
    ("words.txt", "420,000 characters of distinct words", lambda: hostile.text_of_distinct_words(140_000)),
    ("deep.rtf", "100,000 nested RTF groups", lambda: hostile.rtf_nested_groups(100_000)),
    ("zip-as.txt", "zip bomb named .txt (lying mimetype)", lambda: hostile.lying_zip_bomb_txt(1900 * MB)),
    ("pdf-bomb-as.docx", "PDF Flate bomb named .docx", lambda: hostile.pdf_flate_bomb(1500 * MB)),
    ("docx-bomb-as.pdf", "docx zip bomb named .pdf", lambda: hostile.lying_zip_bomb_docx(1900 * MB)),
]


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def _reset_peak() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux), so each upload's peak is its own."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def _message(response) -> str:
    if response.status_code in (301, 302):
        return ""
    page = BeautifulSoup(response.content, "html.parser")
    errors = [p.get_text(" ", strip=True) for p in page.select("p.error, .form-errors p")]
    return " ".join(errors) or f"(status {response.status_code}, no message on the page)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--only", nargs="*", default=[], help="run only the cases whose file name contains one of these"
    )
    args = parser.parse_args()

    from tests.factories import make_case_study, make_interview, make_lead, make_project

    logging.getLogger("django.request").setLevel(logging.ERROR)  # each refusal is a 400, logged as a warning
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        project = make_project()
        case_study = make_case_study(project)
        client = Client()
        client.force_login(make_lead(project))
        resettable = _reset_peak()
        print(
            f"Database: {connection.vendor}. Limits: child memory {parsing_limits.PARSE_MEMORY_BYTES // MB} MB, "
            f"CPU {parsing_limits.PARSE_CPU_SECONDS} s, wall clock {parsing_limits.PARSE_TIMEOUT_SECONDS:g} s."
            + ("" if resettable else " (VmHWM cannot be reset here: worker peaks are cumulative.)")
        )
        print(f"{'file':19} {'size':>9} {'result':>8} {'seconds':>8} {'worker +MB':>10} {'child MB/+MB':>12}  message")
        worst_seconds = worst_growth = 0.0
        with tempfile.TemporaryDirectory(prefix="hostile-uploads-") as folder:
            for name, what, make in CASES:
                if args.only and not any(part in name for part in args.only):
                    continue
                path = Path(folder) / name
                path.write_bytes(make())
                data = path.read_bytes()
                interview = make_interview(case_study, transcript="", title=f"Hostile {name}")
                url = reverse("casestudies:interview_import", args=[interview.pk])
                parsing_limits.run_bounded(lambda: "")  # a child that does nothing: what every child starts from
                child_at_rest = parsing_limits.last_child_usage.peak_rss_bytes
                parsing_limits.last_child_usage = None
                _reset_peak()
                rss_before = _status_kb("VmRSS")
                started = time.perf_counter()
                response = client.post(url, {"file": SimpleUploadedFile(name, data)})
                seconds = time.perf_counter() - started
                growth = (_status_kb("VmHWM") - rss_before) / 1024
                del data
                stored = Interview.objects.get(pk=interview.pk).transcript
                result = "imported" if response.status_code == 302 and stored else "refused"
                child = parsing_limits.last_child_usage
                # The child starts as a copy of the worker, so its own use is about its peak less an idle child's
                # (about, since a child's resident size counts only the shared pages it touches).
                child_mb = (
                    f"{child.peak_rss_bytes / MB:,.0f}/{max(0, child.peak_rss_bytes - child_at_rest) / MB:,.0f}"
                    if child
                    else "-"
                )
                size = f"{path.stat().st_size / 1024:,.0f} KB"
                message = _message(response) if result == "refused" else f"{len(stored):,} characters stored"
                print(
                    f"{name:19} {size:>9} {result:>8} {seconds:>8.2f} {growth:>10.0f} {child_mb:>12}  {what}: {message}"
                )
                worst_seconds, worst_growth = max(worst_seconds, seconds), max(worst_growth, growth)
                path.unlink()
        print(
            f"\nSlowest answer {worst_seconds:.2f} s (target < 5 s); largest worker peak growth {worst_growth:.0f} MB "
            "(target < 200 MB)."
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
