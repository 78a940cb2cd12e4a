"""Every write to the records goes through one of these functions."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateformat import format as format_date

from .importers import ImportedTranscript, read_transcript
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


@transaction.atomic
def import_transcript(
    *,
    interview: Interview,
    name: str,
    data: bytes,
    imported_by: AbstractBaseUser | None,
    replace: bool = False,
) -> Interview:
    """Read a transcript file and make its canonical text the interview's transcript.

    Refused, with nothing written, when the file cannot be read, when the interview has coded excerpts (their
    offsets point into the current text), or when it already has a transcript and `replace` is not given.
    """
    imported = read_transcript(name=name, data=data)
    return _store_transcript(interview=interview, imported=imported, imported_by=imported_by, replace=replace)


@transaction.atomic
def create_interview_with_transcript(
    *, interview: Interview, name: str, data: bytes, imported_by: AbstractBaseUser | None
) -> Interview:
    """Create an interview from its filled-in record and a transcript file: both are saved, or neither."""
    imported = read_transcript(name=name, data=data)  # before anything is saved, so a refusal leaves no record
    interview.transcript = ""
    save_interview(interview=interview)
    return _store_transcript(interview=interview, imported=imported, imported_by=imported_by, replace=False)


def _store_transcript(
    *, interview: Interview, imported: ImportedTranscript, imported_by: AbstractBaseUser | None, replace: bool
) -> Interview:
    # Lock the row so that no excerpt is made on the old text between the check and the write.
    current = Interview.objects.select_for_update().get(pk=interview.pk)
    excerpt_count = current.excerpts.count()
    if excerpt_count:
        raise ValidationError(
            f"This interview already has {excerpt_count:,} coded excerpt{'s' if excerpt_count != 1 else ''}, which "
            "point to places in its current transcript, so the transcript cannot be replaced. Import the new "
            "version into a new interview, or delete the excerpts first.",
            code="has_excerpts",
        )
    if current.transcript.strip() and not replace:
        raise ValidationError(
            "This interview already has a transcript, which the imported file would replace. Confirm the "
            "replacement to go ahead.",
            code="would_replace",
        )
    interview.transcript = imported.text
    interview.transcript_source = imported.name[-255:]
    interview.transcript_imported_at = timezone.now()
    interview.transcript_imported_by = imported_by
    interview.full_clean()
    interview.save(
        update_fields=[
            "transcript",
            "transcript_source",
            "transcript_imported_at",
            "transcript_imported_by",
            "updated_at",
        ]
    )
    return interview


@transaction.atomic
def start_blind_coding(*, interview: Interview) -> Interview:
    """From now on, the interview's coders see only their own excerpts until a lead reveals them."""
    if interview.is_blind_coding and interview.blind_revealed_at is None:
        raise ValidationError("This interview is already under blind coding.")
    interview.is_blind_coding = True
    interview.blind_revealed_at = None
    interview.full_clean()
    interview.save(update_fields=["is_blind_coding", "blind_revealed_at", "updated_at"])
    return interview


@transaction.atomic
def reveal_blind_coding(*, interview: Interview) -> Interview:
    """Let the interview's coders see each other's excerpts."""
    if not interview.is_blind_coding:
        raise ValidationError("This interview is not under blind coding.")
    if interview.blind_revealed_at is not None:
        when = format_date(timezone.localtime(interview.blind_revealed_at), "j F Y")
        raise ValidationError(f"The coders’ excerpts were already revealed on {when}.")
    interview.blind_revealed_at = timezone.now()
    interview.full_clean()
    interview.save(update_fields=["blind_revealed_at", "updated_at"])
    return interview


@transaction.atomic
def end_blind_coding(*, interview: Interview) -> Interview:
    """Back to open coding: everyone sees everyone's excerpts, and no reveal date is left behind."""
    if not interview.is_blind_coding:
        raise ValidationError("This interview is not under blind coding.")
    interview.is_blind_coding = False
    interview.blind_revealed_at = None
    interview.full_clean()
    interview.save(update_fields=["is_blind_coding", "blind_revealed_at", "updated_at"])
    return interview


def set_blind_coding(*, interview: Interview, blind: bool) -> Interview:
    """Start or end blind coding as a form's tick box says; an unchanged box changes nothing (a reveal stays)."""
    if blind == interview.is_blind_coding:
        return interview
    return start_blind_coding(interview=interview) if blind else end_blind_coding(interview=interview)
