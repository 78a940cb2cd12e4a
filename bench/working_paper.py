"""Benchmark: a working paper from a synthetic project with 20 case studies and 5,000 coded passages.

    .venv/bin/python bench/working_paper.py [--case-studies 20] [--excerpts 5000] [--quotes 5]

Builds the data in a throw-away SQLite database (or the one DATABASE_URL names: use an empty one), then times
assembly (queries, pandas) and rendering (the template with its charts and WeasyPrint for the PDF; python-docx and
HTML too) separately, compares the PDF render with WeasyPrint's own render of the same HTML (both warm, the median
of a few rounds each), and prints pages per second. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VOCABULARY = """partnership commissioning consortium board merger trust contract council tenants services volunteers
funding regulator governance capacity efficiency outcomes relationships community learning evaluation innovation
accountability risk savings delivery members identity culture staff leadership strategy competition collaboration
subcontract prime housing support health employment back office shared costs scale"""
WORDS = VOCABULARY.split()


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(9, 22))
    return " ".join(["We"] + words).capitalize().replace("we ", "We ", 1) + "."


def transcript(rng: random.Random, speakers: list[str], turns: int) -> str:
    paragraphs = []
    for index in range(turns):
        paragraphs.append(f"Interviewer: {sentence(rng)[:-1]}?")
        speaker = speakers[index % len(speakers)]
        paragraphs.append(f"{speaker}: " + " ".join(sentence(rng) for _ in range(rng.randint(2, 9))))
    return "\n\n".join(paragraphs)


def build_project(args: argparse.Namespace):
    from django.contrib.auth import get_user_model

    from casestudies.models import CaseStudy, Interview, Organisation, Participant, PhaseKind, ResearchQuestion
    from casestudies.seed import load_partnership_project
    from casestudies.services import record_turns
    from coding.models import Code, Excerpt, ExcerptCode
    from reports.models import WorkingPaper

    rng = random.Random(2011)
    project = load_partnership_project()
    user = get_user_model().objects.create(username="bench-coder")
    questions = list(ResearchQuestion.objects.filter(group__project=project).in_order())
    CaseStudy.objects.filter(project=project).delete()
    case_studies = [
        CaseStudy.objects.create(
            project=project,
            title=f"Synthetic case study {n:02d}",
            slug=f"synthetic-{n:02d}",
            sector=rng.choice(["Housing", "Health and social care", "Employment services", "Cross-sector"]),
            region=rng.choice(["England", "Wales", "Scotland", "Northern Ireland", "London"]),
            lead_researchers="Bench Lead",
            order=n,
        )
        for n in range(1, args.case_studies + 1)
    ]
    for case_study in case_studies:
        case_study.forms_of_partnership.set(rng.sample(["Merger", "Consortium", "Group structure", "Alliance"], 2))
    organisation = Organisation.objects.create(project=project, name="Bench org", sector="third", kind="Charity")
    codes = []
    for index, question in enumerate(questions):
        parent = Code.objects.create(project=project, name=f"Theme {index + 1}", definition="A synthetic theme.")
        parent.research_questions.add(question)
        codes.append(parent)
        codes.extend(
            Code.objects.create(project=project, parent=parent, name=f"Theme {index + 1}.{child}", definition="Sub.")
            for child in range(1, 4)
        )
    interviews = []
    for case_study in case_studies:
        for number in range(5):
            pseudonyms = [f"P{case_study.order:02d}{number}{k}" for k in range(1 if number % 4 else 2)]
            people = [
                Participant.objects.create(
                    project=project,
                    pseudonym=name,
                    real_name=f"Real Person {name}",
                    role_title=rng.choice(["Chief executive", "Board chair", "Commissioner", "Service manager"]),
                    organisation=organisation,
                    consent_to_quote=rng.random() > 0.1,
                )
                for name in pseudonyms
            ]
            interview = Interview.objects.create(
                project=project,
                case_study=case_study,
                phase=PhaseKind.CASE_STUDY,
                title=f"{case_study.title}: interview {number + 1}",
                transcript=transcript(rng, pseudonyms, turns=40),
            )
            interview.participants.set(people)
            record_turns(interview=interview)
            interviews.append(interview)
    excerpts, links = [], []
    for _ in range(args.excerpts):
        interview = rng.choice(interviews)
        text = interview.transcript
        # From the start of a turn to the end of a sentence, as a coder would select a passage.
        start = text.rfind("\n", 0, rng.randrange(0, len(text) - 700)) + 1
        end = text.find(". ", start + rng.randint(120, 480)) + 1 or len(text)
        excerpts.append(
            Excerpt(
                interview=interview,
                start=start,
                end=end,
                text=text[start:end],
                coded_by=user,
                is_key_quote=rng.random() < 0.05,
            )
        )
    Excerpt.objects.bulk_create(excerpts, batch_size=1000)
    for excerpt in Excerpt.objects.filter(interview__project=project).only("id"):
        for code in rng.sample(codes, rng.randint(1, 3)):
            links.append(ExcerptCode(excerpt_id=excerpt.pk, code=code, applied_by=user))
    ExcerptCode.objects.bulk_create(links, batch_size=2000, ignore_conflicts=True)
    return WorkingPaper.objects.create(
        project=project,
        number=100,
        title="Synthetic benchmark paper",
        authors="Bench",
        quotations_per_question=args.quotes,
        introduction="A synthetic paper for timing.\n\n" * 3,
    )


class Timer:
    """Wall-clock and CPU time: on a shared machine the wall clock includes waiting for a core."""

    def __enter__(self) -> Timer:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self._wall, time.process_time() - self._cpu

    def __str__(self) -> str:
        return f"{self.cpu:.2f} s CPU ({self.wall:.2f} s wall)"


def median(timers: list[Timer]) -> Timer:
    return sorted(timers, key=lambda timer: timer.wall)[len(timers) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case-studies", type=int, default=20)
    parser.add_argument("--excerpts", type=int, default=5000)
    parser.add_argument("--quotes", type=int, default=5, help="quotations per question")
    parser.add_argument("--rounds", type=int, default=3, help="timed renders of the PDF, each way")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-paper-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ.setdefault("VAR_DIR", workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")
    os.environ.setdefault("DEBUG", "true")  # development settings (the fallback SECRET_KEY, plain HTTP), as before
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    from reports.assembly import assemble_paper
    from reports.rendering import render

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    paper = build_project(args)
    print(
        f"Synthetic data: {args.case_studies} case studies, {args.excerpts} excerpts, {args.quotes} quotation(s) per "
        f"question ({time.perf_counter() - started:.1f} s to make)"
    )

    assemble_paper(paper, reader=None)  # warm up imports and caches so that the figures below are steady
    with Timer() as assembly:
        assembled = assemble_paper(paper, reader=None)
    print(
        f"Assembly: {assembly} (the charts are drawn while rendering): "
        f"{assembled.passage_count} passages, {assembled.quotation_count} quotations, "
        f"{assembled.withheld_count} withheld"
    )
    # The first document WeasyPrint makes in a process loads fonts and stylesheets that later ones reuse, as in a
    # worker that has made one before: warm up, then time ours and WeasyPrint's alone in turn, and take medians.
    from weasyprint import HTML

    from reports.rendering import FONT_DIR, _fetcher_class, render_html

    with Timer() as cold:
        render(assembled, "pdf")
    print(f"Render PDF, the first in this process (cold): {cold}")
    # The floor: WeasyPrint's own render of the very HTML ours renders (charts drawn, fonts embedded, tagged), so
    # the template and the charts are what the ratio measures.
    html = render_html(assembled, embed_fonts=True)
    ours, alone = [], []
    for _ in range(args.rounds):
        with Timer() as timer:
            pdf = render(assembled, "pdf")
        ours.append(timer)
        with Timer() as timer:
            HTML(string=html, base_url=str(FONT_DIR), url_fetcher=_fetcher_class()()).write_pdf(pdf_tags=True)
        alone.append(timer)
    rendering, weasyprint_alone = median(ours), median(alone)
    print(f"Render PDF: {rendering}, {pdf.page_count} pages, {len(pdf.content) / 1e6:.1f} MB (median of {args.rounds})")
    print(
        f"WeasyPrint alone on the same HTML: {weasyprint_alone}; ours ÷ WeasyPrint's: "
        f"{rendering.wall / weasyprint_alone.wall:.2f}× wall clock, {rendering.cpu / weasyprint_alone.cpu:.2f}× CPU "
        "(target ≤ 1.2×)"
    )
    print(
        f"End to end (assembly and PDF): {assembly.wall + rendering.wall:.2f} s wall clock (target < 5 s); "
        f"{assembly.wall + cold.wall:.2f} s with the first PDF of a process"
    )
    print(
        f"Pages per second (CPU): {pdf.page_count / rendering.cpu:.1f} rendering only, "
        f"{pdf.page_count / (rendering.cpu + assembly.cpu):.1f} assembly and rendering; wall clock: "
        f"{pdf.page_count / rendering.wall:.1f} and {pdf.page_count / (rendering.wall + assembly.wall):.1f}"
    )
    for format in ("docx", "html"):
        with Timer() as timer:
            rendered = render(assembled, format)
        print(f"Render {format}: {timer}, {len(rendered.content) / 1e6:.1f} MB")
    out = Path(workdir) / "paper.pdf"
    out.write_bytes(pdf.content)
    print(f"PDF kept at {out}")


if __name__ == "__main__":
    main()
