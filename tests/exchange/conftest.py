"""A coded project to export, import and compare."""

from __future__ import annotations

import datetime as dt

import pytest

from casestudies.models import CaseStudy, Interview, PhaseKind
from coding.services import create_code, create_excerpt, save_memo, set_code_archived
from tests.factories import make_case_study, make_lead, make_participant, make_project, make_researcher

from .helpers import TRANSCRIPT


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files wait for their import under MEDIA_ROOT: a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def coded_project(db):
    """A project with nested codes, two case studies, two coders' overlapping excerpts and memos everywhere."""
    project = make_project(title="Partnership working", summary="How the third sector works with others.")
    lead = make_lead(project, username="ruth", first_name="Ruth", last_name="Ellis")
    riverside = make_case_study(
        project,
        title="Riverside Housing Partnership",
        slug="riverside",
        sector="Housing",
        region="North West",
        level_of_analysis=CaseStudy.Level.PARTNERSHIP,
        status=CaseStudy.Status.FIELDWORK,
        lead_researchers="R. Ellis",
        focus="A housing association and a council working together.",
    )
    riverside.forms_of_partnership.set(["Contract", "Alliance"])
    riverside.topics.set(["Homelessness"])
    youth = make_case_study(project, title="Youth Services Consortium", slug="youth", sector="", region="")
    researcher = make_researcher(project, riverside, username="sam", first_name="Sam", last_name="Okafor")
    outsider = make_researcher(project, youth, username="priya", first_name="Priya", last_name="Shah")

    partnership = create_code(
        project=project,
        name="Partnership",
        created_by=lead,
        definition="How organisations work together.",
        colour="#aa3300",
        is_codable=False,
    )
    trust = create_code(
        project=project, name="Trust", created_by=lead, parent=partnership, colour="#2ca02c", tags=["relational"]
    )
    conflict = create_code(project=project, name="Conflict", created_by=lead, parent=partnership)
    funding = create_code(project=project, name="Funding", created_by=lead, definition="Money, and who holds it.")
    contracts = create_code(project=project, name="Contracts", created_by=lead, parent=funding)
    commissioning = create_code(project=project, name="Commissioning", created_by=lead, parent=contracts)
    old = create_code(project=project, name="Old idea", created_by=lead)

    interview = Interview.objects.create(
        project=project,
        case_study=riverside,
        title="Ruth, chief executive",
        phase=PhaseKind.CASE_STUDY,
        date=dt.date(2011, 5, 12),
        transcript=TRANSCRIPT,
    )
    interview.participants.add(make_participant(project, pseudonym="Ruth", real_name="Margaret Thornbury"))
    scoping = Interview.objects.create(
        project=project,
        title="Scoping: umbrella body",
        phase=PhaseKind.SCOPING,
        transcript="Interviewer: What matters most?\n\nJo: Funding, always funding.",
    )
    youth_interview = Interview.objects.create(
        project=project, case_study=youth, title="Youth worker", transcript="Youth: We share a building."
    )

    call = TRANSCRIPT.index("With a phone call")
    contract = TRANSCRIPT.index("the first contract")
    first = create_excerpt(
        interview=interview,
        start=call,
        end=call + len("With a phone call, really. The café 🏠 was where we met."),
        coded_by=lead,
        codes=[trust, contracts],
        memo="The founding story.",
    )
    second = create_excerpt(
        interview=interview, start=call + 5, end=call + 17, coded_by=researcher, codes=[trust, conflict]
    )
    third = create_excerpt(
        interview=interview, start=contract, end=contract + len("the first contract"), coded_by=researcher, codes=[]
    )
    fourth = create_excerpt(interview=scoping, start=33, end=40, coded_by=lead, codes=[funding, commissioning])
    hidden = create_excerpt(interview=youth_interview, start=0, end=5, coded_by=outsider, codes=[conflict])
    set_code_archived(code=old, is_archived=True)

    memos = {
        "code": save_memo(project=project, author=lead, text="Trust is built slowly.", title="On trust", code=trust),
        "interview": save_memo(project=project, author=researcher, text="A warm interview.", interview=interview),
        "case_study": save_memo(
            project=project, author=lead, text="Access agreed in March.", title="Access", case_study=riverside
        ),
        "project": save_memo(project=project, author=lead, text="Remember the ethics form.", title="Reminder"),
        "hidden": save_memo(project=project, author=outsider, text="Youth memo.", case_study=youth),
    }
    return {
        "project": project,
        "lead": lead,
        "researcher": researcher,
        "outsider": outsider,
        "case_studies": {"riverside": riverside, "youth": youth},
        "codes": {c.name: c for c in (partnership, trust, conflict, funding, contracts, commissioning, old)},
        "interviews": {"interview": interview, "scoping": scoping, "youth": youth_interview},
        "excerpts": [first, second, third, fourth, hidden],
        "memos": memos,
    }
