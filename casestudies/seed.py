"""The Partnership project as its briefing describes it, and the fictional demo material around it.

Everything here is idempotent: records are found by their natural keys and brought up to date, and saved only where
something differs, so that loading twice writes nothing (not even a row of history).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Model

from disclosure.speakers import text_digest

from .models import (
    CaseStudy,
    CaseStudyMembership,
    FieldworkPhase,
    Interview,
    Organisation,
    Participant,
    PhaseKind,
    ProjectMembership,
    ProjectRole,
    QuestionGroup,
    ResearchProject,
    ResearchQuestion,
    Theme,
)
from .services import record_turns
from .transcripts import normalise_transcript

PROJECT_SLUG = "partnership"
DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_PASSWORD = "partnership-demo"

THEMES = [
    "The forms of partnership working that exist between third sector organisations with public and "
    "private sector organisations",
    "Partnerships, strategic alliances and mergers within the third sector",
    "Innovation and learning from partnership working, and evaluation of third sector partnerships",
]

QUESTION_GROUPS: list[tuple[str, bool, list[str]]] = [
    (
        "Context",
        False,
        [
            "What are the key forms of inter-organisational collaboration in service delivery involving TSOs?",
            "What are/have been the main drivers and rationale for collaboration and partnership?",
        ],
    ),
    (
        "Partnership processes and relationships",
        False,
        [
            "What issues have arisen as barriers or downsides?",
            "What are the relative advantages of different types of collaborative arrangements in terms of "
            "e.g. service outcomes, accountabilities, efficiency, cost?",
        ],
    ),
    (
        "Learning, innovation and evaluation",
        False,
        [
            "How has innovation and inter-organisational learning been enhanced in collaborative and "
            "partnership working, and by merger?",
            "How can partnerships best be evaluated?",
        ],
    ),
    (
        "Emerging questions",
        True,
        [
            "What are the impacts of regulator/commissioner imposed partnerships on motivation and effectiveness?",
            "What are the main financial (lenders) and political (local authority partners) drivers and "
            "barriers to mergers and post-merger integration?",
            "From the process perspective, is it possible to identify the points at which partnerships need to "
            "move to different stages in their working, including preparation for partnership closure?",
            "Are TSOs surviving in new supply chains, e.g. in the Work Programme – and who wins and who loses "
            "in consortia involving TSOs?",
            "Are consortia an effective response for smaller TSOs to scaling up of contracts?",
        ],
    ),
]

PHASES = [
    (
        PhaseKind.SCOPING,
        "Scoping interviews",
        "Scoping interviews with key national and local stakeholders.",
        datetime.date(2010, 9, 1),
        datetime.date(2010, 11, 30),
        "Autumn 2010",
    ),
    (
        PhaseKind.CASE_STUDY,
        "Case studies",
        "An in-depth set of case studies designed to explore the research questions in more detail in a wide "
        "range of relevant contexts.",
        datetime.date(2011, 5, 1),
        datetime.date(2011, 8, 31),
        "May–August 2011",
    ),
    (
        PhaseKind.WORKSHOP,
        "Workshops and dissemination",
        "Testing and disseminating findings in national workshops and conferences.",
        datetime.date(2011, 9, 1),
        None,
        "September 2011 onwards",
    ),
]


@dataclass(frozen=True)
class CaseStudySeed:
    slug: str
    title: str
    lead_researchers: str
    focus: str
    sector: str
    region: str
    level: str
    forms: tuple[str, ...]
    focal_questions: tuple[int, ...]  # 1-based positions in the main research questions, RQ1..RQ6


CASE_STUDIES = [
    CaseStudySeed(
        "housing-association-mergers",
        "Housing association mergers in England",
        "David Mullins",
        "Mergers between housing associations in England, seeking to illuminate drivers, structures, process "
        "and outcomes: sector-level analysis of secondary data, stakeholder and expert interviews, and "
        "sampling at organisation level of (a) new mergers, to understand current drivers, forms and process, "
        "and (b) mergers completed a few years ago, to focus on post-merger process and outcomes.",
        "Housing",
        "England",
        CaseStudy.Level.SECTOR,
        ("Merger", "Group structure"),
        (2, 4, 5),
    ),
    CaseStudySeed(
        "ni-housing-partnerships",
        "Housing partnerships and consortia in Northern Ireland",
        "David Mullins",
        "Partnerships and consortia between housing associations and Supporting People providers: the impact "
        "of commissioning and regulation on the forms and operation of partnerships within the housing sector "
        "and between the housing and support sectors in Northern Ireland. Sector-level analysis with "
        "stakeholder and expert interviews and sampling at organisation level.",
        "Housing and support",
        "Northern Ireland",
        CaseStudy.Level.SECTOR,
        ("Consortium", "Supporting People partnership", "Commissioner-led partnership"),
        (1, 2, 3),
    ),
    CaseStudySeed(
        "rnib-group",
        "Royal National Institute of Blind People",
        "James Rees",
        "A single, new organisational entity, the RNIB/Action for the Blind association structure, formed "
        "through a ‘merger’ in 2009: the benefits of this organisational form for the various service "
        "delivery activities carried out by the group.",
        "Sight loss services",
        "United Kingdom",
        CaseStudy.Level.ORGANISATION,
        ("Merger", "Group structure", "Shared back office"),
        (4, 5),
    ),
    CaseStudySeed(
        "turning-point-connected-care",
        "Turning Point Connected Care",
        "Helen Dickinson and James Rees",
        "Partnership working between the charity Turning Point, a range of public sector agencies and their "
        "facilitation of communities to input into service commissioning strategies: a specific case of the "
        "Connected Care approach in Hammersmith and Fulham.",
        "Health and social care",
        "London (Hammersmith and Fulham)",
        CaseStudy.Level.PARTNERSHIP,
        ("Cross-sector partnership", "Community engagement in commissioning"),
        (1, 5, 6),
    ),
    CaseStudySeed(
        "employment-prime-contractor",
        "Employment services prime contractor",
        "Tony Bovaird",
        "The management of the overall supply chain of a major prime contractor in employment services, and "
        "the working of consortia of both third sector and private sector organisations delivering niche "
        "services within the Work Programme.",
        "Employment services",
        "England",
        CaseStudy.Level.PARTNERSHIP,
        ("Prime contractor supply chain", "Consortium", "Subcontracting"),
        (3, 4, 6),
    ),
    CaseStudySeed(
        "real-times-partnership",
        "Partnership working: emerging lessons from ‘Real Times’",
        "Rob Macmillan",
        "Over time, the fortunes, challenges, strategies and performance of fifteen case studies of third "
        "sector activity, including various dimensions of partnership working: existing data from the "
        "qualitative longitudinal study and ongoing research in its next wave.",
        "Cross-sector",
        "England",
        CaseStudy.Level.MULTIPLE,
        ("Local collaboration", "Shared back office", "Informal alliance"),
        (1, 2, 3),
    ),
]


def up_to_date[M: Model](model: type[M], *, defaults: dict[str, Any], **lookup: Any) -> tuple[M, bool]:
    """The record found by `lookup`, created with `defaults` or brought up to date with them; and whether it is new.

    Unlike `update_or_create`, an existing record is saved only when a value differs, and then only those fields.
    """
    record = model.objects.filter(**lookup).first()
    if record is None:
        return model.objects.create(**lookup, **defaults), True
    changed = []
    for name, value in defaults.items():
        field = model._meta.get_field(name)
        wanted = value.pk if field.is_relation and value is not None else value
        if getattr(record, field.attname) != wanted:
            setattr(record, name, value)
            changed.append(name)
    if changed:
        record.save(update_fields=changed)
    return record, False


@transaction.atomic
def load_partnership_project() -> ResearchProject:
    project, _ = up_to_date(
        ResearchProject,
        slug=PROJECT_SLUG,
        defaults={
            "title": "Partnership working in and with the third sector",
            "centre": "Third Sector Research Centre",
            "stream": "Service Delivery",
            "summary": (
                "How third sector organisations enter into partnerships for service delivery, with each other "
                "and with public agencies and private sector organisations: forms and drivers of partnership, "
                "barriers and relative advantages, innovation and learning, and evaluation."
            ),
        },
    )
    for order, title in enumerate(THEMES, start=1):
        up_to_date(Theme, project=project, title=title, defaults={"order": order})
    questions: list[ResearchQuestion] = []
    main_number = emerging_number = 0
    for group_order, (group_title, is_emerging, texts) in enumerate(QUESTION_GROUPS, start=1):
        group, _ = up_to_date(
            QuestionGroup,
            project=project,
            title=group_title,
            defaults={"order": group_order, "is_emerging": is_emerging},
        )
        for order, text in enumerate(texts, start=1):
            if is_emerging:
                emerging_number += 1
                label = f"E{emerging_number}"
            else:
                main_number += 1
                label = f"RQ{main_number}"
            question, _ = up_to_date(
                ResearchQuestion, group=group, text=text, defaults={"order": order, "short_label": label}
            )
            if not is_emerging:
                questions.append(question)
    for kind, title, description, starts_on, ends_on, label in PHASES:
        up_to_date(
            FieldworkPhase,
            project=project,
            kind=kind,
            defaults={
                "title": title,
                "description": description,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "period_label": label,
            },
        )
    for order, seed in enumerate(CASE_STUDIES, start=1):
        values = {
            "title": seed.title,
            "lead_researchers": seed.lead_researchers,
            "focus": seed.focus,
            "sector": seed.sector,
            "region": seed.region,
            "level_of_analysis": seed.level,
            "order": order,
        }
        # The briefing's case studies are in fieldwork; a status a lead has moved on since is theirs to keep.
        status = CaseStudy.objects.filter(project=project, slug=seed.slug).values_list("status", flat=True).first()
        if status in (None, CaseStudy.Status.PLANNED):
            values["status"] = CaseStudy.Status.FIELDWORK
        case_study, _ = up_to_date(CaseStudy, project=project, slug=seed.slug, defaults=values)
        case_study.forms_of_partnership.set(list(seed.forms))
        case_study.focal_questions.set([questions[n - 1] for n in seed.focal_questions])
    return project


def _demo_user(username: str, *, first_name: str, last_name: str, is_staff: bool = False):
    """A demo account, with an address at example.org (reserved for examples: mail to it goes nowhere), so that a
    password reset or an invitation can be tried with it under `make run`, whose mail is printed."""
    user_model = get_user_model()
    email = f"{username}@example.org"
    user, created = user_model.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "is_staff": is_staff,
            "is_superuser": is_staff,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    elif not user.email:
        user.email = email
        user.save(update_fields=["email"])
    return user


@transaction.atomic
def load_demo(project: ResearchProject) -> dict[str, int]:
    """Demo users, organisations, participants and the fictional transcripts, all clearly labelled."""
    _demo_user("admin", first_name="Ada", last_name="Admin (demo)", is_staff=True)
    lead = _demo_user("lead", first_name="Lena", last_name="Lead (demo)")
    researcher = _demo_user("researcher", first_name="Rafi", last_name="Researcher (demo)")
    users = {"lead": lead, "researcher": researcher}
    up_to_date(ProjectMembership, project=project, user=lead, defaults={"role": ProjectRole.LEAD})
    up_to_date(ProjectMembership, project=project, user=researcher, defaults={"role": ProjectRole.RESEARCHER})
    for case_study in project.case_studies.all():
        up_to_date(
            CaseStudyMembership, case_study=case_study, user=lead, defaults={"role": CaseStudyMembership.Role.LEAD}
        )
    for slug in ("housing-association-mergers", "ni-housing-partnerships"):
        up_to_date(
            CaseStudyMembership,
            case_study=project.case_studies.get(slug=slug),
            user=researcher,
            defaults={"role": CaseStudyMembership.Role.RESEARCHER},
        )

    counts = {"organisations": 0, "participants": 0, "interviews": 0}
    for path in sorted(DEMO_DIR.glob("interviews_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        organisations = {}
        for item in data["organisations"]:
            organisations[item["name"]], _ = up_to_date(
                Organisation,
                project=project,
                name=item["name"],
                defaults={"sector": item["sector"], "kind": item["kind"]},
            )
            counts["organisations"] += 1
        participants = {}
        for item in data["participants"]:
            participants[item["pseudonym"]], _ = up_to_date(
                Participant,
                project=project,
                pseudonym=item["pseudonym"],
                defaults={
                    "real_name": item["real_name"],
                    "role_title": item["role_title"],
                    "organisation": organisations[item["organisation"]],
                    "consent_to_quote": item["consent_to_quote"],
                    "anonymity": item["anonymity"],
                },
            )
            counts["participants"] += 1
        for item in data["interviews"]:
            _load_demo_interview(project, item, participants, users)
            counts["interviews"] += 1
    return counts


def _load_demo_interview(project: ResearchProject, item: dict, participants: dict, users: dict) -> Interview:
    source = f"demo:{item['file']}"
    transcript = normalise_transcript((DEMO_DIR / "transcripts" / item["file"]).read_text(encoding="utf-8"))
    case_study = project.case_studies.get(slug=item["case_study"]) if item["case_study"] else None
    interview = Interview.objects.filter(project=project, transcript_source=source).first()
    fields = {
        "title": item["title"],
        "case_study": case_study,
        "phase": item["phase"],
        "date": datetime.date.fromisoformat(item["date"]),
        "interviewer": users[item["interviewer"]],
    }
    if interview is None:
        interview = Interview(project=project, transcript_source=source, transcript=transcript, **fields)
        interview.full_clean()
        interview.save()
    else:
        # The canonical text never changes under existing excerpts.
        if not interview.excerpts.exists():
            fields["transcript"] = transcript
        interview, _ = up_to_date(Interview, pk=interview.pk, defaults=fields)
    if interview.turns_digest != text_digest(interview.transcript):
        record_turns(interview=interview)
    interview.participants.set([participants[name] for name in item["participants"]])
    return interview
