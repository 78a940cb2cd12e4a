"""Who said the words of a span of transcript, and whether the span may be quoted.

A span `[start, end)` of an interview's transcript belongs to every speaker whose words it contains: each
speaker turn it touches, with the participant (or the interviewer) who speaks in that turn. A turn's speaker
is read from its label ("Ruth:", "Interviewer:", "R:"); a turn without a label carries on the speaker of the
turn before it. Words count, not labels: a span that only grazes the label "Ruth: " of the next turn does
not contain Ruth's words.

Quotable means: every participant whose words the span contains consented to be quoted. Words whose speaker
cannot be told, or an interview with no participant on record, are not quotable. Interviewer turns (a team
member) are quotable.

This module is pure: it works on the transcript text and the participants on record, and reads nothing from
the database, so that every output can call it and its tests can throw random layouts at it.
"""

from __future__ import annotations

import bisect
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from casestudies.transcripts import INTERVIEWER_LABELS, label_pattern, split_turns

ROLE_ONLY = "role_only"
UNKNOWN_SPEAKER = "Participant"
INTERVIEWER = "Interviewer"


class VoiceKind(StrEnum):
    PARTICIPANT = "participant"
    INTERVIEWER = "interviewer"
    NOTE = "note"  # a transcript's header line ("Date: 14 October 2010"): the team's words, not a speaker's
    UNKNOWN = "unknown"


# Labels that open a transcript's header lines rather than a speaker's turn. "Interviewee" is not one of them:
# some transcripts label the participant so.
HEADER_LABELS = {
    "interview",
    "date",
    "time",
    "location",
    "place",
    "venue",
    "duration",
    "length",
    "transcript",
    "transcriber",
    "transcribed by",
    "recording",
    "project",
    "case study",
    "title",
    "note",
    "notes",
    "fictional demo material",
}


class Withheld(StrEnum):
    """Why a passage may not be quoted, as the outputs count it."""

    NO_CONSENT = "no consent to quote"
    NOT_ON_RECORD = "speaker not on record"
    NO_WORDS = "no words"


@dataclass(frozen=True)
class Person:
    """What the policy needs to know of a participant. The real name is used for redaction only."""

    pk: int
    pseudonym: str
    role_title: str = ""
    anonymity: str = "pseudonym"
    consent_to_quote: bool = False
    organisation_kind: str = ""
    organisation_sector: str = ""
    real_name: str = ""

    @property
    def label(self) -> str:
        """How an output names them in running text: the pseudonym, or the role where they are role-only."""
        return shown_name(pseudonym=self.pseudonym, role_title=self.role_title, anonymity=self.anonymity)

    @property
    def attribution(self) -> str:
        """How an output credits a quotation: 'Ruth (Chief executive, housing association)'; never a real name."""
        return attribution(
            pseudonym=self.pseudonym,
            role_title=self.role_title,
            organisation_kind=self.organisation_kind,
            anonymity=self.anonymity,
        )

    @property
    def credit(self) -> str:
        """The house style's credit of one participant: 'Chief executive, housing association', preceded by the
        pseudonym unless they are named by role only; never a real name."""
        parts = [self.role_title or UNKNOWN_SPEAKER]
        if self.organisation_kind:
            parts.append(plain_kind(self.organisation_kind))
        if self.anonymity != ROLE_ONLY and self.pseudonym:
            parts.insert(0, self.pseudonym)
        return ", ".join(parts)

    @property
    def output_name(self) -> str:
        """The pseudonym, unless the participant may be referred to by role only."""
        return "" if self.anonymity == ROLE_ONLY else self.pseudonym


def shown_name(*, pseudonym: str, role_title: str, anonymity: str) -> str:
    return (role_title or UNKNOWN_SPEAKER) if anonymity == ROLE_ONLY else pseudonym


def attribution(*, pseudonym: str, role_title: str, organisation_kind: str, anonymity: str) -> str:
    parts = [role_title or UNKNOWN_SPEAKER]
    if organisation_kind:
        parts.append(organisation_kind.lower())
    label = ", ".join(parts)
    if anonymity == ROLE_ONLY:
        return label
    return f"{pseudonym} ({label})"


