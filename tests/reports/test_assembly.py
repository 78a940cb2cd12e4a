"""Assembly: which passages a paper quotes, in what order, attributed how, and what it withholds."""

import re

import pytest

from casestudies.models import PhaseKind
from casestudies.services import save_interview
from disclosure.redaction import Redactor
from reports.assembly import assemble_paper
from reports.markup import render_markdown
from reports.models import GroupNarrative, QuestionNarrative, QuotationChoice
from reports.paper import PaperOptions
from reports.quotations import MAX_QUOTE_CHARS, cut_fillers
from reports.rendering import FONT_DIR, is_allowed_url
from tests.factories import make_code, make_excerpt, make_interview
from tests.querycounts import assert_flat, grow_coded_material

from .conftest import PAIR, RUTH, passage

pytestmark = pytest.mark.django_db

REGULATOR = "The regulator had been asking questions about our governance for a year"
BACK_OFFICE = "We share a back office now, and honestly the savings"
KEY = "Key point: partnership is a marriage, not a rescue."
FIONA = "From the commissioner's side the consortium gave us one contract"
PRIYA = "From ours it meant that the small organisations could bid at all"
BERNADETTE = "Fear, mostly."


def quoted(section) -> dict[str, list[str]]:
    """Case-study title → the opening words of each quotation under one question, in order."""
    return {source.title: [" ".join(q.paragraphs)[:40] for q in source.quotations] for source in section.sources}


def quotations_of(section) -> list:
    return [quotation for source in section.sources for quotation in source.quotations]


def test_questions_follow_the_groups_and_their_order_with_numbered_headings(study):
    paper = assemble_paper(study.paper, reader=None)

    assert [(g.number, g.title) for g in paper.groups] == [("3", "Context"), ("4", "Processes")]
    assert [(q.number, q.heading) for q in paper.questions] == [
        ("3.1", "RQ1 What forms does collaboration take?"),
        ("3.2", "RQ2 What drives partnership?"),
        ("4.1", "RQ3 What issues have arisen as barriers?"),
    ]
    # No headings beneath the questions: each question's quotations are woven in by case study.
    assert [s.title for s in paper.questions[0].sources] == ["Housing mergers", "Wellbeing consortium"]
    assert [s.title for s in paper.questions[1].sources] == ["Scoping interviews"]
    assert [entry.number for entry in paper.contents] == [
        "1", "2", "3", "3.1", "3.2", "4", "4.1", "5", "Appendix A", "Appendix B", "Appendix C",
    ]  # fmt: skip


def test_key_quotes_come_first_then_the_longest_of_a_sensible_length(study):
    rq1 = assemble_paper(study.paper, reader=None).questions[0]

    # "Short answer: better." is too short to quote while longer passages remain.
    assert quoted(rq1)["Housing mergers"] == [KEY[:40], REGULATOR[:40], BACK_OFFICE[:40]]
    assert rq1.sources[0].quotations[0].is_key_quote


def test_without_key_quotes_first_the_fullest_come_first_from_as_many_case_studies_as_possible(study):
    study.paper.key_quotes_first = False
    study.paper.quotations_per_question = 2
    study.paper.save()

    rq1 = assemble_paper(study.paper, reader=None).questions[0]

    # The fullest passage first; then a second case study before a second passage of the first.
    assert quoted(rq1)["Housing mergers"] == [REGULATOR[:40]]
    assert len(quoted(rq1)["Wellbeing consortium"]) == 1


