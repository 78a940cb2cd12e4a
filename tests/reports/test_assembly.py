"""Assembly: which passages a paper quotes, in what order, attributed how, and what it withholds."""

import re

import pytest

from casestudies.models import PhaseKind
from casestudies.services import save_interview
from disclosure.redaction import Redactor
from reports.assembly import assemble_paper
from reports.markup import render_markdown
from reports.models import GroupNarrative, QuestionNarrative
from reports.paper import PaperOptions
from reports.quotations import MAX_QUOTE_CHARS
from reports.rendering import FONT_DIR, is_allowed_url
from tests.factories import make_code, make_excerpt, make_interview
from tests.querycounts import assert_flat, grow_coded_material

from .conftest import passage

pytestmark = pytest.mark.django_db

REGULATOR = "The regulator had been asking questions about our governance for a year"
BACK_OFFICE = "We share a back office now, and honestly the savings"
KEY = "Key point: partnership is a marriage, not a rescue."
FIONA = "From the commissioner's side the consortium gave us one contract"
PRIYA = "From ours it meant that the small organisations could bid at all"
BERNADETTE = "Fear, mostly."


def quoted(section) -> dict[str, list[str]]:
    """Case-study title → the opening words of each quotation under one question, in order."""
    return {
        evidence.title: [" ".join(q.paragraphs)[:40] for q in evidence.quotations] for evidence in section.case_studies
    }


def test_questions_follow_the_groups_and_their_order_with_numbered_headings(study):
    paper = assemble_paper(study.paper, reader=None)

    assert [(g.number, g.title) for g in paper.groups] == [("3", "Context"), ("4", "Processes")]
    assert [(q.number, q.heading) for q in paper.questions] == [
        ("3.1", "RQ1 What forms does collaboration take?"),
        ("3.2", "RQ2 What drives partnership?"),
        ("4.1", "RQ3 What issues have arisen as barriers?"),
    ]
    assert [(e.number, e.title) for e in paper.questions[1].case_studies] == [
        ("3.2.1", "Scoping interviews"),
        ("3.2.2", "Housing mergers"),
        ("3.2.3", "Wellbeing consortium"),
    ]
    assert [entry.number for entry in paper.contents] == [
        "1", "2", "3", "3.1", "3.2", "4", "4.1", "5", "Appendix A", "Appendix B", "Appendix C",
    ]  # fmt: skip


def test_key_quotes_come_first_then_the_longest_of_a_sensible_length(study):
    rq1 = assemble_paper(study.paper, reader=None).questions[0]

    # "Short answer: better." is too short to quote while longer passages remain.
    assert quoted(rq1)["Housing mergers"] == [KEY[:40], REGULATOR[:40], BACK_OFFICE[:40]]
    assert rq1.case_studies[0].quotations[0].is_key_quote


def test_without_key_quotes_first_the_longest_come_first(study):
    study.paper.key_quotes_first = False
    study.paper.quotes_per_case_study = 2
    study.paper.save()

    rq1 = assemble_paper(study.paper, reader=None).questions[0]

    assert quoted(rq1)["Housing mergers"] == [REGULATOR[:40], BACK_OFFICE[:40]]


def test_each_case_study_gives_at_most_the_chosen_number_of_quotations(study):
    study.paper.quotes_per_case_study = 1
    study.paper.save()

    rq1 = assemble_paper(study.paper, reader=None).questions[0]

    assert quoted(rq1) == {"Housing mergers": [KEY[:40]], "Wellbeing consortium": [FIONA[:40]]}
    assert [e.passage_count for e in rq1.case_studies] == [4, 2]


def test_sub_codes_count_for_the_question_their_parent_is_linked_to(study):
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
    housing, consortium = paper.questions[0].case_studies

    assert housing.quotations[0].attribution == "Ruth, Chief executive, housing association, Case study A"
    assert housing.quotations[0].reference == "A1"
    # Fiona agreed to be named by role only; Priya by pseudonym. The pair is told apart by the turn's speaker label.
    assert [q.attribution for q in consortium.quotations] == [
        "Joint commissioner, local authority, Case study B",
        "Priya, Commissioning manager, local authority, Case study B",
    ]
    assert {q.reference for q in consortium.quotations} == {"B1"}
    # No database id or character offset reaches the body.
    for quotation in (q for section in paper.questions for e in section.case_studies for q in e.quotations):
        assert re.fullmatch(r"[A-Z]+[0-9]+", quotation.reference), quotation.reference


def test_a_passage_starting_with_the_speakers_label_is_quoted_without_it(study):
    pair = study.interviews["pair"]
    study.excerpts["priya"].delete()
    start = pair.transcript.index("Priya: From ours")
    make_excerpt(pair, start=start, end=start + 120, codes=[study.codes["barriers"]])
    make_excerpt(pair, start=start + 7, end=start + 130, codes=[study.codes["barriers"]])

    rq3 = assemble_paper(study.paper, reader=None).questions[2]

    quotations = rq3.case_studies[1].quotations
    # The two passages overlap, so the stretch is quoted once.
    assert [" ".join(q.paragraphs)[:24] for q in quotations] == [PRIYA[:24]]
    assert {q.attribution for q in quotations} == {"Priya, Commissioning manager, local authority, Case study B"}


