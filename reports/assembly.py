"""Assembling a working paper from the records and the coding: read-only, and independent of how it is rendered
(the charts are drawn by the renderings that show them).

For each research question, in group order: the passages coded with the codes linked to it (and their
sub-codes), within the chosen case studies and phases, grouped by case study, the best few quoted in the
participants' words. Who said a passage decides whether it may be quoted; a passage whose speaker did not
consent is withheld and counted.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Callable

import pandas as pd

from casestudies.models import CaseStudy, FieldworkPhase, Interview, PhaseKind, QuestionGroup, ResearchQuestion
from coding.colours import palette_colours
from coding.models import Code, Excerpt, ExcerptCode
from coding.tree import CodeTree, self_and_ancestors
from disclosure.passages import PassageReader
from disclosure.redaction import Redactor, redactor_for
from disclosure.speakers import Person, plain_kind

from .markup import render_markdown
from .models import PaperSeries, WorkingPaper
from .paper import (
    AssembledPaper,
    Candidate,
    CaseStudyRow,
    CodebookEntry,
    ContentsEntry,
    FrequencyTable,
    GroupSection,
    PaperOptions,
    PhaseSummary,
    QuestionSection,
    Quotation,
    SourceQuotations,
    SourceRow,
    source_key_of,
)
from .quotations import Shaper, Stretch, choose_quotations, coded_passages, make_quotation, withheld_reasons
from .references import References

# A frequency table stays legible on A4 with this many code columns; the rest are summed into one.
MAX_TABLE_CODES = 6
# A lead choosing a question's quotations sees at most this many of the passages the paper does not quote yet.
MAX_CANDIDATES = 60


def assemble_paper(
    paper: WorkingPaper,
    *,
    reader,
    options: PaperOptions | None = None,
    candidates_for: int | None = None,
) -> AssembledPaper:
    """Everything a rendering needs, gathered in a fixed number of queries.

    `reader` is the user the paper is assembled for: only the excerpts within their reach are counted and quoted
    (blind coding applied). `None` assembles it for the project as a whole, as an admin would read it (the
    command line). `candidates_for`, a research question's id, adds that question's passages as a lead choosing its
    quotations sees them (`AssembledPaper.candidates`).
    """
    options = options or PaperOptions.from_paper(paper)
    project = paper.project

    questions = questions_in_scope(project, options)
    phases = list(FieldworkPhase.objects.filter(project=project).order_by("starts_on"))
    phase_kinds = set(options.phase_kinds) or {choice.value for choice in PhaseKind}
    case_studies = list(
        CaseStudy.objects.filter(
            project=project, **({"pk__in": options.case_study_ids} if options.case_study_ids else {})
        )
        .order_by("order", "title")
        .prefetch_related("forms_of_partnership")
    )
    case_study_ids = {case_study.pk for case_study in case_studies}
    in_scope = Interview.objects.filter(project=project, phase__in=phase_kinds)
    if reader is not None:
        in_scope = in_scope.filter(pk__in=Interview.objects.visible_to(reader).values("pk"))
    # A paper that names its case studies hears interviews outside any case study (scoping, workshops) only from
    # the phases it names too: "a briefing from two case studies" quotes those two.
    outside = set(options.phase_kinds) if options.case_study_ids else phase_kinds
    interviews = {
        row["id"]: row
        for row in in_scope.values("id", "case_study_id", "phase", "date").order_by("date", "id")
        if (row["case_study_id"] is None and row["phase"] in outside) or row["case_study_id"] in case_study_ids
    }
    redactor = redactor_for(project)
    works = References.saved(paper.references)

    def text(markdown: str) -> str:
        return render_markdown(works.cite(markdown), redactor=redactor)

    codes = list(Code.objects.filter(project=project).order_by("order", "name"))
    links = list(
        Code.research_questions.through.objects.filter(code__project=project).values_list(
            "code_id", "researchquestion_id"
        )
    )
    codes_by_question = _codes_by_question(codes, links)

    relevant_code_ids = {code_id for ids in codes_by_question.values() for code_id in ids}
    excerpt_links = ExcerptCode.objects.filter(
        excerpt__interview_id__in=list(interviews), code_id__in=relevant_code_ids
    )
    if reader is not None:
        excerpt_links = excerpt_links.filter(excerpt__in=Excerpt.objects.visible_to(reader).values("pk"))
    coded = pd.DataFrame.from_records(
        excerpt_links.values_list(
            "excerpt_id",
            "code_id",
            "excerpt__interview_id",
            "excerpt__start",
            "excerpt__end",
            "excerpt__is_key_quote",
        ),
        columns=["excerpt_id", "code_id", "interview_id", "start", "end", "is_key_quote"],
    )
    passage_reader = PassageReader(coded["interview_id"].unique().tolist() if len(coded) else [])
    passages, readings = coded_passages(coded, interviews, passage_reader)

    source_titles = _source_titles(case_studies, phases)
    case_study_order = {case_study.pk: index for index, case_study in enumerate(case_studies)}
    code_by_id = {code.pk: code for code in codes}
    narratives = dict(paper.question_narratives.values_list("question_id", "text"))
    shaper = Shaper(passage_reader)
    quoted: dict[int, list[Stretch]] = defaultdict(list)
    sections: list[tuple[QuestionSection, pd.DataFrame, list[Stretch], list[Stretch]]] = []
    for question in questions:
        code_ids = codes_by_question.get(question.pk, [])
        section = QuestionSection(
            number="",
            anchor=f"q{question.pk}",
            label=question.short_label,
            text=question.text,
            pk=question.pk,
            pinned_count=sum(1 for q, _ in options.pinned if q == question.pk),
            excluded_count=sum(1 for q, _ in options.excluded if q == question.pk),
            narrative_html=text(narratives.get(question.pk, "")),
            code_names=[code_by_id[pk].name for pk in code_ids],
            table=None,
        )
        rows = coded[coded["code_id"].isin(code_ids)]
        question_passages = passages.loc[rows["excerpt_id"].unique()]
        chosen: list[Stretch] = []
        cited: list[Stretch] = []
        if len(rows):
            if options.question_tables:
                section.table = _frequency_table(rows, passages, code_ids, code_by_id, source_titles, case_study_order)
            _count_evidence(section, question_passages)
            chosen, cited = choose_quotations(
                question_passages,
                options,
                question_id=question.pk,
                readings=readings,
                shaper=shaper,
                quoted=quoted,
            )
        sections.append((section, question_passages, chosen, cited))

    # Coding goes on while a paper builds: an excerpt chosen above may have been deleted since, and is left out.
    chosen_ids = {pk for _, _, chosen, _ in sections for stretch in chosen for pk in stretch.excerpt_ids}
    existing = set(Excerpt.objects.filter(pk__in=chosen_ids).values_list("id", flat=True))
    letters = _source_letters(case_studies)
    quotation_counts: dict[int, int] = defaultdict(int)
    quoted_people: set[int] = set()
    quotation_of: dict[Stretch, Quotation] = {}
    for section, _, chosen, _ in sections:
        by_source: dict[str, list[Quotation]] = defaultdict(list)
        for stretch in chosen:
            stretch.excerpt_ids = [pk for pk in stretch.excerpt_ids if pk in existing]
            if not stretch.excerpt_ids:
                continue
            quotation = make_quotation(
                stretch,
                passage_reader,
                redactor,
                source=_source_credit(stretch.source_key, letters),
                may_omit_fillers=project.quotations_may_omit_fillers,
            )
            if quotation is None:
                continue
            quotation_of[stretch] = quotation
            by_source[stretch.source_key].append(quotation)
            quotation_counts[stretch.interview_id] += 1
            quoted_people.update(quotation.person_ids)
        section.sources = [
            SourceQuotations(title=source_titles[key], quotations=by_source[key])
            for key in sorted(by_source, key=lambda key: _source_sort_key(key, case_study_order))
        ]
        section.quotation_count = sum(len(source.quotations) for source in section.sources)
    for section, _, _, cited in sections:
        section.cross_references = [quotation_of[stretch] for stretch in cited if stretch in quotation_of]
    references = _interview_references(interviews, quotation_counts, letters)
    for quotation in quotation_of.values():
        quotation.reference = references[quotation.interview_id]

    groups = _group_sections(paper, questions, [section for section, *_ in sections], text)
    interview_counts = _interview_counts(interviews)
    assembled = AssembledPaper(
        title=paper.title,
        running_title=paper.running_title,
        series_label=paper.series_label,
        authors=paper.authors,
        date=paper.date,
        centre=project.centre,
        project_title=project.title,
        abstract_html=text(paper.abstract),
        key_findings_html=text(paper.key_findings),
        keywords=_keywords(redactor.redact(paper.keywords)),
        acknowledgements_html=text(paper.acknowledgements),
        introduction_html=text(paper.introduction),
        methods_note_html=text(paper.methods_note),
        conclusions_html=text(paper.conclusions),
        implications_html=text(paper.implications) if options.is_briefing else "",
        phases=[
            PhaseSummary(
                title=phase.title,
                period=phase.period_label,
                dates=_date_range(phase.starts_on, phase.ends_on),
                description=phase.description,
                interview_count=sum(1 for row in interviews.values() if row["phase"] == phase.kind),
            )
            for phase in phases
            if phase.kind in phase_kinds
        ],
        case_study_rows=[
            CaseStudyRow(
                title=case_study.title,
                lead=case_study.lead_researchers,
                sector=case_study.sector,
                region=case_study.region,
                forms=", ".join(sorted(tag.name for tag in case_study.forms_of_partnership.all())),
                interview_count=interview_counts.get(case_study.pk, 0),
                focus=case_study.focus,
            )
            for case_study in case_studies
        ],
        groups=groups,
        codebook=_codebook(codes, links, _passages_per_code(project, interviews, codes), questions)
        if options.include_appendices
        else [],
        sources=_sources(interviews, passage_reader.people, quotation_counts, source_titles, phases, references)
        if options.include_appendices
        else [],
        options=options,
        passage_count=int(passages.shape[0]),
        quotation_count=sum(quotation_counts.values()),
        withheld_count=int((~passages["may_quote"]).sum()) if len(passages) else 0,
        interview_count=len(interviews),
        numbers={},
        contents=[],
        withheld_reasons=withheld_reasons(passages, readings),
        quoted_excerpt_ids=sorted({pk for quotation in quotation_of.values() for pk in quotation.excerpt_ids}),
        quoted_participant_ids=sorted(quoted_people),
        may_omit_fillers=project.quotations_may_omit_fillers,
    )
    assembled.references = [redactor.redact(entry) for entry in works.entries()]
    series = PaperSeries.objects.filter(project=project, name=paper.series).first()
    if series is not None:
        assembled.issn, assembled.copyright_line = series.issn, series.copyright_line
        assembled.about_centre_html = render_markdown(series.about_centre, redactor=redactor)
        assembled.funders, assembled.contact = series.funders, series.contact
    _number_sections(assembled)
    for section, question_passages, _, _ in sections:
        if section.pk == candidates_for:
            assembled.candidates, assembled.candidates_hidden, assembled.candidates_withheld = _candidates(
                section,
                question_passages,
                readings=readings,
                shaper=shaper,
                passage_reader=passage_reader,
                redactor=redactor,
                letters=letters,
                source_titles=source_titles,
                options=options,
                quotation_of=quotation_of,
                may_omit_fillers=project.quotations_may_omit_fillers,
            )
    if options.include_tables or options.include_charts:
        passages_of = {section.anchor: question_passages for section, question_passages, *_ in sections}
        for group in groups:
            group.overview = _overview_table(group, passages_of, source_titles, case_study_order)
    return assembled


def _keywords(text: str) -> list[str]:
    """'Partnership; mergers, consortia' -> ['Partnership', 'mergers', 'consortia'], each once."""
    return list(dict.fromkeys(word.strip() for word in re.split(r"[;,\n]", text) if word.strip()))


def questions_in_scope(project, options: PaperOptions) -> list[ResearchQuestion]:
    """The research questions a paper with these options takes up, in order."""
    questions = ResearchQuestion.objects.filter(group__project=project).in_order()
    if options.group_ids or options.question_ids:
        chosen_groups, chosen_questions = set(options.group_ids), set(options.question_ids)
        return [q for q in questions if q.group_id in chosen_groups or q.pk in chosen_questions]
    return list(questions)


def codes_of_question(question: ResearchQuestion) -> list[int]:
    """The codes whose passages a paper gathers under the question: those linked to it and everything beneath them."""
    codes = list(Code.objects.filter(project_id=question.group.project_id))
    links = list(question.codes.values_list("pk", flat=True))
    return _codes_by_question(codes, [(code_id, question.pk) for code_id in links]).get(question.pk, [])


def _codes_by_question(codes: list[Code], links: list[tuple[int, int]]) -> dict[int, list[int]]:
    """Each question's linked codes and everything beneath them, in codebook order, archived codes left out."""
    tree = CodeTree(codes)
    position = tree.position
    archived = {code.pk for code in codes if code.is_archived}
    result: dict[int, set[int]] = defaultdict(set)
    for code_id, question_id in links:
        if code_id not in archived:
            result[question_id].update(tree.descendants(code_id, active_only=True))
    return {question_id: sorted(ids, key=lambda pk: position.get(pk, 0)) for question_id, ids in result.items()}


