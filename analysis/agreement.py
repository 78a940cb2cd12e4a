"""Inter-coder agreement between two coders, with characters as the units.

For each code, every character of the chosen interviews is a unit that each coder either coded with the
code or did not: a = both coded it, b = only the first coder, c = only the second, d = neither.

- Percent agreement: (a + d) / N.
- Cohen's kappa: scikit-learn's cohen_kappa_score over the four kinds of unit, weighted by a, b, c and d
  (the same figure as over N separate characters, without building N-long arrays).
- Krippendorff's alpha (nominal): for two coders and no missing values the coincidence matrix is
  o00 = 2d, o11 = 2a, o01 = o10 = b + c, so with n = 2N, n0 = 2d + b + c and n1 = 2a + b + c,
  alpha = 1 − (n − 1)(b + c) / (n0 · n1). The tests check this against the `krippendorff` package on
  character-level data; computing it from the table keeps a project-wide comparison (millions of
  characters × dozens of codes) well under a second, where building the package's value-count array per
  character does not.
- Pooled: the tables of all the chosen codes added up (units are characters × codes).

A figure is None where it is undefined (for kappa and alpha: when both coders' choices leave no variation).
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import cohen_kappa_score


@dataclass(frozen=True)
class Table:
    """The 2 × 2 table of characters for one code (or pooled)."""

    a: int = 0
    b: int = 0
    c: int = 0
    d: int = 0

    def __add__(self, other: Table) -> Table:
        return Table(self.a + other.a, self.b + other.b, self.c + other.c, self.d + other.d)

    @property
    def units(self) -> int:
        return self.a + self.b + self.c + self.d

    @property
    def percent(self) -> float | None:
        return 100 * (self.a + self.d) / self.units if self.units else None

    @property
    def kappa(self) -> float | None:
        if not self.units:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            value = cohen_kappa_score(
                [1, 1, 0, 0], [1, 0, 1, 0], labels=[0, 1], sample_weight=[self.a, self.b, self.c, self.d]
            )
        return None if math.isnan(value) else float(value)

    @property
    def alpha(self) -> float | None:
        n = 2 * self.units
        n0 = 2 * self.d + self.b + self.c
        n1 = 2 * self.a + self.b + self.c
        if n0 == 0 or n1 == 0:
            return None
        return 1 - (n - 1) * (self.b + self.c) / (n0 * n1)


def tables(spans: pd.DataFrame, *, code_ids: list[int], lengths: dict[int, int]) -> list[Table]:
    """One table per code, from spans (first: bool, code_id, interview_id, start, end), in one vectorised pass.

    Every interview gets a place on one line (its offset is the sum of the lengths before it), and every
    code a stretch of that line of its own; then a sweep over the sorted boundaries counts, per code, the
    characters covered by the first coder only, the second only, and both.
    """
    total = sum(lengths.values())
    offsets, position = {}, 0
    for interview, length in lengths.items():
        offsets[interview] = position
        position += length
    code_index = {code: index for index, code in enumerate(code_ids)}
    spans = spans[spans["code_id"].isin(code_index) & spans["interview_id"].isin(offsets)]
    a = b = c = np.zeros(len(code_ids), dtype=np.int64)
    if len(spans):
        base = spans["code_id"].map(code_index).to_numpy(np.int64) * (total + 1)
        base += spans["interview_id"].map(offsets).to_numpy(np.int64)
        first = spans["first"].to_numpy(bool)
        points = np.concatenate([base + spans["start"].to_numpy(np.int64), base + spans["end"].to_numpy(np.int64)])
        step = np.concatenate([np.ones(len(spans), np.int64), -np.ones(len(spans), np.int64)])
        order = np.argsort(points, kind="stable")
        points, step, owner = points[order], step[order], np.concatenate([first, first])[order]
        depth_a = np.cumsum(np.where(owner, step, 0))[:-1]
        depth_b = np.cumsum(np.where(owner, 0, step))[:-1]
        width = np.diff(points)
        code = points[:-1] // (total + 1)
        size = len(code_ids)

        def count(mask: np.ndarray) -> np.ndarray:
            return np.bincount(code[mask], weights=width[mask], minlength=size).astype(np.int64)

        a = count((depth_a > 0) & (depth_b > 0))
        b = count((depth_a > 0) & (depth_b == 0))
        c = count((depth_a == 0) & (depth_b > 0))
    return [Table(int(x), int(y), int(z), int(total - x - y - z)) for x, y, z in zip(a, b, c, strict=True)]


def character_table(spans_a: Iterable[tuple[int, int]], spans_b: Iterable[tuple[int, int]], length: int) -> Table:
    """The table for one code in one text of `length` characters."""
    rows = [(True, 1, 1, start, end) for start, end in spans_a] + [(False, 1, 1, start, end) for start, end in spans_b]
    frame = pd.DataFrame(rows, columns=["first", "code_id", "interview_id", "start", "end"])
    return tables(frame, code_ids=[1], lengths={1: length})[0]


@dataclass
class CodeResult:
    code_id: int
    table: Table


@dataclass
class Agreement:
    by_code: list[CodeResult] = field(default_factory=list)
    characters: int = 0

    @property
    def pooled(self) -> Table:
        total = Table()
        for result in self.by_code:
            total = total + result.table
        return total


def agreement(
    frame: pd.DataFrame, *, coder_a: int, coder_b: int, lengths: dict[int, int], code_ids: list[int]
) -> Agreement:
    """Tables per code over the interviews in `lengths` (interview id → characters), from the coding frame."""
    rows = frame[frame["coder_id"].isin([coder_a, coder_b])]
    spans = rows[["code_id", "interview_id", "start", "end"]].assign(first=(rows["coder_id"] == coder_a).to_numpy())
    result = Agreement(characters=sum(lengths.values()))
    for code, table in zip(code_ids, tables(spans, code_ids=code_ids, lengths=lengths), strict=True):
        result.by_code.append(CodeResult(code, table))
    return result


@dataclass(frozen=True)
class Segment:
    start: int
    end: int
    text: str
    codes_a: frozenset[int]
    codes_b: frozenset[int]

    @property
    def disagrees(self) -> bool:
        return self.codes_a != self.codes_b


def segments(
    text: str, spans_a: list[tuple[int, int, int]], spans_b: list[tuple[int, int, int]], cuts: Iterable[int] = ()
) -> list[Segment]:
    """The text cut wherever either coder's coding changes: (start, end, code) spans in, pieces out."""
    points = sorted({0, len(text), *cuts, *(p for s, e, _ in spans_a + spans_b for p in (s, e))})
    points = [p for p in points if 0 <= p <= len(text)]
    sets_a: list[set[int]] = [set() for _ in points[:-1]]
    sets_b: list[set[int]] = [set() for _ in points[:-1]]
    for spans, sets in ((spans_a, sets_a), (spans_b, sets_b)):
        for start, end, code in spans:
            for index in range(bisect.bisect_left(points, start), bisect.bisect_left(points, end)):
                sets[index].add(code)
    return [
        Segment(start, end, text[start:end], frozenset(sets_a[i]), frozenset(sets_b[i]))
        for i, (start, end) in enumerate(zip(points, points[1:], strict=False))
        if end > start
    ]


