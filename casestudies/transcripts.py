"""The canonical transcript text and its speaker turns."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

# A turn opens a line with a short speaker label and a colon: "Interviewer:", "Q:", "R:", "Ruth:", "Siân:",
# "Dr Ruth Ellis:", optionally after a timestamp such as "[00:01:23]", "(00:01:23)" or "00:01:23". What was said
# follows on the same line or, after a label that stands alone on its line, on the next.
_CAPITAL = r"[^\W\d_a-z]"  # a letter but not an ASCII small one, so that "Łukasz" and "Éamonn" open labels too
TURN_PATTERN = re.compile(
    r"^(?:[\[(]?(?P<timestamp>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)[\])]?\s+)?"
    rf"(?P<speaker>{_CAPITAL}[\w'’.-]*(?: (?:{_CAPITAL}|[0-9(])[\w'’.()-]*){{0,3}}):(?:[ \t]+|[ \t]*\n)",
    re.MULTILINE,
)
INTERVIEWER_LABELS = {"interviewer", "int", "q", "i", "interviewer 1", "interviewer 2"}


def normalise_transcript(text: str) -> str:
    """The one normalisation a transcript gets, at import: no BOM, newlines as \\n, no trailing blank space."""
    text = text.removeprefix("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip("\n")


@dataclass(frozen=True)
class Turn:
    """A paragraph of the transcript: [start, end) in code points, with its speaker if it names one."""

    start: int
    end: int
    text: str
    speaker: str = ""
    timestamp: str = ""

    @property
    def is_interviewer(self) -> bool:
        return self.speaker.lower() in INTERVIEWER_LABELS

    @property
    def body(self) -> str:
        """What was said, without the leading timestamp and speaker label."""
        label = TURN_PATTERN.match(self.text)
        return self.text[label.end() :] if label else self.text


def label_pattern(extra_labels: Iterable[str] = ()) -> re.Pattern:
    """TURN_PATTERN, or one that also opens a turn at any of `extra_labels` as written ("[board chair]:"): labels
    that an interview's speakers already have although they are not written as the usual pattern expects."""
    extra = sorted({label for label in extra_labels if label and not TURN_PATTERN.match(f"{label}: ")}, key=len)
    if not extra:
        return TURN_PATTERN
    return _extended_pattern(tuple(reversed(extra)))


@lru_cache(maxsize=64)
def _extended_pattern(extra: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(re.escape(label) for label in extra)
    return re.compile(
        TURN_PATTERN.pattern.replace("(?P<speaker>", f"(?P<speaker>(?:{alternatives})(?=:)|", 1), re.MULTILINE
    )


def split_turns(text: str, extra_labels: Iterable[str] = ()) -> list[Turn]:
    """Split the canonical text into turns, keeping offsets so highlights can be laid over them.

    A turn is a paragraph (lines between blank lines); a line that opens with a speaker label starts a new
    turn even without a blank line before it, as in transcripts typed one turn to a line. `extra_labels` are
    further labels that open a turn as written (see `label_pattern`).
    """
    pattern = label_pattern(extra_labels)
    turns: list[Turn] = []
    for match in re.finditer(r"[^\n]+(?:\n[^\n]+)*", text):
        paragraph = match.group(0)
        starts = sorted({0} | {label.start() for label in pattern.finditer(paragraph)})
        for start, end in zip(starts, [*starts[1:], len(paragraph) + 1], strict=True):
            piece = paragraph[start : end - 1]
            label = pattern.match(piece)
            turns.append(
                Turn(
                    start=match.start() + start,
                    end=match.start() + start + len(piece),
                    text=piece,
                    speaker=label.group("speaker").strip() if label else "",
                    timestamp=(label.group("timestamp") or "") if label else "",
                )
            )
    return turns
