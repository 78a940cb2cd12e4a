"""Read-only queries behind the analysis pages: what a user may count, loaded once and handed to pandas."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, QuerySet
from django.db.models.functions import Coalesce, Length

from casestudies.models import (
    CaseStudy,
    Interview,
    Organisation,
    PhaseKind,
    QuestionGroup,
    ResearchProject,
    ResearchQuestion,
)
from casestudies.transcripts import split_turns
from coding.models import Code, Excerpt
from coding.selectors import codes_in_tree_order
from coding.tree import CodeTree
from disclosure.access import blind_interview_ids
from disclosure.passages import PassageReader
from disclosure.speakers import Passage

from .agreement import Agreement, agreement, paragraphs_side_by_side
from .cooccurrence import CooccurrenceTable, cooccurrence_matrix
from .matrices import (
    Heading,
    Matrix,
    case_study_headings,
    code_headings,
    count_matrix,
    kind_headings,
    question_headings,
    sector_headings,
)
from .models import FrameworkSummary

SCOPING_KEY = 0  # the "case study" of excerpts from interviews that belong to none (scoping interviews)

NO_CODE = -1  # the code_id of the row of an excerpt without codes
FRAME_COLUMNS = ["excerpt_id", "code_id", "interview_id", "case_key", "coder_id", "start", "end"]


@dataclass(frozen=True)
class Scope:
    """The limits every analysis page offers: a fieldwork phase, one coder, a subset of case studies."""

    phase: str = ""
    coder_id: int | None = None
    case_study_ids: tuple[int, ...] = ()

    def as_query(self) -> list[tuple[str, str]]:
        """The scope as query-string pairs, so that a link to the excerpts behind a figure keeps it."""
        pairs: list[tuple[str, str]] = []
        if self.phase:
            pairs.append(("phase", self.phase))
        if self.coder_id:
            pairs.append(("coder", str(self.coder_id)))
        pairs += [("case_studies", str(pk)) for pk in self.case_study_ids]
        return pairs


def case_studies_in_reach(user, project: ResearchProject) -> QuerySet[CaseStudy]:
    return CaseStudy.objects.visible_to(user).filter(project=project).order_by("order", "title")


def excerpts_in_scope(user, project: ResearchProject, scope: Scope = Scope()) -> QuerySet[Excerpt]:
    """The excerpts of a project that the user may see (blind coding applied), within the scope."""
    excerpts = Excerpt.objects.visible_to(user).filter(interview__project=project)
    if scope.phase:
        excerpts = excerpts.filter(interview__phase=scope.phase)
    if scope.coder_id:
        excerpts = excerpts.filter(coded_by_id=scope.coder_id)
    if scope.case_study_ids:
        excerpts = excerpts.filter(interview__case_study_id__in=scope.case_study_ids)
    return excerpts


def coders_of(user, project: ResearchProject) -> QuerySet:
    """The people whose excerpts the user can see in the project."""
    coder_ids = Excerpt.objects.visible_to(user).filter(interview__project=project).values("coded_by_id")
    return get_user_model().objects.filter(pk__in=coder_ids).order_by("first_name", "last_name", "username")


def coding_frame(user, project: ResearchProject, scope: Scope = Scope()) -> pd.DataFrame:
    """One row per excerpt the user can see and code applied to it, in one query, as integer columns."""
    return frame_of(excerpts_in_scope(user, project, scope))


def frame_of(excerpts: QuerySet[Excerpt]) -> pd.DataFrame:
    """The coding frame of some excerpts: (excerpt_id, code_id, interview_id, case_key, coder_id, start, end).

    An uncoded excerpt has one row with code_id NO_CODE; case_key is the interview's case study, or
    SCOPING_KEY for an interview outside any case study. Integers only, so that 100,000 excerpts load
    straight into one NumPy array.
    """
    rows = (
        excerpts.order_by()
        .annotate(
            code=Coalesce("code_links__code_id", NO_CODE),
            case_key=Coalesce("interview__case_study_id", SCOPING_KEY),
        )
        .values_list("pk", "code", "interview_id", "case_key", "coded_by_id", "start", "end")
    )
    return pd.DataFrame(integer_rows(rows, width=len(FRAME_COLUMNS)), columns=FRAME_COLUMNS)


def integer_rows(rows: QuerySet, *, width: int) -> np.ndarray:
    """The rows of a values_list() query of integers as one array.

    On PostgreSQL the rows come through COPY as text that pandas' C parser reads: a fraction of the time
    psycopg2 takes to build 175,000 tuples of Python integers.
    """
    if connection.vendor != "postgresql":
        return np.array(list(rows), dtype=np.int64).reshape(-1, width)
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:  # e.g. "interview in ()": nothing to ask the database
        return np.empty((0, width), dtype=np.int64)
    buffer = io.StringIO()
    with connection.cursor() as cursor:
        statement = cursor.mogrify(sql, params).decode()
        cursor.copy_expert(f"COPY ({statement}) TO STDOUT", buffer)
    if not buffer.tell():
        return np.empty((0, width), dtype=np.int64)
    buffer.seek(0)
    return pd.read_csv(buffer, sep="\t", header=None, dtype=np.int64).to_numpy()


def coded(frame: pd.DataFrame) -> pd.DataFrame:
    """Only the rows that carry a code."""
    return frame[frame["code_id"] != NO_CODE]


def with_ancestors(frame: pd.DataFrame, project: ResearchProject) -> pd.DataFrame:
    """The coded rows again under every code above their code, so that a code's figures count its sub-codes'
    excerpts too; distinct counts then count an excerpt under two sub-codes once for their parent."""
    parents = pd.Series(dict(Code.objects.filter(project=project).values_list("pk", "parent_id")), dtype="float64")
    levels, level = [frame], frame
    while len(level):
        parent_ids = level["code_id"].map(parents)
        level = level[parent_ids.notna()].assign(code_id=parent_ids[parent_ids.notna()].astype("int64"))
        if len(level):
            levels.append(level)
    return pd.concat(levels, ignore_index=True) if len(levels) > 1 else frame


def question_links(project: ResearchProject) -> pd.DataFrame:
    """Which codes are linked to which research questions, as a (code_id, question_id) frame."""
    through = Code.research_questions.through
    rows = through.objects.filter(code__project=project).values_list("code_id", "researchquestion_id")
    data = np.array(list(rows), dtype=np.int64).reshape(-1, 2)
    return pd.DataFrame(data, columns=["code_id", "question_id"])


def attribute_excerpts(excerpts: Iterable[tuple[int, int, int, int]]) -> dict[int, Passage]:
    """Who speaks in each (excerpt_id, interview_id, start, end), and whether it may be quoted, by excerpt id.

    The policy is `disclosure.speakers`: a passage belongs to every speaker whose words it contains.
    """
    rows = list(excerpts)
    reader = PassageReader({interview_id for _, interview_id, _, _ in rows})
    return {pk: reader.passage(interview_id, start, end) for pk, interview_id, start, end in rows}


NO_PARTICIPANT = -1


def with_speakers(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each excerpt's speaker and the sector and kind of the speaker's organisation.

    A table with one speaker column takes the first participant whose words the passage contains. Sector and
    kind are categorical columns ("" where no participant can be told), built from integer codes: comparing
    and de-duplicating them then costs no more than integers do.
    """
    excerpts = frame.drop_duplicates("excerpt_id")
    reader = PassageReader(excerpts["interview_id"].unique().tolist())
    people = {}
    first: dict[int, int] = {}
    for excerpt_id, interview_id, start, end in zip(
        excerpts["excerpt_id"].tolist(),
        excerpts["interview_id"].tolist(),
        excerpts["start"].tolist(),
        excerpts["end"].tolist(),
        strict=True,
    ):
        person = reader.first_person(interview_id, start, end)
        first[excerpt_id] = person.pk if person is not None else NO_PARTICIPANT
        if person is not None:
            people[person.pk] = person
    speakers = frame["excerpt_id"].map(first).fillna(NO_PARTICIPANT).to_numpy(dtype=np.int64)
    listed = list(people.values())
    position = pd.Index([person.pk for person in listed], dtype="int64").get_indexer(speakers)
    columns = {"participant_id": speakers}
    for name, value_of in (
        ("sector", lambda person: person.organisation_sector),
        ("kind", lambda person: person.organisation_kind),
    ):
        categories = sorted({value_of(person) for person in listed} | {""})
        lookup = np.array([categories.index(value_of(person)) for person in listed] + [categories.index("")])
        columns[name] = pd.Categorical.from_codes(lookup[position], categories=categories)
    return frame.assign(**columns)