def test_each_question_gives_at_most_the_chosen_number_of_quotations_and_one_sentence_on_its_evidence(study):
    study.paper.quotations_per_question = 1
    study.paper.save()

    rq1, rq2, rq3 = assemble_paper(study.paper, reader=None).questions

    assert quoted(rq1) == {"Housing mergers": [KEY[:40]]}
    assert rq1.evidence == (
        "From 6 coded passages in 2 interviews in 2 case studies (codes: Forms of partnership, Consortia); "
        "1 quoted here."
    )
    assert rq2.evidence == (
        "From 3 coded passages in 2 interviews in 2 case studies and 1 scoping interview (codes: Drivers); "
        "1 quoted here."
    )
    assert rq3.evidence == ("From 2 coded passages in 2 interviews in 2 case studies (codes: Barriers); 1 quoted here.")
    # With more quotations per question, RQ3's one quotable passage is quoted under RQ1 already: cited instead.
    study.paper.quotations_per_question = 5
    study.paper.save()
    rq3 = assemble_paper(study.paper, reader=None).questions[2]
    assert rq3.evidence == (
        "From 2 coded passages in 2 interviews in 2 case studies (codes: Barriers); none of them quoted here "
        "(see below)."
    )


def test_sub_codes_count_for_the_question_their_parent_is_linked_to(study):
    study.paper.question_tables = True
    study.paper.save()

    rq1 = assemble_paper(study.paper, reader=None).questions[0]

    assert rq1.code_names == ["Forms of partnership", "Consortia"]
    assert rq1.table.columns == ["Forms of partnership", "Consortia"]
    assert rq1.table.rows == [("Housing mergers", [4, 0], 4), ("Wellbeing consortium", [0, 2], 2)]
    assert (rq1.table.totals, rq1.table.grand_total) == ([4, 2], 6)


def test_archived_codes_are_left_out(study):
    study.codes["consortia"].is_archived = True
    study.codes["consortia"].save()

    rq1 = assemble_paper(study.paper, reader=None).questions[0]

    assert rq1.code_names == ["Forms of partnership"]
    assert "Wellbeing consortium" not in quoted(rq1)


def test_quotations_are_attributed_in_the_house_style_with_an_interview_reference(study):
    paper = assemble_paper(study.paper, reader=None)
    housing, consortium = paper.questions[0].sources

    assert housing.quotations[0].attribution == "Ruth, Chief executive, housing association, Case study A"
    assert housing.quotations[0].reference == "A1"
    # Fiona agreed to be named by role only; Priya by pseudonym. The pair is told apart by the turn's speaker label.
    assert [q.attribution for q in consortium.quotations] == [
        "Joint commissioner, local authority, Case study B",
        "Priya, Commissioning manager, local authority, Case study B",
    ]
    assert {q.reference for q in consortium.quotations} == {"B1"}
    # No database id or character offset reaches the body.
    for quotation in (q for section in paper.questions for e in section.sources for q in e.quotations):
        assert re.fullmatch(r"[A-Z]+[0-9]+", quotation.reference), quotation.reference


def test_a_passage_starting_with_the_speakers_label_is_quoted_without_it(study):
    pair = study.interviews["pair"]
    study.excerpts["priya"].delete()
    start = pair.transcript.index("Priya: From ours")
    first = make_excerpt(pair, start=start, end=start + 120, codes=[study.codes["barriers"]])
    second = make_excerpt(pair, start=start + 7, end=start + 130, codes=[study.codes["barriers"]])

    rq3 = assemble_paper(study.paper, reader=None).questions[2]

    # The two passages overlap, so the stretch is quoted once: the whole sentence, without the label.
    [consortium] = rq3.sources
    [quotation] = consortium.quotations
    assert quotation.paragraphs == [PAIR.split("Priya: ")[1]]
    assert quotation.attribution == "Priya, Commissioning manager, local authority, Case study B"
    assert sorted(quotation.excerpt_ids) == sorted([first.pk, second.pk])


def test_passages_of_participants_who_did_not_consent_are_withheld_and_counted_once_in_the_methods(study):
    paper = assemble_paper(study.paper, reader=None)
    rq3 = paper.questions[2]

    assert "Housing mergers" not in {source.title for source in rq3.sources}
    assert paper.withheld_count == 1
    assert paper.withheld_statement == (
        "1 coded passage from participants who did not consent to be quoted was withheld."
    )
    texts = [p for q in paper.questions for e in q.sources for quote in e.quotations for p in quote.paragraphs]
    assert not any("Confidential" in text for text in texts)


