"""A small study to write papers about: two question groups, two case studies and a scoping interview,
participants who did and did not consent to be quoted, and passages coded against the questions."""

from dataclasses import dataclass

import pytest

from casestudies.models import FieldworkPhase, Participant, PhaseKind, QuestionGroup
from tests.factories import (
    make_case_study,
    make_code,
    make_excerpt,
    make_interview,
    make_lead,
    make_organisation,
    make_participant,
    make_project,
    make_question,
    make_user,
    make_working_paper,
)

RUTH = (
    "Interviewer: How did the merger come about?\n\n"
    "Ruth: The regulator had been asking questions about our governance for a year, and the board decided that "
    "joining a larger group was the safest way to protect our tenants and our staff. It was not an easy decision.\n\n"
    "Interviewer: And now?\n\n"
    "Ruth: Short answer: better.\n\n"
    "Ruth: We share a back office now, and honestly the savings are smaller than anyone promised, but the "
    "capacity to develop new homes is real. Ruth Ellingham would say that in public, I suppose.\n\n"
    "Ruth: Key point: partnership is a marriage, not a rescue. Both boards had to understand that before anything "
    "was signed, and I still say it to every new member of staff."
)
JUDITH = (
    "Interviewer: What were the barriers?\n\n"
    "Judith: Confidential: the board fought the merger for months because the members feared losing their "
    "identity, and the chair resigned in the end. I would not want that repeated anywhere."
)
PAIR = (
    "Interviewer: Could you each describe the consortium?\n\n"
    "Fiona: From the commissioner's side the consortium gave us one contract to manage instead of nine, which "
    "was the whole point of aggregating the wellbeing services into a single lot last year.\n\n"
    "Priya: From ours it meant that the small organisations could bid at all, although the top slice for "
    "contract management never covered the real cost of running the consortium properly."
)
SCOPING = (
    "Interviewer: What drives partnership locally?\n\n"
    "Bernadette: Fear, mostly. The grants pot is going to be cut by half and everyone knows the Supporting People "
    "budget is going to take a hit, so people look at partnership as a survival strategy."
)


@dataclass
class Study:
    project: object
    lead: object
    groups: list
    questions: list
    case_a: object
    case_b: object
    codes: dict
    participants: dict
    interviews: dict
    excerpts: dict
    paper: object


def passage(interview, text: str, **kwargs):
    """An excerpt covering exactly this text of the interview's transcript."""
    start = interview.transcript.index(text)
    return make_excerpt(interview, start=start, end=start + len(text), **kwargs)