def with_questions(frame: pd.DataFrame, project: ResearchProject) -> pd.DataFrame:
    """One row per excerpt, code and research question the code is linked to."""
    return coded(frame).merge(question_links(project), on="code_id", how="inner")


MATRIX_KINDS = {
    "codes-by-case-study": "Codes by case study",
    "codes-by-sector": "Codes by organisation sector",
    "codes-by-kind": "Codes by kind of organisation",
    "codes-by-coder": "Codes by coder",
    "questions-by-case-study": "Research questions by case study: evidence coverage",
}


def build_matrix(user, project: ResearchProject, scope: Scope, kind: str) -> Matrix:
    """One of the coding matrices, over the excerpts the user can see within the scope."""
    frame = coded(coding_frame(user, project, scope))
    title = MATRIX_KINDS[kind]
    if kind == "questions-by-case-study":
        questions = list(ResearchQuestion.objects.filter(group__project=project).in_order())
        focal = set(
            CaseStudy.focal_questions.through.objects.filter(casestudy__project=project).values_list(
                "researchquestion_id", "casestudy_id"
            )
        )
        return count_matrix(
            with_questions(frame, project),
            row="question_id",
            column="case_key",
            rows=question_headings(questions),
            columns=_case_columns(user, project, scope),
            title=title,
            row_heading="Research question",
            marks_gaps=True,
            focal=focal,
        )
    # A code's row counts its sub-codes' excerpts too, and links to them all.
    frame = with_ancestors(frame, project)
    rows = code_headings(codes_in_tree_order(project), frame)
    if kind == "codes-by-case-study":
        column, columns = "case_key", _case_columns(user, project, scope)
    elif kind == "codes-by-sector":
        frame, column, columns = with_speakers(frame), "sector", sector_headings()
    elif kind == "codes-by-kind":
        kinds = (
            Organisation.objects.filter(project=project)
            .exclude(kind="")
            .values_list("sector", "kind")
            .distinct()
            .order_by("sector", "kind")
        )
        frame, column, columns = with_speakers(frame), "kind", kind_headings(list(kinds))
    else:
        coders = coders_of(user, project)
        if scope.coder_id:
            coders = coders.filter(pk=scope.coder_id)
        column = "coder_id"
        columns = [
            Heading(key=coder.pk, label=coder.get_full_name() or coder.get_username(), param=("coder", str(coder.pk)))
            for coder in coders
        ]
    return count_matrix(
        frame, row="code_id", column=column, rows=rows, columns=columns, title=title, row_heading="Code"
    )


