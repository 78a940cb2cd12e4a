"""Helpers for the exchange tests: the REFI-QDA schemas and samples, fixture files, and a coded project."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from lxml import etree

from casestudies.models import CaseStudy, Interview, PhaseKind
from coding.models import Code, Excerpt, ExcerptCode, Memo
from coding.services import create_code, create_excerpt, save_memo, set_code_archived
from tests.factories import make_case_study, make_lead, make_participant, make_project, make_researcher

SHARED = Path(settings.BASE_DIR).parent / "shared" / "refi-qda"
SAMPLES = SHARED / "samples"
NS = {"q": "urn:QDA-XML:project:1.0", "c": "urn:QDA-XML:codebook:1.0"}


def schema(name: str) -> etree.XMLSchema:
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"{path} is not here (the shared REFI-QDA folder sits beside the checkout in CI)")
    return etree.XMLSchema(etree.parse(str(path)))


def assert_valid(document: bytes, schema_name: str) -> etree._Element:
    root = etree.fromstring(document)
    xsd = schema(schema_name)
    assert xsd.validate(root), xsd.error_log
    return root


def make_qdpx(xml: str | bytes, sources: dict[str, bytes | str] | None = None, qde_name: str = "project.qde") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(qde_name, xml.encode("utf-8") if isinstance(xml, str) else xml)
        for name, data in (sources or {}).items():
            archive.writestr(name, data.encode("utf-8") if isinstance(data, str) else data)
    return buffer.getvalue()


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def record_counts() -> dict[str, int]:
    """How many of each record exist: a refused import must leave every number as it was."""
    return {
        model.__name__: model.objects.count()
        for model in (Code, Interview, Excerpt, ExcerptCode, Memo, CaseStudy, get_user_model())
    }


TRANSCRIPT = (
    "Interviewer: How did the partnership start? 🙂\n\n"
    "Ruth: With a phone call, really. The café 🏠 was where we met.\n\n"
    "Interviewer: And trust?\n\n"
    "Ruth: Trust came later, after the first contract — about a year on."
)


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
