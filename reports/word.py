"""The Word version of a paper: real heading, quotation and caption styles, so a lead can go on editing it in Word."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

from django.utils import timezone
from docx import Document
from docx.document import Document as WordDocument
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from .charts import frequency_chart_png
from .paper import AssembledPaper, FrequencyTable, QuestionSection

ACCENT = RGBColor(0x08, 0x3B, 0x6A)
MUTED = RGBColor(0x55, 0x60, 0x6E)
ATTRIBUTION_STYLE = "Quotation attribution"
WHITE_SPACE = re.compile(r"\s+")
# The contents: headings 1 and 2, as hyperlinks, without page numbers in Web view.
CONTENTS_FIELD = 'TOC \\o "1-2" \\h \\z'
LANGUAGE = "en-GB"
CASE_STUDY_COLUMNS = ["Case study", "Lead", "Sector", "Region", "Forms of partnership", "Interviews"]
NOTE_STYLE = "Paper note"
SOURCE_STYLE = "Quotation source"


def render_docx(paper: AssembledPaper) -> bytes:
    document = Document()
    _set_up(document, paper)
    if paper.options.is_briefing:
        _briefing(document, paper)
    else:
        _working_paper(document, paper)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _working_paper(document: WordDocument, paper: AssembledPaper) -> None:
    _cover(document, paper)
    _front_matter(document, paper)
    if paper.introduction_html:
        _heading(document, f"{paper.numbers['introduction']} Introduction", 1)
        add_narrative(document, paper.introduction_html)
    _methods(document, paper)
    for group in paper.groups:
        _heading(document, f"{group.number} {group.title}", 1)
        if group.is_emerging:
            _para(document, "These questions emerged during the fieldwork.", style=NOTE_STYLE)
        add_narrative(document, group.narrative_html)
        _overview(document, paper, group)
        for question in group.questions:
            _question(document, paper, question)
    if paper.conclusions_html:
        _heading(document, f"{paper.numbers['conclusions']} Conclusions and next steps", 1)
        add_narrative(document, paper.conclusions_html)
    _references(document, paper)
    _appendices(document, paper)
    if paper.has_back_page:
        _new_page(document)
        _back_page(document, paper)


def _set_up(document: WordDocument, paper: AssembledPaper) -> None:
    properties = document.core_properties
    properties.title = paper.title
    properties.author = paper.authors
    properties.last_modified_by = paper.authors
    properties.subject = paper.project_title
    properties.comments = f"{paper.series_label}. Draft generated from the project's coding."
    properties.language = LANGUAGE
    # The file's own dates, not those of the template it starts from.
    properties.created = properties.modified = timezone.now().replace(microsecond=0)
    properties.revision = 1
    _set_language(document)
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(25), Mm(24)
    section.left_margin = section.right_margin = Mm(22)
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.text = paper.running_title
    header.style = document.styles["Header"]
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Page ")
    _field(footer, "PAGE", "1")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES", "1")

    styles = document.styles
    for level, size in ((1, 16), (2, 13), (3, 11.5)):
        style = styles[f"Heading {level}"]
        style.font.size = Pt(size)
        style.font.color.rgb = ACCENT
    quote = styles["Quote"]
    quote.paragraph_format.left_indent = Cm(1)
    quote.paragraph_format.space_after = Pt(2)
    attribution = styles.add_style(ATTRIBUTION_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    attribution.base_style = styles["Normal"]
    attribution.font.size = Pt(8.5)
    attribution.font.color.rgb = MUTED
    attribution.paragraph_format.left_indent = Cm(1)
    attribution.paragraph_format.space_after = Pt(8)
    note = styles.add_style(NOTE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    note.base_style = styles["Normal"]
    note.font.size = Pt(9)
    note.font.color.rgb = MUTED
    source = styles.add_style(SOURCE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    source.base_style = styles["Normal"]
    source.font.size = Pt(9)
    source.font.bold = True
    source.font.color.rgb = ACCENT
    source.paragraph_format.keep_with_next = True
    source.paragraph_format.space_before = Pt(8)
    source.paragraph_format.space_after = Pt(2)
    # The styles Word gives the contents' entries: defined here so that the entries look the same before and after
    # Word updates the field.
    for level in (1, 2):
        entry = styles.add_style(f"toc {level}", WD_STYLE_TYPE.PARAGRAPH)
        entry.base_style = styles["Normal"]
        entry.paragraph_format.left_indent = Cm(0.8 * (level - 1))
        entry.paragraph_format.space_after = Pt(2)
        entry.paragraph_format.tab_stops.add_tab_stop(Cm(0.8 * level + 0.4))
    # Ask Word to fill in the contents and page numbers when the file is opened.
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    document.settings.element.append(update)


def _set_language(document: WordDocument) -> None:
    """British English for the spelling and grammar checks, in the defaults every style starts from."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    language = run_defaults.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        run_defaults.append(language)
    language.set(qn("w:val"), LANGUAGE)


