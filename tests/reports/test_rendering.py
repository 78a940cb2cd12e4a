"""The files a lead downloads: what a reader finds in the PDF, the Word file and the HTML."""

import io
import re
import subprocess

import pytest
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn
from PIL import Image, ImageStat
from pypdf import PdfReader

from reports.assembly import assemble_paper
from reports.models import QuestionNarrative
from reports.rendering import render
from tests.reports.parity import differences

pytestmark = pytest.mark.django_db

REAL_NAMES = ["Ruth Ellingham", "Judith Ormesby", "Fiona Marchbank", "Priya Ravindranath", "Bernadette Kinsella"]


def positions(text: str, needles: list[str]) -> list[int]:
    found = [text.find(needle) for needle in needles]
    assert -1 not in found, [n for n, at in zip(needles, found, strict=True) if at == -1]
    return found


@pytest.fixture
def pdf(study):
    QuestionNarrative.objects.create(paper=study.paper, question=study.questions[0], text="Forms **vary** widely.")
    rendered = render(assemble_paper(study.paper, reader=None), "pdf")
    return rendered


def test_the_pdf_reads_as_a_working_paper(pdf, study):
    reader = PdfReader(io.BytesIO(pdf.content))
    pages = [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]
    text = " ".join(pages)

    assert pdf.page_count == len(reader.pages) > 5
    assert "Emerging findings on partnership" in pages[0]
    assert "Working Paper 58" in pages[0] and "A. Author and B. Author" in pages[0]
    assert "THIRD SECTOR RESEARCH CENTRE" in pages[0]
    # Groups, questions and case studies in order, the quotations under them.
    body = " ".join(pages[2:])  # after the cover and the contents
    in_body = positions(
        body,
        [
            "1 Introduction",
            "2 Methods",
            "3 Context",
            "3.1 RQ1 What forms does collaboration take?",
            "Forms vary widely.",
            "From 6 coded passages in 2 interviews in 2 case studies",
            "Housing mergers Key point: partnership is a marriage, not a rescue.",
            "Wellbeing consortium From the commissioner's side",
            "3.2 RQ2 What drives partnership?",
            "Scoping interviews Fear, mostly.",
            "See also the passages quoted under 3.1",
            "4 Processes",
            "Table 4.1: Processes: coded passages by case study and question",
            "4.1 RQ3 What issues have arisen as barriers?",
            "5 Conclusions and next steps",
            "Appendix A The codebook",
            "Appendix B The case studies",
            "Appendix C Interviews quoted",
        ],
    )
    assert in_body == sorted(in_body)
    assert "(Ruth, Chief executive, housing association, Case study A) [A1]" in text
    assert "characters" not in text and f"Interview {study.interviews['ruth'].pk}" not in text
    assert "1 coded passage from participants who did not consent to be quoted was withheld." in text
    # Withheld passages are counted once, in the methods; no question or case study repeats it, or says "Quotation".
    assert text.count("withheld") == 1 and "none of which may be quoted" not in text and "Quotation 3" not in text
    assert "Confidential: the board fought" not in text
    for name in REAL_NAMES:
        assert name not in text
    # Page numbers in the footer and in the contents, the running header on inner pages.
    assert f"Page 2 of {pdf.page_count}" in pages[1]
    assert f"Page {pdf.page_count} of {pdf.page_count}" in pages[-1]
    assert "Emerging findings" in pages[3]
    assert re.search(r"3\.1 RQ1 What forms does collaboration take\?[ .]*\d+", pages[1])
    # One overview table and one chart per question group, numbered in its chapter, each with its own caption.
    assert "Table 3.1: Context: coded passages by case study and question" in text
    assert "Figure 3.1: Context: coded passages by case study and question" in text
    assert "Figure 4.1: Processes: coded passages by case study and question" in text
    # The methods point to the appendix for the case studies rather than print the same table twice.
    assert "The 2 case studies are described in Appendix B." in text and "Table 2.1" not in text
    assert "by case study and code" not in text


def test_the_pdf_embeds_its_fonts(pdf):
    reader = PdfReader(io.BytesIO(pdf.content))
    fonts = set()
    for page in reader.pages[:3]:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if font["/Subtype"] == "/Type0":
                font = font["/DescendantFonts"][0].get_object()
            descriptor = font["/FontDescriptor"].get_object()
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
    assert fonts == {"Paper-Serif", "Paper-Sans", "Paper-Serif-Bold", "Paper-Sans-Bold", "Paper-Serif-Italic"}


