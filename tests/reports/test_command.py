"""`manage.py build_working_paper ID --format pdf|docx|html --out FILE`."""

import io

import pytest
from django.core.management import CommandError, call_command
from docx import Document
from pypdf import PdfReader

from reports.models import PaperBuild

pytestmark = pytest.mark.django_db


def build(*args) -> str:
    out = io.StringIO()
    call_command("build_working_paper", *args, stdout=out)
    return out.getvalue()


def test_the_command_writes_a_pdf(study, tmp_path):
    target = tmp_path / "wp58.pdf"

    output = build(str(study.paper.pk), "--format", "pdf", "--out", str(target))

    reader = PdfReader(target)
    assert "Emerging findings on partnership" in reader.pages[0].extract_text().replace("\n", " ")
    assert output.splitlines()[:2] == ["Assembling… (at 0.0 s)", output.splitlines()[1]]
    assert output.splitlines()[1].startswith("Rendering… (at ")
    assert f"Wrote {target} (" in output and f", {len(reader.pages)} pages; 6 quotations, 1 withheld) in " in output
    assert not PaperBuild.objects.exists()  # the command writes the file, not a build record


def test_the_command_writes_word_and_html(study, tmp_path):
    build(str(study.paper.pk), "--format", "docx", "--out", str(tmp_path / "wp.docx"))
    build(str(study.paper.pk), "--format", "html", "--out", str(tmp_path / "wp.html"))

    headings = [p.text for p in Document(tmp_path / "wp.docx").paragraphs if p.style.name == "Heading 1"]
    assert headings[:3] == ["1 Introduction", "2 Methods", "3 Context"]
    assert '<h1 class="paper-title">Emerging findings on partnership</h1>' in (tmp_path / "wp.html").read_text()


def test_an_unknown_paper_is_reported(db, tmp_path):
    with pytest.raises(CommandError, match=r"^There is no working paper with id 999\.$"):
        build("999", "--format", "pdf", "--out", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()


def test_a_missing_folder_is_reported(study, tmp_path):
    with pytest.raises(CommandError, match=rf"^The folder {tmp_path / 'nowhere'} does not exist\.$"):
        build(str(study.paper.pk), "--format", "pdf", "--out", str(tmp_path / "nowhere" / "x.pdf"))


def test_an_unknown_format_is_refused(study, tmp_path):
    with pytest.raises(CommandError, match=r"argument --format: invalid choice: 'odt'"):
        build(str(study.paper.pk), "--format", "odt", "--out", str(tmp_path / "x.odt"))


def test_a_failing_build_is_reported_not_swallowed(study, tmp_path, monkeypatch):
    def broken(paper, format):
        raise OSError("no space left on device")

    monkeypatch.setattr("reports.services.render", broken)

    with pytest.raises(CommandError, match=r"^The build failed: OSError: no space left on device$"):
        build(str(study.paper.pk), "--format", "pdf", "--out", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()