@dataclass(frozen=True)
class Voice:
    kind: VoiceKind
    person: Person | None = None
    label: str = ""

    @property
    def shown(self) -> str:
        """How an output labels this voice's turn: the header's own label, "Interviewer", the participant's
        name as outputs give it, or "Participant" for a speaker not on record."""
        if self.kind == VoiceKind.NOTE:
            return self.label
        if self.kind == VoiceKind.INTERVIEWER:
            return INTERVIEWER
        return self.person.label if self.person is not None else UNKNOWN_SPEAKER

    @property
    def may_quote(self) -> bool:
        if self.kind in {VoiceKind.INTERVIEWER, VoiceKind.NOTE}:
            return True
        return self.person is not None and self.person.consent_to_quote


class SpanPart(NamedTuple):
    """The words of one speaker turn inside a span: [start, end) in code points of the transcript.

    A named tuple rather than a dataclass: exports and matrices make one for every excerpt."""

    start: int
    end: int
    voice: Voice


@dataclass(frozen=True)
class Passage:
    """A span with the speakers whose words it contains, and whether it may be quoted."""

    start: int
    end: int
    parts: tuple[SpanPart, ...]
    withheld: Withheld | None = None

    @property
    def may_quote(self) -> bool:
        return self.withheld is None

    @property
    def people(self) -> list[Person]:
        """The participants whose words it contains, in order of first appearance."""
        seen: dict[int, Person] = {}
        for part in self.parts:
            if part.voice.person is not None:
                seen.setdefault(part.voice.person.pk, part.voice.person)
        return list(seen.values())

    @property
    def person_ids(self) -> list[int]:
        return [person.pk for person in self.people]

    @property
    def has_interviewer(self) -> bool:
        return any(part.voice.kind == VoiceKind.INTERVIEWER for part in self.parts)

    @property
    def has_unknown(self) -> bool:
        return any(part.voice.kind == VoiceKind.UNKNOWN for part in self.parts)

    @property
    def attribution(self) -> str:
        """'Ruth (Chief executive, housing association) and Jo (Commissioner, local authority)'."""
        names = [person.attribution for person in self.people]
        if self.has_unknown:
            names.append("an unidentified speaker")
        if not names and self.has_interviewer:
            return INTERVIEWER
        return _join(names) if names else UNKNOWN_SPEAKER

    @property
    def speaker_label(self) -> str:
        """A short name for lists: 'Ruth', 'Ruth and Jo', 'Interviewer'."""
        names = [person.label for person in self.people]
        if self.has_unknown:
            names.append(UNKNOWN_SPEAKER)
        if not names and self.has_interviewer:
            return INTERVIEWER
        return _join(names) if names else ""

    @property
    def first_person(self) -> Person | None:
        """The participant who speaks first in it, for tables with one speaker column (sector, kind)."""
        people = self.people
        return people[0] if people else None

    def credit(self, source: str) -> str:
        """The house style's attribution of a quotation, without brackets around it:
        'Chief executive, housing association, Case study A'; 'Ruth, Chief executive, housing association, Case
        study A' where the participant is named by pseudonym; several speakers joined by semicolons."""
        names = [person.credit for person in self.people]
        if self.has_unknown:
            names.append("an unidentified speaker")
        if not names:
            names.append(INTERVIEWER if self.has_interviewer else UNKNOWN_SPEAKER)
        return "; ".join([*names, source]) if len(names) > 1 else f"{names[0]}, {source}" if source else names[0]


def plain_kind(organisation_kind: str) -> str:
    """An organisation kind for running text: lower case, its own brackets turned into a comma, so that an
    attribution in brackets never nests them ('national charity (group parent)' -> 'national charity, group
    parent')."""
    kind = " ".join(organisation_kind.replace("(", ", ").replace(")", " ").split())
    return kind.replace(" ,", ",").strip(", ").lower()


