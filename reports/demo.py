"""A draft working paper on the Partnership project, so that a lead can build a full PDF in one click.

Idempotent: the paper is found by its series and number, and text a lead has since edited is left alone.
It works with or without coding: without excerpts the paper says that nothing has been coded yet.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction

from casestudies.models import ResearchProject
from coding.models import Excerpt

from . import services
from .models import PaperSeries, PaperTemplate, WorkingPaper

SERIES = "Working Paper"
NUMBER = 58

ABSTRACT = """\
*Demo material: a fictional draft generated from fictional transcripts.*

This paper reports emerging findings from the case studies of the Partnership project: the forms that
partnership working takes in and with the third sector, why organisations enter into it, what gets in its
way, and how it might be learned from and evaluated. It sets out, question by question, what the case
studies say, in the participants' own words."""

INTRODUCTION = """\
The increasing emphasis on partnership working and collaboration in and with the third sector in the UK has
been driven by policy, by commissioning and regulation, and by the search for efficiency in a period of
restricted resources. The Partnership project is exploring three themes:

- the forms of partnership working between third sector organisations and public and private sector organisations;
- partnerships, strategic alliances and mergers within the third sector;
- innovation and learning from partnership working, and the evaluation of third sector partnerships.

The literature on collaboration warns against partnership for its own sake [@huxham2005], and the evidence on the
third sector's delivery of public services is mixed [@macmillan2010]. This draft brings together the coding of the
scoping interviews and the first round of case-study interviews.
Its purpose is to support the team's discussion of the emerging themes before the national workshops."""

METHODS_NOTE = """\
The research combined scoping interviews with national and local stakeholders and a set of in-depth case
studies chosen to exemplify different forms of partnership across a range of sectors. Each case study explores
most research questions to some degree and is used to drill down into those where its context makes it
particularly revealing. Interviews were transcribed and coded in the team's workbench against a codebook linked
to the research questions."""

CONCLUSIONS = """\
Three messages stand out for discussion at the workshops:

1. Partnership is often entered into from a position of weakness, under pressure from commissioners and funders,
   and the terms of a rescue differ from those of a chosen alliance.
2. Participants find it hard to show that partnership saves money; the effects are real but hard to attribute.
3. Evaluation is rarely planned at the outset, and the learning that partnerships generate is seldom captured.

**Next steps.** Complete the second round of case-study interviews; test the emerging typology of partnership forms
with the case-study organisations; and prepare a briefing for practitioners on preparing for partnership closure."""

KEY_FINDINGS = """\
*Demo material: the findings below are invented to show what a draft in the series looks like.*

- Partnership is most often entered into under pressure, from commissioners aggregating contracts or from a
  regulator, and participants distinguish sharply between a rescue and an alliance they chose.
- Shared back offices and group structures bring capacity more reliably than savings; the savings promised at
  the outset were rarely realised in full.
- Consortia let small organisations bid for contracts they could not win alone, but the cost of managing a
  consortium is seldom covered by the top slice.
- Few partnerships planned their evaluation at the outset, and the learning they generate is rarely written down."""

REFERENCES = """\
@book{huxham2005,
  author = {Huxham, Chris and Vangen, Siv},
  title = {Managing to collaborate: the theory and practice of collaborative advantage},
  publisher = {Routledge},
  address = {London},
  year = {2005}
}

@book{macmillan2010,
  author = {Macmillan, Rob},
  title = {The third sector delivering public services: an evidence review},
  publisher = {Third Sector Research Centre},
  address = {Birmingham},
  series = {TSRC Working Paper 20},
  year = {2010}
}
"""

KEYWORDS = "third sector; partnership working; mergers; consortia; commissioning; evaluation"

ACKNOWLEDGEMENTS = """\
We thank the (fictional) organisations and participants of the case studies for their time, and the members of
the project's reference group for their comments on an earlier draft. Any errors are the authors' own."""

GROUP_NARRATIVES = {
    "Context": "The first questions ask what partnership looks like in practice and why organisations enter into it.",
    "Partnership processes and relationships": (
        "These questions turn to how partnerships work once formed: what gets in the way, and what different "
        "arrangements achieve."
    ),
    "Learning, innovation and evaluation": (
        "Here the case studies are read for what partnership working teaches, and how its worth could be judged."
    ),
    "Emerging questions": (
        "The fieldwork raised further questions, which the next round of interviews will explore. They are listed "
        "here with what the coding so far has to say about them."
    ),
}

QUESTION_NARRATIVES = {
    "RQ1": (
        "Participants described a spectrum of arrangements, from informal alliances and shared back offices to "
        "consortia, group structures and full mergers. *Draft: to be developed.*"
    ),
    "RQ2": (
        "Financial pressure and the aggregation of contracts by commissioners were the drivers named most often; "
        "several participants were candid that partnership was a survival strategy."
    ),
    "RQ3": (
        "Barriers included the cost of managing consortia, questions of neutrality, and uneven power between partners."
    ),
    "RQ4": (
        "Participants weighed arrangements against one another in practical terms: a merger settles governance "
        "but costs identity, a consortium keeps independence but needs a lead body willing to carry the risk."
    ),
    "RQ5": (
        "Learning travelled mostly through people rather than documents: staff seconded between partners, and "
        "steering groups where practice was compared, were the channels participants named."
    ),
    "RQ6": (
        "Few partnerships had planned how they would be judged. Where evaluation happened it was driven by a "
        "funder's reporting, which counted outputs rather than the quality of the relationship."
    ),
    "E1": (
        "Partnerships imposed by a regulator or commissioner were described as compliant rather than committed; "
        "motivation grew only where partners found a purpose of their own."
    ),
    "E2": (
        "Lenders' covenants and local authority partners' priorities shaped the terms of several mergers, "
        "sometimes more than the partners' own plans."
    ),
    "E3": (
        "Participants could name the moments at which a partnership turned, for better or worse: a change of "
        "chief executive, a lost contract, a new commissioner."
    ),
    "E4": (
        "In the new supply chains small organisations reported taking the hardest cases on the thinnest margins; "
        "who wins depends on who holds the prime contract."
    ),
    "E5": (
        "Consortia were an effective response where members shared a back office and a bid team; where they did "
        "not, the consortium added cost without adding capacity."
    ),
}


