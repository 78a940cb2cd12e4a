"""The working paper as a rendering reads it: the options a build is made with, and what the paper holds (its
sections, quotations, tables and appendices). Plain data, read by the HTML, PDF and Word renderings alike;
nothing here assembles or draws."""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field

from disclosure.speakers import Withheld

from .models import PaperTemplate, WorkingPaper

# A quotation up to this many characters (about six printed lines) is never split across pages.
SHORT_QUOTATION_CHARS = 480


@dataclass(frozen=True)
class PaperOptions:
    """What a build includes: the lead's selection and options, frozen when the build is asked for."""

    case_study_ids: tuple[int, ...] = ()
    group_ids: tuple[int, ...] = ()
    question_ids: tuple[int, ...] = ()
    phase_kinds: tuple[str, ...] = ()
    quotations_per_question: int = 5
    key_quotes_first: bool = True
    include_tables: bool = True
    include_charts: bool = True
    question_tables: bool = False
    include_appendices: bool = True
    # The lead's choices of passages per question: (question id, excerpt id).
    pinned: tuple[tuple[int, int], ...] = ()
    excluded: tuple[tuple[int, int], ...] = ()
    template: str = PaperTemplate.WORKING_PAPER
    summary: str = ""

    @property
    def is_briefing(self) -> bool:
        return self.template == PaperTemplate.BRIEFING

    @classmethod
    def from_paper(cls, paper: WorkingPaper) -> PaperOptions:
        case_studies = list(paper.case_studies.order_by("order", "title").values_list("id", "title"))
        groups = list(paper.question_groups.order_by("order", "id").values_list("id", "title"))
        questions = list(paper.questions.in_order().values_list("id", "short_label"))
        phases = list(paper.phases.order_by("starts_on").values_list("kind", "title"))
        choices = list(paper.quotation_choices.values_list("question_id", "excerpt_id", "choice"))
        options = cls(
            case_study_ids=tuple(pk for pk, _ in case_studies),
            group_ids=tuple(pk for pk, _ in groups),
            question_ids=tuple(pk for pk, _ in questions),
            phase_kinds=tuple(kind for kind, _ in phases),
            quotations_per_question=paper.quotations_per_question,
            key_quotes_first=paper.key_quotes_first,
            include_tables=paper.include_tables,
            include_charts=paper.include_charts,
            question_tables=paper.question_tables,
            include_appendices=paper.include_appendices,
            pinned=tuple((question, excerpt) for question, excerpt, choice in choices if choice == "pin"),
            excluded=tuple((question, excerpt) for question, excerpt, choice in choices if choice == "exclude"),
            template=paper.template,
        )
        scope = [
            (
                f"{len(case_studies)} case stud{'y' if len(case_studies) == 1 else 'ies'}"
                if case_studies
                else "all case studies"
            ),
            _selection_label(groups, questions),
            ", ".join(title for _, title in phases) if phases else "all phases",
        ]
        choices_made = [f"{len(options.pinned)} pinned, {len(options.excluded)} excluded"] if choices else []
        if options.is_briefing:
            # A briefing's own shape, whatever the working-paper options say: one quotation at most per question, no
            # tables, charts or appendices.
            briefing = dataclasses.replace(
                options,
                quotations_per_question=1,
                include_tables=False,
                include_charts=False,
                question_tables=False,
                include_appendices=False,
            )
            summary = ["briefing", *scope, "one quotation per question", *choices_made]
            return dataclasses.replace(briefing, summary="; ".join(summary))
        parts = [
            *scope,
            f"{paper.quotations_per_question} quotation{'s' if paper.quotations_per_question != 1 else ''} "
            "per question",
        ]
        if paper.key_quotes_first:
            parts.append("key quotes first")
        parts.extend(choices_made)
        parts.append("tables" if paper.include_tables else "no tables")
        parts.append("charts" if paper.include_charts else "no charts")
        if paper.question_tables:
            parts.append("tables per question")
        parts.append("appendices" if paper.include_appendices else "no appendices")
        return cls.from_snapshot({**options.to_snapshot(), "summary": "; ".join(parts)})

    def to_snapshot(self) -> dict:
        return {
            "case_study_ids": list(self.case_study_ids),
            "group_ids": list(self.group_ids),
            "question_ids": list(self.question_ids),
            "phase_kinds": list(self.phase_kinds),
            "quotations_per_question": self.quotations_per_question,
            "key_quotes_first": self.key_quotes_first,
            "include_tables": self.include_tables,
            "include_charts": self.include_charts,
            "question_tables": self.question_tables,
            "include_appendices": self.include_appendices,
            "pinned": [list(pair) for pair in self.pinned],
            "excluded": [list(pair) for pair in self.excluded],
            "template": self.template,
            "summary": self.summary,
        }

    @classmethod
    def from_snapshot(cls, data: dict) -> PaperOptions:
        return cls(
            case_study_ids=tuple(data.get("case_study_ids", ())),
            group_ids=tuple(data.get("group_ids", ())),
            question_ids=tuple(data.get("question_ids", ())),
            phase_kinds=tuple(data.get("phase_kinds", ())),
            quotations_per_question=int(data.get("quotations_per_question", 5)),
            key_quotes_first=bool(data.get("key_quotes_first", True)),
            include_tables=bool(data.get("include_tables", True)),
            include_charts=bool(data.get("include_charts", True)),
            question_tables=bool(data.get("question_tables", False)),
            include_appendices=bool(data.get("include_appendices", True)),
            pinned=tuple((int(q), int(e)) for q, e in data.get("pinned", ())),
            excluded=tuple((int(q), int(e)) for q, e in data.get("excluded", ())),
            template=str(data.get("template", PaperTemplate.WORKING_PAPER)),
            summary=str(data.get("summary", "")),
        )