def test_passages_of_participants_who_did_not_consent_are_withheld_and_counted(study):
    paper = assemble_paper(study.paper, reader=None)
    rq3 = paper.questions[2]

    housing = rq3.case_studies[0]
    assert (housing.title, housing.quotations, housing.passage_count, housing.withheld_count) == (
        "Housing mergers",
        [],
        1,
        1,
    )
    assert rq3.withheld_count == 1
    assert paper.withheld_count == 1
    texts = [p for q in paper.questions for e in q.case_studies for quote in e.quotations for p in quote.paragraphs]
    assert not any("Confidential" in text for text in texts)


def test_withdrawn_consent_withholds_the_participants_quotations(study):
    ruth = study.participants["ruth"]
    ruth.consent_to_quote = False
    ruth.save()

    paper = assemble_paper(study.paper, reader=None)

    assert "Housing mergers" not in {e.title for e in paper.questions[0].case_studies if e.quotations}
    assert paper.questions[0].withheld_count == 4
    assert paper.withheld_count == 5


def test_words_whose_speaker_is_not_on_record_are_withheld_even_when_everyone_consented(study):
    pair = study.interviews["pair"]
    text = pair.transcript + "\n\nCommissioners: Both of us would say the same thing about consortia."
    pair.transcript = text
    save_interview(interview=pair)
    unknown = passage(pair, "Both of us would say the same thing about consortia.", codes=[study.codes["barriers"]])

    paper = assemble_paper(study.paper, reader=None)
    consortium = paper.questions[2].case_studies[1]

    assert unknown.pk not in [q.excerpt_id for q in consortium.quotations]
    # Priya's passage is quoted under RQ1 already, and cited here.
    assert [q.excerpt_id for q in consortium.cross_references] == [study.excerpts["priya"].pk]
    assert consortium.withheld_count == 1
    assert "1 with words whose speaker is not on record" in paper.withheld_statement


def test_an_interview_without_participants_on_record_is_never_quoted(study):
    interview = make_interview(study.case_a, transcript="Someone: We partner because the council makes us do it.")
    make_excerpt(interview, start=9, end=len(interview.transcript), codes=[study.codes["drivers"]])

    rq2 = assemble_paper(study.paper, reader=None).questions[1]

    housing = next(e for e in rq2.case_studies if e.title == "Housing mergers")
    assert (housing.passage_count, housing.withheld_count) == (2, 1)
    assert len(housing.quotations) + len(housing.cross_references) == 1


def test_real_names_never_reach_the_paper(study):
    QuestionNarrative.objects.create(paper=study.paper, question=study.questions[0], text="As ruth  ellingham said.")

    paper = assemble_paper(study.paper, reader=None)

    assert paper.introduction_html == "<p>Partnership working has grown. [Judith] is not to be named.</p>"
    assert paper.questions[0].narrative_html == "<p>As [Ruth] said.</p>"
    back_office = paper.questions[0].case_studies[0].quotations[2]
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

    assert {e.title for q in paper.questions for e in q.case_studies} == {"Wellbeing consortium"}
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


def test_long_passages_are_cut_at_a_sentence_and_marked(study):
    ruth = study.interviews["ruth"]
    sentence = "We talked about the merger at every board meeting for two years. "
    ruth.transcript += "\n\nRuth: " + sentence * 40
    save_interview(interview=ruth)
    start = ruth.transcript.index(sentence)
    make_excerpt(ruth, start=start, end=len(ruth.transcript), codes=[study.codes["forms"]])

    rq1 = assemble_paper(study.paper, reader=None).questions[0]

    long_quote = rq1.case_studies[0].quotations[1].paragraphs[0]
    assert long_quote.endswith("two years. […]")
    assert len(long_quote) <= MAX_QUOTE_CHARS + 4