@transaction.atomic
def load_demo(*, project: ResearchProject) -> str:
    lead = get_user_model().objects.filter(username="lead").first()
    paper = WorkingPaper.objects.filter(project=project, series=SERIES, number=NUMBER).first()
    created = paper is None
    if created:
        paper = services.save_paper(
            paper=WorkingPaper(
                project=project,
                series=SERIES,
                number=NUMBER,
                title="Partnership working in and with the third sector: emerging findings from the case studies",
                short_title="Partnership working: emerging findings",
                authors="The Partnership project team (demo)",
                date=datetime.date(2011, 12, 1),
                abstract=ABSTRACT,
                key_findings=KEY_FINDINGS,
                keywords=KEYWORDS,
                acknowledgements=ACKNOWLEDGEMENTS,
                introduction=INTRODUCTION,
                methods_note=METHODS_NOTE,
                conclusions=CONCLUSIONS,
                references=REFERENCES,
            ),
            created_by=lead,
        )
    existing_groups = set(paper.group_narratives.values_list("group__title", flat=True))
    existing_questions = set(paper.question_narratives.values_list("question__short_label", flat=True))
    services.save_narratives(
        paper=paper,
        group_texts={
            group: GROUP_NARRATIVES[group.title]
            for group in project.question_groups.all()
            if group.title in GROUP_NARRATIVES and group.title not in existing_groups
        },
        question_texts={
            question: QUESTION_NARRATIVES[question.short_label]
            for group in project.question_groups.prefetch_related("questions")
            for question in group.questions.all()
            if question.short_label in QUESTION_NARRATIVES and question.short_label not in existing_questions
        },
    )
    briefing = _load_housing_briefing(project=project, lead=lead)
    _load_series(project)
    passages = Excerpt.objects.filter(interview__project=project).count()
    state = "created" if created else "already there"
    return f"drafts “{paper.series_label}” ({state}) and “{briefing.title}”; {passages} coded passages to draw on."


ABOUT_CENTRE = """\
*Demo material: an invented description of the centre, to show the back page of the series.*

The Third Sector Research Centre exists to develop the evidence base on, for and with the third sector in the UK.
Working closely with practitioners, policy-makers and other academics, it undertakes and commissions research to
help support the sector and to share learning about what works."""

# The series' apparatus, as the back page of each paper prints it. The ISSNs are invented (with valid check digits).
SERIES_APPARATUS = {
    SERIES: {"issn": "2045-5119"},
    "Briefing Paper": {"issn": "2045-5127"},
}


def _load_series(project: ResearchProject) -> None:
    """The back page of the demo's two series, left alone once there (an admin may have edited it)."""
    for name, fields in SERIES_APPARATUS.items():
        PaperSeries.objects.get_or_create(
            project=project,
            name=name,
            defaults={
                **fields,
                "copyright_line": "© Third Sector Research Centre (demo). All rights reserved.",
                "about_centre": ABOUT_CENTRE,
                "funders": "Funded by (demo) a research council, a government office and a charitable trust.",
                "contact": "Third Sector Research Centre, University of Birmingham (demo)",
            },
        )


HOUSING_SLUGS = ["housing-association-mergers", "ni-housing-partnerships"]
HOUSING_KEY_FINDINGS = """\
*Demo material: invented findings, to show what a briefing in the series looks like.*

- Mergers and group structures among housing associations were driven by regulators and lenders as much as by
  the associations' own plans.
- A group structure let a smaller association keep its name, board and local relationships while sharing a
  back office.
- Consortia of providers in Northern Ireland were shaped by the commissioner's wish for fewer, bigger contracts.
- Tenants' influence is harder to keep in a bigger group: scrutiny panels are a work in progress."""
HOUSING_IMPLICATIONS = """\
- Boards considering a merger should decide early what the smaller partner keeps: its name, its board, its local
  relationships.
- Commissioners aggregating contracts should cost the management of a consortium into the contract.
- Plan how tenants will keep their influence before the merger, not after it."""
HOUSING_TITLE = "Housing associations in partnership: a briefing from two case studies"


def _load_housing_briefing(*, project: ResearchProject, lead) -> WorkingPaper:
    """A second draft limited to the two housing case studies: the one the demo researcher, who is a member of
    those two only, may read (a paper is open to a researcher only when every case study in it is)."""
    paper = WorkingPaper.objects.filter(project=project, title=HOUSING_TITLE).first()
    if paper is not None:
        return paper
    return services.save_paper(
        paper=WorkingPaper(
            project=project,
            series="Briefing Paper",
            title=HOUSING_TITLE,
            short_title="Housing associations in partnership",
            authors="The Partnership project team (demo)",
            date=datetime.date(2012, 2, 1),
            abstract="What the two housing case studies say about mergers, consortia and commissioning (demo).",
            template=PaperTemplate.BRIEFING,
            key_findings=HOUSING_KEY_FINDINGS,
            implications=HOUSING_IMPLICATIONS,
        ),
        case_studies=project.case_studies.filter(slug__in=HOUSING_SLUGS),
        created_by=lead,
    )
