"""Turning another tool's selection positions into code points of our canonical transcript.

The standard counts Unicode code points from 0, end exclusive. Real exporters differ: NVivo for Windows
counts UTF-16 code units (an emoji is 2), counts CRLF as 2 and leaves out the byte-order mark; some
tools count over text whose line endings they rewrote. Rather than trust the `origin`, every plausible
reading is tried on a source's selections and the one that puts them on word boundaries (and matches
any `name` that quotes the text) wins.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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


class _Text:
    """A source's raw text and its canonical form, with where each raw position lands in the canonical one.

    The canonical text is the file's text with a leading byte-order mark removed, the CR of each CRLF dropped
    and a lone CR turned into LF: nothing else, so blank lines at either end stay (selections count them).
    Positions are mapped by counting the dropped characters before them, so nothing proportional to the
    text's length is built per reading.
    """

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.bom = 1 if raw.startswith(BOM) else 0
        self.body = raw[self.bom :]
        self.crlf = [match.start() for match in re.finditer("\r\n", self.body)]  # body offsets of the CRs
        self.dropped = ([0] if self.bom else []) + [offset + self.bom for offset in self.crlf]
        self.canonical = line_endings_to_lf(self.body)
        self.astral = [match.start() for match in _ASTRAL.finditer(self.body)]

    def canonical_at(self, raw_position: int) -> int | None:
        """Where a raw position lands, or None between the CR and LF of a line ending (no such place remains)."""
        before = bisect_left(self.dropped, raw_position)
        if before and self.dropped[before - 1] == raw_position - 1 and raw_position - 1 >= self.bom:
            return None
        return raw_position - before


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def line_endings_to_lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True)
class _Counting:
    """One way of counting: how many units the text has, and where a unit offset falls in the raw text."""

    reading: Reading
    units: int
    to_raw: Callable[[int], int | None]


def _utf16(astral: list[int]) -> Callable[[int], int | None]:
    """UTF-16 offset → code point offset, given the code point offsets of the characters outside the BMP."""
    starts = [offset + n for n, offset in enumerate(astral)]  # where each such character starts, in units

    def to_code_points(unit: int) -> int | None:
        before = bisect_left(starts, unit)
        if before and starts[before - 1] == unit - 1:
            return None  # between the two halves of a surrogate pair
        return unit - before

    return to_code_points


def _countings(text: _Text, origin: str) -> list[_Counting]:
    bom, body, crlf, astral = text.bom, text.body, text.crlf, text.astral
    found = [_Counting(CODE_POINTS, len(body), lambda p: p + bom)]
    if astral:
        utf16 = _utf16(astral)
        found.append(_Counting(UTF16, len(body) + len(astral), lambda p: None if (k := utf16(p)) is None else k + bom))
    if crlf:
        in_view = [offset - n for n, offset in enumerate(crlf)]  # where each dropped CR sits in the LF view

        def lf_to_raw(v: int) -> int:
            return bom + v + bisect_left(in_view, v)

        view_length = len(body) - len(crlf)
        found.append(_Counting(CODE_POINTS_LF, view_length, lf_to_raw))
        if astral:
            view_astral = [offset - bisect_left(crlf, offset) for offset in astral]
            lf_utf16 = _utf16(view_astral)
            found.append(
                _Counting(
                    UTF16_LF,
                    view_length + len(astral),
                    lambda p: None if (v := lf_utf16(p)) is None else lf_to_raw(v),
                )
            )
    if bom:
        found.append(_Counting(CODE_POINTS_BOM, len(text.raw), lambda p: p))
        if astral:
            raw_utf16 = _utf16([offset + 1 for offset in astral])
            found.append(_Counting(UTF16_BOM, len(text.raw) + len(astral), raw_utf16))
    if "nvivo" in origin.lower():
        found.sort(key=lambda counting: 0 if counting.reading is UTF16 else 1)
    return found


def _span(counting: _Counting, text: _Text, selection: RawSelection) -> tuple[int, int] | str:
    """The canonical [start, end) of a selection under one way of counting, or why there is none."""
    if not 0 <= selection.start < selection.end:
        return f"its positions [{selection.start}, {selection.end}) are not a range"
    if selection.end > counting.units:
        return f"it ends at {selection.end}, past the end of the text ({counting.units})"
    raw_start, raw_end = counting.to_raw(selection.start), counting.to_raw(selection.end)
    if raw_start is None or raw_end is None:
        return "it starts or ends inside a character"
    start, end = text.canonical_at(raw_start), text.canonical_at(raw_end)
    if start is None or end is None:
        return "it starts or ends between the two characters of a line ending (CR LF), which become one"
    if start >= end:
        return "it covers only the byte-order mark, which is removed from the text"
    return start, end


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


def _score(counting: _Counting, text: _Text, selections: Sequence[RawSelection]) -> tuple[int, int]:
    bad = points = 0
    canonical = text.canonical
    for selection in selections:
        span = _span(counting, text, selection)
        if isinstance(span, str):
            bad += 1
            continue
        start, end = span
        if selection.name and _name_matches(selection.name, canonical[start:end]):
            points += 4
        points += _on_boundary(canonical, start) + _on_boundary(canonical, end)
    return bad, points


def convert_selections(*, raw: str, selections: Sequence[RawSelection], origin: str = "") -> tuple[str, Converted]:
    """The canonical text of a source and its selections' ranges in it, under the best-fitting reading."""
    text = _Text(raw)
    if text.canonical.startswith(BOM):
        raise ValueError("The text starts with more than one byte-order mark.")
    countings = _countings(text, origin) if selections else [_Counting(CODE_POINTS, 0, lambda p: p)]
    best, best_key = countings[0], None
    for index, counting in enumerate(countings):
        bad, points = _score(counting, text, selections)
        # A selection that does not fit costs as much as a quoted name earns, so that one odd selection
        # cannot outvote hundreds that land on word boundaries.
        key = (points - 4 * bad, -index)
        if best_key is None or key > best_key:
            best, best_key = counting, key
    ranges: list[tuple[int, int] | None] = []
    reasons: list[str] = []
    for selection in selections:
        span = _span(best, text, selection)
        ranges.append(None if isinstance(span, str) else span)
        reasons.append(span if isinstance(span, str) else "")
    return text.canonical, Converted(reading=best.reading, ranges=ranges, reasons=reasons)
