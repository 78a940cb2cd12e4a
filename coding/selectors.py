"""Read-only queries over the codebook and the coding."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, Max, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Length
from taggit.models import TaggedItem

from casestudies.models import CaseStudy, Interview, ResearchProject, ResearchQuestion
from casestudies.transcripts import TURN_PATTERN
from disclosure.access import can_manage_project
from disclosure.passages import PassageReader
from disclosure.speakers import Passage, Person

from .models import Code, Excerpt, ExcerptCode
from .tree import CodeTree, self_and_ancestors


def codes_in_tree_order(project: ResearchProject, *, include_archived: bool = True) -> list[tuple[Code, int, str]]:
    """Every code of the project depth-first, with its depth and its path ("Parent › Child"), in one query."""
    return CodeTree.of(project, include_archived=include_archived).rows()


@dataclass(frozen=True)
class CodeLinks:
    """A code's research questions and tags, gathered for a whole codebook at once."""

    questions: tuple[ResearchQuestion, ...] = ()
    tags: tuple[str, ...] = ()


def code_links(project: ResearchProject, *, code_ids: Iterable[int] | None = None) -> dict[int, CodeLinks]:
    """Research questions and tags of every code of the project (or of the codes given): three queries however
    many codes.

    Read from the link tables directly: a prefetch would build two related managers per code, which costs more
    than the queries once the codebook has hundreds of codes.
    """
    questions = {question.pk: question for question in ResearchQuestion.objects.filter(group__project=project)}
    linked: dict[int, list[ResearchQuestion]] = {}
    question_links = Code.research_questions.through.objects.filter(code__project=project)
    codes = Code.objects.filter(project=project)
    if code_ids is not None:
        code_ids = list(code_ids)
        question_links = question_links.filter(code_id__in=code_ids)
        codes = codes.filter(pk__in=code_ids)
    for code_id, question_id in question_links.order_by(
        "researchquestion__group__order", "researchquestion__order", "researchquestion_id"
    ).values_list("code_id", "researchquestion_id"):
        if question_id in questions:
            linked.setdefault(code_id, []).append(questions[question_id])
    tags: dict[int, list[str]] = {}
    for code_id, name in (
        TaggedItem.objects.filter(
            content_type__app_label=Code._meta.app_label,
            content_type__model=Code._meta.model_name,
            object_id__in=codes.values("pk"),
        )
        .order_by("tag__name")
        .values_list("object_id", "tag__name")
    ):
        tags.setdefault(code_id, []).append(name)
    return {
        code_id: CodeLinks(tuple(linked.get(code_id, ())), tuple(tags.get(code_id, ())))
        for code_id in linked.keys() | tags.keys()
    }


def code_ancestors(code: Code) -> list[Code]:
    """The codes above this one, from the top of the tree down (a query per level; for single records)."""
    ancestors: list[Code] = []
    ancestor = code.parent
    while ancestor is not None:
        ancestors.insert(0, ancestor)
        ancestor = ancestor.parent
    return ancestors


def code_path(code: Code) -> str:
    """ "Parent › Child" for one code."""
    return " › ".join([*(ancestor.name for ancestor in code_ancestors(code)), code.name])


@dataclass(frozen=True)
class CodeCounts:
    excerpts: int = 0
    interviews: int = 0
    case_studies: int = 0


@dataclass(frozen=True)
class CodebookCounts:
    """Per code, over the excerpts a reader can see: its own counts, and with its sub-codes."""

    own: dict[int, CodeCounts]
    rolled_up: dict[int, CodeCounts]


def codebook_counts(*, user, project: ResearchProject, manages: bool | None = None) -> CodebookCounts:
    """Per code: the distinct excerpts, interviews and case studies the user can see it applied in, itself
    (`own`) and with any of its sub-codes (`rolled_up`). Three queries.

    An excerpt coded with two sub-codes of one heading counts once for the heading, and so does an interview or a
    case study, so a heading's figures are never the sums of its children's. The big query reads the excerpts'
    interview ids, never the interview rows (SQLite keeps a transcript inline in its row and would walk it for
    every excerpt).
    """
    if manages is None:
        manages = can_manage_project(user, project)
    if manages:
        # Leads and admins see every excerpt of the project, blind coding or not.
        excerpts = Excerpt.objects.filter(interview__project=project)
    else:
        excerpts = Excerpt.objects.visible_to(user).filter(interview__project=project)
    parents = dict(Code.objects.filter(project=project).values_list("pk", "parent_id"))
    case_study_of = dict(Interview.objects.filter(project=project).values_list("pk", "case_study_id"))
    own: dict[int, tuple[set[int], set[int], set[int]]] = {}
    rolled: dict[int, tuple[set[int], set[int], set[int]]] = {}
    rows = ExcerptCode.objects.filter(code__project=project, excerpt__in=excerpts.values("pk")).values_list(
        "code_id", "excerpt_id", "excerpt__interview_id"
    )
    for code_id, excerpt_id, interview_id in rows.iterator():
        case_study_id = case_study_of.get(interview_id)
        tallies = [own.setdefault(code_id, (set(), set(), set()))]
        tallies += [rolled.setdefault(pk, (set(), set(), set())) for pk in self_and_ancestors(code_id, parents)]
        for excerpt_ids, interview_ids, case_study_ids in tallies:
            excerpt_ids.add(excerpt_id)
            interview_ids.add(interview_id)
            if case_study_id is not None:
                case_study_ids.add(case_study_id)

    def counted(tally) -> dict[int, CodeCounts]:
        return {code_id: CodeCounts(*map(len, sets)) for code_id, sets in tally.items()}

    return CodebookCounts(own=counted(own), rolled_up=counted(rolled))