def _cover(document: WordDocument, paper: AssembledPaper) -> None:
    _title_lines(document, paper, series=paper.series_label + (f" ISSN {paper.issn}" if paper.issn else ""))
    _new_page(document)


def _title_lines(document: WordDocument, paper: AssembledPaper, *, series: str) -> None:
    """The centre, series, title, authors and date, and that it is a draft: the cover, or the head of a briefing."""
    _para(document, paper.centre.upper(), style="Subtitle")
    _para(document, series, style="Subtitle")
    _para(document, paper.title, style="Title")
    if paper.authors:
        _para(document, paper.authors).runs[0].font.size = Pt(14 if not paper.options.is_briefing else 11)
    _para(document, f"{paper.date:%B %Y}")
    if not paper.options.is_briefing:
        _para(document, paper.project_title)
    generated = timezone.localdate()
    _para(
        document,
        f"Draft for discussion, generated {generated.day} {generated:%B %Y} from the project's coding. "
        "Not for citation.",
        style=NOTE_STYLE,
    )


def _briefing(document: WordDocument, paper: AssembledPaper) -> None:
    """A briefing, as the PDF lays it out: the title and key findings across the page, then two columns."""
    _title_lines(document, paper, series=paper.series_label)
    if paper.key_findings_html:
        _front_heading(document, "Key findings")
        add_narrative(document, paper.key_findings_html)
    _columns(document.add_section(WD_SECTION.CONTINUOUS), 2)
    add_narrative(document, paper.abstract_html)
    if paper.introduction_html:
        _heading(document, "Introduction", 1)
        add_narrative(document, paper.introduction_html)
    for group in paper.groups:
        _heading(document, group.title, 1)
        add_narrative(document, group.narrative_html)
        for question in group.questions:
            _heading(document, question.heading, 2)
            add_narrative(document, question.narrative_html)
            for source in question.sources:
                for quotation in source.quotations:
                    for paragraph in quotation.paragraphs:
                        _para(document, paragraph, style="Quote")
                    _para(document, f"({quotation.attribution})", style=ATTRIBUTION_STYLE)
    if paper.implications_html:
        _heading(document, "Implications for practice", 1)
        add_narrative(document, paper.implications_html)
    if paper.conclusions_html:
        _heading(document, "Conclusions and next steps", 1)
        add_narrative(document, paper.conclusions_html)
    _references(document, paper)
    _heading(document, "About this briefing", 1)
    _para(document, paper.briefing_method)
    _para(document, paper.withheld_statement).runs[0].bold = True
    if paper.has_back_page:
        _back_page(document, paper)


def _back_page(document: WordDocument, paper: AssembledPaper) -> None:
    """The series' apparatus, as the PDF's back page has it."""
    _front_heading(document, "About the centre")
    add_narrative(document, paper.about_centre_html)
    for line in (paper.funders, paper.contact):
        if line:
            _para(document, line)
    _para(document, paper.series_label + (f" · ISSN {paper.issn}" if paper.issn else "")).runs[0].bold = True
    if paper.copyright_line:
        _para(document, paper.copyright_line)


def _references(document: WordDocument, paper: AssembledPaper) -> None:
    if paper.references:
        _heading(document, "References", 1)
        add_narrative(document, "".join(f"<p>{entry}</p>" for entry in paper.references))


def _columns(section, number: int) -> None:
    """Lay the section's text out in `number` columns, 8 mm apart."""
    columns = section._sectPr.find(qn("w:cols"))
    if columns is None:
        columns = OxmlElement("w:cols")
        section._sectPr.append(columns)
    columns.set(qn("w:num"), str(number))
    columns.set(qn("w:space"), str(int(Mm(8).twips)))


def _front_matter(document: WordDocument, paper: AssembledPaper) -> None:
    if paper.abstract_html:
        _front_heading(document, "Abstract")
        add_narrative(document, paper.abstract_html)
    _front_apparatus(document, paper)
    _para(document, "Contents", style="TOC Heading")
    _contents(document, paper)
    _new_page(document)


def _front_heading(document: WordDocument, text: str) -> None:
    """A heading of the front matter (abstract, key findings): shown in Word's navigation pane, as the sections
    are, but not numbered and not in the contents."""
    heading = _para(document, text, style="TOC Heading")
    level = OxmlElement("w:outlineLvl")
    level.set(qn("w:val"), "0")
    heading.paragraph_format.element.get_or_add_pPr().append(level)