def test_withdrawn_consent_withholds_the_participants_quotations(study):
    ruth = study.participants["ruth"]
    ruth.consent_to_quote = False
    ruth.save()

    paper = assemble_paper(study.paper, reader=None)

    assert "Housing mergers" not in {e.title for e in paper.questions[0].sources}
    assert study.participants["ruth"].pk not in paper.quoted_participant_ids
    assert paper.withheld_count == 5


def test_words_whose_speaker_is_not_on_record_are_withheld_even_when_everyone_consented(study):
    pair = study.interviews["pair"]
    text = pair.transcript + "\n\nCommissioners: Both of us would say the same thing about consortia."
    pair.transcript = text
    save_interview(interview=pair)
    unknown = passage(pair, "Both of us would say the same thing about consortia.", codes=[study.codes["barriers"]])

    paper = assemble_paper(study.paper, reader=None)
    rq3 = paper.questions[2]

    assert unknown.pk not in paper.quoted_excerpt_ids
    assert rq3.sources == []
    # Priya's passage is quoted under RQ1 already, and cited here.
    assert [q.excerpt_id for q in rq3.cross_references] == [study.excerpts["priya"].pk]
    assert rq3.cross_reference_text == (
        "See the passage quoted under 3.1 (Priya, Commissioning manager, local authority, Case study B)."
    )
    assert "1 with words whose speaker is not on record" in paper.withheld_statement


def test_an_interview_without_participants_on_record_is_never_quoted(study):
    interview = make_interview(study.case_a, transcript="Someone: " + "We partner because the council makes us. " * 5)
    excerpt = make_excerpt(interview, start=9, end=len(interview.transcript), codes=[study.codes["drivers"]])

    paper = assemble_paper(study.paper, reader=None)

    assert excerpt.pk not in paper.quoted_excerpt_ids
    assert paper.questions[1].passage_count == 4
    assert paper.withheld_count == 2


def test_real_names_never_reach_the_paper(study):
    QuestionNarrative.objects.create(paper=study.paper, question=study.questions[0], text="As ruth  ellingham said.")

    paper = assemble_paper(study.paper, reader=None)

    assert paper.introduction_html == "<p>Partnership working has grown. [Judith] is not to be named.</p>"
    assert paper.questions[0].narrative_html == "<p>As [Ruth] said.</p>"
    back_office = paper.questions[0].sources[0].quotations[2]
    assert back_office.paragraphs == [
        "We share a back office now, and honestly the savings are smaller than anyone promised, but the capacity "
        "to develop new homes is real. [Ruth] would say that in public, I suppose."
    ]


def test_a_role_only_participant_is_redacted_to_their_role():
    redactor = Redactor([("Fiona Marchbank", "Joint commissioner"), ("", "Nobody")])

    assert redactor.redact("Fiona Marchbank and FIONA\nMARCHBANK agreed.") == (
        "[Joint commissioner] and [Joint commissioner] agreed."
    )


def test_narratives_are_markdown_made_safe():
    html = render_markdown(
        "# Heading\n\n**Bold** <script>alert(1)</script> [link](javascript:alert(1)) ![x](file:///etc/passwd) "
        "[site](https://example.org)\n\n- one\n- two"
    )

    assert html == (
        '<h4>Heading</h4>\n<p><strong>Bold</strong>  <a rel="noopener noreferrer">link</a>  '
        '<a href="https://example.org" rel="noopener noreferrer">site</a></p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>'
    )


def test_the_pdf_may_load_only_its_charts_and_bundled_fonts():
    assert is_allowed_url("data:image/svg+xml;base64,PHN2Zz4=")
    assert is_allowed_url((FONT_DIR / "DejaVuSerif.ttf").as_uri())
    assert not is_allowed_url("file:///etc/passwd")
    assert not is_allowed_url((FONT_DIR / ".." / ".." / "matplotlibrc").as_uri())
    assert not is_allowed_url("https://example.org/tracker.png")
    assert not is_allowed_url("http://169.254.169.254/latest/meta-data/")