@pytest.fixture
def study(db) -> Study:
    project = make_project(title="Partnership study", slug="study", centre="Third Sector Research Centre")
    lead = make_lead(project, username="lena")
    FieldworkPhase.objects.create(
        project=project,
        kind=PhaseKind.SCOPING,
        title="Scoping interviews",
        starts_on="2010-09-01",
        ends_on="2010-11-30",
    )
    FieldworkPhase.objects.create(
        project=project, kind=PhaseKind.CASE_STUDY, title="Case studies", starts_on="2011-05-01", ends_on="2011-08-31"
    )
    context = QuestionGroup.objects.create(project=project, title="Context", order=1)
    processes = QuestionGroup.objects.create(project=project, title="Processes", order=2)
    # Created out of order on purpose: the paper follows the groups' and questions' order, not creation.
    q3 = make_question(project, group=processes, text="What issues have arisen as barriers?", short_label="RQ3")
    q1 = make_question(project, group=context, text="What forms does collaboration take?", short_label="RQ1", order=1)
    q2 = make_question(project, group=context, text="What drives partnership?", short_label="RQ2", order=2)
    case_a = make_case_study(project, title="Housing mergers", slug="housing", order=1, region="England")
    case_b = make_case_study(project, title="Wellbeing consortium", slug="consortium", order=2, region="North")
    housing_association = make_organisation(project, name="Calderbrook", kind="Housing association")
    council = make_organisation(project, name="Ashworth Council", kind="Local authority")
    people = {
        "ruth": make_participant(
            project,
            pseudonym="Ruth",
            real_name="Ruth Ellingham",
            role_title="Chief executive",
            organisation=housing_association,
        ),
        "judith": make_participant(
            project,
            pseudonym="Judith",
            real_name="Judith Ormesby",
            role_title="Board chair",
            organisation=housing_association,
            consent_to_quote=False,
        ),
        "fiona": make_participant(
            project,
            pseudonym="Fiona",
            real_name="Fiona Marchbank",
            role_title="Joint commissioner",
            organisation=council,
            anonymity=Participant.Anonymity.ROLE_ONLY,
        ),
        "priya": make_participant(
            project,
            pseudonym="Priya",
            real_name="Priya Ravindranath",
            role_title="Commissioning manager",
            organisation=council,
        ),
        "bernadette": make_participant(
            project, pseudonym="Bernadette", real_name="Bernadette Kinsella", role_title="CVS chief executive"
        ),
    }
    interviews = {
        "ruth": make_interview(case_a, title="Ruth interview", transcript=RUTH, date="2011-05-17"),
        "judith": make_interview(case_a, title="Judith interview", transcript=JUDITH, date="2011-06-28"),
        "pair": make_interview(case_b, title="Commissioners", transcript=PAIR, date="2011-07-12"),
        "scoping": make_interview(None, project=project, title="Scoping CVS", transcript=SCOPING, date="2010-11-22"),
    }
    interviews["ruth"].participants.add(people["ruth"])
    interviews["judith"].participants.add(people["judith"])
    interviews["pair"].participants.add(people["fiona"], people["priya"])
    interviews["scoping"].participants.add(people["bernadette"])

    forms = make_code(project, name="Forms of partnership", definition="Kinds of arrangement.", order=1)
    consortia = make_code(project, name="Consortia", parent=forms, definition="Joint bidding vehicles.")
    drivers = make_code(project, name="Drivers", definition="Why organisations partner.", order=2)
    barriers = make_code(project, name="Barriers", definition="What gets in the way.", order=3)
    forms.research_questions.add(q1)
    drivers.research_questions.add(q2)
    barriers.research_questions.add(q3)
    coder = make_user()
    ruth, judith, pair, scoping = (interviews[k] for k in ("ruth", "judith", "pair", "scoping"))
    excerpts = {
        "ruth_regulator": passage(ruth, RUTH.split("Ruth: ")[1].split("\n")[0], codes=[drivers, forms], coded_by=coder),
        "ruth_short": passage(ruth, "Short answer: better.", codes=[forms], coded_by=coder),
        "ruth_back_office": passage(ruth, RUTH.split("Ruth: ")[3].split("\n")[0], codes=[forms], coded_by=coder),
        "ruth_key": passage(
            ruth,
            "Key point: partnership is a marriage, not a rescue.",
            codes=[forms],
            coded_by=coder,
            is_key_quote=True,
        ),
        "judith_barriers": passage(judith, JUDITH.split("Judith: ")[1], codes=[barriers], coded_by=coder),
        "fiona": passage(pair, PAIR.split("Fiona: ")[1].split("\n")[0], codes=[consortia, drivers], coded_by=coder),
        "priya": passage(pair, PAIR.split("Priya: ")[1], codes=[consortia, barriers], coded_by=coder),
        "scoping": passage(scoping, SCOPING.split("Bernadette: ")[1], codes=[drivers], coded_by=coder),
    }
    paper = make_working_paper(
        project,
        title="Emerging findings on partnership",
        short_title="Emerging findings",
        number=58,
        authors="A. Author and B. Author",
        introduction="Partnership working has grown. Judith Ormesby is not to be named.",
        conclusions="More to follow.",
        created_by=lead,
    )
    return Study(
        project=project,
        lead=lead,
        groups=[context, processes],
        questions=[q1, q2, q3],
        case_a=case_a,
        case_b=case_b,
        codes={"forms": forms, "consortia": consortia, "drivers": drivers, "barriers": barriers},
        participants=people,
        interviews=interviews,
        excerpts=excerpts,
        paper=paper,
    )