def _join(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def label_matches(label: str, pseudonym: str) -> bool:
    """'Ruth' and 'Ruth Ellis' name the same speaker; 'Ruthie' and 'Ruth' do not."""
    label, pseudonym = " ".join(label.casefold().split()), " ".join(pseudonym.casefold().split())
    if not label or not pseudonym:
        return False
    return label == pseudonym or label.startswith(pseudonym + " ") or pseudonym.startswith(label + " ")


def is_header_label(label: str) -> bool:
    """Whether a turn's label ("Date", "Interview") opens a header line rather than a speaker's turn."""
    return label.strip().casefold() in HEADER_LABELS


@dataclass
class _VoicedTurn:
    start: int
    body_start: int
    end: int
    voice: Voice


class TurnLayout(NamedTuple):
    """A turn of a transcript as it is recorded: [start, end) in code points, where its words start (after the
    label written at its start, if any), and the label of the speaker whose turn it is. A header line is its own
    label's; a turn without a label carries on the label before it (not a header's); words before any label
    have the empty label."""

    start: int
    body_start: int
    end: int
    label: str


@dataclass
class TranscriptVoices:
    """The speaker turns of one transcript with the voice of each, ready to answer for any span."""

    text: str = ""
    turns: list[_VoicedTurn] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, transcript: str, people: list[Person]) -> TranscriptVoices:
        """The transcript read from its text alone, every label's voice worked out by the rules: what recorded turns
        start as (`casestudies.services.record_turns`). Outputs read the recorded turns (`from_turns`)."""
        layout = turn_layout(transcript)
        voices = {label: voice_of_speaker(label, people) for label in {turn.label for turn in layout}}
        return cls.from_turns(transcript, [(*turn[:3], voices[turn.label]) for turn in layout])

    @classmethod
    def from_turns(cls, transcript: str, turns: Iterable[tuple[int, int, int, Voice]]) -> TranscriptVoices:
        """The transcript with its recorded turns, `(start, body_start, end, voice)` in order of `start`."""
        voices = cls(text=transcript)
        for start, body_start, end, voice in turns:
            voices.turns.append(_VoicedTurn(start, body_start, end, voice))
            voices._starts.append(start)
        return voices

    def passage(self, start: int, end: int) -> Passage:
        parts = self.parts(start, end)
        return Passage(start=start, end=end, parts=tuple(parts), withheld=_withheld(parts))

    def first_person(self, start: int, end: int) -> Person | None:
        """The participant who speaks first in `[start, end)`: `passage(start, end).first_person`, without building
        the passage (a matrix by sector asks it of every excerpt)."""
        for part in self.parts(start, end):
            if part.voice.person is not None:
                return part.voice.person
        return None

    def turn_body(self, position: int) -> tuple[int, int] | None:
        """`[body_start, end)` of the recorded turn holding `position`: where its speaker's words start and end."""
        index = bisect.bisect_right(self._starts, position) - 1
        if index < 0:
            return None
        turn = self.turns[index]
        return (turn.body_start, turn.end) if turn.body_start <= position < turn.end else None

    def parts(self, start: int, end: int) -> list[SpanPart]:
        """The words of each turn that `[start, end)` touches, in order; labels and blank lines are no one's."""
        parts: list[SpanPart] = []
        text, turns = self.text, self.turns
        index = max(bisect.bisect_right(self._starts, start) - 1, 0)
        while index < len(turns) and turns[index].start < end:
            turn = turns[index]
            low = turn.body_start if turn.body_start > start else start
            high = turn.end if turn.end < end else end
            # Words count: white space at either edge of the overlap (a line break, a space) is no one's.
            if low < high and (text[low].isspace() or text[high - 1].isspace()):
                piece = text[low:high]
                low, high = low + len(piece) - len(piece.lstrip()), low + len(piece.rstrip())
            if low < high:
                parts.append(SpanPart(low, high, turn.voice))
            index += 1
        return parts


