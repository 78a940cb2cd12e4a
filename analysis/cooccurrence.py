"""Co-occurrence of codes: which codes are applied to overlapping text, to text close by, or in one interview.

For overlapping text and "within N characters", a cell (A, B) counts the excerpt pairs (x, y) where x carries
A, y carries B and the two are related; x and y may be one excerpt carrying both codes. The matrix is
symmetric. For "the same interview", a cell counts the interviews in which both codes were applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from django.db import models

from .matrices import heat


class Relation(models.TextChoices):
    OVERLAP = "overlap", "Overlapping text"
    NEAR = "near", "Within N characters"
    INTERVIEW = "interview", "In the same interview"


def _links(frame: pd.DataFrame, code_ids: list[int]) -> pd.DataFrame:
    links = frame[frame["code_id"].isin(code_ids)]
    return links[["excerpt_id", "code_id", "interview_id", "start", "end"]].drop_duplicates(["excerpt_id", "code_id"])


def cooccurrence_matrix(frame: pd.DataFrame, code_ids: list[int], *, relation: str, distance: int = 0) -> pd.DataFrame:
    """A codes × codes frame of counts (the diagonal is left at zero)."""
    size = len(code_ids)
    links = _links(frame, code_ids)
    counts = np.zeros((size, size), dtype=np.int64)
    if len(links) and relation == Relation.INTERVIEW:
        present = pd.crosstab(links["interview_id"], links["code_id"]).clip(upper=1)
        present = present.reindex(columns=code_ids, fill_value=0).to_numpy()
        counts = present.T @ present
    elif len(links):
        counts = _pair_counts(links, code_ids, reach=0 if relation == Relation.OVERLAP else distance + 1)
    np.fill_diagonal(counts, 0)
    return pd.DataFrame(counts, index=code_ids, columns=code_ids)


def _pair_counts(links: pd.DataFrame, code_ids: list[int], *, reach: int) -> np.ndarray:
    """Count related link pairs by a sweep over starts, without forming the pairs of unrelated excerpts.

    Sorted by (interview, start), a link i is related to each later link j of the same interview whose start
    is before end_i + reach (reach 0: overlapping; N + 1: at most N characters apart). Interviews are kept
    apart by spacing their positions further than any reach.
    """
    links = links.sort_values(["interview_id", "start", "excerpt_id"])
    rank = pd.factorize(links["interview_id"])[0].astype(np.int64)
    spacing = int(links["end"].max()) + reach + 1
    starts = rank * spacing + links["start"].to_numpy(dtype=np.int64)
    limits = rank * spacing + links["end"].to_numpy(dtype=np.int64) + reach
    position = np.arange(len(links))
    ends = np.searchsorted(starts, limits, side="left")
    per_link = np.maximum(ends - position - 1, 0)
    first = np.repeat(position, per_link)
    offsets = np.arange(per_link.sum()) - np.repeat(np.cumsum(per_link) - per_link, per_link)
    second = first + 1 + offsets
    index = pd.Categorical(links["code_id"], categories=code_ids).codes
    counts = np.zeros((len(code_ids), len(code_ids)), dtype=np.int64)
    np.add.at(counts, (index[first], index[second]), 1)
    return counts + counts.T


@dataclass(frozen=True)
class Pair:
    excerpt_a: int
    excerpt_b: int
    interview_id: int
    gap: int  # characters between the two (0 when they touch), or minus the characters they share


def cooccurrence_pairs(
    frame: pd.DataFrame, code_a: int, code_b: int, *, relation: str, distance: int = 0
) -> list[Pair]:
    """The excerpt pairs behind one cell: (x carries A, y carries B), in reading order."""
    a = _links(frame, [code_a])
    b = _links(frame, [code_b])
    pairs = a.merge(b, on="interview_id", suffixes=("_a", "_b"))
    if relation == Relation.OVERLAP:
        pairs = pairs[(pairs["start_b"] < pairs["end_a"]) & (pairs["start_a"] < pairs["end_b"])]
    elif relation == Relation.NEAR:
        pairs = pairs[(pairs["start_b"] - pairs["end_a"] <= distance) & (pairs["start_a"] - pairs["end_b"] <= distance)]
    pairs = pairs.sort_values(["interview_id", "start_a", "start_b", "excerpt_id_a", "excerpt_id_b"])
    gap = np.maximum(pairs["start_b"] - pairs["end_a"], pairs["start_a"] - pairs["end_b"])
    return [
        Pair(int(x), int(y), int(interview), int(g))
        for x, y, interview, g in zip(
            pairs["excerpt_id_a"], pairs["excerpt_id_b"], pairs["interview_id"], gap, strict=True
        )
    ]


def cooccurrence_interviews(frame: pd.DataFrame, code_a: int, code_b: int) -> list[tuple[int, list[int], list[int]]]:
    """The interviews behind a "same interview" cell, each with its excerpts carrying A and those carrying B."""
    a = _links(frame, [code_a]).sort_values(["interview_id", "start", "excerpt_id"])
    b = _links(frame, [code_b]).sort_values(["interview_id", "start", "excerpt_id"])
    by_a = a.groupby("interview_id")["excerpt_id"].apply(list)
    by_b = b.groupby("interview_id")["excerpt_id"].apply(list)
    shared = sorted(set(by_a.index) & set(by_b.index))
    return [(int(pk), [int(x) for x in by_a[pk]], [int(y) for y in by_b[pk]]) for pk in shared]


@dataclass
class CooccurrenceTable:
    """The matrix laid out for a page or a spreadsheet: codes in codebook order, each with its excerpts."""

    codes: list[tuple[object, str]]  # (code, path)
    counts: pd.DataFrame
    frequencies: dict[int, int]

    def export_rows(self) -> tuple[list[str], list[list]]:
        header = ["Code", *(path for _, path in self.codes)]
        rows = [
            [path, *(None if a == b else int(self.counts.at[a.pk, b.pk]) for b, _ in self.codes)]
            for a, path in self.codes
        ]
        return header, rows

    def rows(self, *, link: str, query: list[tuple[str, str]]) -> list[dict]:
        """Rows of cells with their heat level and a link to the pairs behind them (None on the diagonal)."""
        peak = int(self.counts.to_numpy().max()) if self.codes else 0
        rows = []
        for a, path in self.codes:
            cells = []
            for b, _ in self.codes:
                if a == b:
                    cells.append(None)
                    continue
                value = int(self.counts.at[a.pk, b.pk])
                cells.append(
                    {
                        "value": value,
                        "level": heat(value, peak),
                        "url": f"{link}?{urlencode([*query, ('a', a.pk), ('b', b.pk)])}",
                        "label": f"{a.name} × {b.name}",
                    }
                )
            rows.append({"code": a, "path": path, "excerpts": self.frequencies.get(a.pk, 0), "cells": cells})
        return rows
