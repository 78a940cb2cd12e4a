"""The working paper as a rendering reads it: the options a build is made with, and what the paper holds (its
sections, quotations, tables and appendices). Plain data, read by the HTML, PDF and Word renderings alike;
nothing here assembles or draws."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from disclosure.speakers import Withheld

from .models import WorkingPaper

# A quotation up to this many characters (about six printed lines) is never split across pages.
SHORT_QUOTATION_CHARS = 480


@dataclass(frozen=True)
class PaperOptions:
    """What a build includes: the lead's selection and options, frozen when the build is asked for."""

    case_study_ids: tuple[int, ...] = ()
    group_ids: tuple[int, ...] = ()
    question_ids: tuple[int, ...] = ()
    phase_kinds: tuple[str, ...] = ()
    quotes_per_case_study: int = 3
    key_quotes_first: bool = True
    include_tables: bool = True
    include_charts: bool = True
    include_appendices: bool = True
    summary: str = ""

    @classmethod
    def from_paper(cls, paper: WorkingPaper) -> PaperOptions:
        case_studies = list(paper.case_studies.order_by("order", "title").values_list("id", "title"))
        groups = list(paper.question_groups.order_by("order", "id").values_list("id", "title"))
        questions = list(paper.questions.in_order().values_list("id", "short_label"))
        phases = list(paper.phases.order_by("starts_on").values_list("kind", "title"))
        options = cls(
            case_study_ids=tuple(pk for pk, _ in case_studies),
            group_ids=tuple(pk for pk, _ in groups),
            question_ids=tuple(pk for pk, _ in questions),
            phase_kinds=tuple(kind for kind, _ in phases),
            quotes_per_case_study=paper.quotes_per_case_study,
            key_quotes_first=paper.key_quotes_first,
            include_tables=paper.include_tables,
            include_charts=paper.include_charts,
            include_appendices=paper.include_appendices,
        )
        parts = [
            (
                f"{len(case_studies)} case stud{'y' if len(case_studies) == 1 else 'ies'}"
                if case_studies
                else "all case studies"
            ),
            _selection_label(groups, questions),
            ", ".join(title for _, title in phases) if phases else "all phases",
            f"{paper.quotes_per_case_study} quotation{'s' if paper.quotes_per_case_study != 1 else ''} "
            "per question per case study",
        ]
        if paper.key_quotes_first:
            parts.append("key quotes first")
        parts.append("tables" if paper.include_tables else "no tables")
        parts.append("charts" if paper.include_charts else "no charts")
        parts.append("appendices" if paper.include_appendices else "no appendices")
        return cls.from_snapshot({**options.to_snapshot(), "summary": "; ".join(parts)})

    def to_snapshot(self) -> dict:
        return {
            "case_study_ids": list(self.case_study_ids),
            "group_ids": list(self.group_ids),
            "question_ids": list(self.question_ids),
            "phase_kinds": list(self.phase_kinds),
            "quotes_per_case_study": self.quotes_per_case_study,
            "key_quotes_first": self.key_quotes_first,
            "include_tables": self.include_tables,
            "include_charts": self.include_charts,
            "include_appendices": self.include_appendices,
            "summary": self.summary,
        }

    @classmethod
    def from_snapshot(cls, data: dict) -> PaperOptions:
        return cls(
            case_study_ids=tuple(data.get("case_study_ids", ())),
            group_ids=tuple(data.get("group_ids", ())),
            question_ids=tuple(data.get("question_ids", ())),
            phase_kinds=tuple(data.get("phase_kinds", ())),
            quotes_per_case_study=int(data.get("quotes_per_case_study", 3)),
            key_quotes_first=bool(data.get("key_quotes_first", True)),
            include_tables=bool(data.get("include_tables", True)),
            include_charts=bool(data.get("include_charts", True)),
            include_appendices=bool(data.get("include_appendices", True)),
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
    # "3.4": the fourth quotation of chapter 3, set when the paper is numbered; later questions cite it by this.
    number: str = ""

    @property
    def is_short(self) -> bool:
        """Short enough that splitting it across two pages would leave a line or two on each: kept whole."""
        return sum(len(paragraph) for paragraph in self.paragraphs) <= SHORT_QUOTATION_CHARS


@dataclass
class CaseStudyEvidence:
    number: str
    anchor: str
    title: str
    quotations: list[Quotation]
    passage_count: int
    withheld_count: int
    # Passages chosen for this question that an earlier question quotes already: cited, not quoted again.
    cross_references: list[Quotation] = field(default_factory=list)


@dataclass
class FrequencyTable:
    columns: list[str]
    colours: list[str]
    rows: list[tuple[str, list[int], int]]
    totals: list[int]
    grand_total: int
    has_overlaps: bool


@dataclass
class QuestionSection:
    number: str
    anchor: str
    label: str
    text: str
    narrative_html: str
    code_names: list[str]
    table: FrequencyTable | None
    case_studies: list[CaseStudyEvidence] = field(default_factory=list)
    passage_count: int = 0
    withheld_count: int = 0
    quotation_count: int = 0

    @property
    def heading(self) -> str:
        return f"{self.label} {self.text}".strip()


@dataclass
class GroupSection:
    number: str
    anchor: str
    title: str
    is_emerging: bool
    narrative_html: str
    questions: list[QuestionSection]


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

    @property
    def questions(self) -> list[QuestionSection]:
        return [question for group in self.groups for question in group.questions]

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
