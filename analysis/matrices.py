"""Coding matrices: counts of excerpts and interviews per pair of headings, computed by pandas over one frame.

Every figure is a count of distinct excerpts (or distinct interviews) among the rows of the coding frame
that fall in its row and its column, so a cell and the excerpt list it links to always agree; totals
count distinct excerpts too (an excerpt with two codes counts once in its case study's total).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pandas as pd

from casestudies.models import ResearchQuestion, Sector

MEASURES = {"excerpts": "Excerpts", "interviews": "Interviews coded"}
NONE_PARAM = "none"


@dataclass(frozen=True)
class Heading:
    """A row or column: the key it has in the frame, its label, and the query parameter that selects it."""

    key: object
    label: str
    param: tuple[str, str] | None = None
    depth: int = 0
    path: str = ""
    group: str = ""
    detail: str = ""
    is_heading: bool = False  # a heading-only code with nothing coded beneath it: its row has no figures
    # Further query pairs of the row's links: a code with sub-codes links to their excerpts too.
    extra: tuple[tuple[str, str], ...] = ()


@dataclass
class Cell:
    value: int
    level: int
    url: str
    label: str = ""
    is_gap: bool = False
    is_focal: bool = False


@dataclass
class Row:
    heading: Heading
    cells: list[Cell]
    total: Cell


@dataclass
class Matrix:
    title: str
    row_heading: str
    rows: list[Heading]
    columns: list[Heading]
    values: dict[str, pd.DataFrame]
    row_totals: dict[str, pd.Series]
    column_totals: dict[str, pd.Series]
    grand_totals: dict[str, int]
    marks_gaps: bool = False
    focal: set[tuple[object, object]] = field(default_factory=set)

    def value(self, measure: str, row: object, column: object) -> int:
        return int(self.values[measure].at[row, column])

    def sorted_rows(self, measure: str, sort: str) -> list[Heading]:
        """Rows in their natural order, or by their total or one column's figure, largest first."""
        if sort == "total":
            figures = self.row_totals[measure]
        elif sort.startswith("column:"):
            column = next((c.key for c in self.columns if str(c.key) == sort.removeprefix("column:")), None)
            if column is None:
                return self.rows
            figures = self.values[measure][column]
        else:
            return self.rows
        order = {heading.key: position for position, heading in enumerate(self.rows)}
        return sorted(self.rows, key=lambda heading: (-int(figures.get(heading.key, 0)), order[heading.key]))

    def table(self, measure: str, *, sort: str, link: str, scope: list[tuple[str, str]]) -> list[Row]:
        """The rows a template shows: each cell with its heat level and a link to its excerpts."""
        frame = self.values[measure]
        peak = int(frame.to_numpy().max()) if frame.size else 0
        total_peak = int(self.row_totals[measure].max()) if len(self.row_totals[measure]) else 0

        def url(*params: tuple[str, str] | None) -> str:
            query = [*scope, *(param for param in params if param is not None)]
            return f"{link}?{urlencode(query)}" if query else link

        rows = []
        for heading in self.sorted_rows(measure, sort):
            cells = []
            for column in self.columns:
                value = int(frame.at[heading.key, column.key])
                cells.append(
                    Cell(
                        value=value,
                        level=heat(value, peak),
                        url=url(heading.param, *heading.extra, column.param),
                        label=f"{heading.path or heading.label} × {column.label}",
                        is_gap=self.marks_gaps and value == 0,
                        is_focal=(heading.key, column.key) in self.focal,
                    )
                )
            total = int(self.row_totals[measure].get(heading.key, 0))
            rows.append(Row(heading, cells, Cell(total, heat(total, total_peak), url(heading.param, *heading.extra))))
        return rows

    def column_total_cells(self, measure: str, *, link: str, scope: list[tuple[str, str]]) -> list[Cell]:
        cells = []
        for column in self.columns:
            value = int(self.column_totals[measure].get(column.key, 0))
            query = [*scope, *([column.param] if column.param else [])]
            cells.append(Cell(value, 0, f"{link}?{urlencode(query)}" if query else link))
        return cells

    def export_rows(self, measure: str, *, sort: str = "") -> tuple[list[str], list[list]]:
        """Header and rows for CSV/XLSX: row labels as full paths, then each column, then the total."""
        grouped = any(heading.group for heading in self.rows)
        header = ([self.row_heading.split(" ")[0].capitalize() + " group"] if grouped else []) + [self.row_heading]
        header += [column.label for column in self.columns] + ["Total"]
        rows: list[list] = []
        for heading in self.sorted_rows(measure, sort):
            label = heading.path or heading.label
            values = [self.value(measure, heading.key, column.key) for column in self.columns]
            total = int(self.row_totals[measure].get(heading.key, 0))
            rows.append(([heading.group] if grouped else []) + [label, *values, total])
        totals = [int(self.column_totals[measure].get(column.key, 0)) for column in self.columns]
        rows.append(([""] if grouped else []) + ["Total", *totals, self.grand_totals[measure]])
        return header, rows


