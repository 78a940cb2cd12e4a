"""Every write the analysis pages make goes through one of these functions."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateformat import format as format_date

from casestudies.models import CaseStudy, ResearchProject, ResearchQuestion
from coding.models import Code

from .models import FrameworkSummary, QueryOperator, SavedQuery

SUMMARY_MAX_CHARACTERS = 4000


def _person(user) -> str:
    if user is None:
        return "Someone"
    return user.get_full_name() or user.get_username()


@transaction.atomic
def save_framework_summary(
    *,
    case_study: CaseStudy,
    research_question: ResearchQuestion,
    text: str,
    author: AbstractBaseUser,
    revision: int | None,
) -> FrameworkSummary:
    """Write one cell of the framework matrix. `revision` is the one the writer saw (None for a new cell)."""
    if research_question.group.project_id != case_study.project_id:
        raise ValidationError({"text": "This research question belongs to another project."})
    text = text.strip().replace("\r\n", "\n")
    if len(text) > SUMMARY_MAX_CHARACTERS:
        raise ValidationError(
            {"text": f"A summary can be at most {SUMMARY_MAX_CHARACTERS:,} characters; this one has {len(text):,}."}
        )
    summary = (
        FrameworkSummary.objects.select_for_update()
        .select_related("author")
        .filter(case_study=case_study, research_question=research_question)
        .first()
    )
    if summary is not None and revision != summary.revision:
        when = format_date(timezone.localtime(summary.updated_at), "j F Y \\a\\t H:i")
        raise ValidationError(
            {
                "text": f"{_person(summary.author)} changed this summary on {when}, after you opened it. "
                "Copy your text, cancel, and merge the two."
            }
        )
    if summary is None:
        summary = FrameworkSummary(case_study=case_study, research_question=research_question, revision=0)
    summary.text = text
    summary.author = author
    summary.revision += 1
    summary.full_clean()
    summary.save()
    return summary


@transaction.atomic
def save_code_query(
    *,
    project: ResearchProject,
    owner: AbstractBaseUser,
    name: str,
    code_a: Code,
    operator: str,
    code_b: Code,
    distance: int | None = None,
    phase: str = "",
    coder: AbstractBaseUser | None = None,
    case_studies: Sequence[CaseStudy] = (),
) -> SavedQuery:
    """Save a code query under a name of the owner's, so that anyone in the project can run it again."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the query a name."})
    if SavedQuery.objects.filter(project=project, owner=owner, name__iexact=name).exists():
        raise ValidationError({"name": f"You already have a query named “{name}”; choose another name."})
    for code in (code_a, code_b):
        if code.project_id != project.pk:
            raise ValidationError({"code_a": f"The code “{code.name}” belongs to another project."})
    if any(case_study.project_id != project.pk for case_study in case_studies):
        raise ValidationError({"case_studies": "A chosen case study belongs to another project."})
    query = SavedQuery(
        project=project,
        owner=owner,
        name=name,
        code_a=code_a,
        operator=operator,
        code_b=code_b,
        distance=distance if operator == QueryOperator.NEAR else None,
        phase=phase,
        coder=coder,
    )
    query.full_clean()
    query.save()
    query.case_studies.set(case_studies)
    return query


@transaction.atomic
def delete_saved_query(*, query: SavedQuery) -> None:
    query.delete()