def test_the_chosen_case_studies_and_phases_limit_the_passages(study):
    study.paper.case_studies.set([study.case_b])
    study.paper.phases.set(study.project.phases.filter(kind=PhaseKind.CASE_STUDY))

    paper = assemble_paper(study.paper, reader=None)

    assert {e.title for q in paper.questions for e in q.sources} == {"Wellbeing consortium"}
    assert [row.title for row in paper.case_study_rows] == ["Wellbeing consortium"]
    assert [phase.title for phase in paper.phases] == ["Case studies"]
    assert (paper.passage_count, paper.interview_count, paper.withheld_count) == (2, 1, 0)


def test_chosen_groups_and_single_questions_are_both_included(study):
    context, processes = study.groups
    study.paper.question_groups.set([processes])
    study.paper.questions.set([study.questions[1]])

    paper = assemble_paper(study.paper, reader=None)

    assert [q.label for q in paper.questions] == ["RQ2", "RQ3"]
    assert [g.number for g in paper.groups] == ["3", "4"]


def test_group_narratives_open_their_group(study):
    GroupNarrative.objects.create(paper=study.paper, group=study.groups[1], text="Barriers *abound*.")

    paper = assemble_paper(study.paper, reader=None)

    assert [g.narrative_html for g in paper.groups] == ["", "<p>Barriers <em>abound</em>.</p>"]


def test_a_long_passage_is_quoted_in_whole_sentences_up_to_a_readable_length(study):
    ruth = study.interviews["ruth"]
    sentence = "We talked about the merger at every board meeting for two years. "
    ruth.transcript += "\n\nRuth: " + sentence * 40
    save_interview(interview=ruth)
    start = ruth.transcript.index(sentence)
    long_passage = make_excerpt(ruth, start=start, end=len(ruth.transcript), codes=[study.codes["forms"]])

    rq1 = assemble_paper(study.paper, reader=None).questions[0]

    [long_quote] = [q.paragraphs[0] for q in quotations_of(rq1) if q.excerpt_id == long_passage.pk]
    assert long_quote.startswith("We talked") and long_quote.endswith("two years.")
    assert MAX_QUOTE_CHARS - len(sentence) < len(long_quote) <= MAX_QUOTE_CHARS


def test_the_options_are_frozen_for_a_build(study):
    study.paper.case_studies.set([study.case_a])
    study.paper.questions.set([study.questions[0]])
    study.paper.include_charts = False

    options = PaperOptions.from_paper(study.paper)

    assert PaperOptions.from_snapshot(options.to_snapshot()) == options
    assert options.summary == (
        "1 case study; questions: RQ1; all phases; 5 quotations per question; key quotes first; tables; no charts; "
        "appendices"
    )


def test_methods_and_appendices_come_from_the_records(study):
    unlinked = make_code(study.project, name="Unlinked", order=4)
    passage(study.interviews["ruth"], "Short answer: better.", codes=[unlinked])

    paper = assemble_paper(study.paper, reader=None)

    assert [(p.title, p.dates, p.interview_count) for p in paper.phases] == [
        ("Scoping interviews", "1 September to 30 November 2010", 1),
        ("Case studies", "1 May to 31 August 2011", 3),
    ]
    assert [(r.title, r.region, r.interview_count) for r in paper.case_study_rows] == [
        ("Housing mergers", "England", 2),
        ("Wellbeing consortium", "North", 1),
    ]
    # A code's passages include its sub-codes' (4 of its own and 2 of Consortia, distinct).
    assert [(e.depth, e.name, e.questions, e.passage_count) for e in paper.codebook] == [
        (0, "Forms of partnership", "RQ1", 6),
        (1, "Consortia", "RQ1 (through Forms of partnership)", 2),
        (0, "Drivers", "RQ2", 3),
        (0, "Barriers", "RQ3", 2),
        (0, "Unlinked", "", 1),
    ]
    # In date order, each with the reference its quotations carry; each passage is quoted once in the paper.
    assert [
        (s.reference, s.source, s.roles, s.organisation_kinds, s.date, s.quotation_count) for s in paper.sources
    ] == [
        ("S1", "Scoping interviews", "CVS chief executive", "", "22 November 2010", 1),
        ("A1", "Housing mergers", "Chief executive", "housing association", "17 May 2011", 3),
        (
            "B1",
            "Wellbeing consortium",
            "Joint commissioner; Commissioning manager",
            "local authority",
            "12 July 2011",
            2,
        ),
    ]


