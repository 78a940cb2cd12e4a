"""The demo draft on the Partnership project, loaded by `load_partnership_project --demo`."""

import io
import re

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
    note = "A passage coded for several of these questions counts under each"
    assert word_text.count(note) == pdf_text.count(note) > 0
    for text in (pdf_text, word_text):
        assert "Key findings" in text and "Acknowledgements" in text
        assert "Keywords: third sector; partnership working; mergers; consortia" in text
        assert not re.search(r"\b0 interviews", text) and "))" not in text
        assert "2010; 1 September 2010" not in text
        assert "characters" not in text
    # Each quoted passage once in the whole paper.
    quotations = [q for s in assembled.questions for e in s.sources for q in e.quotations]
    assert len(quotations) > 20
    assert len({q.excerpt_id for q in quotations}) == len(quotations)
    for quotation in quotations:
        opening = " ".join(quotation.paragraphs[0].split())[:50]
        assert pdf_text.count(opening) == 1, opening


def test_the_demo_paper_prints_cleanly(demo_project, tmp_path):
    """Read from the PDF itself: a table's totals printed once, at its end; a table that runs onto another page
    repeats its header there and says "(continued)" at the head of that page only; no table caption left at the
    foot of a page; no short quotation split across two pages; the contents' page numbers on one right edge."""
    import re
    import subprocess

    from pypdf import PdfReader

    from tests.reports.parity import squashed

    paper = WorkingPaper.objects.get(project=demo_project, number=58)
    assembled = assemble_paper(paper, reader=None)
    content = render(assembled, "pdf").content
    pages, heads = [], []
    for page in PdfReader(io.BytesIO(content)).pages:
        lines = page.extract_text().split("\n")
        if len(lines) >= 2 and re.fullmatch(r"Page \d+ of \d+", lines[-1].strip()):
            heads.append(lines[-2])  # the running head (the text gives it last)
            lines = lines[:-2]  # and the footer
        else:
            heads.append("")
        pages.append(lines)

    # The codebook runs over more than one page: the pages it runs onto open with its header and say so at their
    # head; the page it starts on, and the next appendix, do not. No other page says it.
    codebook = [index for index, head in enumerate(heads) if "Appendix A The codebook" in head]
    continued = [index for index, head in enumerate(heads) if head.endswith("(continued)")]
    assert len(codebook) >= 2 and continued == codebook[1:]
    for index in continued:
        assert heads[index].endswith("Appendix A The codebook (continued)")
        assert pages[index][0] == "Code Definition Questions Passages"
    assert heads[codebook[-1] + 1].endswith("Appendix B The case studies")

    tables = [group for group in assembled.groups if group.overview]
    totals = [line for lines in pages for line in lines if re.fullmatch(r"All( \d+)+", line.strip())]
    assert len(totals) == len(tables) >= 3

    stranded = [line for lines in pages for line in lines[-2:] if re.match(r"Table [\dA-Z.]+: ", line)]
    assert stranded == []

    page_texts = [squashed("".join(lines)) for lines in pages]
    short = [q for s in assembled.questions for e in s.sources for q in e.quotations if q.is_short]
    assert len(short) > 20
    split = [q.paragraphs[0][:60] for q in short if not any(squashed("".join(q.paragraphs)) in t for t in page_texts)]
    assert split == []

    path = tmp_path / "paper.pdf"
    path.write_bytes(content)
    layout = subprocess.run(
        ["pdftotext", "-bbox-layout", "-f", "2", "-l", "4", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    right_edges = []
    for line in re.findall(r"<line[^>]*>(.*?)</line>", layout, re.S):
        words = re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', line)
        if len(words) > 1 and words[-1][1].isdigit() and any(word == "." for _, word in words):
            right_edges.append(float(words[-1][0]))
    assert len(right_edges) >= len(assembled.contents) - 3
    assert max(right_edges) - min(right_edges) < 1


def test_the_demo_paper_reads_as_a_paper_of_the_series_length_built_with_defaults(demo_project):
    """Read from the PDF and the Word file: 20–30 pages; each question's narrative, then its quotations woven in by case
    study with one sentence on the evidence; no headings beneath the questions; withheld passages counted once;
    quotations that make sense alone."""
    from docx import Document
    from pypdf import PdfReader

    from reports.quotations import MIN_QUOTE_WORDS
    from tests.reports.parity import squashed

    paper = WorkingPaper.objects.get(project=demo_project, number=58)
    assembled = assemble_paper(paper, reader=None)
    pdf = PdfReader(io.BytesIO(render(assembled, "pdf").content))
    pdf_text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    word = Document(io.BytesIO(render(assembled, "docx").content))
    word_text = " ".join(" ".join(p.text for p in word.paragraphs).split())

    assert 20 <= len(pdf.pages) <= 30, len(pdf.pages)
    headings = [p.style.name for p in word.paragraphs if p.style.name.startswith("Heading")]
    assert "Heading 3" not in headings
    assert len(assembled.questions) == 11
    for text in (pdf_text, word_text):
        assert "warns against partnership for its own sake (Huxham and Vangen, 2005)" in text
        assert "Working Paper 58 · ISSN 2045-5119" in text and "All rights reserved." in text
        assert "Macmillan, R. (2010) The third sector delivering public services: an evidence review." in text
        assert text.count("withheld") == 1
        assert "Quotation 3." not in text and "none of which may be quoted" not in text
        for question in assembled.questions:
            assert squashed(question.evidence) in squashed(text)
    quotations = [q for s in assembled.questions for source in s.sources for q in source.quotations]
    assert 3 * 11 <= len(quotations) <= 6 * 11
    for quotation in quotations:
        words = " ".join(quotation.paragraphs).split()
        assert len(words) >= MIN_QUOTE_WORDS, words
        assert words[0].strip(",").lower() not in {"and", "um", "well", "so", "but", "erm", "er", "uh"}, words[:5]


def test_the_demo_briefing_is_a_briefing_of_its_two_case_studies(demo_project):
    """Read from the PDF and the Word file: 4–8 pages, key findings first, implications for practice, one quotation
    at most per question, from the two housing case studies only; no contents, tables, charts or appendices."""
    from docx import Document
    from pypdf import PdfReader

    paper = WorkingPaper.objects.get(project=demo_project, title=demo.HOUSING_TITLE)
    assembled = assemble_paper(paper, reader=None)
    pdf = PdfReader(io.BytesIO(render(assembled, "pdf").content))
    pdf_text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    word = Document(io.BytesIO(render(assembled, "docx").content))
    word_text = " ".join(" ".join(p.text for p in word.paragraphs).split())

    assert 4 <= len(pdf.pages) <= 8, len(pdf.pages)
    assert differences(word, pdf) == ([], [])
    for text in (pdf_text, word_text):
        assert text.index("Key findings") < text.index("Context") < text.index("Implications for practice")
        assert "About the centre" in text and "Briefing Paper · ISSN 2045-5127" in text
        assert "Briefing Paper" in text
        assert "scoping interview" not in text and "Scoping interviews" not in text
        for absent in ("Contents", "Appendix", "Table ", "Figure ", "Codebook"):
            assert absent not in text
    quotations = [[q for s in question.sources for q in s.quotations] for question in assembled.questions]
    assert all(len(q) <= 1 for q in quotations) and sum(map(len, quotations)) >= 6
    assert {row.title for row in assembled.case_study_rows} == {
        "Housing association mergers in England",
        "Housing partnerships and consortia in Northern Ireland",
    }