def recent_code_ids(*, user, project: ResearchProject, limit: int = 8) -> list[int]:
    """The codes this user applied most recently in the project, newest first."""
    seen: dict[int, None] = {}
    rows = (
        ExcerptCode.objects.filter(applied_by=user, code__project=project, code__is_archived=False)
        .order_by("-applied_at", "-id")
        .values_list("code_id", flat=True)[: limit * 10]
    )
    for code_id in rows:
        seen.setdefault(code_id, None)
        if len(seen) == limit:
            break
    return list(seen)


def transcript_length(interview: Interview) -> int:
    """The transcript's length in code points, measured by the database when the transcript is deferred."""
    if "transcript" in interview.get_deferred_fields():
        return Interview.objects.filter(pk=interview.pk).values_list(Length("transcript"), flat=True).get()
    return len(interview.transcript)


def person_name(first_name: str, last_name: str, username: str) -> str:
    return f"{first_name} {last_name}".strip() or username


def interview_excerpts(*, user, interview: Interview, ids: Iterable[int] | None = None) -> list[dict]:
    """The excerpts of one interview the user may see (of those with the `ids` given), as plain dicts for JSON.
    Two queries."""
    manages = can_manage_project(user, interview.project)
    excerpts = Excerpt.objects.visible_to(user).filter(interview=interview)
    links = ExcerptCode.objects.filter(excerpt__interview=interview)
    if ids is not None:
        ids = list(ids)
        excerpts, links = excerpts.filter(pk__in=ids), links.filter(excerpt_id__in=ids)
    rows = list(
        excerpts.order_by("start", "end", "id").values(
            "id",
            "start",
            "end",
            "text",
            "memo",
            "is_key_quote",
            "needs_review",
            "version",
            "created_at",
            "coded_by_id",
            "coded_by__username",
            "coded_by__first_name",
            "coded_by__last_name",
        )
    )
    code_ids: dict[int, list[int]] = {}
    for excerpt_id, code_id in links.order_by("id").values_list("excerpt_id", "code_id"):
        code_ids.setdefault(excerpt_id, []).append(code_id)
    return [
        {
            "id": row["id"],
            "interview_id": interview.pk,
            "start": row["start"],
            "end": row["end"],
            "text": row["text"],
            "code_ids": code_ids.get(row["id"], []),
            "memo": row["memo"],
            "is_key_quote": row["is_key_quote"],
            "needs_review": row["needs_review"],
            "version": row["version"],
            "coded_by": {
                "id": row["coded_by_id"],
                "name": person_name(row["coded_by__first_name"], row["coded_by__last_name"], row["coded_by__username"]),
            },
            "can_edit": manages or row["coded_by_id"] == user.pk,
            "created_at": row["created_at"].isoformat(),
        }
        for row in rows
    ]


def code_and_descendants(code: Code) -> list[int]:
    """The code's id and those of every code beneath it, in one query."""
    tree = CodeTree.of(code.project_id, codes=Code.objects.only("pk", "parent_id", "order", "name", "is_archived"))
    return tree.descendants(code.pk)


def retrieval_excerpts(
    *,
    user,
    project: ResearchProject,
    code: Code | None = None,
    with_subcodes: bool = False,
    key_quotes_only: bool = False,
    case_study: CaseStudy | None = None,
    scoping_only: bool = False,
    phase: str = "",
    coder_id: int | None = None,
) -> QuerySet[Excerpt]:
    """Excerpts across the project for a retrieval page, in the order of the case studies and interviews."""
    excerpts = Excerpt.objects.visible_to(user).filter(interview__project=project)
    if code is not None and with_subcodes:
        linked = ExcerptCode.objects.filter(code_id__in=code_and_descendants(code)).values("excerpt_id")
        excerpts = excerpts.filter(pk__in=linked)
    elif code is not None:
        excerpts = excerpts.filter(code_links__code=code)
    if key_quotes_only:
        excerpts = excerpts.filter(is_key_quote=True)
    if case_study is not None:
        excerpts = excerpts.filter(interview__case_study=case_study)
    if scoping_only:
        excerpts = excerpts.filter(interview__case_study__isnull=True)
    if phase:
        excerpts = excerpts.filter(interview__phase=phase)
    if coder_id is not None:
        excerpts = excerpts.filter(coded_by_id=coder_id)
    return (
        excerpts.select_related("interview__case_study", "coded_by")
        .defer("interview__transcript")
        .prefetch_related(
            Prefetch("code_links", queryset=ExcerptCode.objects.select_related("code").order_by("id")),
        )
        .order_by(
            # Scoping interviews (no case study) first, as they came first in the fieldwork; the same on every database.
            F("interview__case_study__order").asc(nulls_first=True),
            F("interview__date").asc(nulls_last=True),
            "interview__title",
            "interview_id",
            "start",
            "id",
        )
    )


