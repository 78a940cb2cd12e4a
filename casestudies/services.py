"""Every write to the records goes through one of these functions."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from .models import CaseStudy, CaseStudyMembership, Interview, Participant, PhaseKind
from .transcripts import normalise_transcript


@transaction.atomic
def save_case_study(*, case_study: CaseStudy, forms_of_partnership: Iterable[str] | None = None) -> CaseStudy:
    """Create or update a case study after its form has set the fields."""
    case_study.full_clean()
    case_study.save()
    if forms_of_partnership is not None:
        case_study.forms_of_partnership.set(list(forms_of_partnership))
    return case_study


@transaction.atomic
def set_case_study_member(
    *, case_study: CaseStudy, user: AbstractBaseUser, role: str = CaseStudyMembership.Role.RESEARCHER
) -> CaseStudyMembership:
    membership, _ = CaseStudyMembership.objects.update_or_create(
        case_study=case_study, user=user, defaults={"role": role}
    )
    return membership


@transaction.atomic
def save_interview(*, interview: Interview) -> Interview:
    """Create or update an interview's record. The transcript is normalised only when it is first set."""
    if interview.phase == PhaseKind.SCOPING:
        interview.case_study = None
    if interview.case_study_id and interview.case_study.project_id != interview.project_id:
        raise ValidationError({"case_study": "The case study belongs to another project."})
    if interview.pk is None:
        interview.transcript = normalise_transcript(interview.transcript)
    interview.full_clean()
    interview.save()
    return interview


@transaction.atomic
def save_participant(*, participant: Participant) -> Participant:
    if participant.organisation_id and participant.organisation.project_id != participant.project_id:
        raise ValidationError({"organisation": "The organisation belongs to another project."})
    participant.full_clean()
    participant.save()
    return participant