def test_the_cover_renders_to_a_page_that_is_not_blank(pdf, tmp_path):
    (tmp_path / "paper.pdf").write_bytes(pdf.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(tmp_path / "paper.pdf"), str(tmp_path / "page")],
        check=True,
    )
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    stats = ImageStat.Stat(image)
    assert image.size[0] > 200
    assert stats.stddev[0] > 10  # dark cover, light text: far from a uniform page
    assert image.getextrema() != (255, 255)


def test_the_word_file_has_real_headings_and_quotation_styles_in_order(study):
    rendered = render(assemble_paper(study.paper, reader=None), "docx")
    document = Document(io.BytesIO(rendered.content))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]

    assert [text for style, text in headings if style in {"Heading 1", "Heading 2", "Heading 3"}] == [
        "1 Introduction",
        "2 Methods",
        "3 Context",
        "3.1 RQ1 What forms does collaboration take?",
        "3.2 RQ2 What drives partnership?",
        "4 Processes",
        "4.1 RQ3 What issues have arisen as barriers?",
        "5 Conclusions and next steps",
        "Appendix A The codebook",
        "Appendix B The case studies",
        "Appendix C Interviews quoted",
    ]
    assert {style for style, _ in headings} >= {"Heading 1", "Heading 2"}
    # The quotations are woven in by case study, each case study's name leading its quotations.
    sources = [p.text for p in document.paragraphs if p.style.name == "Quotation source"]
    assert sources == ["Housing mergers", "Wellbeing consortium", "Scoping interviews"]
    quotes = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    assert quotes[0].startswith("Key point: partnership is a marriage, not a rescue. Both boards")
    attributions = [p.text for p in document.paragraphs if p.style.name == "Quotation attribution"]
    assert attributions[0] == "(Ruth, Chief executive, housing association, Case study A) [A1]"
    assert document.paragraphs[2].style.name == "Title"
    assert document.paragraphs[2].text == "Emerging findings on partnership"
    assert document.sections[0].header.paragraphs[0].text == "Emerging findings"
    assert len(document.inline_shapes) == 2  # one chart per question group
    everything = "\n".join(p.text for p in document.paragraphs) + "".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    assert "1 coded passage from participants who did not consent to be quoted was withheld." in everything
    for name in REAL_NAMES:
        assert name not in everything


def test_the_word_file_carries_the_narratives_formatting(study):
    study.paper.conclusions = (
        "Three points:\n\n1. **One** and *two*\n2. [Three](https://example.org)\n\n> A quoted line"
    )
    study.paper.save()

    document = Document(io.BytesIO(render(assemble_paper(study.paper, reader=None), "docx").content))

    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    start = paragraphs.index(("Heading 1", "5 Conclusions and next steps"))
    assert paragraphs[start + 1 : start + 5] == [
        ("Normal", "Three points:"),
        ("List Number", "One and two"),
        ("List Number", "Three"),
        ("Quote", "A quoted line"),
    ]
    bold = [run.text for run in document.paragraphs[start + 2].runs if run.bold]
    assert bold == ["One"]


def test_the_html_file_escapes_what_users_typed(study):
    study.paper.title = "Partnership <script>alert('x')</script>"
    study.paper.save()

    html = render(assemble_paper(study.paper, reader=None), "html").content.decode()

    assert "<script>alert" not in html
    assert "Partnership &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    for name in REAL_NAMES:
        assert name not in html


def test_without_tables_charts_or_appendices_the_paper_leaves_them_out(study):
    study.paper.include_tables = study.paper.include_charts = study.paper.include_appendices = False
    study.paper.save()

    html = render(assemble_paper(study.paper, reader=None), "html").content.decode()

    assert "Table 3.1" not in html and "Figure 3.1" not in html and "Appendix A" not in html
    assert "Table 2.1: The case studies" in html


def test_charts_are_drawn_only_by_the_renderings_that_show_them(study, monkeypatch):
    """Assembling draws nothing; Word draws its PNGs and no SVG; HTML and PDF draw an SVG per question group with
    evidence; a paper without charts draws none."""
    from reports import charts

    drawn: list[str] = []
    for name in ("frequency_chart_svg", "frequency_chart_png"):
        real = getattr(charts, name)
        monkeypatch.setattr(charts, name, lambda table, real=real, name=name: drawn.append(name) or real(table))
    monkeypatch.setattr("reports.word.frequency_chart_png", charts.frequency_chart_png)

    assembled = assemble_paper(study.paper, reader=None)
    with_tables = sum(1 for group in assembled.groups if group.overview)
    assert with_tables and drawn == []

    render(assembled, "docx")
    assert drawn == ["frequency_chart_png"] * with_tables
    drawn.clear()
    html = render(assembled, "html").content.decode()
    assert drawn == ["frequency_chart_svg"] * with_tables
    assert html.count('src="data:image/svg+xml;base64,') == with_tables

    study.paper.include_charts = False
    study.paper.save()
    drawn.clear()
    html = render(assemble_paper(study.paper, reader=None), "html").content.decode()
    assert drawn == [] and "data:image/svg+xml" not in html