def _case_columns(user, project: ResearchProject, scope: Scope) -> list[Heading]:
    case_studies = case_studies_in_reach(user, project)
    if scope.case_study_ids:
        case_studies = case_studies.filter(pk__in=scope.case_study_ids)
    include_none = not scope.case_study_ids and scope.phase != PhaseKind.CASE_STUDY
    return case_study_headings(case_studies, include_none=include_none)


@dataclass(frozen=True)
class CellFilter:
    """The row and column of a figure: each None when it does not narrow the list."""

    code_id: int | None = None
    # With the code, its sub-codes (as a code's row in a matrix counts them).
    with_subcodes: bool = False
    case_key: int | None = None
    sector: str | None = None
    kind: str | None = None
    question_id: int | None = None


def excerpt_ids(user, project: ResearchProject, scope: Scope, cell: CellFilter) -> list[int]:
    """The excerpts behind a figure, by the same frame and rules the matrices count with, in reading order."""
    frame = coding_frame(user, project, scope)
    if cell.code_id is not None:
        codes = CodeTree.of(project).descendants(cell.code_id) if cell.with_subcodes else [cell.code_id]
        frame = frame[frame["code_id"].isin(codes)]
    if cell.case_key is not None:
        frame = frame[frame["case_key"] == cell.case_key]
    if cell.question_id is not None:
        frame = with_questions(frame, project)
        frame = frame[frame["question_id"] == cell.question_id]
    if cell.sector is not None or cell.kind is not None:
        frame = with_speakers(frame)
        if cell.sector is not None:
            frame = frame[frame["sector"] == cell.sector]
        if cell.kind is not None:
            frame = frame[frame["kind"] == cell.kind]
    ordered = frame.drop_duplicates("excerpt_id").sort_values(["case_key", "interview_id", "start", "excerpt_id"])
    return [int(pk) for pk in ordered["excerpt_id"]]


