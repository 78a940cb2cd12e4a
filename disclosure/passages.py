"""The speakers and quotability of many passages at once, read from the database in two queries.

Every output that shows who said a passage, or quotes it, asks here: retrieval pages, key quotes, the
framework side panel, search hits, co-occurrence pairs, code queries, agreement, exports and papers.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Min

from casestudies.models import Interview, Participant, Speaker, SpeakerTurn

from .speakers import (
    Layout,
    Passage,
    Person,
    TranscriptVoices,
    Voice,
    VoiceKind,
    Withheld,
    text_digest,
    turn_layout,
    voice_of_speaker,
)

logger = logging.getLogger(__name__)


_PERSON_FIELDS = (
    "pk",
    "pseudonym",
    "role_title",
    "anonymity",
    "consent_to_quote",
    "organisation__kind",
    "organisation__sector",
    "real_name",
)


def _person(pk, pseudonym, role_title, anonymity, consent, kind, sector, real_name) -> Person:
    return Person(
        pk=pk,
        pseudonym=pseudonym,
        role_title=role_title,
        anonymity=anonymity,
        consent_to_quote=consent,
        organisation_kind=kind or "",
        organisation_sector=sector or "",
        real_name=real_name,
    )


def people_of_interviews(interview_ids: Iterable[int]) -> dict[int, list[Person]]:
    """The participants on record for each interview, in one query."""
    people: dict[int, list[Person]] = defaultdict(list)
    links = Interview.participants.through.objects.filter(interview_id__in=list(interview_ids)).values_list(
        "interview_id", *(f"participant__{name}" if name != "pk" else "participant_id" for name in _PERSON_FIELDS)
    )
    for interview_id, *row in links.order_by("interview_id", "participant__pseudonym", "participant_id"):
        people[interview_id].append(_person(*row))
    return people


def recorded_voices(
    interview_ids: Iterable[int],
    *,
    transcripts: dict[int, str] | None = None,
    people: dict[int, list[Person]] | None = None,
) -> dict[int, TranscriptVoices]:
    """The recorded speaker turns of each interview with the voice of each, in two queries (three where the
    transcripts are not given, one more where a lead named a participant who is not on the interview's record).

    Turns recorded for another text than the transcript now (a writer that did not record them) are not trusted:
    every word of that interview is then an unidentified speaker's, so nothing of it is quoted.
    """
    ids = sorted(set(interview_ids))
    people = people_of_interviews(ids) if people is None else people
    if transcripts is None:
        transcripts = dict(Interview.objects.filter(pk__in=ids).values_list("pk", "transcript").iterator())
    rows = (
        SpeakerTurn.objects.filter(interview_id__in=ids)
        .order_by("interview_id", "start")
        .values_list(
            "interview_id",
            "start",
            "body_start",
            "end",
            "speaker_id",
            "speaker__label",
            "speaker__kind",
            "speaker__participant_id",
            "interview__turns_digest",
        )
    )
    turns: dict[int, list[tuple]] = defaultdict(list)
    digests: dict[int, str] = {}
    assigned: set[int] = set()
    for interview_id, start, body_start, end, speaker_id, label, kind, participant_id, digest in rows.iterator():
        turns[interview_id].append((start, body_start, end, speaker_id, label, kind, participant_id))
        digests[interview_id] = digest
        if participant_id is not None:
            assigned.add(participant_id)
    persons = _persons_with([person for group in people.values() for person in group], assigned)
    voices: dict[int, TranscriptVoices] = {}
    for pk in ids:
        text = transcripts.get(pk)
        if text is None:
            continue
        if digests.get(pk) != text_digest(text):
            if text.strip():
                logger.error("Interview %s: its recorded turns are not of its transcript; nothing is quoted.", pk)
            voices[pk] = TranscriptVoices.from_turns(
                text, [(0, 0, len(text), Voice(VoiceKind.UNKNOWN))] if text else []
            )
            continue
        on_record = people.get(pk, [])
        by_speaker: dict[int, Voice] = {}
        for _start, _body, _end, speaker_id, label, kind, participant_id in turns[pk]:
            if speaker_id not in by_speaker:
                person = persons.get(participant_id)
                by_speaker[speaker_id] = voice_of_speaker(label, on_record, kind=kind, person=person)
        voices[pk] = TranscriptVoices.from_turns(
            text, ((start, body, end, by_speaker[speaker_id]) for start, body, end, speaker_id, *_ in turns[pk])
        )
    return voices


def _persons_with(people: Iterable[Person], participant_ids: Iterable[int | None]) -> dict[int, Person]:
    """`people` by primary key, with those of `participant_ids` not among them (a speaker a lead named who is not on
    the interview's record) read in one more query."""
    persons = {person.pk: person for person in people}
    missing = {pk for pk in participant_ids if pk is not None} - persons.keys()
    if missing:
        rows = Participant.objects.filter(pk__in=missing).values_list(*_PERSON_FIELDS)
        persons.update({row[0]: _person(*row) for row in rows})
    return persons


def laid_out_speakers(
    interview: Interview, text: str, *, renamed: dict[str, str] | None = None
) -> tuple[Layout, dict[str, Voice]]:
    """The turns `text` has as the interview's transcript, and the voice of each label: laid out with the labels
    its speakers have, each label's speaker as recorded, a label a redaction writes (`renamed`: new label -> the
    label it replaces) with the voice of the one it replaces, and a new label worked out by the rules. A preview
    reads it (`proposed_voices`) and `casestudies.services.record_turns` records it, so both say the same."""
    renamed = renamed or {}
    speakers = {
        label: (kind, participant_id)
        for label, kind, participant_id in Speaker.objects.filter(interview=interview).values_list(
            "label", "kind", "participant_id"
        )
    }
    people = people_of_interviews([interview.pk]).get(interview.pk, [])
    persons = _persons_with(people, (pk for _, pk in speakers.values()))

    def voice(label: str) -> Voice:
        if label in speakers:
            kind, participant_id = speakers[label]
            return voice_of_speaker(label, people, kind=kind, person=persons.get(participant_id))
        if label in renamed:
            kept = voice(renamed[label])
            return Voice(kept.kind, kept.person, label)
        return voice_of_speaker(label, people)

    layout = turn_layout(text, [*speakers, *renamed])
    return layout, {label: voice(label) for label in {turn.label for turn in layout}}


def proposed_voices(interview: Interview, text: str, *, renamed: dict[str, str] | None = None) -> TranscriptVoices:
    """How `text` would read as the interview's transcript, before it is saved (a correction's or a redaction's
    preview): see `laid_out_speakers`."""
    layout, voices = laid_out_speakers(interview, text, renamed=renamed)
    return TranscriptVoices.from_turns(text, ((*turn[:3], voices[turn.label]) for turn in layout))


class PassageReader:
    """Answers `passage(interview_id, start, end)` for the given interviews, reading each transcript once."""

    def __init__(self, interview_ids: Iterable[int], *, transcripts: dict[int, str] | None = None) -> None:
        """`transcripts`, when the caller has read them already, saves reading them again."""
        ids = sorted(set(interview_ids))
        self.people = people_of_interviews(ids)
        self._voices = recorded_voices(ids, transcripts=transcripts, people=self.people)

    def passage(self, interview_id: int, start: int, end: int) -> Passage:
        voices = self._voices.get(interview_id)
        if voices is None:
            return Passage(start=start, end=end, parts=(), withheld=Withheld.NO_WORDS)
        return voices.passage(start, end)

    def text(self, interview_id: int) -> str:
        """The transcript the passages are read from."""
        voices = self._voices.get(interview_id)
        return voices.text if voices is not None else ""

    def turn_body(self, interview_id: int, position: int) -> tuple[int, int] | None:
        """Where the words of the turn holding `position` start and end: a quotation of whole sentences of one
        speaker's turn is cut from within it, and read again with `passage`."""
        voices = self._voices.get(interview_id)
        return voices.turn_body(position) if voices is not None else None

    def first_person(self, interview_id: int, start: int, end: int) -> Person | None:
        voices = self._voices.get(interview_id)
        return voices.first_person(start, end) if voices is not None else None

    def people_by_pk(self) -> dict[int, Person]:
        return {person.pk: person for people in self.people.values() for person in people}


@dataclass(frozen=True)
class SpeakerRow:
    """One label of an interview's transcript: its speaker record, how many turns carry it, and who it is."""

    speaker: Speaker
    turns: int
    voice: Voice
    reason: str = ""  # why it was last set, from the speaker's history

    @property
    def is_unknown(self) -> bool:
        return self.voice.kind == VoiceKind.UNKNOWN

    @property
    def is_set(self) -> bool:
        """Whether someone said who it is, rather than it being worked out from the label."""
        return bool(self.speaker.kind)


def interview_speakers(interview: Interview) -> list[SpeakerRow]:
    """Each label of the interview's recorded turns with who it is, in order of first appearance, and why it was set
    where someone set it (two to four queries)."""
    speakers = list(
        Speaker.objects.filter(interview=interview)
        .select_related("assigned_by")
        .annotate(turn_count=Count("turns"), first=Min("turns__start"))
        .order_by("first", "label")
    )
    people = people_of_interviews([interview.pk]).get(interview.pk, [])
    persons = _persons_with(people, (speaker.participant_id for speaker in speakers))
    reasons: dict[int, str] = {}
    set_ids = [speaker.pk for speaker in speakers if speaker.kind]
    if set_ids:
        history = Speaker.history.filter(id__in=set_ids).order_by("id", "-history_date")
        for pk, reason in history.values_list("id", "history_change_reason"):
            reasons.setdefault(pk, reason or "")
    return [
        SpeakerRow(
            speaker=speaker,
            turns=speaker.turn_count,
            voice=voice_of_speaker(
                speaker.label, people, kind=speaker.kind, person=persons.get(speaker.participant_id)
            ),
            reason=reasons.get(speaker.pk, ""),
        )
        for speaker in speakers
    ]