def test_the_options_are_frozen_for_a_build(study):
    study.paper.case_studies.set([study.case_a])
    study.paper.questions.set([study.questions[0]])
    study.paper.include_charts = False

    options = PaperOptions.from_paper(study.paper)

    assert PaperOptions.from_snapshot(options.to_snapshot()) == options
    assert options.summary == (
        "1 case study; questions: RQ1; all phases; 3 quotations per question per case study; key quotes first; "
        "tables; no charts; appendices"
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
    assert [(e.depth, e.name, e.questions, e.passage_count) for e in paper.codebook] == [
        (0, "Forms of partnership", "RQ1", 4),
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

    assert [(q.label, q.passage_count, q.case_studies, q.table) for q in paper.questions] == [("RQ1", 0, [], None)]
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

    assert_flat(lambda: assemble_paper(study.paper, reader=None), grow, expected=22)
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
    quotations = [q for section in assembled.questions for case in section.case_studies for q in case.quotations]
    assert len(quotations) == 1


def test_an_excerpt_deleted_while_the_paper_is_assembled_is_left_out(study, monkeypatch):
    from coding.models import Excerpt
    from reports import assembly

    choose = assembly.choose_quotations
    gone: list[int] = []

    def choose_then_someone_deletes(passages, options, **kwargs):
        picks = choose(passages, options, **kwargs)
        if picks and not gone:
            gone.append(picks[0].excerpt_id)
            Excerpt.objects.filter(pk=gone[0]).delete()  # a coder deletes it between the two reads
        return picks

    monkeypatch.setattr(assembly, "choose_quotations", choose_then_someone_deletes)
    paper = assemble_paper(study.paper, reader=None)

    quoted = [q.excerpt_id for q in paper.questions[0].case_studies[0].quotations] if paper.questions else []
    assert gone and gone[0] not in quoted
    assert gone[0] not in paper.quoted_excerpt_ids


# --- Quotation choice across the paper ---------------------------------------------------------------------------


def all_quotations(paper):
    return [q for section in paper.questions for e in section.case_studies for q in e.quotations]


def test_each_passage_is_quoted_once_and_a_later_question_cites_it(study):
    paper = assemble_paper(study.paper, reader=None)

    quoted_ids = [q.excerpt_id for q in all_quotations(paper)]
    assert len(quoted_ids) == len(set(quoted_ids)) == paper.quotation_count == 6
    # Ruth's regulator passage and Fiona's are coded for RQ1 and RQ2: quoted under RQ1, cited under RQ2.
    rq1, rq2, rq3 = paper.questions
    regulator = next(q for q in rq1.case_studies[0].quotations if q.excerpt_id == study.excerpts["ruth_regulator"].pk)
    housing_rq2 = next(e for e in rq2.case_studies if e.title == "Housing mergers")
    assert housing_rq2.quotations == [] and housing_rq2.cross_references == [regulator]
    assert regulator.number == "3.2"
    # Quotations are numbered through each chapter.
    assert [q.number for q in all_quotations(paper)] == ["3.1", "3.2", "3.3", "3.4", "3.5", "3.6"][: len(quoted_ids)]


def test_the_cited_quotation_reads_as_see_also_in_the_pdf_and_word(study):
    import io

    from docx import Document
    from pypdf import PdfReader

    from reports.rendering import render

    paper = assemble_paper(study.paper, reader=None)
    regulator = next(q for q in all_quotations(paper) if q.excerpt_id == study.excerpts["ruth_regulator"].pk)
    expected = f"See also quotation {regulator.number} ({regulator.attribution})."

    reader = PdfReader(io.BytesIO(render(paper, "pdf").content))
    pdf_text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    word_text = "\n".join(p.text for p in Document(io.BytesIO(render(paper, "docx").content)).paragraphs)
    assert expected in pdf_text
    assert expected in word_text
    # Each quoted passage appears once in the PDF's text.
    for quotation in all_quotations(paper):
        assert pdf_text.count(" ".join(quotation.paragraphs[0].split())[:60]) == 1


def test_within_a_question_a_new_speaker_comes_before_a_longer_passage_of_one_heard_already(study):
    ruth_interview = study.interviews["ruth"]
    other = make_interview(
        study.case_a,
        title="Tom interview",
        date="2011-06-01",
        transcript=(
            "Tom: Our side of it was simpler, we merged the finance teams first and the rest followed over two years."
        ),
    )
    tom = study.participants["ruth"].__class__.objects.create(
        project=study.project, pseudonym="Tom", role_title="Finance director", consent_to_quote=True
    )
    other.participants.add(tom)
    passage(other, other.transcript.removeprefix("Tom: "), codes=[study.codes["forms"]])
    study.paper.quotes_per_case_study = 2
    study.paper.save()

    rq1 = assemble_paper(study.paper, reader=None).questions[0]

    housing = rq1.case_studies[0]
    # The key quote first; then Tom, whose passage is shorter than Ruth's regulator passage but a second voice.
    assert [q.attribution.split(",")[0] for q in housing.quotations] == ["Ruth", "Tom"]
    assert ruth_interview.pk != other.pk


def test_a_quotation_cut_mid_sentence_is_marked_with_an_ellipsis(study):
    ruth = study.interviews["ruth"]
    study.excerpts["ruth_regulator"].delete()
    start = ruth.transcript.index("joining a larger group")
    make_excerpt(ruth, start=start, end=start + 95, codes=[study.codes["barriers"]])

    rq3 = assemble_paper(study.paper, reader=None).questions[2]

    text = " ".join(rq3.case_studies[0].quotations[0].paragraphs)
    assert text.startswith("[…] joining a larger group") and text.endswith(" […]")


def test_narratives_may_carry_footnotes_and_tables_and_stay_safe():
    html = render_markdown(
        "Savings were small.[^1]\n\n| Case | Savings |\n|---|---|\n| A | £2k |\n\n"
        '<script>alert(1)</script><a href="javascript:alert(1)" onclick="x()">link</a>\n\n[^1]: As reported.'
    )

    assert '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1"' in html
    assert '<li id="fn:1">' in html and "As reported." in html
    assert "<table>" in html and "<td>£2k</td>" in html
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html
