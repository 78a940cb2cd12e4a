"""Full-text search across the transcripts a user can see, with hits that can be coded.

On PostgreSQL the ranking and the matching are the database's full-text search ('english' configuration, web
search syntax: "quoted phrases", or, -word) over a stored, indexed vector of each transcript, and ts_headline
marks every matched word so that the hits have exact offsets. Elsewhere (SQLite) a fallback matches words by
prefix ("partner" finds "partnerships"), supports the same syntax, and ranks by how often the words occur
(1 + log of the count of each matched word, summed), as ts_rank does in spirit; ties keep the interviews'
date order.

A hit is a sentence that contains at least one match, with the offsets (in code points) of the sentence,
of its matched words and of its paragraph (without the speaker's label), so that any of them can become
an excerpt.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import Expression, F, QuerySet

from casestudies.models import Interview, ResearchProject
from casestudies.transcripts import TURN_PATTERN, split_turns

MAX_INTERVIEWS = 100
MAX_HITS = 2000  # hits are built for the best-ranked interviews until there are this many
HEADLINE_BATCH = 10
SNIPPET_CHARACTERS = 360
VECTOR_COLUMN = "transcript_search"  # see StoredTranscriptVector
START_MARK, STOP_MARK = "\ue000", "\ue001"  # private-use characters: never in a transcript
SENTENCE = re.compile(r"[^.!?…]+(?:[.!?…]+[\"”’')\]]*|$)")
TOKEN = re.compile(r'"([^"]*)"|(\S+)')


class Extent:
    MATCH = "match"
    SENTENCE = "sentence"
    PARAGRAPH = "paragraph"
    CHOICES = [(MATCH, "the matched words"), (SENTENCE, "the sentence"), (PARAGRAPH, "the paragraph")]


@dataclass(frozen=True)
class Hit:
    interview_id: int
    start: int
    end: int
    matches: tuple[tuple[int, int], ...]
    paragraph: tuple[int, int]
    snippet: tuple[tuple[str, bool], ...]

    @property
    def key(self) -> str:
        return f"{self.interview_id}:{self.start}:{self.end}"

    def spans(self, extent: str) -> list[tuple[int, int]]:
        if extent == Extent.MATCH:
            return list(self.matches)
        if extent == Extent.PARAGRAPH:
            return [self.paragraph]
        return [(self.start, self.end)]


@dataclass
class InterviewResult:
    interview: Interview
    rank: float
    hits: list[Hit]


@dataclass
class SearchResults:
    query: str
    results: list[InterviewResult] = field(default_factory=list)
    is_capped: bool = False
    engine: str = ""

    def add(self, interview: Interview, rank: float, matches: list[tuple[int, int]]) -> None:
        """Add an interview's hits, unless there are enough hits already (then say the results are capped)."""
        if self.hit_count >= MAX_HITS:
            self.is_capped = True
            return
        hits = build_hits(interview, matches)
        if hits:
            self.results.append(InterviewResult(interview, rank, hits))

    @property
    def hit_count(self) -> int:
        return sum(len(result.hits) for result in self.results)

    def hits(self) -> Iterator[tuple[Interview, Hit]]:
        for result in self.results:
            for hit in result.hits:
                yield result.interview, hit


def searchable_interviews(
    user, project: ResearchProject, *, case_study_ids: tuple[int, ...] = (), phase: str = ""
) -> QuerySet[Interview]:
    visible = Interview.objects.visible_to(user).filter(project=project).values("pk")
    interviews = Interview.objects.filter(pk__in=visible).select_related("case_study")
    if case_study_ids:
        interviews = interviews.filter(case_study_id__in=case_study_ids)
    if phase:
        interviews = interviews.filter(phase=phase)
    return interviews


def search_transcripts(
    user, project: ResearchProject, query: str, *, case_study_ids: tuple[int, ...] = (), phase: str = ""
) -> SearchResults:
    query = query.strip()
    interviews = searchable_interviews(user, project, case_study_ids=case_study_ids, phase=phase)
    if connection.vendor == "postgresql":
        return _search_postgresql(interviews, query)
    return search_in_python(interviews, query)


