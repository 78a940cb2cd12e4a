"""Correcting (or redacting) a coded transcript: preview what happens to each excerpt, then apply it.

Callers check who may do it first (``disclosure.access.get_editable_interview_for``). Every write goes
through ``.save()`` and ``.delete()`` so that change history, where it is kept, records it.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import batched

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from casestudies.models import Interview, Speaker
from casestudies.parsing_limits import RESULT_MAX_BYTES
from casestudies.services import record_turns
from casestudies.transcripts import INTERVIEWER_LABELS, normalise_transcript
from casestudies.validators import validate_plain_text
from coding.models import Excerpt, TranscriptCorrection
from coding.reanchor import CHANGED, DELETED, KEPT, Anchors, Outcome
from disclosure.passages import proposed_voices, recorded_voices
from disclosure.speakers import (
    HEADER_LABELS,
    SpeakerChange,
    label_matches,
    speaker_changes,
    written_labels,
)
from suggestions.services import forget_models

# A corrected transcript is bounded like an imported one.
MAX_TRANSCRIPT_CHARS = RESULT_MAX_BYTES // 4


@dataclass
class Preview:
    old: str
    new: str
    kept: list[tuple[Excerpt, Outcome]] = field(default_factory=list)
    changed: list[tuple[Excerpt, Outcome]] = field(default_factory=list)
    removed: list[tuple[Excerpt, Outcome]] = field(default_factory=list)
    # Turns whose words another speaker said before the change; applying needs them confirmed.
    speaker_changes: list[SpeakerChange] = field(default_factory=list)
    # Labels a redaction writes in place of speaker labels (new -> old): their speakers are kept.
    renamed: dict[str, str] = field(default_factory=dict)

    def passage(self, outcome: Outcome) -> str:
        return "" if outcome.start is None else self.new[outcome.start : outcome.end]

    def speaker_change_lines(self) -> list[str]:
        """Each speaker change as the preview lists it: where it is and who speaks before and after."""
        lines = []
        for change in self.speaker_changes:
            line = self.new.count("\n", 0, change.start) + 1
            words = " ".join(self.new[change.start : change.end].split())
            snippet = words if len(words) <= 80 else words[:79] + "…"
            lines.append(f"Line {line}: “{snippet}” was said by {change.before}; it would be {change.after}’s.")
        return lines


def checked_text(text: str) -> str:
    """The corrected text normalised as at import; ValidationError with a clear message when it cannot be."""
    if len(text) > MAX_TRANSCRIPT_CHARS:
        raise ValidationError(f"The transcript is longer than {MAX_TRANSCRIPT_CHARS:,} characters.")
    validate_plain_text(text)
    text = normalise_transcript(text)
    if not text.strip():
        raise ValidationError("The corrected transcript is empty.")
    return text


def preview(interview: Interview, new_text: str, *, renamed: dict[str, str] | None = None) -> Preview:
    new_text = checked_text(new_text)
    result = Preview(old=interview.transcript, new=new_text, renamed=dict(renamed or {}))
    anchors = Anchors(interview.transcript, new_text)
    before = recorded_voices([interview.pk], transcripts={interview.pk: interview.transcript})[interview.pk]
    after = proposed_voices(interview, new_text, renamed=result.renamed)
    result.speaker_changes = speaker_changes(before, after, anchors.blocks)
    for excerpt in Excerpt.objects.filter(interview=interview):
        outcome = anchors.fate(excerpt.pk, excerpt.start, excerpt.end)
        {KEPT: result.kept, CHANGED: result.changed, DELETED: result.removed}[outcome.fate].append((excerpt, outcome))
    # Only a removed excerpt is shown, and recorded, with its codes and coder.
    prefetch_related_objects([excerpt for excerpt, _ in result.removed], "codes", "coded_by")
    return result


class TranscriptChanged(Exception):
    """The transcript changed since the preview was made."""


def apply(
    *,
    interview: Interview,
    new_text: str,
    user,
    expected_old: str,
    kind: str = TranscriptCorrection.Kind.CORRECTION,
    scrub=None,
    renamed: dict[str, str] | None = None,
    speakers_confirmed: bool = False,
) -> TranscriptCorrection:
    """Applies the correction atomically (interview and excerpt rows locked); returns its record.

    ``scrub`` turns a removed excerpt's text into what its record keeps: a redaction passes its own replacement,
    so that the words it removes stay only in the interview's history (admins). A change that gives words to
    another speaker is refused unless ``speakers_confirmed`` (a redaction never confirms: it keeps every voice);
    ``renamed`` are the labels a redaction writes (see ``Preview.renamed``)."""
    with transaction.atomic():
        locked = Interview.objects.select_for_update().get(pk=interview.pk)
        if locked.transcript != expected_old:
            raise TranscriptChanged("The transcript was changed by someone else since this preview; preview again.")
        list(Excerpt.objects.select_for_update().filter(interview=locked).values_list("pk", flat=True))
        result = preview(locked, new_text, renamed=renamed)
        if result.speaker_changes and not speakers_confirmed:
            count = len(result.speaker_changes)
            raise ValidationError(
                f"This change gives words to another speaker in {count} turn{'s' if count != 1 else ''}, which "
                "changes who may be quoted. Check the speaker changes in the preview and confirm them.",
                code="speaker_changes",
            )
        removed = []
        for excerpt, _outcome in result.removed:
            removed.append(
                {
                    "start": excerpt.start,
                    "end": excerpt.end,
                    "text": scrub(excerpt.text) if scrub else excerpt.text,
                    "codes": sorted(code.name for code in excerpt.codes.all()),
                    "coder": excerpt.coded_by.get_username(),
                    "memo": excerpt.memo,
                }
            )
            excerpt.delete()
        _move_excerpts(result, user=user)
        locked.transcript = result.new
        locked.save()
        record_turns(interview=locked, renamed=result.renamed)
        forget_models(project=locked.project)
        return TranscriptCorrection.objects.create(
            interview=locked,
            kind=kind,
            made_by=user,
            kept=len(result.kept),
            needing_review=len(result.changed),
            removed=len(result.removed),
            removed_excerpts=removed,
        )


SAVE_BATCH = 500


def _move_excerpts(result: Preview, *, user) -> None:
    """Give the kept and changed excerpts their new offsets, each with its row of history.

    A project-wide redaction moves tens of thousands of excerpts whose text is untouched: those are moved by one
    UPDATE per shift (the text stays as it is) and their history written in batches; the few whose text changed
    are saved with their new text and marked for review."""
    now = timezone.now()
    shifted: dict[tuple[int, int], list[Excerpt]] = defaultdict(list)
    changed = []
    for excerpt, outcome in result.kept + result.changed:
        if outcome.fate == KEPT and not outcome.moved:
            continue
        shift = (outcome.start - excerpt.start, outcome.end - excerpt.end)
        excerpt.start, excerpt.end = outcome.start, outcome.end
        excerpt.version += 1
        excerpt.updated_at = now
        if outcome.fate == KEPT:
            shifted[shift].append(excerpt)
            continue
        excerpt.text = result.new[outcome.start : outcome.end]
        excerpt.needs_review = True
        changed.append(excerpt)
    for (by_start, by_end), excerpts in shifted.items():
        for batch in batched(excerpts, SAVE_BATCH):
            Excerpt.objects.filter(pk__in=[excerpt.pk for excerpt in batch]).update(
                start=F("start") + by_start, end=F("end") + by_end, version=F("version") + 1, updated_at=now
            )
    moved = [excerpt for excerpts in shifted.values() for excerpt in excerpts]
    if moved:
        Excerpt.history.bulk_history_create(moved, batch_size=SAVE_BATCH, update=True, default_user=user)
    if changed:
        bulk_update_with_history(
            changed,
            Excerpt,
            ["start", "end", "text", "version", "updated_at", "needs_review"],
            batch_size=SAVE_BATCH,
            default_user=user,
        )


def redacted_text(text: str, *, phrase: str, replacement: str, start: int | None = None) -> str:
    """``text`` with ``phrase`` replaced by ``[replacement]``: at ``start`` only, or everywhere when None."""
    replacement = replacement.strip().strip("[]").strip()
    if not phrase or not replacement:
        raise ValidationError("Give the text to redact and what to put in its place.")
    bracketed = f"[{replacement}]"
    if start is None:
        if phrase not in text:
            raise ValidationError("The text to redact does not occur in the transcript.")
        return text.replace(phrase, bracketed)
    if text[start : start + len(phrase)] != phrase:
        raise ValidationError("The selected text is no longer at that place in the transcript; reload the page.")
    return text[:start] + bracketed + text[start + len(phrase) :]


REDACTION_SCOPES = ("here", "interview", "project")
MAX_REDACTED_PHRASE = 500
MAX_REPLACEMENT = 60


@dataclass
class Redaction:
    """What one redaction does: the phrase, its replacement and, for each interview it changes, the new text and
    the preview of the interview's excerpts."""

    phrase: str
    replacement: str
    scope: str
    changes: list  # (interview, new_text, Preview)

    @property
    def bracketed(self) -> str:
        return f"[{self.replacement}]"

    def scrub(self, text: str) -> str:
        return text.replace(self.phrase, self.bracketed)