@dataclass
class FrameworkCell:
    case_study: CaseStudy
    question: ResearchQuestion
    summary: FrameworkSummary | None
    excerpt_count: int

    @property
    def dom_id(self) -> str:
        return f"cell-{self.case_study.pk}-{self.question.pk}"


@dataclass
class FrameworkRow:
    case_study: CaseStudy
    attributes: list[tuple[str, str]]
    cells: list[FrameworkCell]


@dataclass
class FrameworkMatrix:
    """The Framework method's chart for one question group: case studies × research questions."""

    group: QuestionGroup
    questions: list[ResearchQuestion]
    rows: list[FrameworkRow]

    ATTRIBUTES = ("Sector", "Region", "Level of analysis", "Forms of partnership")

    def export_rows(self) -> tuple[list[str], list[list]]:
        """A table a spreadsheet or a working paper's appendix can take: one row per case study."""
        header = ["Case study", *self.ATTRIBUTES]
        for question in self.questions:
            label = question.short_label or f"Question {question.order}"
            header += [f"{label} summary", f"{label} excerpts"]
        rows = []
        for row in self.rows:
            values: list = [row.case_study.title, *(value for _, value in row.attributes)]
            for cell in row.cells:
                values += [cell.summary.text if cell.summary else "", cell.excerpt_count]
            rows.append(values)
        return header, rows


def case_study_attributes(case_study: CaseStudy) -> list[tuple[str, str]]:
    forms = ", ".join(tag.name for tag in case_study.forms_of_partnership.all())
    return [
        ("Sector", case_study.sector),
        ("Region", case_study.region),
        ("Level of analysis", case_study.get_level_of_analysis_display()),
        ("Forms of partnership", forms),
    ]


def framework_matrix(user, project: ResearchProject, group: QuestionGroup) -> FrameworkMatrix:
    """Summaries and evidence counts for every visible case study and every question of the group."""
    questions = list(group.questions.order_by("order", "id"))
    case_studies = list(
        case_studies_in_reach(user, project).select_related("project").prefetch_related("forms_of_partnership")
    )
    summaries = {
        (summary.case_study_id, summary.research_question_id): summary
        for summary in FrameworkSummary.objects.filter(
            case_study__in=[cs.pk for cs in case_studies], research_question__in=questions
        ).select_related("author")
    }
    frame = with_questions(coded(coding_frame(user, project)), project)
    frame = frame[frame["question_id"].isin([q.pk for q in questions]) & (frame["case_key"] != SCOPING_KEY)]
    counts = (
        frame.drop_duplicates(["case_key", "question_id", "excerpt_id"]).groupby(["case_key", "question_id"]).size()
    )
    rows = [
        FrameworkRow(
            case_study=case_study,
            attributes=case_study_attributes(case_study),
            cells=[
                FrameworkCell(
                    case_study=case_study,
                    question=question,
                    summary=summaries.get((case_study.pk, question.pk)),
                    excerpt_count=int(counts.get((case_study.pk, question.pk), 0)),
                )
                for question in questions
            ],
        )
        for case_study in case_studies
    ]
    return FrameworkMatrix(group=group, questions=questions, rows=rows)


def framework_cell(user, project: ResearchProject, case_study: CaseStudy, question: ResearchQuestion) -> FrameworkCell:
    ids = excerpt_ids(user, project, Scope(case_study_ids=(case_study.pk,)), CellFilter(question_id=question.pk))
    summary = (
        FrameworkSummary.objects.filter(case_study=case_study, research_question=question)
        .select_related("author")
        .first()
    )
    return FrameworkCell(case_study=case_study, question=question, summary=summary, excerpt_count=len(ids))


@dataclass
class AgreementReport:
    interviews: list[Interview]
    codes: list[tuple[Code, str]]
    result: Agreement
    left_out_blind: int