def _contents(document: WordDocument, paper: AssembledPaper) -> None:
    """The contents as one Word field whose result is already the list of sections: it reads right before Word
    updates it (which the file asks for on opening, adding the page numbers), and updating replaces the list
    rather than adding a second one."""
    entries = paper.contents
    for index, entry in enumerate(entries):
        line = _para(document, style=f"toc {min(entry.level, 2)}")
        if index == 0:
            _field_start(line, CONTENTS_FIELD)
        line.add_run(f"{entry.number}\t{entry.title}")
        if index == len(entries) - 1:
            _field_end(line)


def _methods(document: WordDocument, paper: AssembledPaper) -> None:
    number = paper.numbers["methods"]
    _heading(document, f"{number} Methods", 1)
    add_narrative(document, paper.methods_note_html)
    _para(document, "Fieldwork", style="Heading 4")
    for phase in paper.phases:
        item = _para(document, style="List Bullet")
        item.add_run(phase.title).bold = True
        description = f": {phase.description}" if phase.description else ""
        item.add_run(f", {phase.dates}{description} {_phase_interviews(phase.interview_count)}")
    if paper.case_studies_pointer:
        _para(document, paper.case_studies_pointer)
    else:
        _para(document, f"Table {number}.1: The case studies", style="Caption")
        _table(document, CASE_STUDY_COLUMNS, [_case_study_facts(row) for row in paper.case_study_rows])
    _para(document, "Coding and quotation", style="Heading 4")
    _para(document, paper.quotation_method)
    _para(document, _withheld_total(paper)).runs[0].bold = True


def _withheld_total(paper: AssembledPaper) -> str:
    return paper.withheld_statement


def _question(document: WordDocument, paper: AssembledPaper, question: QuestionSection) -> None:
    _heading(document, f"{question.number} {question.heading}", 2)
    add_narrative(document, question.narrative_html)
    _para(document, question.evidence, style=NOTE_STYLE)
    for source in question.sources:
        _para(document, source.title, style=SOURCE_STYLE)
        for quotation in source.quotations:
            for paragraph in quotation.paragraphs:
                _para(document, paragraph, style="Quote")
            _para(document, _quotation_footer(quotation), style=ATTRIBUTION_STYLE)
    if question.cross_references:
        _para(document, question.cross_reference_text, style=NOTE_STYLE)


def _overview(document: WordDocument, paper: AssembledPaper, group) -> None:
    """The group's evidence at a glance, as the PDF has it before the group's first question."""
    if group.overview is None:
        return
    if paper.options.include_tables:
        _para(document, group.table_caption, style="Caption")
        _frequency_table(document, group.overview)
    if paper.options.include_charts:
        document.add_picture(io.BytesIO(frequency_chart_png(group.overview)), width=Cm(16))
        _para(document, group.figure_caption, style="Caption")


def _frequency_table(document: WordDocument, table: FrequencyTable) -> None:
    rows = [[title, *map(str, counts), str(total)] for title, counts, total in table.rows]
    rows.append(["All", *map(str, table.totals), str(table.grand_total)])
    _table(document, ["Case study", *table.columns, "Passages"], rows, numeric_from=1)
    if table.has_overlaps:
        _para(document, table.overlap_note, style=NOTE_STYLE)


def _appendices(document: WordDocument, paper: AssembledPaper) -> None:
    if paper.question_tables:
        _heading(document, f"Appendix {paper.numbers['appendix_question_tables']} Coded passages by question", 1)
        for _, question in paper.question_tables:
            _para(document, question.table_caption, style="Caption")
            _frequency_table(document, question.table)
    if not paper.options.include_appendices:
        return
    _heading(document, f"Appendix {paper.numbers['appendix_codebook']} The codebook", 1)
    if paper.codebook:
        _table(
            document,
            ["Code", "Definition", "Questions", "Passages"],
            [
                [
                    "    " * entry.depth + entry.name + (" (archived)" if entry.is_archived else ""),
                    entry.definition or "—",
                    entry.questions or "—",
                    str(entry.passage_count),
                ]
                for entry in paper.codebook
            ],
        )
    else:
        _para(document, "The project has no codes yet.")
    _heading(document, f"Appendix {paper.numbers['appendix_case_studies']} The case studies", 1)
    if paper.case_study_rows:
        # As the PDF lays it out: a row of facts for each case study, with its focus beneath, across the table.
        _table(
            document,
            CASE_STUDY_COLUMNS,
            [
                line
                for row in paper.case_study_rows
                for line in [_case_study_facts(row), *([[row.focus]] if row.focus else [])]
            ],
        )
    else:
        _para(document, "No case studies are included.")
    _interviews_appendix(document, paper)


