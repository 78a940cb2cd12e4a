"""Every write to the records goes through one of these functions."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateformat import format as format_date

from disclosure.passages import laid_out_speakers
from disclosure.speakers import text_digest

from .importers import ImportedTranscript, read_transcript
from .models import (
    CaseStudy,
    CaseStudyMembership,
    Interview,
    Participant,
    PhaseKind,
    ResearchQuestion,
    Speaker,
    SpeakerTurn,
)
from .transcripts import normalise_transcript


@transaction.atomic
def save_case_study(
    *,
    case_study: CaseStudy,
    forms_of_partnership: Iterable[str] | None = None,
    focal_questions: Iterable[ResearchQuestion] | None = None,
) -> CaseStudy:
    """Create or update a case study after its form has set the fields, with its many-to-many values (None: leave
    as they are), all in one transaction."""
    case_study.full_clean()
    case_study.save()
    if forms_of_partnership is not None:
        case_study.forms_of_partnership.set(list(forms_of_partnership))
    if focal_questions is not None:
        case_study.focal_questions.set(list(focal_questions))
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
def save_interview(
    *,
    interview: Interview,
    participants: Iterable[Participant] | None = None,
    transcript: ImportedTranscript | None = None,
    imported_by: AbstractBaseUser | None = None,
) -> Interview:
    """Create or update an interview's record, with its participants (None: leave as they are) and, for a new
    interview, a transcript already read from its file (`read_transcript`, before any transaction opens: the parse
    may take seconds, and a write lock must not wait on it). The transcript typed in is normalised only when it
    is first set."""
    if transcript is not None:
        if interview.pk is not None:
            # Replacing a transcript has its checks (excerpts, confirmation): `import_transcript`.
            raise ValueError("save_interview takes a transcript file only for a new interview.")
        interview.transcript = ""
    if interview.phase == PhaseKind.SCOPING:
        interview.case_study = None
    if interview.case_study_id and interview.case_study.project_id != interview.project_id:
        raise ValidationError({"case_study": "The case study belongs to another project."})
    if interview.pk is None:
        interview.transcript = normalise_transcript(interview.transcript)
    interview.full_clean()
    interview.save()
    if participants is not None:
        interview.participants.set(list(participants))
    if transcript is not None:
        return _store_transcript(interview=interview, imported=transcript, imported_by=imported_by, replace=False)
    if interview.turns_digest != text_digest(interview.transcript):
        record_turns(interview=interview)
    return interview


@transaction.atomic
def record_turns(*, interview: Interview, renamed: dict[str, str] | None = None) -> list[SpeakerTurn]:
    """Record the speaker turns of the interview's transcript as it is now: every writer of a transcript calls this
    once the text is saved (import, correction, redaction, restore), and `disclosure` reads nothing else.

    Each label found keeps its speaker, and with it whoever a lead said it is. `renamed` maps labels a redaction
    wrote to the labels they replace ("[board chair]" -> "Judith"): the new label's speaker takes the old one's
    voice, so that a redaction changes how a turn is labelled, never who said it. A speaker left with no turn goes.
    """
    speakers = {speaker.label: speaker for speaker in Speaker.objects.select_for_update().filter(interview=interview)}
    renamed = renamed or {}
    layout, voices = laid_out_speakers(interview, interview.transcript, renamed=renamed)
    for label in sorted({turn.label for turn in layout} - speakers.keys()):
        speaker = Speaker(interview=interview, label=label)
        if label in renamed:
            # Set to the voice of the label it replaces, as that one was set (or worked out).
            voice, old = voices[label], speakers.get(renamed[label])
            speaker.kind = voice.kind.value
            speaker.participant_id = voice.person.pk if voice.person is not None else None
            if old is not None:
                speaker.assigned_by, speaker.assigned_at = old.assigned_by, old.assigned_at
            speaker._change_reason = f"Label “{renamed[label]}” redacted as “{label}”; the speaker is kept."
        speaker.save()
        speakers[label] = speaker
    SpeakerTurn.objects.filter(interview=interview).delete()
    turns = SpeakerTurn.objects.bulk_create(
        SpeakerTurn(
            interview=interview,
            speaker=speakers[turn.label],
            start=turn.start,
            body_start=turn.body_start,
            end=turn.end,
        )
        for turn in layout
    )
    used = {turn.label for turn in layout}
    for label, speaker in speakers.items():
        if label not in used:
            speaker.delete()
    interview.turns_digest = text_digest(interview.transcript)
    Interview.objects.filter(pk=interview.pk).update(turns_digest=interview.turns_digest)
    return turns


MAX_SPEAKER_REASON = 1000


@transaction.atomic
def assign_speaker(
    *, speaker: Speaker, kind: str, participant: Participant | None, assigned_by: AbstractBaseUser, reason: str
) -> Speaker:
    """Say who speaks under a label: a participant on the interview's record, the interviewer, a header line or an
    unknown speaker; or `kind` empty, to work it out from the label again. The reason is kept in the history.
    Callers check who may do it first (`disclosure.access.can_edit_interview`)."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError("Say why: the reason is kept with the change in the speaker’s history.")
    if len(reason) > MAX_SPEAKER_REASON:
        raise ValidationError(f"Give the reason in at most {MAX_SPEAKER_REASON:,} characters.")
    if kind and kind not in Speaker.Kind.values:
        raise ValidationError("Choose who speaks under this label.")
    if (kind == Speaker.Kind.PARTICIPANT) != (participant is not None):
        raise ValidationError("Choose which participant speaks under this label.")
    if participant is not None and not speaker.interview.participants.filter(pk=participant.pk).exists():
        raise ValidationError(
            "That participant is not on this interview’s record: add them to the interview first, then say it is them."
        )
    speaker.kind = kind
    speaker.participant = participant
    speaker.assigned_by = assigned_by if kind else None
    speaker.assigned_at = timezone.now() if kind else None
    speaker._change_reason = reason
    speaker._history_user = assigned_by
    speaker.full_clean()
    speaker.save()
    return speaker


@transaction.atomic
def save_participant(*, participant: Participant) -> Participant:
    if participant.organisation_id and participant.organisation.project_id != participant.project_id:
        raise ValidationError({"organisation": "The organisation belongs to another project."})
    participant.full_clean()
    participant.save()
    return participant


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
    imported = read_transcript(name=name, data=data)  # before the transaction: see `save_interview`
    with transaction.atomic():
        return _store_transcript(interview=interview, imported=imported, imported_by=imported_by, replace=replace)


def create_interview_with_transcript(
    *, interview: Interview, name: str, data: bytes, imported_by: AbstractBaseUser | None
) -> Interview:
    """Create an interview from its filled-in record and a transcript file: both are saved, or neither."""
    imported = read_transcript(name=name, data=data)  # before anything is saved, so a refusal leaves no record
    return save_interview(interview=interview, transcript=imported, imported_by=imported_by)


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
    record_turns(interview=interview)
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
