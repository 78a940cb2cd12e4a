"""An interview as an annotated document, to share with a colleague who has no account: the transcript turn by
turn with the coding shown beside it, as HTML or Word.

It leaves the app, so it goes through the disclosure policy like every output: only the excerpts the reader
may see (blind coding applied), no words that may not be quoted (a turn of a participant who did not consent,
or whose speaker is not on record, is withheld and says why), and the project's redaction of names.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field

from docx import Document
from docx.shared import Pt, RGBColor

from casestudies.models import Interview
from disclosure.passages import people_of_interviews, recorded_voices
from disclosure.redaction import redactor_for

from .models import Excerpt, ExcerptCode

WITHHELD_TURN = {
    "no consent to quote": "[Withheld: this participant has not consented to be quoted]",
    "speaker not on record": "[Withheld: the speaker is not on record]",
}


@dataclass
class DocumentTurn:
    speaker: str
    text: str
    is_withheld: bool
    codes: list[str] = field(default_factory=list)


@dataclass
class AnnotatedInterview:
    title: str
    context: str
    participants: list[str]
    turns: list[DocumentTurn]
    excerpt_count: int
    withheld_count: int

    @property
    def summary(self) -> str:
        parts = [f"{self.excerpt_count} coded passage{'s' if self.excerpt_count != 1 else ''}"]
        if self.withheld_count:
            parts.append(f"{self.withheld_count} turn{'s' if self.withheld_count != 1 else ''} withheld")
        return "; ".join(parts)


def annotated_interview(*, user, interview: Interview) -> AnnotatedInterview:
    """The document for `user`: what they may see of the interview's coding, and only quotable words."""
    people = people_of_interviews([interview.pk]).get(interview.pk, [])
    voices = recorded_voices(
        [interview.pk], transcripts={interview.pk: interview.transcript}, people={interview.pk: people}
    )[interview.pk]
    redactor = redactor_for(interview.project)
    excerpts = list(
        Excerpt.objects.visible_to(user)
        .filter(interview=interview)
        .order_by("start", "end")
        .values_list("pk", "start", "end")
    )
    names: dict[int, list[str]] = {}
    for excerpt_id, code_name in (
        ExcerptCode.objects.filter(excerpt_id__in=[pk for pk, _, _ in excerpts])
        .order_by("code__name")
        .values_list("excerpt_id", "code__name")
    ):
        names.setdefault(excerpt_id, []).append(code_name)
    turns, withheld = [], 0
    for turn in voices.turns:
        passage = voices.passage(turn.body_start, turn.end)
        if not passage.parts:
            continue
        speaker = turn.voice.shown
        codes = Counter(
            name for pk, start, end in excerpts if start < turn.end and turn.start < end for name in names.get(pk, [])
        )
        coded = [f"{name} ×{count}" if count > 1 else name for name, count in sorted(codes.items())]
        if passage.may_quote:
            text = redactor.redact(interview.transcript[turn.body_start : turn.end])
        else:
            withheld += 1
            text = WITHHELD_TURN.get(passage.withheld.value, "[Withheld]")
        turns.append(DocumentTurn(speaker=speaker, text=text, is_withheld=not passage.may_quote, codes=coded))
    where = interview.case_study.title if interview.case_study_id else "Scoping interview"
    when = f"{interview.date.day} {interview.date:%B %Y}" if interview.date else "undated"
    return AnnotatedInterview(
        title=redactor.redact(interview.title),
        context=f"{where} · {interview.get_phase_display()} · {when}",
        participants=[person.attribution for person in people],
        turns=turns,
        excerpt_count=len(excerpts),
        withheld_count=withheld,
    )


def annotated_docx(document: AnnotatedInterview) -> bytes:
    """The annotated interview as a Word file: real headings, the speaker in bold, the coding in grey."""
    word = Document()
    word.core_properties.title = document.title
    word.core_properties.language = "en-GB"
    word.add_heading(document.title, level=1)
    word.add_paragraph(document.context)
    if document.participants:
        word.add_paragraph("Participants: " + "; ".join(document.participants))
    word.add_paragraph(f"{document.summary}. Real names are never shown; withheld turns say why.")
    for turn in document.turns:
        paragraph = word.add_paragraph()
        paragraph.add_run(f"{turn.speaker}: ").bold = True
        run = paragraph.add_run(turn.text)
        run.italic = turn.is_withheld
        if turn.codes:
            note = word.add_paragraph().add_run("Coded: " + "; ".join(turn.codes))
            note.font.size = Pt(9)
            note.font.color.rgb = RGBColor(0x55, 0x5F, 0x6B)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()