def blind_hidden_interviews(user, project: ResearchProject) -> set[int]:
    """Interviews whose other coders' excerpts the user cannot see yet (blind coding, not revealed)."""
    return blind_interview_ids(user, project)


def agreement_report(
    user, project: ResearchProject, *, coder_a: int, coder_b: int, interview_ids: list[int], code_ids: list[int]
) -> AgreementReport:
    """The two coders' agreement over the chosen interviews (by default, every interview both have coded)."""
    excerpts = excerpts_in_scope(user, project).filter(coded_by_id__in=[coder_a, coder_b])
    if not interview_ids:
        both = (
            excerpts.order_by()
            .values("interview_id")
            .annotate(coders=Count("coded_by_id", distinct=True))
            .filter(coders=2)
            .values_list("interview_id", flat=True)
        )
        interview_ids = sorted(both)
    hidden = blind_hidden_interviews(user, project)
    left_out = len(hidden.intersection(interview_ids))
    interview_ids = [pk for pk in interview_ids if pk not in hidden]
    interviews = list(
        Interview.objects.filter(pk__in=interview_ids)
        .select_related("case_study")
        .annotate(length=Length("transcript"))
        .order_by("case_study__order", "date", "title")
        .defer("transcript")
    )
    frame = coded(frame_of(excerpts.filter(interview_id__in=interview_ids)))
    ordered = [(code, path) for code, _, path in codes_in_tree_order(project)]
    wanted = set(code_ids) if code_ids else set(frame["code_id"].unique().tolist())
    codes = [(code, path) for code, path in ordered if code.pk in wanted]
    result = agreement(
        frame,
        coder_a=coder_a,
        coder_b=coder_b,
        lengths={interview.pk: interview.length for interview in interviews},
        code_ids=[code.pk for code, _ in codes],
    )
    return AgreementReport(interviews=interviews, codes=codes, result=result, left_out_blind=left_out)


def cooccurrence_table(
    user, project: ResearchProject, scope: Scope, *, relation: str, distance: int = 0
) -> CooccurrenceTable:
    """Co-occurrence among the codes applied to the excerpts the user can see within the scope."""
    frame = coded(coding_frame(user, project, scope))
    used = set(frame["code_id"].unique().tolist())
    codes = [(code, path) for code, _, path in codes_in_tree_order(project) if code.pk in used]
    counts = cooccurrence_matrix(frame, [code.pk for code, _ in codes], relation=relation, distance=distance)
    frequencies = frame.drop_duplicates(["code_id", "excerpt_id"]).groupby("code_id").size()
    return CooccurrenceTable(codes=codes, counts=counts, frequencies={int(k): int(v) for k, v in frequencies.items()})


def side_by_side(
    user, project: ResearchProject, *, interview: Interview, coders: tuple, code_ids: list[int], everything: bool
) -> tuple[list[dict], list[str]]:
    """Two coders' coding of one interview, paragraph by paragraph (see agreement.paragraphs_side_by_side)."""
    coder_a, coder_b = coders
    excerpts = excerpts_in_scope(user, project).filter(interview=interview, coded_by__in=[coder_a, coder_b])
    frame = coded(frame_of(excerpts))
    wanted = set(code_ids) or set(frame["code_id"].unique().tolist())
    frame = frame[frame["code_id"].isin(wanted)]
    spans: dict[int, list[tuple[int, int, int]]] = {coder_a.pk: [], coder_b.pk: []}
    for coder, code, start, end in zip(frame["coder_id"], frame["code_id"], frame["start"], frame["end"], strict=True):
        spans[int(coder)].append((int(start), int(end), int(code)))
    names = dict(Code.objects.filter(pk__in=wanted).values_list("pk", "name"))
    text = Interview.objects.values_list("transcript", flat=True).get(pk=interview.pk)
    paragraphs = paragraphs_side_by_side(
        text,
        split_turns(text),
        spans[coder_a.pk],
        spans[coder_b.pk],
        names=names,
        labels=(_person(coder_a), _person(coder_b)),
        everything=everything,
    )
    return paragraphs, sorted(names.values())


def _person(user) -> str:
    return user.get_full_name() or user.get_username()