def structure_of(reader: PdfReader) -> tuple[dict[str, int], list[str]]:
    """The tagged PDF's structure elements by type, and the figures' alternative texts."""
    kinds: dict[str, int] = {}
    alternatives: list[str] = []
    stack = [reader.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop()
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        kind = node.get("/S")
        if kind is not None:
            kinds[str(kind)] = kinds.get(str(kind), 0) + 1
            if kind == "/Figure":
                alternatives.append(str(node.get("/Alt", "")))
        if node.get("/K") is not None:
            stack.append(node["/K"])
    return kinds, alternatives


def test_the_pdf_is_tagged_in_british_english_with_headings_and_described_charts(pdf, study):
    reader = PdfReader(io.BytesIO(pdf.content))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en-GB"
    kinds, alternatives = structure_of(reader)
    assert {"/Document", "/H1", "/H2", "/H3", "/P", "/BlockQuote", "/Table", "/TH", "/Caption"} <= set(kinds)
    charts = [group for group in assemble_paper(study.paper, reader=None).groups if group.overview]
    assert len(alternatives) == len(charts) > 0
    assert all(
        alt.startswith("Bar chart of coded passages by case study for the questions of ") for alt in alternatives
    )


def word_and_pdf(study) -> tuple[Document, PdfReader]:
    assembled = assemble_paper(study.paper, reader=None)
    word = Document(io.BytesIO(render(assembled, "docx").content))
    return word, PdfReader(io.BytesIO(render(assembled, "pdf").content))


def test_the_word_file_says_what_the_pdf_says(study):
    """Every paragraph and table cell of the Word file is in the PDF, and every line of the PDF (but the running
    footers, the contents' dotted lines and the list bullets) is in the Word file."""
    QuestionNarrative.objects.create(
        paper=study.paper, question=study.questions[0], text="Forms vary\nwidely, and *each* is\nnegotiated."
    )
    word, pdf = word_and_pdf(study)
    assert differences(word, pdf) == ([], [])
    assert "Forms vary widely, and each is negotiated." in [p.text for p in word.paragraphs]


def test_the_word_file_flows_in_british_english_with_one_contents_and_its_own_dates(study):
    study.paper.abstract = "What the case studies say\nabout partnership."
    study.paper.key_findings = "- Partnership is often entered into under pressure."
    study.paper.save()
    word, _ = word_and_pdf(study)
    body = word.element.body
    # No line or page break typed into the text: new pages are a property of the paragraph that starts them.
    assert body.findall(".//" + qn("w:br")) == []
    assert sum(1 for p in word.paragraphs if p.paragraph_format.page_break_before) >= 3
    # British English in the defaults every style starts from, and in the file's properties.
    defaults = word.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:lang")).get(qn("w:val")) == "en-GB"
    assert word.core_properties.language == "en-GB"
    # The file's own dates, not the template's.
    assert abs((word.core_properties.created - timezone.now()).total_seconds()) < 120
    assert word.core_properties.modified == word.core_properties.created
    # One contents: a single field whose result is the list of sections, with nothing after it repeating them.
    instructions = [code.text for code in body.iter(qn("w:instrText"))]
    assert [text for text in instructions if "TOC" in text] == [' TOC \\o "1-2" \\h \\z ']
    entries = [p.text for p in word.paragraphs if p.style.name in {"toc 1", "toc 2"}]
    assert entries[:3] == ["1\tIntroduction", "2\tMethods", "3\tContext"]
    headings = [p.text for p in word.paragraphs if p.style.name in {"Heading 1", "Heading 2"}]
    assert [entry.replace("\t", " ") for entry in entries] == headings
    assert sum(1 for p in word.paragraphs if p.text == "3  Context") == 0
    # The abstract is in the navigation pane (an outline level) though not numbered.
    for front in ("Abstract", "Key findings"):
        heading = next(p for p in word.paragraphs if p.text == front)
        assert heading._p.pPr.find(qn("w:outlineLvl")).get(qn("w:val")) == "0"
    assert "What the case studies say about partnership." in [p.text for p in word.paragraphs]
    # Tables fit their content, and keep their notes.
    for table in word.tables:
        assert table._tbl.tblPr.find(qn("w:tblW")).get(qn("w:type")) == "auto"
    overlapping = [q for q in assemble_paper(study.paper, reader=None).questions if q.table and q.table.has_overlaps]
    notes = [p for p in word.paragraphs if p.text.startswith("A passage with several of these codes counts under each")]
    assert len(notes) == len(overlapping)


def test_a_briefing_is_a_few_pages_with_key_findings_first_then_two_columns(study, tmp_path):
    from reports.models import PaperTemplate

    study.paper.template = PaperTemplate.BRIEFING
    study.paper.key_findings = "- Mergers were driven by regulators."
    study.paper.implications = "- Decide early what the smaller partner keeps."
    study.paper.question_tables = True  # a working-paper option: a briefing has no tables whatever it says
    study.paper.save()
    assembled = assemble_paper(study.paper, reader=None)
    content = render(assembled, "pdf").content
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())

    assert len(reader.pages) <= 8
    found = positions(
        text,
        [
            "Emerging findings on partnership",
            "Key findings Mergers were driven by regulators.",
            "Context",
            "RQ1 What forms does collaboration take?",
            "Implications for practice Decide early",
            "Conclusions and next steps",
            "About this briefing This briefing draws on 8 coded passages from 4 interviews in 2 case studies",
        ],
    )
    assert found == sorted(found)
    for absent in ("Contents", "Appendix", "Table ", "Figure ", "See also", "[A1]"):
        assert absent not in text
    assert all(len([q for s in question.sources for q in s.quotations]) <= 1 for question in assembled.questions)
    assert "1 coded passage from participants who did not consent to be quoted was withheld." in text
    # Two columns: beneath the key findings, lines start at the left margin and near the middle of the page.
    path = tmp_path / "briefing.pdf"
    path.write_bytes(content)
    layout = subprocess.run(
        ["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    width = float(re.search(r'<page width="([\d.]+)"', layout).group(1))
    starts = [float(x) for x in re.findall(r'<line xMin="([\d.]+)"', layout)]
    assert any(x < width * 0.2 for x in starts) and any(width * 0.45 < x < width * 0.6 for x in starts)

    word = Document(io.BytesIO(render(assembled, "docx").content))
    assert word.sections[-1]._sectPr.find(qn("w:cols")).get(qn("w:num")) == "2"
    assert [p.text for p in word.paragraphs if p.style.name == "TOC Heading"] == ["Key findings"]
    assert differences(word, reader) == ([], [])


def test_the_series_back_page_about_the_centre_ends_the_pdf_and_the_word_file(study):
    from django.core.exceptions import ValidationError

    from reports.models import PaperSeries

    series = PaperSeries(
        project=study.project,
        name="Working Paper",
        issn="2045-5118",
        copyright_line="© The Centre 2011. All rights reserved.",
        about_centre="The centre studies the *third sector*.",
        funders="Funded by a research council.",
    )
    with pytest.raises(ValidationError) as refused:
        series.full_clean()
    assert refused.value.message_dict["issn"] == [
        "“2045-5118” is not a valid ISSN: four digits, a hyphen and four more, the last a check digit (e.g. 2045-5119)."
    ]
    series.issn = "2045-5119"
    series.full_clean()
    series.save()

    assembled = assemble_paper(study.paper, reader=None)
    reader = PdfReader(io.BytesIO(render(assembled, "pdf").content))
    last = " ".join(reader.pages[-1].extract_text().split())
    word = Document(io.BytesIO(render(assembled, "docx").content))
    word_text = " ".join(" ".join(p.text for p in word.paragraphs).split())

    assert "Working Paper 58 ISSN 2045-5119" in " ".join(reader.pages[0].extract_text().split())
    for text in (last, word_text):
        assert "About the centre The centre studies the third sector. Funded by a research council." in text
        assert "Working Paper 58 · ISSN 2045-5119 © The Centre 2011. All rights reserved." in text
    assert differences(word, reader) == ([], [])

    # A series without a record prints no back page.
    series.delete()
    assembled = assemble_paper(study.paper, reader=None)
    assert not assembled.has_back_page
    assert "About the centre" not in render(assembled, "html").content.decode()
