"""Turning another tool's selection positions into code points of our canonical transcript.

The standard counts Unicode code points from 0, end exclusive. Real exporters differ: NVivo for Windows
counts UTF-16 code units (an emoji is 2), counts CRLF as 2 and leaves out the byte-order mark; some
tools count over text whose line endings they rewrote. Rather than trust the `origin`, every plausible
reading is tried on a source's selections and the one that puts them on word boundaries (and matches
any `name` that quotes the text) wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from casestudies.transcripts import normalise_transcript

BOM = "\ufeff"


@dataclass(frozen=True)
class Reading:
    key: str
    label: str


CODE_POINTS = Reading("code_points", "Unicode code points, as the standard says")
UTF16 = Reading("utf16", "UTF-16 code units (as NVivo for Windows counts)")
CODE_POINTS_LF = Reading("code_points_lf", "code points, with each line ending counted as one character")
UTF16_LF = Reading("utf16_lf", "UTF-16 code units, with each line ending counted as one unit")
CODE_POINTS_BOM = Reading("code_points_bom", "code points, counting the byte-order mark")
UTF16_BOM = Reading("utf16_bom", "UTF-16 code units, counting the byte-order mark")


@dataclass(frozen=True)
class RawSelection:
    start: int
    end: int
    name: str = ""


@dataclass(frozen=True)
class Converted:
    """What a source's selections became: [start, end) in the canonical text, or None with the reason."""

    reading: Reading
    ranges: list[tuple[int, int] | None]
    reasons: list[str]


def _normalise_with_map(text: str) -> tuple[str, list[int]]:
    """One pass of normalise_transcript, with where each position of `text` lands in the result."""
    out: list[str] = []
    positions = [0] * (len(text) + 1)
    length = len(text)
    i = 1 if text.startswith(BOM) else 0
    j = 0
    while i < length:
        positions[i] = j
        char = text[i]
        if char == "\r":
            out.append("\n")
            j += 1
            if i + 1 < length and text[i + 1] == "\n":
                positions[i + 1] = j  # between CR and LF: after the line ending
                i += 2
                continue
        else:
            out.append(char)
            j += 1
        i += 1
    positions[length] = j
    joined = "".join(out)
    stripped = joined.strip("\n")
    lead = len(joined) - len(joined.lstrip("\n"))
    size = len(stripped)
    return stripped, [min(max(p - lead, 0), size) for p in positions]


def canonicalise(raw: str) -> tuple[str, list[int]]:
    """The canonical transcript for `raw`, and for each position in `raw` its position in that transcript."""
    text, positions = raw, list(range(len(raw) + 1))
    for _ in range(8):
        normalised, step = _normalise_with_map(text)
        positions = [step[p] for p in positions]
        if normalised == text:
            break
        text = normalised
    if normalise_transcript(text) != text:  # pragma: no cover - the loop above reaches a fixed point
        raise RuntimeError("The transcript did not settle under normalisation.")
    return text, positions


def _line_endings_as_one(text: str) -> tuple[str, list[int]]:
    """`text` with CRLF and CR as LF, and for each of its positions the position in `text`."""
    out: list[str] = []
    back: list[int] = []
    i = 0
    while i < len(text):
        back.append(i)
        if text[i] == "\r":
            out.append("\n")
            i += 2 if text[i + 1 : i + 2] == "\n" else 1
        else:
            out.append(text[i])
            i += 1
    back.append(len(text))
    return "".join(out), back


def _utf16_to_code_points(text: str) -> list[int]:
    """For each UTF-16 offset into `text`, the code point offset; -1 inside a surrogate pair."""
    table: list[int] = []
    for index, char in enumerate(text):
        table.append(index)
        if ord(char) > 0xFFFF:
            table.append(-1)
    table.append(len(text))
    return table