def paragraphs_side_by_side(
    text: str,
    turns: list,
    spans_a: list[tuple[int, int, int]],
    spans_b: list[tuple[int, int, int]],
    *,
    names: dict[int, str],
    labels: tuple[str, str],
    everything: bool = False,
) -> list[dict]:
    """For each paragraph (turn) with a disagreement (or every one), the pieces of text as each coder coded
    them ("agree", "differ", "missed" or plain) and the differences in words."""
    pieces = segments(text, spans_a, spans_b, cuts=[point for turn in turns for point in (turn.start, turn.end)])
    paragraphs = []
    for turn in turns:
        inside = [piece for piece in pieces if turn.start <= piece.start and piece.end <= turn.end]
        differing = [piece for piece in inside if piece.disagrees]
        if differing or everything:
            paragraphs.append(
                {
                    "turn": turn,
                    "a": [_shown(piece, piece.codes_a, piece.codes_b, names) for piece in inside],
                    "b": [_shown(piece, piece.codes_b, piece.codes_a, names) for piece in inside],
                    "differences": [_difference(piece, names, labels) for piece in differing],
                }
            )
    return paragraphs


def _shown(piece: Segment, mine: frozenset[int], theirs: frozenset[int], names: dict[int, str]) -> dict:
    if mine and mine == theirs:
        kind = "agree"
    elif mine:
        kind = "differ"
    elif theirs:
        kind = "missed"
    else:
        kind = ""
    return {"text": piece.text, "kind": kind, "codes": ", ".join(sorted(names[pk] for pk in mine))}


def _difference(piece: Segment, names: dict[int, str], labels: tuple[str, str]) -> str:
    only_a = sorted(names[pk] for pk in piece.codes_a - piece.codes_b)
    only_b = sorted(names[pk] for pk in piece.codes_b - piece.codes_a)
    parts = []
    if only_a:
        parts.append(f"only {labels[0]}: {', '.join(only_a)}")
    if only_b:
        parts.append(f"only {labels[1]}: {', '.join(only_b)}")
    return f"Characters {piece.start}–{piece.end}, {'; '.join(parts)}"
