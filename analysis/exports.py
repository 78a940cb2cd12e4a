"""Excerpt exports: every excerpt with its codes, interview, case study, speaker, coder, memo and offsets.

The speaker is named by pseudonym (or by role only, where that is the participant's anonymity level), never
by real name. The text of an excerpt whose speaker has not consented to be quoted is withheld, and the
export says how many were.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, QuerySet
from django.utils import timezone

from casestudies.models import PhaseKind, ResearchProject, Sector
from coding.models import Excerpt, ExcerptCode
from coding.selectors import codes_in_tree_order

from .selectors import attribute_excerpts
from .tabular import Sheet

WITHHELD = "[Withheld: the participant has not consented to be quoted]"
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
    withheld: int = 0

    @property
    def summary(self) -> str:
        count = len(self.rows)
        text = f"{count} excerpt{'' if count == 1 else 's'}"
        if self.withheld:
            text += f"; the text of {self.withheld} was withheld because the participant has not consented to be quoted"
        return text + "."

    def sheets(self, *, filters: str = "") -> list[Sheet]:
        about = [
            ["Project", self.project.title],
            ["Exported", timezone.now()],
            ["Excerpts", len(self.rows)],
            ["Texts withheld (no consent to quote)", self.withheld],
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
    attribution = attribute_excerpts((record[0], record[1], record[9]) for record in records)
    phases = dict(PhaseKind.choices)
    sectors = dict(Sector.choices)
    export = ExcerptExport(project=project)
    for (
        pk,
        interview_id,
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
        participant = attribution.participant_of(pk)
        quotable = attribution.may_quote(pk, interview_id)
        if not quotable:
            export.withheld += 1
        export.rows.append(
            [
                pk,
                case_study_title or "",
                interview_title,
                interview_date,
                phases.get(phase, phase),
                participant.output_name if participant else "",
                participant.role_title if participant else "",
                participant.organisation_kind if participant else "",
                sectors.get(participant.sector, "") if participant else "",
                quotable,
                f"{first_name} {last_name}".strip() or username,
                "; ".join(sorted(codes.get(pk, []))),
                text if quotable else WITHHELD,
                memo,
                is_key_quote,
                start,
                end,
                created_at,
            ]
        )
    return export