CONTEXT_CHARACTERS = 240


@dataclass
class RetrievedExcerpt:
    """An excerpt as a retrieval page shows it: who said it, and the words around it within the turn."""

    excerpt: Excerpt
    before: str
    after: str
    passage: Passage
    codes: list[Code] = field(default_factory=list)

    @property
    def people(self) -> list[Person]:
        return self.passage.people


def with_context(excerpts: list[Excerpt]) -> list[RetrievedExcerpt]:
    """The surrounding words and the speakers of each excerpt; one query for the transcripts, one for the
    participants."""
    transcripts = dict(
        Interview.objects.filter(pk__in={e.interview_id for e in excerpts}).values_list("pk", "transcript")
    )
    reader = PassageReader(transcripts, transcripts=transcripts)
    retrieved = []
    for excerpt in excerpts:
        text = transcripts.get(excerpt.interview_id, "")
        turn_start = text.rfind("\n", 0, excerpt.start)
        turn_start = 0 if turn_start < 0 else turn_start + 1
        turn_end = text.find("\n", excerpt.end)
        turn_end = len(text) if turn_end < 0 else turn_end
        label = TURN_PATTERN.match(text, turn_start)
        floor = min(label.end(), excerpt.start) if label else turn_start
        before_start = max(floor, excerpt.start - CONTEXT_CHARACTERS)
        if before_start > floor:
            space = text.find(" ", before_start, excerpt.start)
            before_start = space + 1 if space >= 0 else before_start
        after_end = min(turn_end, excerpt.end + CONTEXT_CHARACTERS)
        if after_end < turn_end:
            space = text.rfind(" ", excerpt.end, after_end)
            after_end = space if space > excerpt.end else after_end
        before = text[before_start : excerpt.start] if excerpt.start > before_start else ""
        after = text[excerpt.end : after_end] if after_end > excerpt.end else ""
        retrieved.append(
            RetrievedExcerpt(
                excerpt=excerpt,
                before=("…" if before_start > floor and before else "") + before,
                after=after + ("…" if after_end < turn_end and after else ""),
                passage=reader.passage(excerpt.interview_id, excerpt.start, excerpt.end),
                codes=[link.code for link in excerpt.code_links.all()],
            )
        )
    return retrieved


def coders_in_project(*, user, project: ResearchProject) -> list[tuple[int, str]]:
    """The people whose excerpts the user can see in the project, for a filter."""
    rows = (
        Excerpt.objects.visible_to(user)
        .filter(interview__project=project)
        .values_list("coded_by_id", "coded_by__first_name", "coded_by__last_name", "coded_by__username")
        .distinct()
        .order_by("coded_by__first_name", "coded_by__last_name", "coded_by__username")
    )
    return [(pk, person_name(first, last, username)) for pk, first, last, username in rows]


@dataclass(frozen=True)
class CodingToResume:
    """An interview the user has been coding: how much, when last, and the excerpt to carry on from."""

    interview: Interview
    excerpts: int
    last_coded: datetime
    last_excerpt_id: int


def coding_to_resume(*, user, project: ResearchProject, limit: int = 5) -> list[CodingToResume]:
    """The interviews of the project the user coded most recently, newest first. Two queries."""
    own = Excerpt.objects.visible_to(user).filter(interview__project=project, coded_by=user)
    rows = list(
        own.order_by()
        .values("interview_id")
        .annotate(
            excerpts=Count("id"),
            last_coded=Max("updated_at"),
            last_excerpt_id=Subquery(
                Excerpt.objects.filter(interview=OuterRef("interview_id"), coded_by=user)
                .order_by("-updated_at", "-id")
                .values("id")[:1]
            ),
        )
        .order_by("-last_coded")[:limit]
    )
    interviews = Interview.objects.visible_to(user).defer("transcript").select_related("case_study")
    by_id = interviews.in_bulk([row["interview_id"] for row in rows])
    return [
        CodingToResume(by_id[row["interview_id"]], row["excerpts"], row["last_coded"], row["last_excerpt_id"])
        for row in rows
        if row["interview_id"] in by_id
    ]


def interviews_not_yet_coded(*, user, project: ResearchProject, limit: int = 3) -> tuple[list[Interview], bool]:
    """Interviews of the project with a transcript that the user has not coded at all: the first few in the
    project's order, and whether there are more. One query."""
    untouched = (
        Interview.objects.visible_to(user)
        .filter(project=project)
        .exclude(transcript="")
        .exclude(pk__in=Excerpt.objects.filter(coded_by=user).values("interview_id"))
        .defer("transcript")
        .select_related("case_study")
        .order_by("case_study__order", "case_study__title", "date", "title")
    )
    first = list(untouched[: limit + 1])
    return first[:limit], len(first) > limit