def _selection_label(groups: list[tuple[int, str]], questions: list[tuple[int, str]]) -> str:
    if not groups and not questions:
        return "all questions"
    parts = [title for _, title in groups] + [label or f"question {pk}" for pk, label in questions]
    return "questions: " + ", ".join(parts)


@dataclass
class Quotation:
    excerpt_id: int
    paragraphs: list[str]
    attribution: str
    reference: str
    is_key_quote: bool
    interview_id: int = 0
    start: int = 0
    end: int = 0
    # The number of the question it is quoted under ("4.2"): where a later question that it supports too cites it.
    number: str = ""
    # Every coded passage it quotes: adjacent sentences chosen for different places are quoted once, together.
    excerpt_ids: list[int] = field(default_factory=list)
    # The participant whose words it quotes: the build records it, so that a later withdrawal finds the file.
    person_ids: list[int] = field(default_factory=list)
    is_pinned: bool = False

    @property
    def is_short(self) -> bool:
        """Short enough that splitting it across two pages would leave a line or two on each: kept whole."""
        return sum(len(paragraph) for paragraph in self.paragraphs) <= SHORT_QUOTATION_CHARS


@dataclass
class Candidate:
    """A passage coded for a question, as a lead choosing the paper's quotations sees it: as the paper would quote it,
    and whether it does, under this question or another."""

    excerpt_id: int
    source: str
    quotation: Quotation
    is_key_quote: bool
    is_pinned: bool
    is_excluded: bool
    too_short: bool
    # The number of the question the paper quotes it under ("3.1"), if it does.
    quoted_under: str = ""


@dataclass
class SourceQuotations:
    """The quotations of one question from one case study (or from the scoping interviews), woven in together."""

    title: str
    quotations: list[Quotation]


@dataclass
class FrequencyTable:
    columns: list[str]
    colours: list[str]
    rows: list[tuple[str, list[int], int]]
    totals: list[int]
    grand_total: int
    has_overlaps: bool
    # What a passage counted in several columns means here; shown beneath the table where that happens.
    overlap_note: str = (
        "A passage with several of these codes counts under each; the last column counts each passage once."
    )