def _case_study_facts(row) -> list[str]:
    return [
        row.title,
        row.lead or "—",
        row.sector or "—",
        row.region or "—",
        row.forms or "—",
        str(row.interview_count),
    ]


def _front_apparatus(document: WordDocument, paper: AssembledPaper) -> None:
    """Key findings, keywords and acknowledgements, as the PDF has them before the contents."""
    if paper.key_findings_html:
        _front_heading(document, "Key findings")
        add_narrative(document, paper.key_findings_html)
    if paper.keywords:
        line = _para(document)
        line.add_run("Keywords: ").bold = True
        line.add_run("; ".join(paper.keywords))
    if paper.acknowledgements_html:
        _para(document, "Acknowledgements", style="TOC Heading")
        add_narrative(document, paper.acknowledgements_html)


def _phase_interviews(count: int) -> str:
    if not count:
        return "None of its interviews is in this paper."
    return f"{count} of its interviews {'is' if count == 1 else 'are'} in this paper."


def _quotation_footer(quotation) -> str:
    """As the PDF gives it: '(Chief executive, housing association, Case study A) [A3]'."""
    text = f"({quotation.attribution})"
    if quotation.reference:
        text += f" [{quotation.reference}]"
    return text


def _interviews_appendix(document: WordDocument, paper: AssembledPaper) -> None:
    if not paper.sources:
        return
    _heading(document, f"Appendix {paper.numbers['appendix_sources']} Interviews quoted", 1)
    _table(
        document,
        ["Reference", "Case study", "Role", "Organisation", "Date", "Quotations"],
        [
            [
                row.reference,
                row.source,
                row.roles or "—",
                row.organisation_kinds or "—",
                row.date or "—",
                str(row.quotation_count),
            ]
            for row in paper.sources
        ],
    )


def _heading(document: WordDocument, text: str, level: int) -> None:
    heading = _para(document, text, style=f"Heading {level}")
    if level == 1:
        heading.paragraph_format.page_break_before = True


def _table(document: WordDocument, header: list[str], rows: list[list[str]], numeric_from: int | None = None) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = document.styles["Light Grid Accent 1"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    # The header row repeats on every page the table runs onto; no row splits across pages.
    header_properties = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header_properties.append(repeat)
    for values in rows:
        row = table.add_row()
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        if len(values) == 1 < len(header):
            # One value: a row across the whole table.
            row.cells[0].merge(row.cells[-1]).text = flowing(values[0])
            continue
        for index, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
            cell.text = flowing(text)
            if numeric_from is not None and index >= numeric_from:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8.5)
    _fit_to_content(table)
    _para(document)


def _fit_to_content(table) -> None:
    """Columns as wide as their content needs (Word's AutoFit to contents), not the equal widths python-docx
    gives every column."""
    table.autofit = True
    properties = table._tbl.tblPr
    width = properties.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        properties.append(width)
    width.set(qn("w:type"), "auto")
    width.set(qn("w:w"), "0")
    for column in table._tbl.tblGrid.findall(qn("w:gridCol")):
        column.attrib.pop(qn("w:w"), None)
    for cell in table._tbl.iter(qn("w:tc")):
        cell_width = cell.tcPr.find(qn("w:tcW")) if cell.tcPr is not None else None
        if cell_width is not None:
            cell_width.set(qn("w:type"), "auto")
            cell_width.set(qn("w:w"), "0")


def _field(paragraph: Paragraph, instruction: str, placeholder: str) -> None:
    """A Word field (page number, page count) that Word computes, showing `placeholder` until it does."""
    _field_start(paragraph, instruction)
    paragraph.add_run(placeholder)
    _field_end(paragraph)


def _field_start(paragraph: Paragraph, instruction: str) -> None:
    """Where a field begins; what follows, up to `_field_end` (in this paragraph or a later one), is its result."""
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    paragraph.add_run()._r.extend([begin, code, separate])


def _field_end(paragraph: Paragraph) -> None:
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)


def _para(document: WordDocument, text: str = "", style: str | None = None) -> Paragraph:
    """A paragraph in a named style. python-docx looks a style up by scanning every style each time, which made a
    100-page paper take half a minute; the ids are looked up once per document instead.

    Text flows as it does in the PDF: line ends in it are spaces, never line breaks typed into the document."""
    paragraph = document.add_paragraph(flowing(text))
    if style is not None:
        paragraph._p.style = _style_ids(document)[style]
    if getattr(document, "_paper_new_page", False):
        paragraph.paragraph_format.page_break_before = True
        document._paper_new_page = False
    return paragraph