def test_a_paper_without_any_coding_still_assembles(db):
    from tests.factories import make_project, make_question, make_working_paper

    project = make_project()
    make_question(project, short_label="RQ1")
    make_code(project, name="Unused")
    paper = assemble_paper(make_working_paper(project), reader=None)

    assert [(q.label, q.passage_count, q.sources, q.table) for q in paper.questions] == [("RQ1", 0, [], None)]
    assert (paper.passage_count, paper.quotation_count, paper.withheld_count) == (0, 0, 0)


def test_assembly_takes_a_fixed_number_of_queries(study):
    from tests.factories import make_question

    codes = study.codes

    def grow() -> None:
        rq4 = make_question(study.project, group=study.groups[1], short_label="RQ4")
        codes["barriers"].research_questions.add(rq4)
        grow_coded_material(
            study.project,
            codes=[codes["drivers"], codes["consortia"], codes["barriers"]],
            coded_by=study.lead,
            interviews=[study.interviews["ruth"], study.interviews["pair"], study.interviews["scoping"]],
        )

    assert_flat(lambda: assemble_paper(study.paper, reader=None), grow, expected=24)
    paper = assemble_paper(study.paper, reader=None)
    assert (len(paper.case_study_rows), len(paper.sources), paper.passage_count) == (4, 3, 29)


def test_a_passage_coded_by_two_coders_is_quoted_once():
    from reports.assembly import assemble_paper
    from reports.models import WorkingPaper
    from tests.factories import (
        make_case_study,
        make_code,
        make_excerpt,
        make_interview,
        make_participant,
        make_project,
        make_question,
        make_user,
        make_working_paper,
    )

    project = make_project()
    question = make_question(project)
    code = make_code(project, name="Trust")
    code.research_questions.set([question])
    speech = "We trusted them because they had delivered for the tenants twice before, and it showed. " * 2
    interview = make_interview(make_case_study(project), transcript=f"Ruth: {speech}")
    interview.participants.add(make_participant(project, pseudonym="Ruth"))
    start, end = 6, 6 + len(speech.strip())
    make_excerpt(interview, start=start, end=end, codes=[code], coded_by=make_user())
    make_excerpt(interview, start=start, end=end - 10, codes=[code], coded_by=make_user())
    paper = make_working_paper(project)
    assert isinstance(paper, WorkingPaper)
    assembled = assemble_paper(paper, reader=None)
    quotations = [q for section in assembled.questions for case in section.sources for q in case.quotations]
    assert len(quotations) == 1


def test_an_excerpt_deleted_while_the_paper_is_assembled_is_left_out(study, monkeypatch):
    from coding.models import Excerpt
    from reports import assembly

    choose = assembly.choose_quotations
    gone: list[int] = []

    def choose_then_someone_deletes(passages, options, **kwargs):
        chosen, cited = choose(passages, options, **kwargs)
        if chosen and not gone:
            gone.append(chosen[0].excerpt_ids[0])
            Excerpt.objects.filter(pk=gone[0]).delete()  # a coder deletes it between the two reads
        return chosen, cited

    monkeypatch.setattr(assembly, "choose_quotations", choose_then_someone_deletes)
    paper = assemble_paper(study.paper, reader=None)

    quoted = [q.excerpt_id for q in paper.questions[0].sources[0].quotations] if paper.questions else []
    assert gone and gone[0] not in quoted
    assert gone[0] not in paper.quoted_excerpt_ids


# --- Quotation choice across the paper ---------------------------------------------------------------------------


def all_quotations(paper):
    return [q for section in paper.questions for e in section.sources for q in e.quotations]