@dataclass
class QuestionSection:
    number: str
    anchor: str
    label: str
    text: str
    narrative_html: str
    code_names: list[str]
    # The question's passages by case study and code: in the appendix of tables per question, where chosen.
    table: FrequencyTable | None
    sources: list[SourceQuotations] = field(default_factory=list)
    # Passages that support this question too, quoted under an earlier one: cited, not quoted twice.
    cross_references: list[Quotation] = field(default_factory=list)
    passage_count: int = 0
    interview_count: int = 0
    case_study_count: int = 0
    other_interview_count: int = 0
    # What the interviews outside any case study are: "scoping interview", or "interview" where phases mix.
    other_label: str = "scoping interview"
    quotation_count: int = 0
    pk: int = 0
    pinned_count: int = 0
    excluded_count: int = 0

    # Its table's number in the appendix of tables per question ("A.3"), where the paper has that appendix.
    table_number: str = ""

    @property
    def heading(self) -> str:
        return f"{self.label} {self.text}".strip()

    @property
    def table_label(self) -> str:
        return f"Table {self.table_number}"

    @property
    def table_caption(self) -> str:
        return f"{self.table_label}: {self.number} {self.heading}: coded passages by case study and code"

    @property
    def evidence(self) -> str:
        """The one sentence on the evidence behind the quotations: "From 124 coded passages in 9 interviews in 4 case
        studies (codes: Drivers, Funding)." The same in every format."""
        if not self.code_names:
            return "No codes are linked to this question yet."
        codes = ", ".join(self.code_names)
        if not self.passage_count:
            return (
                f"No passages are coded for this question in the chosen case studies and phases yet (codes: {codes})."
            )
        places = []
        in_case_studies = self.interview_count - self.other_interview_count
        if self.case_study_count:
            case_studies = _count(self.case_study_count, "case study", "case studies")
            places.append(f"{_count(in_case_studies, 'interview')} in {case_studies}")
        if self.other_interview_count:
            places.append(_count(self.other_interview_count, self.other_label))
        quoted = (
            f"{self.quotation_count} quoted here"
            if self.quotation_count
            else "none of them quoted here" + (" (see below)" if self.cross_references else "")
        )
        return (
            f"From {_count(self.passage_count, 'coded passage')} in {' and '.join(places)} (codes: {codes}); {quoted}."
        )

    @property
    def cross_reference_text(self) -> str:
        """The sentence citing them, by the question each is quoted under: "See also the passages quoted under 3.1
        (Chief executive, …, Case study A; Board member, …, Case study B) and 4.2 (…)"."""
        if not self.cross_references:
            return ""
        by_number: dict[str, list[str]] = {}
        for quotation in sorted(
            self.cross_references, key=lambda q: tuple(int(n) for n in q.number.split(".") if n.isdigit())
        ):
            by_number.setdefault(quotation.number, []).append(quotation.attribution)
        cited = [f"{number} ({'; '.join(attributions)})" for number, attributions in by_number.items()]
        joined = cited[0] if len(cited) == 1 else ", ".join(cited[:-1]) + " and " + cited[-1]
        plural = "s" if len(self.cross_references) != 1 else ""
        return f"{'See also' if self.sources else 'See'} the passage{plural} quoted under {joined}."


def _count(number: int, singular: str, plural: str = "") -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


@dataclass
class GroupSection:
    number: str
    anchor: str
    title: str
    is_emerging: bool
    narrative_html: str
    questions: list[QuestionSection]
    # The evidence for the group's questions by case study: one table and one chart per group, where chosen.
    overview: FrequencyTable | None = None

    @property
    def table_label(self) -> str:
        return f"Table {self.number}.1"

    @property
    def table_caption(self) -> str:
        return f"{self.table_label}: {self.title}: coded passages by case study and question"

    @property
    def figure_caption(self) -> str:
        return f"Figure {self.number}.1: {self.title}: coded passages by case study and question"


@dataclass
class PhaseSummary:
    title: str
    period: str
    dates: str
    description: str
    interview_count: int


@dataclass
class CaseStudyRow:
    title: str
    lead: str
    sector: str
    region: str
    forms: str
    interview_count: int
    focus: str


@dataclass
class CodebookEntry:
    depth: int
    name: str
    definition: str
    questions: str
    passage_count: int
    is_archived: bool


@dataclass
class SourceRow:
    """One interview quoted, as the appendix of interviews lists it: "A3", the case study, who, and when."""

    reference: str
    source: str
    phase: str
    date: str
    speakers: str
    quotation_count: int
    roles: str = ""
    organisation_kinds: str = ""


@dataclass
class ContentsEntry:
    number: str
    title: str
    anchor: str
    level: int

    @property
    def is_appendix(self) -> bool:
        return self.number.startswith("Appendix")


