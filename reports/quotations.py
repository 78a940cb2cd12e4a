"""Choosing and shaping quotations: which coded passages may be quoted and how they rank, which are chosen for a
question (the lead's pins first, then key quotes, then variety of case studies, speakers and organisations, then the
fullest), and how a chosen passage reads: whole sentences of one participant's turn, long enough to make sense alone,
each stretch of transcript quoted once in the paper, and adjacent sentences chosen for different places joined."""

from __future__ import annotations

import datetime
import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd
import pysbd

from disclosure.passages import PassageReader
from disclosure.redaction import Redactor
from disclosure.speakers import Passage, Withheld

from .paper import PaperOptions, Quotation, source_key_of

# A quotation makes sense alone at about this many words, unless a lead pins a shorter one; past this many characters
# (code points) it stops at the last whole sentence that fits.
MIN_QUOTE_WORDS = 20
MAX_QUOTE_CHARS = 1200
# A later question that a quoted passage supports too cites it, at most this many times per question.
MAX_CITED_PER_QUESTION = 3


def coded_passages(
    coded: pd.DataFrame, interviews: dict[int, dict], reader: PassageReader
) -> tuple[pd.DataFrame, dict[int, Passage]]:
    """One row per coded passage: where it is, whether it may be quoted, and how it ranks; and who said each."""
    columns = ["interview_id", "start", "end", "is_key_quote", "source_key", "may_quote", "length", "date"]
    if not len(coded):
        empty = pd.DataFrame(columns=columns, index=pd.Index([], name="excerpt_id")).astype({"may_quote": bool})
        return empty, {}
    passages = coded.drop_duplicates("excerpt_id").set_index("excerpt_id")[
        ["interview_id", "start", "end", "is_key_quote"]
    ]
    readings = {
        int(excerpt_id): reader.passage(int(interview_id), int(start), int(end))
        for excerpt_id, interview_id, start, end in zip(
            passages.index, passages["interview_id"], passages["start"], passages["end"], strict=True
        )
    }
    passages["source_key"] = [source_key_of(interviews[pk]) for pk in passages["interview_id"]]
    passages["may_quote"] = [readings[int(pk)].may_quote for pk in passages.index]
    passages["length"] = passages["end"] - passages["start"]
    passages["date"] = [interviews[pk]["date"] or datetime.date.max for pk in passages["interview_id"]]
    return passages, readings


def withheld_reasons(passages: pd.DataFrame, readings: dict[int, Passage]) -> dict[Withheld, int]:
    reasons: dict[Withheld, int] = defaultdict(int)
    for excerpt_id in passages.index[~passages["may_quote"]] if len(passages) else []:
        reasons[readings[int(excerpt_id)].withheld] += 1
    return dict(reasons)


@dataclass(eq=False)
class Stretch:
    """A stretch of transcript the paper quotes: whole sentences of one participant's turn, under the question that
    chose it first. Later choices in the same turn that overlap or adjoin it join it, and are cited there."""

    interview_id: int
    start: int
    end: int
    turn: tuple[int, int]
    source_key: str
    question_id: int
    excerpt_ids: list[int] = field(default_factory=list)
    is_key_quote: bool = False
    is_pinned: bool = False

    def touches(self, start: int, end: int, text: str) -> bool:
        """Overlaps [start, end), or is separated from it by white space alone."""
        if start < self.end and self.start < end:
            return True
        gap = text[self.end : start] if self.end <= start else text[end : self.start]
        return not gap.strip()


class Shaper:
    """Where a chosen passage's quotation lies: the whole sentences of the one participant's turn that hold most of
    its words, widened within that turn to about `MIN_QUOTE_WORDS` words, and at most `MAX_QUOTE_CHARS` long."""

    def __init__(self, reader: PassageReader) -> None:
        self.reader = reader
        self._sentences: dict[tuple[int, int], list[tuple[int, int]]] = {}

    def span(self, interview_id: int, reading: Passage, *, pinned: bool = False) -> tuple[int, int, tuple] | None:
        """`(start, end, turn)` of the quotation, or None where the passage holds no participant's words or (unless
        pinned) their turn is too short to make sense alone."""
        parts = [part for part in reading.parts if part.voice.person is not None]
        if not parts:
            return None
        main = max(parts, key=lambda part: part.end - part.start)
        turn = self.reader.turn_body(interview_id, main.start)
        if turn is None:
            return None
        sentences = self.sentences(interview_id, turn)
        inside = [index for index, (low, high) in enumerate(sentences) if low < main.end and main.start < high]
        if not inside:
            return None
        first, last = inside[0], inside[-1]
        while last > first and sentences[last][1] - sentences[first][0] > MAX_QUOTE_CHARS:
            last -= 1
        text = self.reader.text(interview_id)

        def words(low: int, high: int) -> int:
            return len(text[sentences[low][0] : sentences[high][1]].split())

        if not pinned:
            while words(first, last) < MIN_QUOTE_WORDS:
                if last + 1 < len(sentences) and sentences[last + 1][1] - sentences[first][0] <= MAX_QUOTE_CHARS:
                    last += 1
                elif first > 0 and sentences[last][1] - sentences[first - 1][0] <= MAX_QUOTE_CHARS:
                    first -= 1
                else:
                    return None
        return sentences[first][0], sentences[last][1], turn

    def sentences(self, interview_id: int, turn: tuple[int, int]) -> list[tuple[int, int]]:
        """The sentences of a turn's words, as [start, end) in the transcript, without white space at either end."""
        key = (interview_id, turn[0])
        if key not in self._sentences:
            low = turn[0]
            body = self.reader.text(interview_id)[low : turn[1]]
            spans = [(low + start, low + end) for start, end in sentence_spans(body)]
            self._sentences[key] = spans or [(low, turn[1])]
        return self._sentences[key]