def test_each_passage_is_quoted_once_and_a_later_question_cites_it(study):
    paper = assemble_paper(study.paper, reader=None)

    quoted_ids = [q.excerpt_id for q in all_quotations(paper)]
    assert len(quoted_ids) == len(set(quoted_ids)) == paper.quotation_count == 6
    # Ruth's regulator passage and Fiona's are coded for RQ1 and RQ2: quoted under RQ1, cited under RQ2.
    rq1, rq2, rq3 = paper.questions
    regulator = next(q for q in quotations_of(rq1) if q.excerpt_id == study.excerpts["ruth_regulator"].pk)
    fiona = next(q for q in quotations_of(rq1) if q.excerpt_id == study.excerpts["fiona"].pk)
    assert rq2.cross_references == [regulator, fiona]
    assert regulator.number == fiona.number == "3.1"
    assert rq2.cross_reference_text == (
        "See also the passages quoted under 3.1 (Ruth, Chief executive, housing association, Case study A; "
        "Joint commissioner, local authority, Case study B)."
    )
    # No quotation carries a label of its own.
    assert {q.number for q in all_quotations(paper)} == {"3.1", "3.2"}


def test_the_cited_quotation_reads_as_see_also_in_the_pdf_and_word_without_quotation_labels(study):
    import io

    from docx import Document
    from pypdf import PdfReader

    from reports.rendering import render

    paper = assemble_paper(study.paper, reader=None)
    expected = paper.questions[1].cross_reference_text

    reader = PdfReader(io.BytesIO(render(paper, "pdf").content))
    pdf_text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    word_text = "\n".join(p.text for p in Document(io.BytesIO(render(paper, "docx").content)).paragraphs)
    assert expected in pdf_text
    assert expected in word_text
    assert "Quotation 3." not in pdf_text and "Quotation 3." not in word_text
    # Each quoted passage appears once in the PDF's text.
    for quotation in all_quotations(paper):
        assert pdf_text.count(" ".join(quotation.paragraphs[0].split())[:60]) == 1


def test_within_a_question_a_new_speaker_comes_before_a_longer_passage_of_one_heard_already(study):
    other = make_interview(
        study.case_a,
        title="Tom interview",
        date="2011-06-01",
        transcript=(
            "Tom: Our side of it was simpler, we merged the finance teams first and the rest followed over two years. "
            "Nobody lost a job."
        ),
    )
    tom = study.participants["ruth"].__class__.objects.create(
        project=study.project, pseudonym="Tom", role_title="Finance director", consent_to_quote=True
    )
    other.participants.add(tom)
    passage(other, other.transcript.removeprefix("Tom: "), codes=[study.codes["forms"]])
    study.paper.quotations_per_question = 3
    study.paper.save()

    rq1 = assemble_paper(study.paper, reader=None).questions[0]

    # The key quote first; then a second case study; then Tom, whose passage is shorter than Ruth's regulator
    # passage but a second voice in the first case study.
    housing = rq1.sources[0]
    assert [q.attribution.split(",")[0] for q in housing.quotations] == ["Ruth", "Tom"]


def test_a_passage_that_starts_mid_sentence_is_quoted_as_the_whole_sentences_it_touches(study):
    ruth = study.interviews["ruth"]
    study.excerpts["ruth_regulator"].delete()
    start = ruth.transcript.index("joining a larger group")
    make_excerpt(ruth, start=start, end=start + 95, codes=[study.codes["barriers"]])

    rq3 = assemble_paper(study.paper, reader=None).questions[2]

    text = " ".join(rq3.sources[0].quotations[0].paragraphs)
    assert text == RUTH.split("Ruth: ")[1].split("\n")[0]
    assert "[…]" not in text


# --- Quotations that read well alone ------------------------------------------------------------------------------