def _new_page(document: WordDocument) -> None:
    """The next paragraph starts a page (a paragraph property, not a page break typed into the text)."""
    document._paper_new_page = True


def flowing(text: str) -> str:
    """Runs of white space, line ends included, as one space: how HTML (and so the PDF) lays text out."""
    return WHITE_SPACE.sub(" ", text)


def _style_ids(document: WordDocument) -> dict[str, str]:
    if not hasattr(document, "_paper_style_ids"):
        document._paper_style_ids = {style.name: style.style_id for style in document.styles}
    return document._paper_style_ids


# --- Narratives: the sanitised HTML of reports.markup, as Word paragraphs -------------------------------------


def add_narrative(document: WordDocument, html: str) -> None:
    if html:
        _NarrativeWriter(document).feed(html)


class _NarrativeWriter(HTMLParser):
    """Writes the small set of tags reports.markup allows; anything else was removed before it got here."""

    BLOCK_STYLES = {"p": None, "h4": "Heading 4", "h5": "Heading 5", "h6": "Heading 6", "pre": None}

    def __init__(self, document: WordDocument) -> None:
        super().__init__(convert_charrefs=True)
        self.document = document
        self.paragraph: Paragraph | None = None
        self.lists: list[str] = []
        self.in_quote = 0
        self.bold = self.italic = self.underline = self.code = 0
        self.link: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        match tag:
            case "p" | "h4" | "h5" | "h6" | "pre":
                style = self.BLOCK_STYLES[tag] or ("Quote" if self.in_quote else None)
                if not (self.lists and self.paragraph is not None):
                    self.paragraph = _para(self.document, style=style)
                if tag == "pre":
                    self.code += 1
            case "ul" | "ol":
                self.lists.append(tag)
                self.paragraph = None
            case "li":
                style = "List Number" if self.lists and self.lists[-1] == "ol" else "List Bullet"
                self.paragraph = _para(self.document, style=style)
                if len(self.lists) > 1:
                    self.paragraph.paragraph_format.left_indent = Cm(0.63 * len(self.lists))
            case "blockquote":
                self.in_quote += 1
            case "strong" | "b":
                self.bold += 1
            case "em" | "i":
                self.italic += 1
            case "u":
                self.underline += 1
            case "code":
                self.code += 1
            case "a":
                self.link = dict(attrs).get("href")
            case "br":
                if self.paragraph is not None:
                    self.paragraph.add_run().add_break()

    def handle_endtag(self, tag: str) -> None:
        match tag:
            case "p" | "h4" | "h5" | "h6" | "pre":
                if tag == "pre":
                    self.code -= 1
                if not self.lists:
                    self.paragraph = None
            case "ul" | "ol":
                self.lists.pop()
                self.paragraph = None
            case "li":
                self.paragraph = None
            case "blockquote":
                self.in_quote -= 1
            case "strong" | "b":
                self.bold -= 1
            case "em" | "i":
                self.italic -= 1
            case "u":
                self.underline -= 1
            case "code":
                self.code -= 1
            case "a":
                self.link = None

    def handle_data(self, data: str) -> None:
        if self.paragraph is None:
            if not data.strip():
                return
            self.paragraph = _para(self.document, style="Quote" if self.in_quote else None)
        if not self.code:
            data = flowing(data)
            if not self.paragraph.text:
                data = data.lstrip()
            if not data:
                return
        if self.link:
            _hyperlink(self.paragraph, data, self.link)
            return
        run = self.paragraph.add_run(data)
        run.bold = bool(self.bold) or None
        run.italic = bool(self.italic) or None
        run.underline = bool(self.underline) or None
        if self.code:
            run.font.name = "Courier New"


def _hyperlink(paragraph: Paragraph, text: str, url: str) -> None:
    relationship = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), relationship)
    run = OxmlElement("w:r")
    properties = OxmlElement("w:rPr")
    style = OxmlElement("w:rStyle")
    style.set(qn("w:val"), "Hyperlink")
    properties.append(style)
    colour = OxmlElement("w:color")
    colour.set(qn("w:val"), "0B5394")
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    properties.extend([colour, underline])
    run.append(properties)
    text_element = OxmlElement("w:t")
    text_element.text = text
    text_element.set(qn("xml:space"), "preserve")
    run.append(text_element)
    link.append(run)
    paragraph._p.append(link)
