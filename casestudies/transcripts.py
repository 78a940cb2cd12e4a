"""The canonical transcript text and its speaker turns."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A turn opens a paragraph with a short speaker label and a colon: "Interviewer:", "Q:", "R:", "Ruth:",
# "Dr Ruth Ellis:", optionally after a timestamp such as "[00:01:23]" or "00:01:23".
TURN_PATTERN = re.compile(
    r"^(?:\[?(?P<timestamp>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)\]?\s+)?"
    r"(?P<speaker>[A-Z][\w'’.-]*(?: [A-Z0-9(][\w'’.()-]*){0,3}):[ \t]+",
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
    """Split the canonical text into paragraphs, keeping offsets so highlights can be laid over them."""
    turns: list[Turn] = []
    for match in re.finditer(r"[^\n]+(?:\n[^\n]+)*", text):
        paragraph = match.group(0)
        label = TURN_PATTERN.match(paragraph)
        turns.append(
            Turn(
                start=match.start(),
                end=match.end(),
                text=paragraph,
                speaker=label.group("speaker").strip() if label else "",
                timestamp=(label.group("timestamp") or "") if label else "",
            )
        )
    return turns