# Sentences of the turns read lately, by the turn's words, so that every paper and page after the first finds its
# turns split already. Only turns up to CACHED_TURN_CHARS long are kept: the cache holds at most
# SENTENCE_CACHE_SIZE × CACHED_TURN_CHARS characters (about 16 MB), however long a transcript's turns run.
SENTENCE_CACHE_SIZE = 4096
CACHED_TURN_CHARS = 4000


def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """The sentences of `text` as [start, end) within it, without white space at either end."""
    return _cached_sentence_spans(text) if len(text) <= CACHED_TURN_CHARS else _sentence_spans(text)


def _sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Each sentence is found where the last one ended: cheaper than pysbd's own spans, which search the whole text
    again for every sentence."""
    spans = []
    cursor = 0
    # A segmenter keeps the text it is given on itself: one per call, so that threads never share one.
    segmenter = pysbd.Segmenter(language="en", clean=False)
    for sentence in segmenter.segment(text) if text.strip() else []:
        words = sentence.strip()
        start = text.find(words, cursor) if words else -1
        if start < 0:
            continue
        cursor = start + len(words)
        spans.append((start, cursor))
    return tuple(spans)


_cached_sentence_spans = functools.lru_cache(maxsize=SENTENCE_CACHE_SIZE)(_sentence_spans)


def choose_quotations(
    passages: pd.DataFrame,
    options: PaperOptions,
    *,
    question_id: int,
    readings: dict[int, Passage],
    shaper: Shaper,
    quoted: dict[int, list[Stretch]],
) -> tuple[list[Stretch], list[Stretch]]:
    """The stretches to quote for one question, and the stretches quoted under earlier questions that it cites.

    Pinned passages come first and always; then, up to the paper's number per question, key quotes first, then
    variety (a case study, a speaker and an organisation kind not heard yet under this question), then the fullest.
    `quoted` holds the stretches the paper quotes already, per interview, and grows with the new ones: a passage
    that overlaps or adjoins one of them in the same turn joins it, and is cited where an earlier question quotes it.
    """
    pins = [excerpt for question, excerpt in options.pinned if question == question_id]
    excluded = {excerpt for question, excerpt in options.excluded if question == question_id}
    quotable = passages[passages["may_quote"] & ~passages.index.isin(list(excluded))].copy()
    if not len(quotable):
        return [], []
    pin_rank = {excerpt: index for index, excerpt in enumerate(pins)}
    quotable["pin_rank"] = [pin_rank.get(int(pk), len(pins)) for pk in quotable.index]
    quotable["key_rank"] = ~quotable["is_key_quote"] if options.key_quotes_first else False
    quotable["capped_length"] = quotable["length"].clip(upper=MAX_QUOTE_CHARS)
    quotable = quotable.reset_index().sort_values(
        ["pin_rank", "key_rank", "capped_length", "date", "interview_id", "start"],
        ascending=[True, True, False, True, True, True],
        kind="stable",
    )
    candidates = list(
        zip(
            quotable["excerpt_id"].astype(int),
            quotable["interview_id"].astype(int),
            quotable["source_key"],
            quotable["pin_rank"] < len(pins),
            quotable["key_rank"].astype(bool),
            quotable["is_key_quote"].astype(bool),
            strict=True,
        )
    )
    chosen: list[Stretch] = []
    cited: list[Stretch] = []
    heard_sources: dict[str, int] = defaultdict(int)
    speakers: dict[int, int] = defaultdict(int)
    kinds: dict[str, int] = defaultdict(int)

    def rank(candidate: tuple) -> tuple:
        excerpt_id, _, source_key, pinned, key_rank, _ = candidate
        person = readings[excerpt_id].first_person
        return (
            not pinned,
            key_rank,
            heard_sources.get(source_key, 0),
            speakers.get(person.pk, 0) if person is not None else 0,
            kinds.get(person.organisation_kind, 0) if person is not None else 0,
        )

    while candidates:
        # The candidates are in rank order already; the first best on variety wins among equals.
        best = min(range(len(candidates)), key=lambda index: rank(candidates[index]))
        excerpt_id, interview_id, source_key, pinned, _, is_key_quote = candidates.pop(best)
        # Pinned passages are quoted beyond the number per question, but for a briefing's one quotation.
        if len(chosen) >= options.quotations_per_question and (not pinned or options.is_briefing):
            break
        shaped = shaper.span(interview_id, readings[excerpt_id], pinned=pinned)
        if shaped is None:
            continue
        start, end, turn = shaped
        text = shaper.reader.text(interview_id)
        earlier = next(
            (
                stretch
                for stretch in quoted.get(interview_id, [])
                if stretch.turn == turn and stretch.touches(start, end, text)
            ),
            None,
        )
        if earlier is not None:
            _join(earlier, start, end, excerpt_id)
            if earlier.question_id != question_id and earlier not in cited and len(cited) < MAX_CITED_PER_QUESTION:
                cited.append(earlier)
            continue
        stretch = Stretch(
            interview_id=interview_id,
            start=start,
            end=end,
            turn=turn,
            source_key=source_key,
            question_id=question_id,
            excerpt_ids=[excerpt_id],
            is_key_quote=is_key_quote,
            is_pinned=pinned,
        )
        quoted[interview_id].append(stretch)
        chosen.append(stretch)
        heard_sources[source_key] += 1
        person = readings[excerpt_id].first_person
        if person is not None:
            speakers[person.pk] += 1
            kinds[person.organisation_kind] += 1
    return chosen, cited


def _join(stretch: Stretch, start: int, end: int, excerpt_id: int) -> None:
    """Adjacent or overlapping sentences of one turn, chosen again: one quotation, widened where it still reads at a
    sensible length."""
    low, high = min(stretch.start, start), max(stretch.end, end)
    if high - low <= MAX_QUOTE_CHARS or stretch.is_pinned:
        stretch.start, stretch.end = low, high
    if excerpt_id not in stretch.excerpt_ids:
        stretch.excerpt_ids.append(excerpt_id)


ELLIPSIS = "[…]"

# Words a speaker opens with that carry nothing in print. Those that may also carry meaning ("Like many others",
# "Right at the start") count only with a comma after them.
_FILLERS = re.compile(
    r"^(?:(?:u+m+|u+h+|e+r+m*|a+h+|o+h+|well|so|and|but|yeah|yes|right|okay|ok|like|you know|i mean)[,.…]+\s+"
    r"|(?:u+m+|u+h+|e+r+m*|well|so|and|but)\s+)+",
    re.IGNORECASE,
)


def cut_fillers(text: str) -> str:
    """'Um, well, the board decided…' -> '[…] the board decided…': the opening fillers left out, and the cut marked."""
    match = _FILLERS.match(text)
    if not match or len(text[match.end() :].split()) < 4:
        return text
    return f"{ELLIPSIS} {text[match.end() :]}"


def make_quotation(
    stretch: Stretch,
    reader: PassageReader,
    redactor: Redactor,
    *,
    source: str,
    may_omit_fillers: bool,
) -> Quotation | None:
    """The quotation of a stretch as the paper prints it, or None where its words may not be quoted (read again: the
    stretch is one participant's words, and that participant must have consented)."""
    reading = reader.passage(stretch.interview_id, stretch.start, stretch.end)
    if not reading.may_quote or not reading.people:
        return None
    text = reader.text(stretch.interview_id)[stretch.start : stretch.end]
    paragraphs = [line.strip() for line in text.split("\n") if line.strip()]
    if may_omit_fillers and paragraphs:
        paragraphs[0] = cut_fillers(paragraphs[0])
    return Quotation(
        excerpt_id=stretch.excerpt_ids[0],
        paragraphs=[redactor.redact(paragraph) for paragraph in paragraphs],
        attribution=reading.credit(source),
        reference="",
        is_key_quote=stretch.is_key_quote,
        interview_id=stretch.interview_id,
        start=stretch.start,
        end=stretch.end,
        excerpt_ids=list(stretch.excerpt_ids),
        person_ids=reading.person_ids,
        is_pinned=stretch.is_pinned,
    )
