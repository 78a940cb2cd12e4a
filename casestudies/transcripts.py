"""The canonical transcript text and its speaker turns."""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def split_turns(text: str) -> list[Turn]:
    """Split the canonical text into turns, keeping offsets so highlights can be laid over them.

    A turn is a paragraph (lines between blank lines); a line that opens with a speaker label starts a new
    turn even without a blank line before it, as in transcripts typed one turn to a line.
    """
    turns: list[Turn] = []
    for match in re.finditer(r"[^\n]+(?:\n[^\n]+)*", text):
        paragraph = match.group(0)
        starts = sorted({0} | {label.start() for label in TURN_PATTERN.finditer(paragraph)})
        for start, end in zip(starts, [*starts[1:], len(paragraph) + 1], strict=True):
            piece = paragraph[start : end - 1]
            label = TURN_PATTERN.match(piece)
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