def _search_postgresql(interviews: QuerySet[Interview], query: str) -> SearchResults:
    """Rank in one query on the stored vectors; then mark the matches (ts_headline, which parses the text, so
    the costly part) a few interviews at a time, best first, only until there are enough hits."""
    results = SearchResults(query=query, engine="postgresql")
    terms = SearchQuery(query, config="english", search_type="websearch")
    ranked = _rank_postgresql(interviews, terms)
    results.is_capped = len(ranked) > MAX_INTERVIEWS
    ranked = ranked[:MAX_INTERVIEWS]
    for first in range(0, len(ranked), HEADLINE_BATCH):
        if results.hit_count >= MAX_HITS:
            results.is_capped = True
            break
        batch = dict(ranked[first : first + HEADLINE_BATCH])
        marked = interviews.filter(pk__in=batch).annotate(
            marked=SearchHeadline(
                "transcript", terms, config="english", start_sel=START_MARK, stop_sel=STOP_MARK, highlight_all=True
            )
        )
        by_pk = {interview.pk: interview for interview in marked}
        for pk, rank in batch.items():
            interview = by_pk[pk]
            matches = _marked_spans(interview.marked, interview.transcript)
            if matches is None:  # the headline did not reproduce the text: fall back to matching in Python
                matches = _python_matches(interview.transcript, _parse(query))
            results.add(interview, float(rank), matches)
    return results


class StoredTranscriptVector(Expression):
    """The interview's transcript as PostgreSQL parsed it when it was saved: to_tsvector('english', transcript),
    kept in a generated column with a GIN index (analysis migration 0002, which says why the model does not
    declare it). It exists only on PostgreSQL."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        alias = compiler.query.get_initial_alias()
        return f"{compiler.quote_name(alias)}.{connection.ops.quote_name(VECTOR_COLUMN)}", []


def _rank_postgresql(interviews: QuerySet[Interview], terms: SearchQuery) -> list[tuple[int, float]]:
    """(pk, rank) of the matching interviews, best first: the stored vectors, matched through their index, so
    that no transcript is parsed; the same ranking as ts_rank of to_tsvector('english', transcript)."""
    ranked = (
        interviews.order_by()
        .alias(vector=StoredTranscriptVector())
        .filter(vector=terms)
        .annotate(rank=SearchRank(F("vector"), terms))
        .order_by("-rank", F("date").asc(nulls_last=True), "title", "pk")
        .values_list("pk", "rank")
    )
    return [(pk, float(rank)) for pk, rank in ranked[: MAX_INTERVIEWS + 1]]


def _marked_spans(marked: str, transcript: str) -> list[tuple[int, int]] | None:
    """Offsets of the words ts_headline marked, if removing the marks gives back the transcript exactly."""
    spans, plain, position, start = [], [], 0, None
    for piece in re.split(f"([{START_MARK}{STOP_MARK}])", marked):
        if piece == START_MARK:
            start = position
        elif piece == STOP_MARK and start is not None:
            spans.append((start, position))
            start = None
        else:
            plain.append(piece)
            position += len(piece)
    return spans if "".join(plain) == transcript else None


@dataclass(frozen=True)
class ParsedQuery:
    """Alternatives joined by "or"; each has terms that must all occur and terms that must not."""

    alternatives: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]

    @property
    def is_empty(self) -> bool:
        return not any(required for required, _ in self.alternatives)


def _parse(query: str) -> ParsedQuery:
    alternatives, required, excluded = [], [], []
    for match in TOKEN.finditer(query):
        phrase, word = match.group(1), match.group(2)
        if word is not None and word.lower() == "or":
            alternatives.append((tuple(required), tuple(excluded)))
            required, excluded = [], []
            continue
        text = phrase if phrase is not None else word
        negative = phrase is None and text.startswith("-") and len(text) > 1
        words = re.findall(r"\w+", text.removeprefix("-") if negative else text)
        if not words:
            continue
        (excluded if negative else required).append(" ".join(words))
    alternatives.append((tuple(required), tuple(excluded)))
    return ParsedQuery(tuple((r, e) for r, e in alternatives if r or e))


def _term_pattern(term: str) -> re.Pattern:
    words = [re.escape(word) + r"\w*" for word in term.split(" ")]
    return re.compile(r"\b" + r"\W+".join(words), re.IGNORECASE)


def _python_matches(text: str, parsed: ParsedQuery) -> list[tuple[int, int]]:
    spans: set[tuple[int, int]] = set()
    for required, excluded in parsed.alternatives:
        if not required or any(_term_pattern(term).search(text) for term in excluded):
            continue
        found = [[m.span() for m in _term_pattern(term).finditer(text)] for term in required]
        if all(found):
            spans.update(span for term_spans in found for span in term_spans)
    return merge_spans(sorted(spans))


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with overlapping ones joined."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def search_in_python(interviews: QuerySet[Interview], query: str) -> SearchResults:
    """The fallback: prefix matching of words and phrases, ranked by the terms' (damped) frequencies."""
    results = SearchResults(query=query, engine="python")
    parsed = _parse(query)
    if parsed.is_empty:
        return results
    terms = {term.split(" ")[0] for required, _ in parsed.alternatives for term in required}
    if len(parsed.alternatives) == 1 and all(term.isascii() for term in terms):
        for term in terms:  # narrow in the database first; LIKE folds case only for ASCII
            interviews = interviews.filter(transcript__icontains=term)
    ranked = []
    for interview in interviews.order_by("date", "title", "pk"):
        matches = _python_matches(interview.transcript, parsed)
        if not matches:
            continue
        counts: dict[str, int] = {}
        for start, end in matches:
            word = interview.transcript[start:end].lower()
            counts[word] = counts.get(word, 0) + 1
        ranked.append((interview, sum(1 + math.log(count) for count in counts.values()), matches))
    ranked.sort(key=lambda item: -item[1])  # stable: ties stay in date order, as in PostgreSQL
    results.is_capped = len(ranked) > MAX_INTERVIEWS
    for interview, rank, matches in ranked[:MAX_INTERVIEWS]:
        results.add(interview, rank, matches)
    return results