def heat(value: int, peak: int) -> int:
    """A shade from 0 (nothing) to 5 (the largest figure in the table)."""
    if value <= 0 or peak <= 0:
        return 0
    return max(1, math.ceil(5 * value / peak))


def count_matrix(
    frame: pd.DataFrame,
    *,
    row: str,
    column: str,
    rows: list[Heading],
    columns: list[Heading],
    title: str,
    row_heading: str,
    marks_gaps: bool = False,
    focal: set[tuple[object, object]] | None = None,
) -> Matrix:
    """Distinct excerpts and interviews per (row, column) of the frame, laid out on the given headings."""
    row_keys = [heading.key for heading in rows]
    column_keys = [heading.key for heading in columns]
    frame = frame[frame[row].isin(row_keys) & frame[column].isin(column_keys)]
    values, row_totals, column_totals, grand_totals = {}, {}, {}, {}
    for measure, source in (("excerpts", "excerpt_id"), ("interviews", "interview_id")):
        # Distinct counts as "drop duplicates, then count": much faster than groupby-nunique on integers.
        counts = frame.drop_duplicates([row, column, source]).groupby([row, column]).size()
        table = counts.unstack(fill_value=0) if len(counts) else pd.DataFrame()
        values[measure] = table.reindex(index=row_keys, columns=column_keys, fill_value=0).astype("int64")
        row_totals[measure] = frame.drop_duplicates([row, source]).groupby(row).size()
        column_totals[measure] = frame.drop_duplicates([column, source]).groupby(column).size()
        grand_totals[measure] = int(frame[source].nunique())
    return Matrix(
        title=title,
        row_heading=row_heading,
        rows=rows,
        columns=columns,
        values=values,
        row_totals=row_totals,
        column_totals=column_totals,
        grand_totals=grand_totals,
        marks_gaps=marks_gaps,
        focal=focal or set(),
    )


def code_headings(codes_in_order, frame: pd.DataFrame) -> list[Heading]:
    """Codes in codebook order; archived codes only when they still have excerpts here. The frame counts a code's
    sub-codes' excerpts under it too (`with_ancestors`), so a code with sub-codes links to theirs as well."""
    used = set(frame["code_id"].unique().tolist())
    codes_in_order = list(codes_in_order)
    has_subcodes = {
        code.pk
        for (code, depth, _), following in zip(codes_in_order, codes_in_order[1:], strict=False)
        if following[1] > depth
    }
    return [
        Heading(
            key=code.pk,
            label=code.name,
            param=("code", str(code.pk)),
            depth=depth,
            path=path,
            is_heading=not code.is_codable and code.pk not in used,
            extra=(("subcodes", "include"),) if code.pk in has_subcodes else (),
        )
        for code, depth, path in codes_in_order
        if not code.is_archived or code.pk in used
    ]


def case_study_headings(case_studies, *, include_none: bool) -> list[Heading]:
    headings = [
        Heading(
            key=case_study.pk,
            label=case_study.title,
            param=("case_study", str(case_study.pk)),
            detail=" · ".join(part for part in (case_study.sector, case_study.region) if part),
        )
        for case_study in case_studies
    ]
    if include_none:
        headings.append(Heading(key=0, label="No case study (scoping and workshops)", param=("case_study", NONE_PARAM)))
    return headings


def sector_headings() -> list[Heading]:
    headings = [Heading(key=value, label=label, param=("sector", value)) for value, label in Sector.choices]
    return [*headings, Heading(key="", label="Not attributed", param=("sector", NONE_PARAM))]


def kind_headings(kinds: list[tuple[str, str]]) -> list[Heading]:
    """Organisation kinds, each labelled with its sector; "" collects excerpts no organisation speaks in."""
    labels = dict(Sector.choices)
    headings = [
        Heading(key=kind, label=kind, param=("kind", kind), detail=labels.get(sector, sector))
        for sector, kind in kinds
        if kind
    ]
    return [*headings, Heading(key="", label="Not attributed", param=("kind", NONE_PARAM))]


def question_headings(questions: list[ResearchQuestion]) -> list[Heading]:
    return [
        Heading(
            key=question.pk,
            label=question.short_label or "Question",
            param=("question", str(question.pk)),
            path=f"{question.short_label} {question.text}".strip(),
            group=question.group.title,
            detail=question.text,
        )
        for question in questions
    ]
