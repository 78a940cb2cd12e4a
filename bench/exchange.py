"""How long REFI-QDA export and import take, on a throwaway test database.

    .venv/bin/python bench/exchange.py [--interviews 20] [--excerpts 100]

Builds a project of N interviews (about 6,000 words each, with emoji) and M excerpts per interview coded by
two coders, then times: the .qdpx export, the .qdc export, importing the export into an empty project, and
(when ../shared/refi-qda/samples is beside the checkout) importing the real NVivo and qc samples.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
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


def build(interviews: int, excerpts: int):
    from casestudies.models import Interview, PhaseKind
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
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