Layout = tuple[TurnLayout, ...]
LAYOUT_CACHE_SIZE = 32  # layouts of the transcripts seen lately; a few hundred KB at most
_layouts: OrderedDict[bytes, Layout] = OrderedDict()
_layouts_lock = threading.Lock()


def text_digest(transcript: str) -> str:
    """A digest of the whole text: what recorded turns are checked against, and what keys the layout cache."""
    return hashlib.blake2b(transcript.encode("utf-8", "surrogatepass"), digest_size=32).hexdigest()


def turn_layout(transcript: str, extra_labels: Iterable[str] = ()) -> Layout:
    """Each turn's start, where its words start (after the label), end and the label of its speaker.

    `extra_labels` also open a turn as written: labels the interview's speakers have that the usual pattern
    does not read, such as a label a redaction put in brackets ("[board chair]:").

    Splitting a long transcript into turns costs tens of milliseconds, and every page that names the speakers
    of a few excerpts would pay it again. The layout depends on the text alone (and the extra labels), so the
    layouts of the texts seen lately are kept, keyed by a digest (the cache holds no transcript).
    """
    extra = tuple(sorted(set(extra_labels)))
    key = hashlib.blake2b(
        "\n".join([text_digest(transcript), *extra]).encode("utf-8", "surrogatepass"), digest_size=32
    ).digest()
    with _layouts_lock:
        layout = _layouts.get(key)
        if layout is not None:
            _layouts.move_to_end(key)
            return layout
    pattern = label_pattern(extra)
    rows: list[TurnLayout] = []
    current = ""
    for turn in split_turns(transcript, extra):
        written = pattern.match(turn.text)
        body_start = min(turn.start + (written.end() if written else 0), turn.end)
        if turn.speaker and is_header_label(turn.speaker):
            # A header line is no one's turn, and the words after it do not carry it on.
            rows.append(TurnLayout(turn.start, body_start, turn.end, turn.speaker))
            continue
        if turn.speaker:
            current = turn.speaker
        rows.append(TurnLayout(turn.start, body_start, turn.end, current))
    layout = tuple(rows)
    with _layouts_lock:
        _layouts[key] = layout
        while len(_layouts) > LAYOUT_CACHE_SIZE:
            _layouts.popitem(last=False)
    return layout


def voice_of_speaker(label: str, people: list[Person], *, kind: str = "", person: Person | None = None) -> Voice:
    """The voice of the speaker under `label`: as someone set it (`kind`, with `person` for a participant), or,
    where no one has (`kind` empty), worked out from the label and the participants on record."""
    if kind == VoiceKind.PARTICIPANT:
        return (
            Voice(VoiceKind.PARTICIPANT, person, label) if person is not None else Voice(VoiceKind.UNKNOWN, None, label)
        )
    if kind:
        return Voice(VoiceKind(kind), None, label)
    if not label:
        # Words before any label: with one participant on record they are theirs; else nobody's known.
        return Voice(VoiceKind.PARTICIPANT, people[0], "") if len(people) == 1 else Voice(VoiceKind.UNKNOWN)
    if is_header_label(label):
        return Voice(VoiceKind.NOTE, None, label)
    return voice_of_label(label, people)


def voice_of_label(label: str, people: list[Person]) -> Voice:
    """Whose turn a speaker label opens, among the participants on record."""
    if label.casefold() in INTERVIEWER_LABELS:
        return Voice(VoiceKind.INTERVIEWER, None, label)
    matching = [person for person in people if label_matches(label, person.pseudonym)]
    if len(matching) == 1:
        return Voice(VoiceKind.PARTICIPANT, matching[0], label)
    if not matching and len(people) == 1:
        # "R:", "Respondent:" or a name the transcriber used: the one participant on record.
        return Voice(VoiceKind.PARTICIPANT, people[0], label)
    return Voice(VoiceKind.UNKNOWN, None, label)


