"""Every write the analysis pages make goes through one of these functions."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateformat import format as format_date

from casestudies.models import CaseStudy, ResearchQuestion

from .models import FrameworkSummary

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
