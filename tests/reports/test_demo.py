"""The demo draft on the Partnership project, loaded by `load_partnership_project --demo`."""

import io

import pytest
from django.core.management import call_command

from reports import demo
from reports.assembly import assemble_paper
from reports.models import GroupNarrative, QuestionNarrative, WorkingPaper
from reports.rendering import render
from tests.reports.parity import differences

pytestmark = pytest.mark.django_db


def test_the_demo_loads_a_draft_paper_once(demo_project):
    call_command("load_partnership_project", "--demo", stdout=io.StringIO())

    paper = WorkingPaper.objects.get(project=demo_project, number=58)
    assert paper.series_label == "Working Paper 58"
    assert paper.created_by.username == "lead"
    assert GroupNarrative.objects.filter(paper=paper).count() == 4
    assert QuestionNarrative.objects.filter(paper=paper).count() == 11  # a paragraph per question
    briefing = WorkingPaper.objects.exclude(pk=paper.pk).get(project=demo_project)
    assert sorted(briefing.case_studies.values_list("slug", flat=True)) == [
        "housing-association-mergers",
        "ni-housing-partnerships",
    ]


def test_the_demo_leaves_a_leads_edits_alone(demo_project):
    paper = WorkingPaper.objects.get(project=demo_project, number=58)
    paper.title = "My own title"
    paper.save()
    QuestionNarrative.objects.filter(paper=paper, question__short_label="RQ1").update(text="Rewritten.")

    summary = demo.load_demo(project=demo_project)

    paper.refresh_from_db()
    assert paper.title == "My own title"
    assert QuestionNarrative.objects.get(paper=paper, question__short_label="RQ1").text == "Rewritten."
    assert summary.startswith("drafts “Working Paper 58” (already there) and “Housing associations in partnership")


def test_the_demo_paper_builds_with_or_without_coding(demo_project):
    paper = WorkingPaper.objects.get(project=demo_project, number=58)

    html = render(assemble_paper(paper, reader=None), "html").content.decode()

    assert "Partnership working in and with the third sector: emerging findings from the case studies" in html
    assert "Housing association mergers in England" in html
    assert "E5" in html and "Are consortia an effective response for smaller TSOs" in html
    for real_name in demo_project.participants.values_list("real_name", flat=True):
        assert real_name not in html


def test_the_demo_paper_reads_as_a_draft_in_the_series(demo_project):
    from docx import Document
    from pypdf import PdfReader

    paper = WorkingPaper.objects.get(project=demo_project, number=58)
    assembled = assemble_paper(paper, reader=None)

    pdf = PdfReader(io.BytesIO(render(assembled, "pdf").content))
    pdf_text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    word = Document(io.BytesIO(render(assembled, "docx").content))
    word_text = " ".join(" ".join(p.text for p in word.paragraphs).split())
    # The Word file says what the PDF says, table notes included.
    assert differences(word, pdf) == ([], [])
    assert (
        word_text.count("A passage with several of these codes counts under each")
        == pdf_text.count("A passage with several of these codes counts under each")
        > 0
    )
    for text in (pdf_text, word_text):
        assert "Key findings" in text and "Acknowledgements" in text
        assert "Keywords: third sector; partnership working; mergers; consortia" in text
        assert "0 interviews" not in text and "))" not in text
        assert "2010; 1 September 2010" not in text
        assert "characters" not in text
    # Each quoted passage once in the whole paper.
    quotations = [q for s in assembled.questions for e in s.case_studies for q in e.quotations]
    assert len(quotations) > 20
    assert len({q.excerpt_id for q in quotations}) == len(quotations)
    for quotation in quotations:
        opening = " ".join(quotation.paragraphs[0].split())[:50]
        assert pdf_text.count(opening) == 1, opening