def _withheld(parts: list[SpanPart]) -> Withheld | None:
    """Why the words of these parts may not be quoted, or None: one pass, since every excerpt asks."""
    if not parts:
        return Withheld.NO_WORDS
    refused = None
    for part in parts:
        voice = part.voice
        if voice.kind is VoiceKind.UNKNOWN:
            return Withheld.NOT_ON_RECORD
        if voice.kind is VoiceKind.PARTICIPANT and not voice.person.consent_to_quote:
            refused = Withheld.NO_CONSENT
    return refused


def withheld_summary(counts: dict[Withheld, int]) -> str:
    """'2 no consent to quote, 1 speaker not on record': why passages were withheld (empty when none was)."""
    return ", ".join(f"{count} {reason.value}" for reason, count in sorted(counts.items()) if count)


def voice_key(voice: Voice) -> tuple[str, int | None]:
    """Who a voice is, whatever its label: the kind and, for a participant, which one."""
    return voice.kind.value, voice.person.pk if voice.person is not None else None


def described(voice: Voice) -> str:
    """A voice as a page for the project's team names it: the pseudonym, "the interviewer", "a header line" or "an
    unknown speaker (“R2”)"."""
    if voice.kind == VoiceKind.PARTICIPANT and voice.person is not None:
        return voice.person.pseudonym
    if voice.kind == VoiceKind.INTERVIEWER:
        return "the interviewer"
    if voice.kind == VoiceKind.NOTE:
        return f"a header line (“{voice.label}”)"
    return f"an unknown speaker (“{voice.label}”)" if voice.label else "an unknown speaker"


@dataclass(frozen=True)
class SpeakerChange:
    """A turn of the new text whose words were someone else's before: `[start, end)` in the new text."""

    start: int
    end: int
    before: str
    after: str


def speaker_changes(old: TranscriptVoices, new: TranscriptVoices, blocks) -> list[SpeakerChange]:
    """The turns of `new` holding words that another voice said in `old`.

    `blocks` align the two texts (`coding.reanchor.diff_blocks`: `equal`, old `[i1, i2)`, new `[j1, j2)`); only words
    found in both count, so that new words (which no one said before) change no one's turn.
    """
    equal = [block for block in blocks if block.equal]
    starts = [block.j1 for block in equal]
    changes: list[SpeakerChange] = []
    for turn in new.turns:
        if turn.body_start >= turn.end:
            continue
        now = voice_key(turn.voice)
        before: dict[tuple, Voice] = {}
        index = max(bisect.bisect_right(starts, turn.body_start) - 1, 0)
        while index < len(equal) and equal[index].j1 < turn.end:
            block = equal[index]
            low, high = max(block.j1, turn.body_start), min(block.j2, turn.end)
            if low < high:
                for part in old.parts(block.i1 + low - block.j1, block.i1 + high - block.j1):
                    before.setdefault(voice_key(part.voice), part.voice)
            index += 1
        others = [voice for key, voice in before.items() if key != now]
        if others:
            after = described(turn.voice)
            changes.append(SpeakerChange(turn.start, turn.end, _join([described(v) for v in others]), after))
    return changes


class WrittenLabel(NamedTuple):
    """A label written at the start of a turn: the turn's start, where the speaker's name is written
    (`[name_start, name_end)`), where the turn's words start, and the label of the turn's speaker."""

    start: int
    name_start: int
    name_end: int
    body_start: int
    label: str


def written_labels(transcript: str, extra_labels: Iterable[str] = ()) -> list[WrittenLabel]:
    """Every label written in the transcript, laid out as `turn_layout` lays it out."""
    extra = tuple(extra_labels)
    pattern = label_pattern(extra)
    found = []
    for turn in turn_layout(transcript, extra):
        if turn.body_start <= turn.start:
            continue
        match = pattern.match(transcript, turn.start)
        if match is None:
            continue
        name_start, name_end = match.span("speaker")
        name = transcript[name_start:name_end]
        stripped_start = name_start + len(name) - len(name.lstrip())
        found.append(
            WrittenLabel(turn.start, stripped_start, stripped_start + len(name.strip()), turn.body_start, name.strip())
        )
    return found