def _source_titles(case_studies: list[CaseStudy], phases: list[FieldworkPhase]) -> dict[str, str]:
    titles = {f"phase-{choice.value}": f"{choice.label} interviews" for choice in PhaseKind}
    titles.update({f"phase-{phase.kind}": phase.title for phase in phases})
    titles.update({f"cs{case_study.pk}": case_study.title for case_study in case_studies})
    return titles


def _source_sort_key(source_key: str, case_study_order: dict[int, int]) -> tuple[int, int]:
    """Interviews outside any case study (scoping) first, then the case studies in the project's order."""
    if source_key.startswith("cs"):
        return (1, case_study_order.get(int(source_key[2:]), 0))
    kinds = [choice.value for choice in PhaseKind]
    return (0, kinds.index(source_key.removeprefix("phase-")))


def _source_letters(case_studies: list[CaseStudy]) -> dict[str, str]:
    """The letter each source goes by in attributions and interview references: case studies A, B, C… in the
    paper's order (I and O skipped, S and W kept for scoping and workshop interviews)."""
    alphabet = [letter for letter in "ABCDEFGHJKLMNPQRTUVYZ"]
    letters = {"phase-scoping": "S", "phase-workshop": "W", "phase-case_study": "X"}
    for index, case_study in enumerate(case_studies):
        letter = alphabet[index % len(alphabet)]
        letters[f"cs{case_study.pk}"] = letter * (index // len(alphabet) + 1)
    return letters


def _source_credit(source_key: str, letters: dict[str, str]) -> str:
    if source_key.startswith("cs"):
        return f"Case study {letters[source_key]}"
    kind = source_key.removeprefix("phase-")
    return {"scoping": "scoping interview", "workshop": "workshop"}.get(kind, "interview")


def _interview_references(
    interviews: dict[int, dict], quotation_counts: dict[int, int], letters: dict[str, str]
) -> dict[int, str]:
    """ "A3": the third interview quoted from case study A, counted in date order, so the numbering has no gaps."""
    references: dict[int, str] = {}
    counters: dict[str, int] = defaultdict(int)
    for interview_id in sorted(quotation_counts, key=lambda pk: (interviews[pk]["date"] or datetime.date.max, pk)):
        letter = letters[source_key_of(interviews[interview_id])]
        counters[letter] += 1
        references[interview_id] = f"{letter}{counters[letter]}"
    return references


def _frequency_table(
    rows: pd.DataFrame,
    passages: pd.DataFrame,
    code_ids: list[int],
    code_by_id: dict[int, Code],
    source_titles: dict[str, str],
    case_study_order: dict[int, int],
) -> FrequencyTable:
    """Passages per case study × code; the most used codes get a column each and the rest share one."""
    rows = rows.assign(source_key=passages.loc[rows["excerpt_id"], "source_key"].to_numpy())
    counts = pd.crosstab(rows["source_key"], rows["code_id"]).reindex(columns=code_ids, fill_value=0)
    counts = counts.loc[:, counts.sum() > 0]
    if counts.shape[1] > MAX_TABLE_CODES:
        by_use = counts.sum().sort_values(ascending=False, kind="stable")
        kept = [pk for pk in counts.columns if pk in set(by_use.index[: MAX_TABLE_CODES - 1])]
        others = rows[~rows["code_id"].isin(kept)].groupby("source_key")["excerpt_id"].nunique()
        counts = counts[kept].assign(other=others.reindex(counts.index, fill_value=0))
    totals = rows.groupby("source_key")["excerpt_id"].nunique()
    order = sorted(counts.index, key=lambda key: _source_sort_key(key, case_study_order))
    columns = [code_by_id[pk].name if pk != "other" else "Other linked codes" for pk in counts.columns]
    colours = [code_by_id[pk].colour if pk != "other" else "#9aa5b1" for pk in counts.columns]
    if len(set(colours)) < len(colours):
        # Codes left at the default colour would be indistinguishable in the chart.
        colours = palette_colours(len(colours))
    return FrequencyTable(
        columns=columns,
        colours=colours,
        rows=[(source_titles[key], [int(v) for v in counts.loc[key]], int(totals[key])) for key in order],
        totals=[int(v) for v in counts.sum()],
        grand_total=int(rows["excerpt_id"].nunique()),
        has_overlaps=bool(rows.duplicated("excerpt_id").any()),
    )


def _candidates(
    question: QuestionSection,
    question_passages: pd.DataFrame,
    *,
    readings: dict,
    shaper: Shaper,
    passage_reader: PassageReader,
    redactor: Redactor,
    letters: dict[str, str],
    source_titles: dict[str, str],
    options: PaperOptions,
    quotation_of: dict[Stretch, Quotation],
    may_omit_fillers: bool,
) -> tuple[list[Candidate], int, int]:
    """The passages a lead may pin or exclude for one question, each as the paper would quote it, with whether the
    paper quotes it, here or under another question: the quoted and pinned first, then the rest as the paper ranks
    them (key quotes, then the fullest), the excluded last. Also how many are not shown, and how many are withheld."""
    question_id = question.pk
    pinned = {excerpt for q, excerpt in options.pinned if q == question_id}
    excluded = {excerpt for q, excerpt in options.excluded if q == question_id}
    quoted = {pk: quotation for quotation in quotation_of.values() for pk in quotation.excerpt_ids}
    if not len(question_passages):
        return [], 0, 0
    ranked = question_passages.reset_index().sort_values(
        ["is_key_quote", "length", "date", "interview_id", "start"],
        ascending=[False, False, True, True, True],
        kind="stable",
    )
    candidates: list[Candidate] = []
    withheld = 0
    for excerpt_id, interview_id, source_key, may_quote, is_key_quote in zip(
        ranked["excerpt_id"].astype(int),
        ranked["interview_id"].astype(int),
        ranked["source_key"],
        ranked["may_quote"],
        ranked["is_key_quote"].astype(bool),
        strict=True,
    ):
        if not may_quote:
            withheld += 1
            continue
        quotation = quoted.get(excerpt_id)
        too_short = False
        if quotation is None:
            reading = readings[excerpt_id]
            shaped = shaper.span(interview_id, reading)
            too_short = shaped is None
            shaped = shaped or shaper.span(interview_id, reading, pinned=True)
            if shaped is None:
                continue  # no participant's words: nothing to quote
            start, end, turn = shaped
            stretch = Stretch(interview_id, start, end, turn, source_key, question_id, [excerpt_id])
            quotation = make_quotation(
                stretch,
                passage_reader,
                redactor,
                source=_source_credit(source_key, letters),
                may_omit_fillers=may_omit_fillers,
            )
            if quotation is None:
                withheld += 1
                continue
        candidates.append(
            Candidate(
                excerpt_id=excerpt_id,
                source=source_titles[source_key],
                quotation=quotation,
                is_key_quote=is_key_quote,
                is_pinned=excerpt_id in pinned,
                is_excluded=excerpt_id in excluded,
                too_short=too_short,
                quoted_under=quotation.number if excerpt_id in quoted else "",
            )
        )
    here = question.number

    def order(candidate: Candidate) -> int:
        if candidate.quoted_under == here:
            return 0
        if candidate.is_pinned:
            return 1
        return 3 if candidate.is_excluded else 2

    by_order: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_order[order(candidate)].append(candidate)
    shown = [*by_order[0], *by_order[1], *by_order[2][:MAX_CANDIDATES], *by_order[3]]
    return shown, len(candidates) - len(shown), withheld


def _count_evidence(section: QuestionSection, question_passages: pd.DataFrame) -> None:
    """What the question's one sentence on its evidence counts: passages, interviews, case studies, and interviews
    outside any case study (scoping, workshops)."""
    section.passage_count = len(question_passages)
    section.interview_count = int(question_passages["interview_id"].nunique())
    keys = question_passages["source_key"]
    in_case_studies = keys.str.startswith("cs")
    section.case_study_count = int(keys[in_case_studies].nunique())
    others = question_passages[~in_case_studies]
    section.other_interview_count = int(others["interview_id"].nunique())
    kinds = set(others["source_key"])
    section.other_label = {
        frozenset({"phase-scoping"}): "scoping interview",
        frozenset({"phase-workshop"}): "workshop interview",
    }.get(frozenset(kinds), "other interview")


def _overview_table(
    group: GroupSection,
    passages_of: dict[str, pd.DataFrame],
    source_titles: dict[str, str],
    case_study_order: dict[int, int],
) -> FrequencyTable | None:
    """The group's evidence at a glance: coded passages per case study × question, and per case study each passage
    once."""
    frames = [
        pd.DataFrame(
            {"excerpt_id": question_passages.index, "column": index, "source_key": question_passages["source_key"]}
        )
        for index, question in enumerate(group.questions)
        if len(question_passages := passages_of[question.anchor])
    ]
    if not frames:
        return None
    rows = pd.concat(frames, ignore_index=True)
    counts = pd.crosstab(rows["source_key"], rows["column"]).reindex(columns=range(len(group.questions)), fill_value=0)
    totals = rows.groupby("source_key")["excerpt_id"].nunique()
    order = sorted(counts.index, key=lambda key: _source_sort_key(key, case_study_order))
    return FrequencyTable(
        columns=[question.label or f"Question {question.number}" for question in group.questions],
        colours=palette_colours(len(group.questions)),
        rows=[(source_titles[key], [int(v) for v in counts.loc[key]], int(totals[key])) for key in order],
        totals=[int(v) for v in counts.sum()],
        grand_total=int(rows["excerpt_id"].nunique()),
        has_overlaps=bool(rows.duplicated("excerpt_id").any()),
        overlap_note="A passage coded for several of these questions counts under each; the last column counts each "
        "passage once.",
    )


def _group_sections(
    paper: WorkingPaper,
    questions: list[ResearchQuestion],
    sections: list[QuestionSection],
    text: Callable[[str], str],
) -> list[GroupSection]:
    narratives = dict(paper.group_narratives.values_list("group_id", "text"))
    groups: dict[int, GroupSection] = {}
    for question, section in zip(questions, sections, strict=True):
        group: QuestionGroup = question.group
        if group.pk not in groups:
            groups[group.pk] = GroupSection(
                number="",
                anchor=f"g{group.pk}",
                title=group.title,
                is_emerging=group.is_emerging,
                narrative_html=text(narratives.get(group.pk, "")),
                questions=[],
            )
        groups[group.pk].questions.append(section)
    return list(groups.values())


def _interview_counts(interviews: dict[int, dict]) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for row in interviews.values():
        if row["case_study_id"] is not None:
            counts[row["case_study_id"]] += 1
    return counts


def _codebook(
    codes: list[Code], links: list[tuple[int, int]], used: dict[int, int], questions: list[ResearchQuestion]
) -> list[CodebookEntry]:
    labels = {question.pk: question.short_label or f"Q{index}" for index, question in enumerate(questions, start=1)}
    linked: dict[int, list[str]] = defaultdict(list)
    for code_id, question_id in links:
        if question_id in labels:
            linked[code_id].append(labels[question_id])
    # A sub-code feeds the questions its parent is linked to: the appendix says so, and through which code.
    by_id = {code.pk: code for code in codes}
    inherited: dict[int, list[str]] = defaultdict(list)
    tree = CodeTree(codes)
    for code in tree.codes():
        parent = by_id.get(code.parent_id) if code.parent_id else None
        if parent is None or code.is_archived:
            continue
        for label in linked.get(parent.pk, []):
            inherited[code.pk].append(f"{label} (through {parent.name})")
        for label in inherited.get(parent.pk, []):
            inherited[code.pk].append(label)
    return [
        CodebookEntry(
            depth=depth,
            name=code.name,
            definition=code.definition,
            questions=", ".join(
                sorted(linked.get(code.pk, []), key=_label_sort_key)
                + [label for label in inherited.get(code.pk, []) if label.split(" ")[0] not in linked.get(code.pk, [])]
            ),
            passage_count=used.get(code.pk, 0),
            is_archived=code.is_archived,
        )
        for code, depth, _ in tree.rows()
    ]


def _passages_per_code(project, interviews: dict[int, dict], codes: list[Code]) -> dict[int, int]:
    """How many passages in the paper's scope each code of the codebook has, linked to a question or not: distinct
    passages under the code or any of its sub-codes, so that a heading shows what it gathers."""
    parents = {code.pk: code.parent_id for code in codes}
    passages: dict[int, set[int]] = defaultdict(set)
    rows = ExcerptCode.objects.filter(code__project=project, excerpt__interview_id__in=list(interviews)).values_list(
        "code_id", "excerpt_id"
    )
    for code_id, excerpt_id in rows.iterator():
        for pk in self_and_ancestors(code_id, parents):
            passages[pk].add(excerpt_id)
    return {code_id: len(ids) for code_id, ids in passages.items()}


def _label_sort_key(label: str) -> tuple[str, int]:
    match = re.match(r"([A-Za-z]*)(\d*)", label)
    prefix, number = match.group(1), match.group(2)
    return (prefix, int(number) if number else 0)


def _sources(
    interviews: dict[int, dict],
    participants_by_interview: dict[int, list[Person]],
    quotation_counts: dict[int, int],
    source_titles: dict[str, str],
    phases: list[FieldworkPhase],
    references: dict[int, str],
) -> list[SourceRow]:
    """The interviews quoted, in date order, so that each quotation's reference ("A3") can be traced."""
    phase_titles = {choice.value: choice.label for choice in PhaseKind}
    phase_titles.update({phase.kind: phase.title for phase in phases})
    rows = []
    for interview_id in sorted(quotation_counts, key=lambda pk: (interviews[pk]["date"] or datetime.date.max, pk)):
        interview = interviews[interview_id]
        people = participants_by_interview.get(interview_id, [])
        rows.append(
            SourceRow(
                reference=references[interview_id],
                source=source_titles[source_key_of(interview)],
                phase=phase_titles[interview["phase"]],
                date=_format_date(interview["date"]) if interview["date"] else "",
                speakers="; ".join(person.credit for person in people),
                quotation_count=quotation_counts[interview_id],
                roles="; ".join(person.role_title or "Participant" for person in people),
                organisation_kinds="; ".join(
                    dict.fromkeys(plain_kind(p.organisation_kind) for p in people if p.organisation_kind)
                ),
            )
        )
    return rows


def _format_date(value: datetime.date) -> str:
    return f"{value.day} {value:%B %Y}"


def _date_range(starts_on: datetime.date, ends_on: datetime.date | None) -> str:
    if ends_on is None:
        return f"from {_format_date(starts_on)}"
    if starts_on.year == ends_on.year:
        return f"{starts_on.day} {starts_on:%B} to {_format_date(ends_on)}"
    return f"{_format_date(starts_on)} to {_format_date(ends_on)}"


def _number_sections(paper: AssembledPaper) -> None:
    """Numbers every heading once, so that the HTML, the PDF and the Word file agree."""
    contents: list[ContentsEntry] = []
    number = 0

    def chapter(key: str, title: str) -> None:
        nonlocal number
        number += 1
        paper.numbers[key] = str(number)
        contents.append(ContentsEntry(str(number), title, key.replace("_", "-"), 1))

    if paper.introduction_html:
        chapter("introduction", "Introduction")
    chapter("methods", "Methods")
    for group in paper.groups:
        number += 1
        group.number = str(number)
        contents.append(ContentsEntry(group.number, group.title, group.anchor, 1))
        for q_index, question in enumerate(group.questions, start=1):
            question.number = f"{group.number}.{q_index}"
            for source in question.sources:
                for quotation in source.quotations:
                    quotation.number = question.number
            contents.append(ContentsEntry(question.number, question.heading, question.anchor, 2))
    if paper.conclusions_html:
        chapter("conclusions", "Conclusions and next steps")
    if paper.references:
        contents.append(ContentsEntry("", "References", "references", 1))
    appendices = []
    if paper.options.question_tables and any(question.table for question in paper.questions):
        appendices.append(("appendix_question_tables", "Coded passages by question"))
    if paper.options.include_appendices:
        appendices += [("appendix_codebook", "The codebook"), ("appendix_case_studies", "The case studies")]
        if paper.sources:
            appendices.append(("appendix_sources", "Interviews quoted"))
    for letter, (key, title) in zip("ABCD", appendices, strict=False):
        paper.numbers[key] = letter
        contents.append(ContentsEntry(f"Appendix {letter}", title, key.replace("_", "-"), 1))
    if "appendix_question_tables" in paper.numbers:
        tabled = [question for question in paper.questions if question.table]
        for index, question in enumerate(tabled, start=1):
            question.table_number = f"{paper.numbers['appendix_question_tables']}.{index}"
    paper.contents = contents