def build_hits(interview: Interview, matches: list[tuple[int, int]]) -> list[Hit]:
    """Group matches by the sentence they fall in; matches in a speaker's label are not hits."""
    sentences: list[tuple[int, int, int, int]] = []  # start, end, paragraph start, paragraph end
    text = interview.transcript
    for turn in split_turns(text):
        label = TURN_PATTERN.match(turn.text)
        content_start = turn.start + (label.end() if label else 0)
        content = text[content_start : turn.end]
        for sentence in SENTENCE.finditer(content):
            raw = sentence.group(0)
            stripped = raw.strip()
            if not stripped:
                continue
            start = content_start + sentence.start() + (len(raw) - len(raw.lstrip()))
            sentences.append((start, start + len(stripped), content_start, turn.end))
    starts = [sentence[0] for sentence in sentences]
    grouped: dict[int, list[tuple[int, int]]] = {}
    for match_start, match_end in matches:
        index = bisect.bisect_right(starts, match_start) - 1
        if index < 0 or match_end > sentences[index][1]:
            continue
        grouped.setdefault(index, []).append((match_start, match_end))
    hits = []
    for index, spans in sorted(grouped.items()):
        start, end, paragraph_start, paragraph_end = sentences[index]
        hits.append(
            Hit(
                interview_id=interview.pk,
                start=start,
                end=end,
                matches=tuple(spans),
                paragraph=(paragraph_start, paragraph_end),
                snippet=_snippet(text, start, end, spans),
            )
        )
    return hits


def _snippet(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> tuple[tuple[str, bool], ...]:
    """The sentence as (text, is_match) pieces, shortened around the first match when it is long."""
    if end - start > SNIPPET_CHARACTERS:
        middle = spans[0][0]
        window_start = max(start, middle - SNIPPET_CHARACTERS // 3)
        window_end = min(end, window_start + SNIPPET_CHARACTERS)
    else:
        window_start, window_end = start, end
    pieces: list[tuple[str, bool]] = [("… ", False)] if window_start > start else []
    position = window_start
    for span_start, span_end in spans:
        if span_end <= window_start or span_start >= window_end:
            continue
        span_start, span_end = max(span_start, window_start), min(span_end, window_end)
        if span_start > position:
            pieces.append((text[position:span_start], False))
        pieces.append((text[span_start:span_end], True))
        position = span_end
    if position < window_end:
        pieces.append((text[position:window_end], False))
    if window_end < end:
        pieces.append((" …", False))
    return tuple(pieces)
