"""Benchmark of the analysis pages' computations: 200 interviews, 100,000 excerpts.

    .venv/bin/python bench/analysis_bench.py                      # SQLite file under var/bench/
    DATABASE_URL=postgres:///bench_analysis .venv/bin/python bench/analysis_bench.py   # (createdb first)

It builds the data once (kept between runs; --rebuild starts again), then times each coding matrix, the
framework matrix, a code query, the co-occurrence matrix, the excerpt list behind a cell, search, and the
agreement for one pair of coders, as a project lead sees them: the median of five runs after one warm-up.
Target: each under one second.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")
os.environ.setdefault("DEBUG", "true")  # development settings (the fallback SECRET_KEY, plain HTTP), as before
if "DATABASE_URL" not in os.environ:
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'analysis.sqlite3'}"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from analysis.cooccurrence import Relation, cooccurrence_matrix  # noqa: E402
from analysis.queries import run_code_query  # noqa: E402
from analysis.search import search_transcripts  # noqa: E402
from analysis.selectors import (  # noqa: E402
    MATRIX_KINDS,
    CellFilter,
    Scope,
    agreement_report,
    build_matrix,
    coded,
    coding_frame,
    excerpt_ids,
    framework_matrix,
)
from casestudies.models import (  # noqa: E402
    CaseStudy,
    CaseStudyMembership,
    Interview,
    Organisation,
    Participant,
    PhaseKind,
    ProjectMembership,
    ProjectRole,
    QuestionGroup,
    ResearchProject,
    ResearchQuestion,
    Sector,
)
from casestudies.services import record_turns  # noqa: E402
from coding.models import Code, Excerpt, ExcerptCode  # noqa: E402

SLUG = "bench-analysis"
INTERVIEWS = 200
EXCERPTS = 100_000
DOUBLE_CODED = 20  # interviews coded by both coders of the agreement pair
WORDS = [
    "partnership",
    "trust",
    "funding",
    "council",
    "charity",
    "commissioning",
    "merger",
    "board",
    "contract",
    "consortium",
    "housing",
    "support",
    "provider",
    "learning",
    "evaluation",
    "innovation",
    "risk",
    "accountability",
    "outcome",
    "volunteer",
    "community",
    "the",
    "and",
    "of",
    "to",
    "in",
    "that",
    "we",
    "was",
    "it",
    "for",
    "they",
    "with",
    "on",
    "but",
]


def build() -> ResearchProject:
    from django.contrib.auth import get_user_model

    generator = random.Random(2011)
    users = get_user_model()
    lead, _ = users.objects.get_or_create(username="bench-lead", defaults={"first_name": "Bench", "last_name": "Lead"})
    coders = [
        users.objects.get_or_create(username=f"bench-coder-{n}", defaults={"first_name": "Coder", "last_name": str(n)})[
            0
        ]
        for n in range(1, 5)
    ]
    project = ResearchProject.objects.create(title="Benchmark project", slug=SLUG)
    ProjectMembership.objects.create(project=project, user=lead, role=ProjectRole.LEAD)
    groups = [QuestionGroup.objects.create(project=project, title=f"Group {n}", order=n) for n in range(1, 4)]
    questions = [
        ResearchQuestion.objects.create(group=groups[n % 3], text=f"Question {n}?", short_label=f"RQ{n}", order=n)
        for n in range(1, 13)
    ]
    case_studies = [
        CaseStudy.objects.create(project=project, title=f"Case study {n}", slug=f"case-{n}", order=n) for n in range(10)
    ]
    for case_study in case_studies:
        for coder in coders:
            CaseStudyMembership.objects.create(case_study=case_study, user=coder)
    organisations = [
        Organisation.objects.create(
            project=project, name=f"Organisation {n}", sector=list(Sector)[n % 3], kind=f"Kind {n % 7}"
        )
        for n in range(30)
    ]
    participants = [
        Participant.objects.create(
            project=project, pseudonym=f"Person{n}", role_title="Manager", organisation=organisations[n % 30]
        )
        for n in range(260)
    ]
    codes: list[Code] = []
    for top in range(10):
        parent = Code.objects.create(project=project, name=f"Theme {top}", order=top)
        codes.append(parent)
        for child in range(5):
            codes.append(Code.objects.create(project=project, name=f"Theme {top}.{child}", parent=parent, order=child))
    for n, code in enumerate(codes):
        code.research_questions.set([questions[n % 12]])
    interviews = []
    for n in range(INTERVIEWS):
        paragraphs = []
        for turn in range(120):
            speaker = "Interviewer" if turn % 2 == 0 else f"Person{n}"
            sentence = " ".join(generator.choice(WORDS) for _ in range(generator.randint(20, 60)))
            paragraphs.append(f"{speaker}: {sentence.capitalize()}.")
        interviews.append(
            Interview(
                project=project,
                case_study=case_studies[n % 10],
                title=f"Interview {n}",
                phase=PhaseKind.CASE_STUDY,
                transcript="\n\n".join(paragraphs),
            )
        )
    interviews = Interview.objects.bulk_create(interviews)
    through = Interview.participants.through
    through.objects.bulk_create(
        [through(interview_id=i.pk, participant_id=participants[n % 260].pk) for n, i in enumerate(interviews)]
        + [
            through(interview_id=i.pk, participant_id=participants[(n + 1) % 260].pk)
            for n, i in enumerate(interviews[:60])
        ]
    )
    for interview in interviews:
        record_turns(interview=interview)
    excerpts = []
    per_interview = EXCERPTS // INTERVIEWS
    for n, interview in enumerate(interviews):
        length = len(interview.transcript)
        for k in range(per_interview):
            # The first DOUBLE_CODED interviews are coded by coders 1 and 2 both; the rest by coders 2 to 4.
            coder = coders[k % 2] if n < DOUBLE_CODED else coders[1 + (n + k) % 3]
            start = generator.randrange(0, length - 700)
            end = start + generator.randint(80, 600)
            excerpts.append(
                Excerpt(interview=interview, start=start, end=end, text=interview.transcript[start:end], coded_by=coder)
            )
    with transaction.atomic():
        excerpts = Excerpt.objects.bulk_create(excerpts, batch_size=2000)
        links = []
        for excerpt in excerpts:
            for code in generator.sample(codes, generator.choice((1, 1, 2, 3))):
                links.append(ExcerptCode(excerpt=excerpt, code=code, applied_by=excerpt.coded_by))
        ExcerptCode.objects.bulk_create(links, batch_size=5000)
    return project


def clear() -> None:
    """Delete the benchmark project; interviews and sub-codes first, as their keys protect them."""
    project = ResearchProject.objects.filter(slug=SLUG).first()
    if project is None:
        return
    with transaction.atomic():
        Interview.objects.filter(project=project).delete()
        Code.objects.filter(project=project, parent__isnull=False).delete()
        project.delete()


def timed(label: str, work, runs: int = 5) -> float:
    """Median wall-clock time of `runs` runs after a warm-up; CPU time of this process beside it (on a shared
    machine the wall clock also counts other people's work; with PostgreSQL the CPU time leaves out the server's)."""
    work()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    median = statistics.median(walls)
    verdict = "ok" if median < 1 else "OVER 1 s"
    cpu = statistics.median(cpus)
    print(f"{label:<58} {median * 1000:6.0f} ms  (min {min(walls) * 1000:4.0f})   CPU {cpu * 1000:5.0f} ms  {verdict}")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", action="store_true", help="Delete the benchmark project and build it again.")
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    if options.rebuild:
        clear()
    project = ResearchProject.objects.filter(slug=SLUG).first()
    if project is None:
        started = time.perf_counter()
        project = build()
        print(f"Built the benchmark data in {time.perf_counter() - started:.0f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a bulk load
    from django.contrib.auth import get_user_model

    lead = get_user_model().objects.get(username="bench-lead")
    alice, bob = get_user_model().objects.filter(username__in=["bench-coder-1", "bench-coder-2"]).order_by("username")
    counts = (
        Interview.objects.filter(project=project).count(),
        Excerpt.objects.filter(interview__project=project).count(),
        ExcerptCode.objects.filter(excerpt__interview__project=project).count(),
        Code.objects.filter(project=project).count(),
    )
    print(f"Database: {connection.vendor}; {counts[0]} interviews, {counts[1]:,} excerpts, ", end="")
    print(f"{counts[2]:,} code links, {counts[3]} codes")
    print(f"Load average when starting: {', '.join(f'{n:.1f}' for n in os.getloadavg())} (on {os.cpu_count()} cores)")
    print()
    scope = Scope()
    results = {}
    for kind, title in MATRIX_KINDS.items():
        results[kind] = timed(f"Matrix: {title[:48]}", lambda kind=kind: build_matrix(lead, project, scope, kind))
    group = project.question_groups.order_by("order").first()
    results["framework"] = timed(
        "Framework matrix (one question group)", lambda: framework_matrix(lead, project, group)
    )
    theme, child = (
        Code.objects.filter(project=project, parent__isnull=True).first(),
        Code.objects.filter(project=project, parent__isnull=False).first(),
    )

    def query() -> list[int]:
        frame = coded(coding_frame(lead, project, scope))
        return run_code_query(frame, code_a=theme.pk, operator="near", code_b=child.pk, distance=200)

    results["query"] = timed("Code query: A within 200 characters of B", query)

    def cooccurrence() -> None:
        frame = coded(coding_frame(lead, project, scope))
        ids = list(Code.objects.filter(project=project).values_list("pk", flat=True))
        cooccurrence_matrix(frame, ids, relation=Relation.OVERLAP)

    results["cooccurrence"] = timed("Co-occurrence, overlapping text (60 × 60 codes)", cooccurrence)
    results["agreement"] = timed(
        f"Agreement, one pair of coders ({DOUBLE_CODED} interviews, all codes)",
        lambda: agreement_report(lead, project, coder_a=alice.pk, coder_b=bob.pk, interview_ids=[], code_ids=[]),
    )
    case_study = project.case_studies.first()
    results["cell"] = timed(
        "Excerpts behind one cell (code × case study)",
        lambda: excerpt_ids(lead, project, scope, CellFilter(code_id=theme.pk, case_key=case_study.pk)),
    )
    results["search"] = timed(
        "Search: “partnership trust”", lambda: search_transcripts(lead, project, "partnership trust")
    )
    client = Client(headers={"host": "localhost"})
    client.force_login(lead)
    url = reverse("analysis:matrix", args=[project.slug, "codes-by-case-study"])
    results["page"] = timed("Whole page: codes by case study (HTML)", lambda: client.get(url))
    print()
    over = [name for name, value in results.items() if value >= 1]
    print("All under 1 s." if not over else f"Over 1 s: {', '.join(over)}")


if __name__ == "__main__":
    main()