def plan_redaction(
    interview: Interview, *, phrase: str, replacement: str, scope: str, start: int | None, interviews=()
) -> Redaction:
    """The redaction of ``phrase`` as ``[replacement]``: at ``start`` in ``interview`` ("here"), everywhere in it
    ("interview"), or everywhere in ``interviews`` (the project's, for "project"). Refuses bad input with a
    ValidationError whose message says why; writes nothing."""
    if scope not in REDACTION_SCOPES:
        raise ValidationError("Choose where to redact: here, everywhere in this interview, or in the project.")
    if not phrase.strip():
        raise ValidationError("Select the text to redact on the coding page first.")
    if len(phrase) > MAX_REDACTED_PHRASE:
        raise ValidationError(f"Redact at most {MAX_REDACTED_PHRASE} characters at a time.")
    if "\n" in phrase:
        raise ValidationError("Redact within one line of the transcript.")
    replacement = replacement.strip().strip("[]").strip()
    if not replacement:
        raise ValidationError("Say what to put in its place, for example “chief executive”.")
    if len(replacement) > MAX_REPLACEMENT or any(ch in replacement for ch in "[]\n\r"):
        raise ValidationError(
            f"The replacement is at most {MAX_REPLACEMENT} characters, on one line, without square brackets."
        )
    if scope == "here" and start is None:
        raise ValidationError("Select the occurrence to redact on the coding page.")
    targets = [interview] if scope != "project" else [i for i in interviews if phrase in i.transcript]
    changes = []
    for target in targets:
        new_text = redacted_text(
            target.transcript, phrase=phrase, replacement=replacement, start=start if scope == "here" else None
        )
        renamed = _renamed_labels(
            target, phrase=phrase, replacement=replacement, start=start if scope == "here" else None
        )
        result = preview(target, new_text, renamed=renamed)
        if result.speaker_changes:
            raise ValidationError(
                f"In “{target.title}” this redaction would change who speaks, so it is not made: "
                + " ".join(result.speaker_change_lines()[:3])
            )
        changes.append((target, new_text, result))
    return Redaction(phrase=phrase, replacement=replacement, scope=scope, changes=changes)


