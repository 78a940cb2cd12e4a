"""References: BibTeX entries cited as [@key] in a paper's texts, formatted author–date in the PDF and Word."""

import io

import pytest
from django.core.exceptions import ValidationError
from docx import Document
from pypdf import PdfReader

from reports.assembly import assemble_paper
from reports.models import QuestionNarrative
from reports.references import MAX_BIBTEX_CHARS, References, cited_keys
from reports.rendering import render
from tests.reports.parity import differences

pytestmark = pytest.mark.django_db

BIBTEX = r"""
@book{huxham2005,
  author = {Huxham, Chris and Vangen, Siv},
  title = {Managing to collaborate: the theory and practice of collaborative advantage},
  publisher = {Routledge},
  address = {London},
  year = {2005}
}
@book{macmillan2010,
  author = {Macmillan, Rob},
  title = {The third sector <script>alert(1)</script> delivering public services},
  publisher = {Third Sector Research Centre},
  address = {Birmingham},
  year = {2010}
}
@book{uncited2012,
  author = {Nobody, Anne},
  title = {Never cited},
  publisher = {Nowhere},
  year = {2012}
}
"""


def test_citations_are_found_in_order_each_once():
    assert cited_keys("As [@b2010] and [@a2005; @b2010] say; not @c or [see @d].") == ["b2010", "a2005"]


def test_the_paper_cites_author_date_and_lists_only_what_it_cites_in_the_pdf_and_word(study):
    study.paper.references = BIBTEX
    study.paper.introduction = "Collaboration is hard [@huxham2005]; delivery is mixed [@macmillan2010; @huxham2005]."
    study.paper.save()
    QuestionNarrative.objects.create(paper=study.paper, question=study.questions[0], text="See [@huxham2005].")

    assembled = assemble_paper(study.paper, reader=None)

    assert assembled.introduction_html == (
        "<p>Collaboration is hard (Huxham and Vangen, 2005); delivery is mixed (Huxham and Vangen, 2005; Macmillan, "
        "2010).</p>"
    )
    assert assembled.questions[0].narrative_html == "<p>See (Huxham and Vangen, 2005).</p>"
    assert assembled.references == [
        "Huxham, C. and Vangen, S. (2005) <em>Managing to collaborate: the theory and practice of collaborative "
        "advantage</em>. London: Routledge.",
        "Macmillan, R. (2010) <em>The third sector  delivering public services</em>. Birmingham: Third "
        "Sector Research Centre.",
    ]
    assert [entry.title for entry in assembled.contents if entry.anchor == "references"] == ["References"]

    pdf = PdfReader(io.BytesIO(render(assembled, "pdf").content))
    pdf_text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    word = Document(io.BytesIO(render(assembled, "docx").content))
    assert "References Huxham, C. and Vangen, S. (2005) Managing to collaborate" in pdf_text
    assert "Never cited" not in pdf_text and "<script>" not in pdf_text and "[@" not in pdf_text
    assert ("Heading 1", "References") in [(p.style.name, p.text) for p in word.paragraphs]
    entry = next(p for p in word.paragraphs if p.text.startswith("Huxham, C. and Vangen, S. (2005)"))
    assert [run.text for run in entry.runs if run.italic] == [
        "Managing to collaborate: the theory and practice of collaborative advantage"
    ]
    assert differences(word, pdf) == ([], [])


def test_without_references_a_citation_stays_as_typed_and_no_list_is_printed(study):
    study.paper.introduction = "As argued [@huxham2005]."
    study.paper.save()

    assembled = assemble_paper(study.paper, reader=None)

    assert "As argued [@huxham2005]." in assembled.introduction_html
    assert assembled.references == []
    assert "references" not in {entry.anchor for entry in assembled.contents}


def test_references_beyond_the_bound_are_refused_before_they_are_parsed():
    with pytest.raises(ValidationError, match="too long"):
        References.parse("@book{a, title={x}}" + " " * MAX_BIBTEX_CHARS)
    with pytest.raises(ValidationError, match="not valid BibTeX"):
        References.parse("@book{a, title={x")
    assert References.parse("").entries() == []
