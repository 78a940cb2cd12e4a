"""Re-anchoring excerpts when a coded transcript's text is corrected.

Pure functions: no database. Offsets are ``[start, end)`` in code points, as everywhere in the project.

The old and new texts are compared with diff-match-patch, first token by token (words, runs of spaces,
single other characters, each token turned into one stand-in character, the library's documented way
of diffing long texts quickly), then character by character inside each changed stretch. The result is
a list of aligned blocks covering both texts. Each excerpt then has one of three fates:

- ``kept``: its text is untouched; it gets new offsets covering exactly the same text;
- ``changed``: some of its text changed; it is re-anchored to the stretch the old one became and
  flagged for review;
- ``deleted``: every character it covered was removed; there is nothing left to anchor it to.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from diff_match_patch import diff_match_patch

KEPT = "kept"
CHANGED = "changed"
DELETED = "deleted"
Fate = Literal["kept", "changed", "deleted"]

# A changed stretch longer than this (in characters, either side) is not refined character by
# character: it stays one replaced block. Bounds the quadratic part of the comparison.
MAX_REFINE_CHARS = 20_000
# Seconds diff-match-patch may spend on one comparison before it settles for a coarser diff
# (still a correct diff of the two texts, only less minimal).
DIFF_TIMEOUT_SECONDS = 2.0

_TOKEN = re.compile(r"\w+|[^\S\n]+|\n|.", re.DOTALL)


@dataclass(frozen=True)
class Block:
    """Old ``[i1, i2)`` aligned with new ``[j1, j2)``; ``equal`` when the text is the same."""

    equal: bool
    i1: int
    i2: int
    j1: int
    j2: int


@dataclass(frozen=True)
class Outcome:
    key: object
    fate: Fate
    old_start: int
    old_end: int
    start: int | None
    end: int | None

    @property
    def moved(self) -> bool:
        return (self.start, self.end) != (self.old_start, self.old_end)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _encode(tokens_a: list[str], tokens_b: list[str]) -> tuple[str, str, list[str]]:
    table: dict[str, int] = {}
    vocabulary: list[str] = []

    def encode(tokens: list[str]) -> str:
        out = []
        for token in tokens:
            code = table.get(token)
            if code is None:
                code = len(vocabulary)
                # Stand-in characters skip the surrogate range, which cannot be encoded on its own.
                table[token] = code
                vocabulary.append(token)
            out.append(chr(code if code < 0xD800 else code + 0x800))
        return "".join(out)

    return encode(tokens_a), encode(tokens_b), vocabulary


def _differ() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = DIFF_TIMEOUT_SECONDS
    return dmp


def diff_blocks(old: str, new: str) -> list[Block]:
    """Aligned blocks covering the whole of ``old`` and ``new``, in order."""
    dmp = _differ()
    encoded_old, encoded_new, vocabulary = _encode(_tokens(old), _tokens(new))
    token_diff = dmp.diff_main(encoded_old, encoded_new, False)
    blocks: list[Block] = []
    i = j = 0
    pending_old: list[str] = []
    pending_new: list[str] = []

    def decode(encoded: str) -> str:
        return "".join(vocabulary[ord(c) if ord(c) < 0xD800 else ord(c) - 0x800] for c in encoded)

    def flush() -> None:
        nonlocal i, j
        a = "".join(pending_old)
        b = "".join(pending_new)
        pending_old.clear()
        pending_new.clear()
        if not a and not b:
            return
        if a and b and len(a) <= MAX_REFINE_CHARS and len(b) <= MAX_REFINE_CHARS:
            for op, chunk in dmp.diff_main(a, b, False):
                _append(blocks, op, chunk, i, j)
                if op <= 0:
                    i += len(chunk)
                if op >= 0:
                    j += len(chunk)
        else:
            blocks.append(Block(False, i, i + len(a), j, j + len(b)))
            i += len(a)
            j += len(b)

    for op, encoded in token_diff:
        text = decode(encoded)
        if op == 0:
            flush()
            _append(blocks, 0, text, i, j)
            i += len(text)
            j += len(text)
        elif op < 0:
            pending_old.append(text)
        else:
            pending_new.append(text)
    flush()
    return _merge(blocks)


def _append(blocks: list[Block], op: int, chunk: str, i: int, j: int) -> None:
    n = len(chunk)
    if op == 0:
        blocks.append(Block(True, i, i + n, j, j + n))
    elif op < 0:
        blocks.append(Block(False, i, i + n, j, j))
    else:
        blocks.append(Block(False, i, i, j, j + n))


def _merge(blocks: list[Block]) -> list[Block]:
    """Adjacent blocks of the same kind become one (a deletion next to an insertion is a replacement)."""
    merged: list[Block] = []
    for block in blocks:
        if block.i1 == block.i2 and block.j1 == block.j2:
            continue
        if merged and merged[-1].equal == block.equal:
            last = merged[-1]
            merged[-1] = Block(last.equal, last.i1, block.i2, last.j1, block.j2)
        else:
            merged.append(block)
    return merged


class Anchors:
    """Maps positions in the old text to the new one through the aligned blocks."""

    def __init__(self, old: str, new: str, blocks: Sequence[Block] | None = None) -> None:
        self.old = old
        self.new = new
        self.blocks = list(blocks) if blocks is not None else diff_blocks(old, new)
        # Blocks that cover at least one old character, with their starts, for bisection.
        self._covering = [b for b in self.blocks if b.i2 > b.i1]
        self._starts = [b.i1 for b in self._covering]
        self._all_starts = [b.i1 for b in self.blocks]

    def _block_at(self, position: int) -> Block:
        """The block holding old character ``position``."""
        return self._covering[bisect.bisect_right(self._starts, position) - 1]

    def start(self, position: int) -> int:
        if position >= len(self.old):
            return len(self.new)
        block = self._block_at(position)
        return block.j1 + (position - block.i1) if block.equal else block.j1

    def end(self, position: int) -> int:
        if position <= 0:
            return 0
        block = self._block_at(position - 1)
        return block.j1 + (position - block.i1) if block.equal else block.j2

    def untouched(self, start: int, end: int) -> bool:
        """Whether old ``[start, end)`` lies inside one equal block (no edit touches it)."""
        block = self._block_at(start)
        return block.equal and end <= block.i2

    def fate(self, key: object, start: int, end: int) -> Outcome:
        if not 0 <= start < end <= len(self.old):
            raise ValueError(f"excerpt {key!r} [{start}, {end}) lies outside the old text")
        if self.untouched(start, end):
            return Outcome(key, KEPT, start, end, self.start(start), self.end(end))
        new_start, new_end = self.start(start), self.end(end)
        # The diff may split a stretch that was not edited (repeated letters align more than one way):
        # the same text found where the excerpt now lies is still the same text.
        found = self._same_text_near(self.old[start:end], new_start, new_end, self._edit_size(start, end))
        if found is not None:
            return Outcome(key, KEPT, start, end, found, found + (end - start))
        if new_start >= new_end:
            return Outcome(key, DELETED, start, end, None, None)
        # An edit that reaches into the excerpt from its edge is taken in whole (a name replaced by
        # "<b>Jon</b>" stays one passage rather than losing the part inserted before its first letter).
        for index in range(bisect.bisect_left(self._all_starts, start), len(self.blocks)):
            block = self.blocks[index]
            if block.i1 > end:
                break
            if not block.equal and block.i1 == block.i2 == start:
                new_start = min(new_start, block.j1)
            if not block.equal and block.i1 == block.i2 == end:
                new_end = max(new_end, block.j2)
        return Outcome(key, CHANGED, start, end, new_start, new_end)

    def _edit_size(self, start: int, end: int) -> int:
        """How many characters the edits touching old ``[start, end)`` (or next to it) span."""
        size = 0
        for index in range(bisect.bisect_right(self._all_starts, end) - 1, -1, -1):
            block = self.blocks[index]
            if block.i2 < start:
                break
            if not block.equal:
                size += max(block.i2 - block.i1, block.j2 - block.j1)
        return size

    def _same_text_near(self, text: str, new_start: int, new_end: int, slack: int) -> int | None:
        """Where ``text`` stands in the new text within ``slack`` characters of the mapped stretch."""
        if new_start > new_end:
            return None
        lo = max(0, new_start - slack)
        hi = min(len(self.new), new_end + slack)
        best = None
        at = self.new.find(text, lo, hi)
        while at != -1:
            if best is None or abs(at - new_start) < abs(best - new_start):
                best = at
            at = self.new.find(text, at + 1, hi)
        return best


def reanchor(old: str, new: str, excerpts: Iterable[tuple[object, int, int]]) -> list[Outcome]:
    """The fate of each ``(key, start, end)`` excerpt of ``old`` once the text becomes ``new``."""
    anchors = Anchors(old, new)
    return [anchors.fate(key, start, end) for key, start, end in excerpts]


def replace_occurrences(text: str, phrase: str, replacement: str) -> str:
    """``text`` with every occurrence of ``phrase`` replaced (left to right, not overlapping)."""
    if not phrase:
        raise ValueError("nothing to replace")
    return text.replace(phrase, replacement)
