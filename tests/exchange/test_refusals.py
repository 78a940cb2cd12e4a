"""Files that are refused whole: each with the message the person sees, and nothing written."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError

from exchange import importing
from exchange.importing import import_codebook, import_project
from tests.factories import make_lead, make_project

from . import fixtures as f
from .helpers import make_qdpx, record_counts

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE Project [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol3;"/>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="x"><Description>&secret;</Description></Project>"""

DOCTYPE_ONLY = """<?xml version="1.0"?>
<!DOCTYPE Project SYSTEM "http://example.invalid/project.dtd">
<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>"""


def _zip_with_names(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", f.nvivo_like_project())
        for name in names:
            archive.writestr(zipfile.ZipInfo(name), b"text")
    return buffer.getvalue()


@pytest.fixture
def target(db):
    project = make_project()
    return project, make_lead(project)


def _refused(project, lead, data: bytes, *, name: str = "upload.qdpx", codebook: bool = False) -> list[str]:
    before = record_counts()
    service = import_codebook if codebook else import_project
    with pytest.raises(ValidationError) as error:
        service(project=project, upload=data, file_name=name, imported_by=lead)
    assert record_counts() == before, "a refused file must leave nothing behind"
    return error.value.messages


def test_a_file_that_is_not_a_zip_is_refused(target):
    assert _refused(*target, b"<Project/>", name="project.qde") == [
        "“project.qde” is not a .qdpx project: it is not a zip archive."
    ]


def test_malformed_project_xml_is_refused(target):
    data = make_qdpx(f.nvivo_like_project().replace("</CodeBook>", "</Codebook>"))
    assert _refused(*target, data) == ["“project.qde” is not well-formed XML: mismatched tag: line 21, column 4."]


def test_a_malformed_codebook_is_refused(target):
    data = b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="c1" name="A" isCodable="true"></Cod></Codes>'
    assert _refused(*target, data, name="broken.qdc", codebook=True) == [
        "“broken.qdc” is not well-formed XML: mismatched tag: line 1, column 94."
    ]


def test_a_source_missing_from_the_archive_is_refused(target):
    data = make_qdpx(f.nvivo_like_project())
    assert _refused(*target, data) == [
        f"Source “Interview with Ruth” (GUID {f.SOURCE}): its text file “internal://{f.SOURCE_FILE}” "
        "is not in the archive."
    ]


def test_a_source_outside_the_archive_is_refused(target):
    xml = f.nvivo_like_project().replace(f"internal://{f.SOURCE_FILE}", "relative:///Users/ruth/interview.txt")
    data = make_qdpx(xml, {f"sources/{f.SOURCE_FILE}": f.TEXT})
    assert _refused(*target, data) == [
        f"Source “Interview with Ruth” (GUID {f.SOURCE}): its text file “relative:///Users/ruth/interview.txt” "
        "is not in the archive."
    ]


def test_a_source_that_is_not_utf8_is_refused(target):
    data = make_qdpx(f.nvivo_like_project(), {f"sources/{f.SOURCE_FILE}": "Café".encode("latin-1")})
    assert _refused(*target, data) == [
        f"Source “Interview with Ruth” (GUID {f.SOURCE}): its file “sources/{f.SOURCE_FILE}” is not UTF-8 text."
    ]


@pytest.mark.parametrize("name", ["../../etc/cron.d/evil", "/etc/passwd", "C:/Windows/evil.txt", "sources\\..\\..\\x"])
def test_path_traversal_in_zip_names_is_refused(target, name):
    assert _refused(*target, _zip_with_names(name)) == [
        f"The archive was refused: the file name “{name}” points outside the archive."
    ]


@pytest.mark.parametrize(
    "document", [BILLION_LAUGHS, EXTERNAL_ENTITY, DOCTYPE_ONLY], ids=["entity-expansion", "external-entity", "doctype"]
)
def test_entities_and_document_types_are_refused_in_projects(target, document):
    assert _refused(*target, make_qdpx(document)) == [
        "“project.qde” was refused: it declares a document type or entities (DOCTYPE/ENTITY), "
        "which REFI-QDA files never need and which can be used to attack the reader."
    ]


def test_entities_are_refused_in_codebooks(target):
    document = BILLION_LAUGHS.replace("Project", "CodeBook")
    assert _refused(*target, document.encode(), name="laughs.qdc", codebook=True) == [
        "“laughs.qdc” was refused: it declares a document type or entities (DOCTYPE/ENTITY), "
        "which REFI-QDA files never need and which can be used to attack the reader."
    ]


def test_an_archive_that_expands_beyond_the_limit_is_refused(target, settings):
    settings.EXCHANGE_MAX_EXPANDED_BYTES = 2 * 1024 * 1024
    data = make_qdpx(f.nvivo_like_project(), {f"sources/{f.SOURCE_FILE}": b"\0" * (3 * 1024 * 1024)})
    assert len(data) < 20_000
    assert _refused(*target, data) == ["The archive was refused: it expands to more than 2 MB."]


def test_an_archive_whose_headers_understate_its_size_is_still_stopped(target, settings, monkeypatch):
    settings.EXCHANGE_MAX_EXPANDED_BYTES = 2 * 1024 * 1024
    data = make_qdpx(f.nvivo_like_project(), {f"sources/{f.SOURCE_FILE}": b"\0" * (3 * 1024 * 1024)})
    real_init = zipfile.ZipFile._RealGetContents

    def understate(self):
        real_init(self)
        for info in self.filelist:
            if info.filename.startswith("sources/"):
                info.file_size = 1

    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", understate)
    assert _refused(*target, data) == [
        f"“upload.qdpx” is a damaged zip archive: Bad CRC-32 for file 'sources/{f.SOURCE_FILE}'."
    ]


def test_an_archive_without_a_project_file_is_refused(target):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sources/a.txt", "text")
    assert _refused(*target, buffer.getvalue()) == [
        "“upload.qdpx” holds no project file (*.qde), so it is not a REFI-QDA project."
    ]


def test_an_archive_with_two_project_files_is_refused(target):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", f.nvivo_like_project())
        archive.writestr("backup/old.qde", f.nvivo_like_project())
    assert _refused(*target, buffer.getvalue()) == [
        "“upload.qdpx” holds 2 project files (backup/old.qde, project.qde); a .qdpx must hold exactly one."
    ]


def test_a_project_file_that_is_a_codebook_is_refused(target):
    data = make_qdpx('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>')
    assert _refused(*target, data) == [
        "“project.qde” is not a REFI-QDA project: its root element is <CodeBook>, not <Project>."
    ]


def test_a_codebook_without_codes_is_refused(target):
    data = b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="x"><Codes/></CodeBook>'
    assert _refused(*target, data, name="empty.qdc", codebook=True) == ["“empty.qdc” holds no codes."]


def test_a_failure_half_way_leaves_nothing_behind(target, monkeypatch):
    def fail(**kwargs):
        raise ValidationError("The memo could not be saved.")

    monkeypatch.setattr(importing, "save_memo", fail)
    monkeypatch.setattr(importing._ProjectImport, "import_notes", lambda self: fail())
    data = make_qdpx(f.nvivo_like_project(), {f"Sources/{f.SOURCE_FILE}": f.TEXT})
    assert _refused(*target, data) == ["The memo could not be saved."]


def test_a_source_with_nul_characters_is_refused(target):
    data = make_qdpx(f.nvivo_like_project(), {f"sources/{f.SOURCE_FILE}": b"binary\x00data"})
    assert _refused(*target, data) == [
        f"Source “Interview with Ruth” (GUID {f.SOURCE}): its file “sources/{f.SOURCE_FILE}” "
        "contains NUL characters, so it is not plain text."
    ]
