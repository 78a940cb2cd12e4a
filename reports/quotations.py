"""Choosing and shaping quotations: which coded passages may be quoted and how they rank, which are chosen for a
question (key quotes first, then variety of speakers and organisations, then the fullest of a sensible length, each
stretch of transcript quoted once in the paper), and how a chosen passage reads (whole sentences, a sensible
length, speakers named as the paper names them)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from casestudies.transcripts import label_pattern
from disclosure.passages import PassageReader
from disclosure.redaction import Redactor
from disclosure.speakers import Passage, Person, Withheld, voice_of_label

from .paper import PaperOptions, Quotation, source_key_of

# A quotation of a sensible length: long enough to carry a point, short enough to read. Lengths count code points.
MIN_QUOTE_CHARS = 80
MAX_QUOTE_CHARS = 1200


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


@dataclass(frozen=True)
class Pick:
    """A passage chosen for a question: quoted there, or, when an earlier question quotes the same stretch of
    transcript already (`earlier_id`), cited as "see quotation 3.4" instead of quoted twice."""

    source_key: str
    excerpt_id: int
    earlier_id: int | None = None


def choose_quotations(
    passages: pd.DataFrame,
    options: PaperOptions,
    *,
    readings: dict[int, Passage],
    quoted: dict[int, list[tuple[int, int, int]]],
) -> list[Pick]:
    """The passages to quote for one question, per source: key quotes first, then variety (a speaker, and an
    organisation kind, not heard yet under this question), then the fullest of a sensible length.

    `quoted` holds the stretches of transcript the paper quotes already, per interview, and grows with the new
    picks: a passage overlapping one of them is quoted once in the paper, and cited where it comes again.
    """
    quotable = passages[passages["may_quote"]].copy()
    if not len(quotable):
        return []
    quotable["key_rank"] = ~quotable["is_key_quote"] if options.key_quotes_first else False
    quotable["too_short"] = quotable["length"] < MIN_QUOTE_CHARS
    quotable["capped_length"] = quotable["length"].clip(upper=MAX_QUOTE_CHARS)
    quotable = quotable.reset_index().sort_values(
        ["key_rank", "too_short", "capped_length", "date", "interview_id", "start"],
        ascending=[True, True, False, True, True, True],
        kind="stable",
    )
    by_source: dict[str, list[tuple]] = defaultdict(list)
    for row in zip(
        quotable["source_key"],
        quotable["excerpt_id"],
        quotable["interview_id"],
        quotable["start"],
        quotable["end"],
        quotable["key_rank"],
        quotable["too_short"],
        strict=True,
    ):
        by_source[row[0]].append(row)
    earlier = {interview_id: list(stretches) for interview_id, stretches in quoted.items()}
    chosen: list[Pick] = []
    for source_key, candidates in by_source.items():
        cited: list[int] = []
        fresh = []
        for candidate in candidates:
            _, excerpt_id, interview_id, start, end, _, _ = candidate
            overlapping = [pk for low, high, pk in earlier.get(int(interview_id), []) if start < high and low < end]
            if overlapping:
                if overlapping[0] not in cited and len(cited) < options.quotes_per_case_study:
                    cited.append(overlapping[0])
            else:
                fresh.append(candidate)
        speakers: dict[int, int] = defaultdict(int)
        kinds: dict[str, int] = defaultdict(int)
        picked = 0
        while fresh and picked < options.quotes_per_case_study:
            # The candidates are in rank order already; the first best on variety wins among equals.
            best = min(
                range(len(fresh)),
                key=lambda index: _variety_rank(fresh[index], readings, speakers, kinds),
            )
            _, excerpt_id, interview_id, start, end, _, _ = fresh.pop(best)
            # Two coders often mark the same passage: quote a stretch of transcript once, in its best reading.
            fresh = [c for c in fresh if not (c[2] == interview_id and c[3] < end and start < c[4])]
            person = readings[int(excerpt_id)].first_person
            if person is not None:
                speakers[person.pk] += 1
                kinds[person.organisation_kind] += 1
            quoted[int(interview_id)].append((int(start), int(end), int(excerpt_id)))
            chosen.append(Pick(source_key, int(excerpt_id)))
            picked += 1
        chosen.extend(Pick(source_key, 0, earlier_id) for earlier_id in cited)
    return chosen


def _variety_rank(
    candidate: tuple, readings: dict[int, Passage], speakers: dict[int, int], kinds: dict[str, int]
) -> tuple[bool, bool, int, int]:
    _, excerpt_id, _, _, _, key_rank, too_short = candidate
    person = readings[int(excerpt_id)].first_person
    heard = speakers.get(person.pk, 0) if person is not None else 0
    kind_heard = kinds.get(person.organisation_kind, 0) if person is not None else 0
    return (bool(key_rank), bool(too_short), heard, kind_heard)


def make_quotation(
    excerpt_id: int,
    passage: pd.Series,
    reading: Passage,
    text: str,
    redactor: Redactor,
    reader: PassageReader,
    *,
    source: str,
) -> Quotation:
    interview_id, start, end = int(passage["interview_id"]), int(passage["start"]), int(passage["end"])
    people = reader.people.get(interview_id, [])
    paragraphs = _quote_paragraphs(_whole_sentences(_shorten(text)), reading, people)
    return Quotation(
        excerpt_id=excerpt_id,
        paragraphs=[redactor.redact(paragraph) for paragraph in paragraphs],
        attribution=reading.credit(source),
        reference="",
        is_key_quote=bool(passage["is_key_quote"]),
        interview_id=interview_id,
        start=start,
        end=end,
    )


ELLIPSIS = "[…]"


_SENTENCE_END = (".", "?", "!", "…", ELLIPSIS, '"', "”", "’", "'", ")")


def _whole_sentences(text: str) -> str:
    """A passage that starts or ends mid-sentence says so with an ellipsis, so that it reads as it was said."""
    text = text.strip()
    if not text:
        return text
    if text[0].islower():
        text = f"{ELLIPSIS} {text}"
    if not text.endswith(_SENTENCE_END):
        text = f"{text} {ELLIPSIS}"
    return text


def _shorten(text: str) -> str:
    """A passage beyond a sensible length ends at the last full sentence before it, marked as cut."""
    text = text.strip()
    if len(text) <= MAX_QUOTE_CHARS:
        return text
    cut = text[:MAX_QUOTE_CHARS]
    sentence_end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "), cut.rfind(".\n"))
    cut = cut[: sentence_end + 1] if sentence_end > MAX_QUOTE_CHARS // 2 else cut.rsplit(" ", 1)[0]
    return f"{cut} {ELLIPSIS}"


def _quote_paragraphs(text: str, reading: Passage, people: list[Person]) -> list[str]:
    """The passage's paragraphs with their speaker labels as the paper names people.

    Where one participant speaks, their own label at the start goes (the attribution says who it is); the
    interviewer stays "Interviewer"; a participant is shown by pseudonym or role; a label matching nobody becomes
    "Participant".
    """
    sole = reading.people[0] if len(reading.people) == 1 and not reading.has_unknown else None
    # The voices of the recorded turns whose words the passage holds, by the label they are written with.
    voices = {part.voice.label: part.voice for part in reading.parts if part.voice.label}
    pattern = label_pattern(voices)
    paragraphs = []
    for line in text.split("\n"):
        paragraph = line.strip()
        if not paragraph:
            continue
        match = pattern.match(paragraph)
        if match:
            said = paragraph[match.end() :]
            label = match.group("speaker").strip()
            shown = (voices.get(label) or voice_of_label(label, people)).shown
            is_sole_speaker = sole is not None and shown == sole.label
            paragraph = said if not paragraphs and is_sole_speaker else f"{shown}: {said}"
        paragraphs.append(paragraph)
    return paragraphs
