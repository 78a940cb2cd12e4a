"""How long REFI-QDA export and import take, on a throwaway test database.

    .venv/bin/python bench/exchange.py [--interviews 20] [--excerpts 100]

Builds a project of N interviews (about 6,000 words each, with emoji) and M excerpts per interview coded by
two coders, then times: the .qdpx export, the .qdc export, importing the export into an empty project, and
(when ../shared/refi-qda/samples is beside the checkout) importing the real NVivo and qc samples. Then it
times the refusal of hostile files (a small archive holding a 400 MB source, headers that lie about a size,
XML with too many elements or nested too deep) and prints the most memory each held while being read.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import struct
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")
os.environ.setdefault("DEBUG", "true")  # development settings (the fallback SECRET_KEY, plain HTTP), as before

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def timed(label: str, action):
    started = time.perf_counter()
    result = action()
    print(f"{label:<58} {time.perf_counter() - started:7.2f} s")
    return result


def refused(label: str, data: bytes) -> None:
    """Import a file that must be refused; print how long that took and the most memory it held."""
    from django.core.exceptions import ValidationError

    from exchange.importing import import_project
    from tests.factories import make_project

    project = make_project()

    def attempt() -> str:
        try:
            import_project(project=project, upload=data, file_name="hostile.qdpx", imported_by=None)
        except ValidationError as error:
            return " ".join(error.messages)
        return "NOT REFUSED"

    started = time.perf_counter()
    attempt()
    elapsed = time.perf_counter() - started
    tracemalloc.start()  # a second time, for the memory: tracing slows Python's allocations several times over
    message = attempt()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<58} {elapsed:7.2f} s {peak / 2**20:7.1f} MB peak")
    print(f"    {message[:110]}")


def _project_xml(body: str = "") -> bytes:
    return (
        '<Project xmlns="urn:QDA-XML:project:1.0" name="x"><Sources>'
        '<TextSource guid="7C4D2E10-2222-4222-8222-000000000001" name="Interview 3" plainTextPath="internal://a.txt"/>'
        f"</Sources>{body}</Project>"
    ).encode()


def hostile_files() -> dict[str, bytes]:
    files = {}
    for megabytes in (400, 90):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("project.qde", _project_xml())
            with archive.open("sources/a.txt", "w") as entry:
                chunk = b"word " * (1024 * 1024 // 5)
                for _ in range(megabytes):
                    entry.write(chunk)
        files[f"a {len(buffer.getvalue()) / 2**20:.1f} MB .qdpx holding a {megabytes} MB source"] = buffer.getvalue()

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", _project_xml())
        archive.writestr("sources/a.txt", b"We met. " * (8 * 1024 * 1024))
    raw = bytearray(buffer.getvalue())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = -1
        while True:  # the source's headers say 1 KB for its 64 MB
            at = raw.index(signature, at + 1)
            name_at = at + (30 if offset == 22 else 46)
            if raw[name_at : name_at + 13] == b"sources/a.txt":
                struct.pack_into("<I", raw, at + offset, 1024)
                break
    files["headers saying 1 KB for a 64 MB source"] = bytes(raw)

    for label, body in (
        ("XML with 1,000,001 empty elements", "<Graphs>" + "<a/>" * 1_000_000 + "</Graphs>"),
        ("XML nested 100,000 deep", "<Graphs>" + "<a>" * 100_000 + "</a>" * 100_000 + "</Graphs>"),
    ):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("project.qde", _project_xml(body))
            archive.writestr("sources/a.txt", "Ruth: We met.")
        files[label] = buffer.getvalue()
    return files


def build(interviews: int, excerpts: int):
    from casestudies.models import Interview, PhaseKind
    from casestudies.services import record_turns
    from coding.models import Excerpt, ExcerptCode
    from coding.services import create_code
    from tests.factories import make_case_study, make_lead, make_project, make_researcher

    rng = random.Random(7)
    project = make_project(title="Benchmark project", slug="bench")
    lead = make_lead(project, first_name="Ruth", last_name="Ellis")
    case_study = make_case_study(project, title="Riverside", slug="riverside")
    researcher = make_researcher(project, case_study, first_name="Sam", last_name="Okafor")
    parents = [create_code(project=project, name=f"Theme {n}", created_by=lead) for n in range(10)]
    codes = [
        create_code(project=project, name=f"Code {n}", created_by=lead, parent=p) for p in parents for n in range(5)
    ]
    words = [
        "partnership",
        "trust",
        "funding",
        "contract",
        "council",
        "charity",
        "volunteers",
        "🙂",
        "café",
        "commissioning",
    ]
    for number in range(interviews):
        text = "\n\n".join(
            f"Speaker {turn % 2 + 1}: " + " ".join(rng.choice(words) for _ in range(60)) for turn in range(100)
        )
        interview = Interview.objects.create(
            project=project,
            case_study=case_study,
            title=f"Interview {number}",
            phase=PhaseKind.CASE_STUDY,
            transcript=text,
        )
        record_turns(interview=interview)
        made = []
        for n in range(excerpts):
            start = rng.randrange(0, len(text) - 400)
            made.append(
                Excerpt(
                    interview=interview,
                    start=start,
                    end=start + 300,
                    text=text[start : start + 300],
                    coded_by=lead if n % 2 else researcher,
                )
            )
        Excerpt.objects.bulk_create(made)
        ExcerptCode.objects.bulk_create(
            [ExcerptCode(excerpt=e, code=code, applied_by=e.coded_by) for e in made for code in rng.sample(codes, 2)]
        )
    return project, lead


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interviews", type=int, default=20)
    parser.add_argument("--excerpts", type=int, default=100)
    options = parser.parse_args()

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0)
    try:
        from exchange.exporting import build_codebook, build_project_archive
        from exchange.importing import import_project
        from tests.factories import make_lead, make_project

        print(f"Database: {connection.vendor}; {options.interviews} interviews × {options.excerpts} excerpts")
        project, lead = timed("building the project", lambda: build(options.interviews, options.excerpts))
        data = timed("export .qdpx", lambda: build_project_archive(project=project, user=lead))
        print(f"{'  size of the .qdpx':<58} {len(data) / 1024:7.0f} KB")
        timed("export .qdc", lambda: build_codebook(project))
        empty = make_project(slug="copy")
        copy_lead = make_lead(empty)
        report = timed(
            "import that .qdpx into an empty project",
            lambda: import_project(project=empty, upload=data, file_name="bench.qdpx", imported_by=copy_lead),
        )
        print(f"{'  excerpts imported':<58} {sum(c.new for c in report.counts if c.label == 'Excerpts'):7d}")
        samples = ROOT.parent / "shared" / "refi-qda" / "samples"
        for name in ("nvivo-12.6-win_oltas0517.qdpx", "qc-1.3.2_demo.qdpx"):
            if (samples / name).is_file():
                target = make_project()
                timed(
                    f"import sample {name}",
                    lambda target=target, name=name: import_project(
                        project=target, upload=(samples / name).read_bytes(), file_name=name, imported_by=None
                    ),
                )
        print("Refused while reading:")
        for label, hostile in hostile_files().items():
            refused(f"  {label}", hostile)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
