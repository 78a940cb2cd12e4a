"""The speakers and quotability of many passages at once, read from the database in two queries.

Every output that shows who said a passage, or quotes it, asks here: retrieval pages, key quotes, the
framework side panel, search hits, co-occurrence pairs, code queries, agreement, exports and papers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from casestudies.models import Interview

from .speakers import Passage, Person, TranscriptVoices, Withheld


def people_of_interviews(interview_ids: Iterable[int]) -> dict[int, list[Person]]:
    """The participants on record for each interview, in one query."""
    people: dict[int, list[Person]] = defaultdict(list)
    links = Interview.participants.through.objects.filter(interview_id__in=list(interview_ids)).values_list(
        "interview_id",
        "participant_id",
        "participant__pseudonym",
        "participant__role_title",
        "participant__anonymity",
        "participant__consent_to_quote",
        "participant__organisation__kind",
        "participant__organisation__sector",
        "participant__real_name",
    )
    for interview_id, pk, pseudonym, role_title, anonymity, consent, kind, sector, real_name in links.order_by(
        "interview_id", "participant__pseudonym", "participant_id"
    ):
        people[interview_id].append(
            Person(
                pk=pk,
                pseudonym=pseudonym,
                role_title=role_title,
                anonymity=anonymity,
                consent_to_quote=consent,
                organisation_kind=kind or "",
                organisation_sector=sector or "",
                real_name=real_name,
            )
        )
    return people


class PassageReader:
    """Answers `passage(interview_id, start, end)` for the given interviews, reading each transcript once."""

    def __init__(self, interview_ids: Iterable[int], *, transcripts: dict[int, str] | None = None) -> None:
        """`transcripts`, when the caller has read them already, saves reading them again."""
        ids = sorted(set(interview_ids))
        self.people = people_of_interviews(ids)
        if transcripts is None:
            rows = Interview.objects.filter(pk__in=ids).values_list("pk", "transcript").iterator()
        else:
            rows = ((pk, transcripts[pk]) for pk in ids if pk in transcripts)
        self._voices: dict[int, TranscriptVoices] = {
            pk: TranscriptVoices.of(transcript, self.people.get(pk, [])) for pk, transcript in rows
        }

    def passage(self, interview_id: int, start: int, end: int) -> Passage:
        voices = self._voices.get(interview_id)
        if voices is None:
            return Passage(start=start, end=end, parts=(), withheld=Withheld.NO_WORDS)
        return voices.passage(start, end)

    def first_person(self, interview_id: int, start: int, end: int) -> Person | None:
        voices = self._voices.get(interview_id)
        return voices.first_person(start, end) if voices is not None else None

    def people_by_pk(self) -> dict[int, Person]:
        return {person.pk: person for people in self.people.values() for person in people}
