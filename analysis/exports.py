"""Excerpt exports: every excerpt with its codes, interview, case study, speaker, coder, memo and offsets.

The speakers are every participant whose words the excerpt contains, named by pseudonym (or by role only,
where that is the participant's anonymity level), never by real name. The text of an excerpt that may not be
quoted (`disclosure.speakers`) is withheld, and the export says how many were and why. The file passes
through the project's redaction when it is written (`analysis.tabular`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, QuerySet
from django.utils import timezone

from casestudies.models import PhaseKind, ResearchProject, Sector
from coding.models import Excerpt, ExcerptCode
from coding.selectors import CodeCounts, code_links, codebook_counts, codes_in_tree_order
from disclosure.speakers import Withheld, withheld_summary

from .selectors import attribute_excerpts
from .tabular import Sheet

WITHHELD = {
    Withheld.NO_CONSENT: "[Withheld: a participant has not consented to be quoted]",
    Withheld.NOT_ON_RECORD: "[Withheld: the speaker is not on record]",
    Withheld.NO_WORDS: "[Withheld: no participant's words]",
}
HEADER = [
    "Excerpt ID",
    "Case study",
    "Interview",
    "Interview date",
    "Phase",
    "Participant",
    "Participant role",
    "Organisation kind",
    "Sector",
    "Consent to quote",
    "Coder",
    "Codes",
    "Text",
    "Memo",
    "Key quote",
    "Start",
    "End",
    "Created",
]
WIDTHS = [10, 30, 36, 14, 12, 16, 28, 24, 14, 10, 20, 40, 80, 40, 9, 9, 9, 17]


@dataclass
class ExcerptExport:
    project: ResearchProject
    header: list[str] = field(default_factory=lambda: list(HEADER))
    rows: list[list] = field(default_factory=list)
    withheld_reasons: dict[Withheld, int] = field(default_factory=dict)

    @property
    def withheld(self) -> int:
        return sum(self.withheld_reasons.values())

    @property
    def summary(self) -> str:
        count = len(self.rows)
        text = f"{count} excerpt{'' if count == 1 else 's'}"
        if self.withheld:
            text += f"; the text of {self.withheld} was withheld: {withheld_summary(self.withheld_reasons)}"
        return text + "."

    def sheets(self, *, filters: str = "") -> list[Sheet]:
        about = [
            ["Project", self.project.title],
            ["Exported", timezone.now()],
            ["Excerpts", len(self.rows)],
            ["Texts withheld", withheld_summary(self.withheld_reasons) or 0],
        ]
        if filters:
            about.append(["Filters", filters])
        about.append(["Note", "Participants appear by pseudonym or by role; real names are never exported."])
        return [
            Sheet("Excerpts", self.header, self.rows, widths=WIDTHS, wrap=True),
            Sheet("About this export", ["", ""], about, widths=[36, 80]),
        ]


def export_excerpts(
    project: ResearchProject, excerpts: QuerySet[Excerpt], *, keep: set[int] | None = None
) -> ExcerptExport:
    """Rows for the given excerpts of the project (only those in `keep`, when it is given), in reading order."""
    excerpts = excerpts.filter(interview__project=project)
    paths = {code.pk: path for code, _, path in codes_in_tree_order(project)}
    codes: dict[int, list[str]] = {}
    links = ExcerptCode.objects.filter(excerpt__in=excerpts.order_by().values("pk")).values_list(
        "excerpt_id", "code_id"
    )
    for excerpt_id, code_id in links:
        codes.setdefault(excerpt_id, []).append(paths.get(code_id, ""))
    records = list(
        excerpts.order_by(
            F("interview__case_study__order").asc(nulls_last=True),
            F("interview__case_study__title").asc(nulls_last=True),
            F("interview__date").asc(nulls_last=True),
            "interview_id",
            "start",
            "pk",
        ).values_list(
            "pk",
            "interview_id",
            "interview__title",
            "interview__date",
            "interview__phase",
            "interview__case_study__title",
            "coded_by__first_name",
            "coded_by__last_name",
            "coded_by__username",
            "start",
            "end",
            "text",
            "memo",
            "is_key_quote",
            "created_at",
        )
    )
    if keep is not None:
        records = [record for record in records if record[0] in keep]
    passages = attribute_excerpts((record[0], record[1], record[9], record[10]) for record in records)
    phases = dict(PhaseKind.choices)
    sectors = dict(Sector.choices)
    export = ExcerptExport(project=project)
    for (
        pk,
        _interview_id,
        interview_title,
        interview_date,
        phase,
        case_study_title,
        first_name,
        last_name,
        username,
        start,
        end,
        text,
        memo,
        is_key_quote,
        created_at,
    ) in records:
        passage = passages[pk]
        people = passage.people
        quotable = passage.may_quote
        if not quotable:
            export.withheld_reasons[passage.withheld] = export.withheld_reasons.get(passage.withheld, 0) + 1
        export.rows.append(
            [
                pk,
                case_study_title or "",
                interview_title,
                interview_date,
                phases.get(phase, phase),
                "; ".join(person.output_name for person in people if person.output_name),
                "; ".join(person.role_title for person in people if person.role_title),
                "; ".join(sorted({person.organisation_kind for person in people if person.organisation_kind})),
                "; ".join(sorted({sectors.get(person.organisation_sector, "") for person in people} - {""})),
                quotable,
                f"{first_name} {last_name}".strip() or username,
                "; ".join(sorted(codes.get(pk, []))),
                text if quotable else WITHHELD[passage.withheld],
                memo,
                is_key_quote,
                start,
                end,
                created_at,
            ]
        )
    return export


CODEBOOK_HEADER = [
    "Path",
    "Code",
    "Parent",
    "Level",
    "Definition",
    "Colour",
    "Research questions",
    "Tags",
    "Heading only",
    "Archived",
    "Excerpts",
    "Interviews",
    "Case studies",
    "Excerpts with sub-codes",
    "Interviews with sub-codes",
    "Case studies with sub-codes",
]
CODEBOOK_WIDTHS = [48, 28, 28, 7, 60, 9, 20, 20, 9, 9, 10, 10, 12, 12, 12, 12]


@dataclass
class CodebookEntry:
    code: object
    depth: int
    path: str
    parent: str
    questions: str
    tags: str
    # The code's own counts, and with its sub-codes (distinct excerpts, interviews and case studies).
    counts: CodeCounts
    rolled_up: CodeCounts
    definition: str = ""


def codebook_entries(user, project: ResearchProject) -> list[CodebookEntry]:
    """The codebook in tree order with each code's links and its counts over what the user may see."""
    counts = codebook_counts(user=user, project=project)
    links = code_links(project)
    names = {}
    entries = []
    for code, depth, path in codes_in_tree_order(project):
        names[code.pk] = code.name
        linked = links.get(code.pk)
        entries.append(
            CodebookEntry(
                code=code,
                depth=depth,
                path=path,
                parent=names.get(code.parent_id, "") if code.parent_id else "",
                questions=", ".join(q.short_label or q.text for q in linked.questions) if linked else "",
                tags=", ".join(linked.tags) if linked else "",
                counts=counts.own.get(code.pk, CodeCounts()),
                rolled_up=counts.rolled_up.get(code.pk, CodeCounts()),
                definition=code.definition,
            )
        )
    return entries


def codebook_rows(entries: list[CodebookEntry]) -> list[list]:
    return [
        [
            entry.path,
            entry.code.name,
            entry.parent,
            entry.depth + 1,
            entry.definition,
            entry.code.colour,
            entry.questions,
            entry.tags,
            not entry.code.is_codable,
            entry.code.is_archived,
            entry.counts.excerpts,
            entry.counts.interviews,
            entry.counts.case_studies,
            entry.rolled_up.excerpts,
            entry.rolled_up.interviews,
            entry.rolled_up.case_studies,
        ]
        for entry in entries
    ]
