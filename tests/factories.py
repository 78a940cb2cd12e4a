"""Plain functions that build valid records from minimal defaults; keyword overrides change any field."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from casestudies.models import (
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
from casestudies.services import record_turns
from coding.models import Code, Excerpt, ExcerptCode

_sequence = itertools.count(1)
PASSWORD = "a-test-password-9"


def _n() -> int:
    return next(_sequence)


def make_user(**overrides):
    n = _n()
    fields = {"username": f"user{n}", "first_name": "Test", "last_name": f"User {n}"}
    fields.update(overrides)
    user = get_user_model()(**fields)
    user.set_password(PASSWORD)
    user.save()
    return user


def make_admin(**overrides):
    return make_user(is_staff=True, is_superuser=True, **overrides)


def make_project(**overrides) -> ResearchProject:
    n = _n()
    fields = {"title": f"Project {n}", "slug": f"project-{n}", "centre": "Research Centre"}
    fields.update(overrides)
    return ResearchProject.objects.create(**fields)


def make_lead(project: ResearchProject, **overrides):
    user = make_user(**overrides)
    ProjectMembership.objects.create(project=project, user=user, role=ProjectRole.LEAD)
    return user


def make_researcher(project: ResearchProject, *case_studies: CaseStudy, **overrides):
    user = make_user(**overrides)
    ProjectMembership.objects.create(project=project, user=user, role=ProjectRole.RESEARCHER)
    for case_study in case_studies:
        CaseStudyMembership.objects.create(case_study=case_study, user=user)
    return user


def make_question(project: ResearchProject | None = None, **overrides) -> ResearchQuestion:
    project = project or make_project()
    group = overrides.pop("group", None) or QuestionGroup.objects.create(project=project, title=f"Group {_n()}")
    fields = {"text": f"Question {_n()}?", "group": group}
    fields.update(overrides)
    return ResearchQuestion.objects.create(**fields)


def make_case_study(project: ResearchProject | None = None, **overrides) -> CaseStudy:
    project = project or make_project()
    n = _n()
    fields = {"project": project, "title": f"Case study {n}", "slug": f"case-study-{n}", "sector": "Housing"}
    fields.update(overrides)
    return CaseStudy.objects.create(**fields)


def make_organisation(project: ResearchProject, **overrides) -> Organisation:
    fields = {"project": project, "name": f"Organisation {_n()}", "sector": Sector.THIRD, "kind": "Charity"}
    fields.update(overrides)
    return Organisation.objects.create(**fields)


def make_participant(project: ResearchProject, **overrides) -> Participant:
    n = _n()
    fields = {
        "project": project,
        "pseudonym": f"Participant {n}",
        "real_name": f"Real Name {n}",
        "role_title": "Chief executive",
        "consent_to_quote": True,
    }
    fields.update(overrides)
    return Participant.objects.create(**fields)


def make_interview(case_study: CaseStudy | None = None, **overrides) -> Interview:
    project = overrides.pop("project", None) or (case_study.project if case_study else make_project())
    fields = {
        "project": project,
        "case_study": case_study,
        "title": f"Interview {_n()}",
        "phase": PhaseKind.CASE_STUDY if case_study else PhaseKind.SCOPING,
        "transcript": "Interviewer: How did the partnership start?\n\nRuth: With a phone call, really.",
    }
    fields.update(overrides)
    interview = Interview.objects.create(**fields)
    record_turns(interview=interview)
    return interview


def make_code(project: ResearchProject, **overrides) -> Code:
    fields = {"project": project, "name": f"Code {_n()}"}
    fields.update(overrides)
    return Code.objects.create(**fields)


def make_excerpt(interview: Interview, *, start: int = 0, end: int | None = None, codes=(), **overrides) -> Excerpt:
    end = end if end is not None else min(len(interview.transcript), start + 20)
    coded_by = overrides.pop("coded_by", None) or make_user()
    excerpt = Excerpt.objects.create(
        interview=interview, start=start, end=end, text=interview.transcript[start:end], coded_by=coded_by, **overrides
    )
    for code in codes:
        ExcerptCode.objects.create(excerpt=excerpt, code=code, applied_by=coded_by)
    return excerpt


def make_working_paper(project: ResearchProject, **overrides):
    """A working paper with no selection (everything included) and the default options."""
    from reports.models import WorkingPaper

    fields = {"project": project, "title": f"Working paper {_n()}", "authors": "A. Author"}
    fields.update(overrides)
    return WorkingPaper.objects.create(**fields)