def _readings(raw: str, to_canonical: list[int], origin: str) -> list[tuple[Reading, list[int]]]:
    """Each plausible way of counting, as a table from a file position to a canonical position."""
    skip = 1 if raw.startswith(BOM) else 0
    body = raw[skip:]
    astral = any(ord(char) > 0xFFFF for char in body)
    candidates: list[tuple[Reading, list[int]]] = []

    def add(reading: Reading, view_to_raw: Sequence[int], view: str, in_utf16: bool) -> None:
        if in_utf16:
            table = [-1 if k < 0 else to_canonical[view_to_raw[k]] for k in _utf16_to_code_points(view)]
        else:
            table = [to_canonical[r] for r in view_to_raw]
        candidates.append((reading, table))

    plain = range(skip, len(raw) + 1)
    add(CODE_POINTS, plain, body, False)
    if astral:
        add(UTF16, plain, body, True)
    if "\r" in body:
        lf_view, back = _line_endings_as_one(body)
        lf_to_raw = [k + skip for k in back]
        add(CODE_POINTS_LF, lf_to_raw, lf_view, False)
        if astral:
            add(UTF16_LF, lf_to_raw, lf_view, True)
    if skip:
        add(CODE_POINTS_BOM, range(len(raw) + 1), raw, False)
        if astral:
            add(UTF16_BOM, range(len(raw) + 1), raw, True)
    if "nvivo" in origin.lower():
        candidates.sort(key=lambda item: 0 if item[0] is UTF16 else 1)
    return candidates


def _squash(text: str) -> str:
    return " ".join(text.split())


def _name_matches(name: str, covered: str) -> bool:
    wanted = _squash(name)
    if not wanted:
        return False
    got = _squash(covered)
    if wanted == got:
        return True
    for ellipsis in ("…", "..."):
        if wanted.endswith(ellipsis):
            prefix = wanted.removesuffix(ellipsis).rstrip()
            return len(prefix) >= 8 and got.startswith(prefix)
    return False


def _on_boundary(text: str, position: int) -> bool:
    if position <= 0 or position >= len(text):
        return True
    return not (text[position - 1].isalnum() and text[position].isalnum())


def _score(table: list[int], canonical: str, selections: Sequence[RawSelection]) -> tuple[int, int]:
    bad = points = 0
    for selection in selections:
        if not 0 <= selection.start < selection.end < len(table):
            bad += 1
            continue
        start, end = table[selection.start], table[selection.end]
        if start < 0 or end < 0 or start >= end:
            bad += 1
            continue
        if selection.name and _name_matches(selection.name, canonical[start:end]):
            points += 4
        points += _on_boundary(canonical, start) + _on_boundary(canonical, end)
    return bad, points


def convert_selections(*, raw: str, selections: Sequence[RawSelection], origin: str = "") -> tuple[str, Converted]:
    """The canonical text of a source and its selections' ranges in it, under the best-fitting reading."""
    canonical, to_canonical = canonicalise(raw)
    readings = _readings(raw, to_canonical, origin)
    best_index, best_key = 0, None
    for index, (_reading, table) in enumerate(readings):
        bad, points = _score(table, canonical, selections)
        key = (-bad, points, -index)
        if best_key is None or key > best_key:
            best_index, best_key = index, key
    reading, table = readings[best_index]
    ranges: list[tuple[int, int] | None] = []
    reasons: list[str] = []
    units = len(table) - 1
    for selection in selections:
        if not 0 <= selection.start < selection.end:
            ranges.append(None)
            reasons.append(f"its positions [{selection.start}, {selection.end}) are not a range")
            continue
        if selection.end > units:
            ranges.append(None)
            reasons.append(f"it ends at {selection.end}, past the end of the text ({units})")
            continue
        start, end = table[selection.start], table[selection.end]
        if start < 0 or end < 0:
            ranges.append(None)
            reasons.append("it starts or ends inside a character")
            continue
        if start >= end:
            ranges.append(None)
            reasons.append("it covers only line breaks at the start or end of the text, which the workbench drops")
            continue
        ranges.append((start, end))
        reasons.append("")
    return canonical, Converted(reading=reading, ranges=ranges, reasons=reasons)