def test_a_passage_too_short_to_make_sense_alone_is_widened_within_its_turn_or_left_out(study):
    rq1 = assemble_paper(study.paper, reader=None).questions[0]

    quotations = {q.excerpt_id: " ".join(q.paragraphs) for q in quotations_of(rq1)}
    # The key point is eight words: the next sentence of Ruth's turn comes with it.
    key = quotations[study.excerpts["ruth_key"].pk]
    assert key.startswith(KEY) and key.endswith("every new member of staff.") and len(key.split()) >= 20
    # "Short answer: better." is the whole of its turn, and too short to quote.
    assert study.excerpts["ruth_short"].pk not in quotations


def test_a_pinned_passage_is_quoted_first_even_when_short_and_an_excluded_one_never(study):
    rq1 = study.questions[0]
    QuotationChoice.objects.create(
        paper=study.paper, question=rq1, excerpt=study.excerpts["ruth_short"], choice=QuotationChoice.Choice.PIN
    )
    QuotationChoice.objects.create(
        paper=study.paper, question=rq1, excerpt=study.excerpts["ruth_key"], choice=QuotationChoice.Choice.EXCLUDE
    )
    # Pinning a passage whose speaker did not consent does not make it quotable.
    QuotationChoice.objects.create(
        paper=study.paper,
        question=study.questions[2],
        excerpt=study.excerpts["judith_barriers"],
        choice=QuotationChoice.Choice.PIN,
    )

    paper = assemble_paper(study.paper, reader=None)

    first = quotations_of(paper.questions[0])[0]
    assert (first.paragraphs, first.is_pinned) == (["Short answer: better."], True)
    assert study.excerpts["ruth_key"].pk not in paper.quoted_excerpt_ids
    assert study.excerpts["judith_barriers"].pk not in paper.quoted_excerpt_ids
    assert "those the authors chose first" in paper.quotation_method
    assert "; 2 pinned, 1 excluded;" in PaperOptions.from_paper(study.paper).summary


def test_adjacent_sentences_chosen_for_two_questions_are_one_quotation_cited_by_the_second(study):
    ruth = study.interviews["ruth"]
    first = (
        "The first year after the merger was spent on systems, because the two finance teams could not even agree on "
        "a chart of accounts."
    )
    second = (
        "The second year was about culture, and that was harder, because the smaller association's staff felt they "
        "had been taken over."
    )
    ruth.transcript += f"\n\nRuth: {first} {second}"
    save_interview(interview=ruth)
    one = passage(ruth, first, codes=[study.codes["forms"]], is_key_quote=True)
    two = passage(ruth, second, codes=[study.codes["drivers"]], is_key_quote=True)

    paper = assemble_paper(study.paper, reader=None)
    rq1, rq2, _ = paper.questions

    [joined] = [q for q in quotations_of(rq1) if one.pk in q.excerpt_ids]
    assert joined.paragraphs == [f"{first} {second}"]
    assert sorted(joined.excerpt_ids) == sorted([one.pk, two.pk])
    assert joined in rq2.cross_references
    assert two.pk not in [q.excerpt_id for q in quotations_of(rq2)]


@pytest.mark.parametrize(
    ("may_omit", "expected"),
    [
        (True, "[…] the board wanted a merger and the staff wanted a federation, and in the end we got neither."),
        (False, "Um, well, and the board wanted a merger and the staff wanted a federation, and in the end we got "
         "neither."),
    ],
)  # fmt: skip
def test_opening_fillers_are_cut_and_marked_only_where_the_project_allows(study, may_omit, expected):
    study.project.quotations_may_omit_fillers = may_omit
    study.project.save()
    ruth = study.interviews["ruth"]
    said = "Um, well, and the board wanted a merger and the staff wanted a federation, and in the end we got neither."
    ruth.transcript += f"\n\nRuth: {said}"
    save_interview(interview=ruth)
    excerpt = passage(ruth, said, codes=[study.codes["forms"]], is_key_quote=True)

    paper = assemble_paper(study.paper, reader=None)

    [quotation] = [q for q in quotations_of(paper.questions[0]) if q.excerpt_id == excerpt.pk]
    assert quotation.paragraphs == [expected]
    assert ('words left out at its start ("Um", "Well") are marked […]' in paper.quotation_method) is may_omit


