"""Every write the analysis pages make goes through one of these functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateformat import format as format_date

from casestudies.models import CaseStudy, Interview, ResearchProject, ResearchQuestion
from casestudies.services import reveal_blind_coding, start_blind_coding  # noqa: F401 (the page's, kept in one place)
from coding.models import Code, Excerpt
from coding.services import create_excerpt, set_excerpt_codes

from .models import FrameworkSummary, QueryOperator, SavedQuery
from .search import Extent, Hit

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
        FrameworkSummary.objects.select_for_update(of=("self",))
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


MAX_HITS_TO_CODE = 1000


@dataclass
class CodingOutcome:
    created: int = 0
    given_code: int = 0
    already_coded: int = 0

    def describe(self, code: Code) -> str:
        total = self.created + self.given_code + self.already_coded
        parts = [f"{self.created} new excerpt{'' if self.created == 1 else 's'}"]
        if self.given_code:
            parts.append(f"{self.given_code} existing excerpt{'' if self.given_code == 1 else 's'} given the code")
        if self.already_coded:
            parts.append(f"{self.already_coded} already coded")
        return f"Coded {total} passage{'' if total == 1 else 's'} with “{code.name}”: {', '.join(parts)}."


@transaction.atomic
def code_search_hits(
    *, hits: Sequence[tuple[Interview, Hit]], extent: str, code: Code, coded_by: AbstractBaseUser
) -> CodingOutcome:
    """Code search hits as the searcher's excerpts: a passage they have already excerpted gets the code added."""
    if not hits:
        raise ValidationError({"hits": "Choose at least one hit to code."})
    if len(hits) > MAX_HITS_TO_CODE:
        raise ValidationError(
            {"hits": f"That would code {len(hits):,} hits; narrow the search to at most {MAX_HITS_TO_CODE:,} first."}
        )
    if extent not in {value for value, _ in Extent.CHOICES}:
        raise ValidationError({"extent": "Choose what to code: the matched words, the sentence or the paragraph."})
    interviews = {interview.pk: interview for interview, _ in hits}
    if any(interview.project_id != code.project_id for interview in interviews.values()):
        raise ValidationError({"code": f"The code “{code.name}” belongs to another project."})
    spans = dict.fromkeys((interview.pk, start, end) for interview, hit in hits for start, end in hit.spans(extent))
    existing = {
        (excerpt.interview_id, excerpt.start, excerpt.end): excerpt
        for excerpt in Excerpt.objects.filter(coded_by=coded_by, interview_id__in=interviews).prefetch_related("codes")
    }
    outcome = CodingOutcome()
    for interview_id, start, end in spans:
        excerpt = existing.get((interview_id, start, end))
        if excerpt is None:
            create_excerpt(interview=interviews[interview_id], start=start, end=end, coded_by=coded_by, codes=[code])
            outcome.created += 1
        elif any(applied.pk == code.pk for applied in excerpt.codes.all()):
            outcome.already_coded += 1
        else:
            excerpt.interview = interviews[interview_id]
            set_excerpt_codes(excerpt=excerpt, codes=[*excerpt.codes.all(), code], applied_by=coded_by)
            outcome.given_code += 1
    return outcome