@dataclass
class AssembledPaper:
    title: str
    running_title: str
    series_label: str
    authors: str
    date: datetime.date
    centre: str
    project_title: str
    abstract_html: str
    introduction_html: str
    methods_note_html: str
    conclusions_html: str
    phases: list[PhaseSummary]
    case_study_rows: list[CaseStudyRow]
    groups: list[GroupSection]
    codebook: list[CodebookEntry]
    sources: list[SourceRow]
    options: PaperOptions
    passage_count: int
    quotation_count: int
    withheld_count: int
    interview_count: int
    numbers: dict[str, str]
    contents: list[ContentsEntry]
    withheld_reasons: dict[Withheld, int] = field(default_factory=dict)
    key_findings_html: str = ""
    keywords: list[str] = field(default_factory=list)
    acknowledgements_html: str = ""
    quoted_excerpt_ids: list[int] = field(default_factory=list)
    quoted_participant_ids: list[int] = field(default_factory=list)
    # The project's policy: a quotation may leave out its speaker's opening fillers, marked […].
    may_omit_fillers: bool = True
    implications_html: str = ""
    # The works the texts cite, formatted author–date: HTML with emphasis only.
    references: list[str] = field(default_factory=list)
    # The series' apparatus (`PaperSeries`): its ISSN and copyright line, and the back page about the centre.
    issn: str = ""
    copyright_line: str = ""
    about_centre_html: str = ""
    funders: str = ""
    contact: str = ""
    # Assembled for choosing one question's quotations: its passages, how many more there are, how many are withheld.
    candidates: list[Candidate] = field(default_factory=list)
    candidates_hidden: int = 0
    candidates_withheld: int = 0

    @property
    def has_back_page(self) -> bool:
        return any((self.issn, self.copyright_line, self.about_centre_html, self.funders, self.contact))

    @property
    def questions(self) -> list[QuestionSection]:
        return [question for group in self.groups for question in group.questions]

    @property
    def question_tables(self) -> list[tuple[str, QuestionSection]]:
        """The appendix of tables per question: each question with a table, and its table's number ("A.3")."""
        return [(question.table_number, question) for question in self.questions if question.table_number]

    @property
    def quotation_method(self) -> str:
        """How the quotations were chosen and shaped, for the methods chapter; the same in every format."""
        options = self.options
        each = options.quotations_per_question
        order = []
        if options.pinned:
            order.append("those the authors chose first")
        if options.key_quotes_first:
            order.append("passages marked as key quotes")
        order.append("as many case studies, speakers and kinds of organisation as the coding allows")
        fillers = '; words left out at its start ("Um", "Well") are marked […]' if self.may_omit_fillers else ""
        return (
            f"This draft draws on {_count(self.passage_count, 'coded passage')} from "
            f"{_count(self.interview_count, 'interview')}, gathered under each research question through the codes "
            f"linked to it. Under each question up to {_count(each, 'passage')} {'is' if each == 1 else 'are'} quoted, "
            f"{', then '.join(order)}; {_count(self.quotation_count, 'quotation')} in all. A quotation gives whole "
            f"sentences of one participant's turn{fillers}. Participants are named by pseudonym or by role, never by "
            "name; each quotation gives the speaker's role, the kind of organisation and the case study, and a "
            "reference to the interview (listed in the appendix of interviews quoted). A passage that supports more "
            "than one question is quoted once and cited where it comes again."
        )

    @property
    def case_studies_pointer(self) -> str:
        """Where the methods send the reader for the case studies, when an appendix describes them (else "")."""
        letter = self.numbers.get("appendix_case_studies")
        if not letter:
            return ""
        count = len(self.case_study_rows)
        described = "is described" if count == 1 else "are described"
        return f"The {_count(count, 'case study', 'case studies')} {described} in Appendix {letter}."

    @property
    def briefing_method(self) -> str:
        """What a briefing draws on, for its closing "About this briefing"; the same in every format."""
        titles = [row.title for row in self.case_study_rows]
        where = ""
        if titles:
            listed = titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1]
            where = f" in {_count(len(titles), 'case study', 'case studies')} ({listed})"
        fillers = "; words left out at its start are marked […]" if self.may_omit_fillers else ""
        return (
            f"This briefing draws on {_count(self.passage_count, 'coded passage')} from "
            f"{_count(self.interview_count, 'interview')}{where}, gathered under each research question through the "
            f"codes linked to it. Each quotation gives whole sentences of one participant's turn{fillers}; "
            "participants are named by pseudonym or by role, never by name."
        )

    @property
    def withheld_statement(self) -> str:
        """The paper's one sentence on what it did not quote, and why; the same in every format."""
        count = self.withheld_count
        if not count:
            return "No passages were withheld: every participant quoted consented to be quoted."
        were = "were" if count != 1 else "was"
        no_consent = self.withheld_reasons.get(Withheld.NO_CONSENT, 0)
        if no_consent == count:
            passages = f"{count} coded passage{'s' if count != 1 else ''}"
            return f"{passages} from participants who did not consent to be quoted {were} withheld."
        reasons = []
        if no_consent:
            reasons.append(f"{no_consent} with words of a participant who did not consent to be quoted")
        unknown = self.withheld_reasons.get(Withheld.NOT_ON_RECORD, 0)
        if unknown:
            reasons.append(f"{unknown} with words whose speaker is not on record")
        other = count - no_consent - unknown
        if other:
            reasons.append(f"{other} with no words of a participant")
        return f"{count} coded passage{'s' if count != 1 else ''} {were} withheld: " + "; ".join(reasons) + "."


def source_key_of(interview: dict) -> str:
    """The source an interview is heard under in the paper: its case study ("cs4"), else its fieldwork phase."""
    if interview["case_study_id"] is not None:
        return f"cs{interview['case_study_id']}"
    return f"phase-{interview['phase']}"