def test_opening_fillers_that_may_carry_meaning_are_kept():
    assert cut_fillers("Like many others, we found the tender process exhausting and slow.") == (
        "Like many others, we found the tender process exhausting and slow."
    )
    assert cut_fillers("So, right, you know, the tender process was exhausting.") == (
        "[…] the tender process was exhausting."
    )
    assert cut_fillers("Well, yes.") == "Well, yes."


def test_each_question_group_opens_with_one_overview_of_its_evidence(study):
    paper = assemble_paper(study.paper, reader=None)
    context, processes = paper.groups

    assert context.overview.columns == ["RQ1", "RQ2"]
    assert context.overview.rows == [
        ("Scoping interviews", [0, 1], 1),
        ("Housing mergers", [4, 1], 4),
        ("Wellbeing consortium", [2, 1], 2),
    ]
    assert (context.overview.totals, context.overview.grand_total, context.overview.has_overlaps) == ([6, 3], 7, True)
    assert context.table_caption == "Table 3.1: Context: coded passages by case study and question"
    assert processes.overview.rows == [("Housing mergers", [1], 1), ("Wellbeing consortium", [1], 1)]
    # The per-question tables go to an appendix only when chosen.
    assert all(question.table is None for question in paper.questions)
    assert "appendix_question_tables" not in paper.numbers


def test_tables_per_question_go_to_their_own_appendix(study):
    study.paper.question_tables = True
    study.paper.save()

    paper = assemble_paper(study.paper, reader=None)

    assert paper.numbers["appendix_question_tables"] == "A"
    assert [(number, question.label) for number, question in paper.question_tables] == [
        ("A.1", "RQ1"),
        ("A.2", "RQ2"),
        ("A.3", "RQ3"),
    ]
    assert [entry.number for entry in paper.contents][-4:] == ["Appendix A", "Appendix B", "Appendix C", "Appendix D"]


def test_narratives_may_carry_footnotes_and_tables_and_stay_safe():
    html = render_markdown(
        "Savings were small.[^1]\n\n| Case | Savings |\n|---|---|\n| A | £2k |\n\n"
        '<script>alert(1)</script><a href="javascript:alert(1)" onclick="x()">link</a>\n\n[^1]: As reported.'
    )

    assert '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1"' in html
    assert '<li id="fn:1">' in html and "As reported." in html
    assert "<table>" in html and "<td>£2k</td>" in html
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html


def test_a_paper_naming_its_case_studies_hears_scoping_interviews_only_when_it_names_their_phase(study):
    study.paper.case_studies.set([study.case_a, study.case_b])

    paper = assemble_paper(study.paper, reader=None)
    assert "Scoping interviews" not in {source.title for q in paper.questions for source in q.sources}
    assert paper.interview_count == 3

    study.paper.phases.set(study.project.phases.all())
    paper = assemble_paper(study.paper, reader=None)
    assert "Scoping interviews" in {source.title for q in paper.questions for source in q.sources}
    assert paper.interview_count == 4


def test_a_briefing_quotes_one_passage_at_most_per_question_even_when_more_are_pinned(study):
    from reports.models import PaperTemplate

    study.paper.template = PaperTemplate.BRIEFING
    study.paper.save()
    for excerpt in ("ruth_short", "ruth_back_office"):
        QuotationChoice.objects.create(
            paper=study.paper, question=study.questions[0], excerpt=study.excerpts[excerpt], choice="pin"
        )

    options = PaperOptions.from_paper(study.paper)
    paper = assemble_paper(study.paper, reader=None, options=options)

    assert (options.quotations_per_question, options.include_tables, options.include_appendices) == (1, False, False)
    assert options.summary.startswith(
        "briefing; all case studies; all questions; all phases; one quotation per question"
    )
    assert [len(quotations_of(q)) for q in paper.questions] == [1, 1, 1]
    assert quotations_of(paper.questions[0])[0].paragraphs == ["Short answer: better."]
    assert (paper.codebook, paper.sources) == ([], [])