def _renamed_labels(interview: Interview, *, phrase: str, replacement: str, start: int | None) -> dict[str, str]:
    """The speaker labels that redacting ``phrase`` rewrites in ``interview`` ({new label: old label}): a label is
    redacted whole or not at all, and never as another speaker's name. ValidationError says why not."""
    text = interview.transcript
    at = [start] if start is not None else [match.start() for match in re.finditer(re.escape(phrase), text)]
    speakers = list(Speaker.objects.filter(interview=interview).values_list("label", flat=True))
    labels = written_labels(text, speakers)
    bracketed = f"[{replacement}]"
    starts = [label.start for label in labels]
    renamed: dict[str, str] = {}
    for occurrence in at:
        end = occurrence + len(phrase)
        # Labels lie in order and apart: only those starting before the occurrence ends, and ending after it
        # starts, can overlap it (a short phrase may occur thousands of times in a long transcript).
        index = bisect.bisect_left(starts, end) - 1
        overlapping = []
        while index >= 0 and labels[index].body_start > occurrence:
            overlapping.append(labels[index])
            index -= 1
        for label in overlapping:
            if (occurrence, end) != (label.name_start, label.name_end):
                raise ValidationError(
                    f"“{phrase}” covers part of the speaker label “{text[label.start : label.body_start].strip()}” in "
                    f"“{interview.title}”. Redact the speaker’s name alone, or words after the label."
                )
            renamed[bracketed] = label.label
    if renamed:
        people = list(interview.participants.values_list("pseudonym", flat=True))
        others = [label for label in speakers if label not in renamed.values()]
        plain = " ".join(replacement.casefold().split())
        if (
            plain in INTERVIEWER_LABELS
            or plain in HEADER_LABELS
            # A label a redaction wrote before ("[chair]") may be written again: whether it is the same speaker's is
            # checked with every other change of voice.
            or any(label_matches(replacement, name) for name in [*others, *people])
        ):
            raise ValidationError(
                f"“{replacement}” is how a speaker is named in “{interview.title}”, so the redacted label would read "
                "as theirs. Choose a replacement that names no speaker, such as “board chair”."
            )
    return renamed


def apply_redaction(redaction: Redaction, *, user) -> list[TranscriptCorrection]:
    """Applies every interview's change of ``redaction`` in one transaction: all or none."""
    with transaction.atomic():
        return [
            apply(
                interview=target,
                new_text=new_text,
                user=user,
                expected_old=target.transcript,
                kind=TranscriptCorrection.Kind.REDACTION,
                scrub=redaction.scrub,
                renamed=planned.renamed,
            )
            for target, new_text, planned in redaction.changes
        ]
