"""The trap: a small project laid out so that every way an output could disclose too much has something to find.

- Housing (case A, "anonymise organisations"): one-turn-per-line transcript in which a passage runs from Ruth
  (consents) into Jo (does not), real names (full, first and last) and the housing association's name typed in
  the transcript; an interview with no participant on record; an interview under blind coding.
- Consortium (case B): Priya, whom the researcher and the case-study lead may not see at all.
- People: an admin, the project lead, a lead of case A only, a researcher on case A, a second coder on case A,
  and an outsider. A saved query limited to case B; a paper spanning both case studies and one of case A only.

Marker words let the tests look for each kind of disclosure in any output's text.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from casestudies.models import CaseStudyMembership
from tests import factories as f

# Words that must never leave the app: Jo did not consent; nobody is on record for the NORECORD interview.
JO_WORDS = "quagmire"
NORECORD_WORDS = "zeppelin"
# Words that only those who may see case B, or the blind-coded excerpt of the second coder, may meet.
CASE_B_WORDS = "marmalade"
CASE_B_TITLE = "Wellbeing consortium"
BLIND_MEMO = "walrus memo"
# Real names: Priya's is typed nowhere, so it may appear only on admins' pages; the others are in transcripts.
REAL_NAMES = ["Ruth Ellingham", "Ellingham", "Joanna Pettifer", "Pettifer", "Joanna"]
NEVER_TYPED = "Ravindranath"
ANONYMISED_ORGANISATION = "Northgate Homes"
SAVED_QUERY = "Consortium trust query"

HOUSING_ONE = (
    "Interviewer: How did the merger come about?\n"
    "Ruth: Northgate Homes had talked to Joanna Pettifer for a year before we merged.\n"
    f"Jo: The council pushed us into it, frankly a {JO_WORDS} of a process.\n"
    "Interviewer: And Ruth Ellingham agreed?\n"
    "Ruth: Ellingham is my name, yes, and I agreed in the end."
)
HOUSING_NORECORD = f"Someone: The {NORECORD_WORDS} of partnership is trust."
HOUSING_BLIND = "Ruth: Blind coding keeps us honest about trust.\nInterviewer: Thank you."
CONSORTIUM_ONE = f"Priya: Our {CASE_B_WORDS} consortium was built on trust."


@dataclass
class Trap:
    project: object
    users: dict
    case_a: object
    case_b: object
    interviews: dict
    excerpts: dict
    code: object
    question: object
    papers: dict
    saved_query: object
    participants: dict


def span(interview, words: str) -> tuple[int, int]:
    start = interview.transcript.index(words)
    return start, start + len(words)


@pytest.fixture
def trap(db) -> Trap:
    project = f.make_project(title="Trap project", slug="trap")
    question = f.make_question(project, text="How is trust built?", short_label="RQ1")
    code = f.make_code(project, name="Trust")
    code.research_questions.add(question)
    northgate = f.make_organisation(project, name=ANONYMISED_ORGANISATION, kind="Housing association")
    council = f.make_organisation(project, name="Hilltown Council", kind="Local authority")
    case_a = f.make_case_study(
        project, title="Housing mergers", slug="housing", core_organisation=northgate, anonymise_organisations=True
    )
    case_b = f.make_case_study(project, title=CASE_B_TITLE, slug="consortium")

    users = {
        "admin": f.make_admin(),
        "lead": f.make_lead(project),
        "case_lead": f.make_researcher(project),
        "researcher": f.make_researcher(project, case_a),
        "coder": f.make_researcher(project, case_a),
        "outsider": f.make_user(),
    }
    CaseStudyMembership.objects.create(case_study=case_a, user=users["case_lead"], role=CaseStudyMembership.Role.LEAD)

    ruth = f.make_participant(project, pseudonym="Ruth", real_name="Ruth Ellingham", organisation=northgate)
    jo = f.make_participant(
        project, pseudonym="Jo", real_name="Joanna Pettifer", organisation=council, consent_to_quote=False
    )
    priya = f.make_participant(project, pseudonym="Priya", real_name="Priya Ravindranath", organisation=council)

    interviews = {
        "one": f.make_interview(case_a, title="Housing one", transcript=HOUSING_ONE),
        "norecord": f.make_interview(case_a, title="Housing no record", transcript=HOUSING_NORECORD),
        "blind": f.make_interview(case_a, title="Housing blind", transcript=HOUSING_BLIND, is_blind_coding=True),
        "consortium": f.make_interview(case_b, title="Consortium one", transcript=CONSORTIUM_ONE),
    }
    interviews["one"].participants.set([ruth, jo])
    interviews["blind"].participants.set([ruth])
    interviews["consortium"].participants.set([priya])

    lead = users["lead"]
    one = interviews["one"]

    def excerpt(interview, words, coder=lead, **extra):
        start, end = span(interview, words)
        return f.make_excerpt(interview, start=start, end=end, codes=[code], coded_by=coder, **extra)

    excerpts = {
        # Ruth's words running into Jo's: must be withheld everywhere it would be quoted.
        "spanning": excerpt(one, f"before we merged.\nJo: The council pushed us into it, frankly a {JO_WORDS}"),
        # Ruth alone, with a real name and the anonymised organisation in her words.
        "ruth_names": excerpt(one, "Northgate Homes had talked to Joanna Pettifer for a year before we merged."),
        "ruth_surname": excerpt(one, "Ellingham is my name, yes, and I agreed in the end.", is_key_quote=True),
        "jo": excerpt(one, f"frankly a {JO_WORDS} of a process."),
        "interviewer": excerpt(one, "How did the merger come about?"),
        "norecord": excerpt(interviews["norecord"], f"The {NORECORD_WORDS} of partnership is trust."),
        "blind_lead": excerpt(interviews["blind"], "Blind coding keeps us honest", coder=users["researcher"]),
        "blind_other": excerpt(
            interviews["blind"], "keeps us honest about trust.", coder=users["coder"], memo=BLIND_MEMO
        ),
        "consortium": excerpt(interviews["consortium"], f"Our {CASE_B_WORDS} consortium was built on trust."),
    }

    from analysis.models import SavedQuery

    saved_query = SavedQuery.objects.create(project=project, owner=lead, name=SAVED_QUERY, code_a=code, code_b=code)
    saved_query.case_studies.set([case_b])

    from exchange.models import ImportJob

    # An import whose report names a case-B record: its page is for those who may import (leads, admins).
    ImportJob.objects.create(
        project=project,
        kind=ImportJob.Kind.PROJECT,
        file_name="consortium.qdpx",
        status=ImportJob.Status.FAILED,
        error=f"Source “{CASE_B_TITLE} interview”: refused.",
        created_by=lead,
    )

    from casestudies.models import TranscriptImport

    TranscriptImport.objects.create(
        interview=interviews["consortium"],
        file_name=f"{CASE_B_WORDS}.txt",
        status=TranscriptImport.Status.SUCCEEDED,
        summary="12 words in 1 turn",
        created_by=lead,
    )

    spanning_all = f.make_working_paper(project, title="Trap paper, all case studies")
    housing_only = f.make_working_paper(project, title="Trap paper, housing")
    housing_only.case_studies.set([case_a])
    # The trap's turns are shorter than a quotation that makes sense alone: the lead pins every passage, so that the
    # papers quote all that the policy lets them (pinning never makes a passage quotable that is not).
    from reports.models import QuotationChoice

    QuotationChoice.objects.bulk_create(
        QuotationChoice(paper=paper, question=question, excerpt=excerpt, choice=QuotationChoice.Choice.PIN)
        for paper in (spanning_all, housing_only)
        for excerpt in excerpts.values()
    )
    return Trap(
        project=project,
        users=users,
        case_a=case_a,
        case_b=case_b,
        interviews=interviews,
        excerpts=excerpts,
        code=code,
        question=question,
        papers={"all": spanning_all, "housing": housing_only},
        saved_query=saved_query,
        participants={"ruth": ruth, "jo": jo, "priya": priya},
    )
