"""REFI-QDA imports keep a source's text and selections exactly, name what they refuse, and stay bounded."""

from __future__ import annotations

import io
import random
import string
import struct
import tracemalloc
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from casestudies.models import Interview
from coding.models import Excerpt, Memo
from exchange import importing, reading
from exchange.exporting import build_project_archive
from exchange.importing import import_project
from tests.factories import make_lead, make_project

from . import fixtures as f
from .helpers import NS, assert_valid, make_qdpx, record_counts, unzip


@pytest.fixture
def target(db):
    project = make_project(slug="target")
    return project, make_lead(project, username="ruth", first_name="Ruth", last_name="Ellis")


def _refused(project, lead, data: bytes) -> list[str]:
    before = record_counts()
    with pytest.raises(ValidationError) as error:
        import_project(project=project, upload=data, file_name="upload.qdpx", imported_by=lead)
    assert record_counts() == before, "a refused file must leave nothing behind"
    return error.value.messages


def _selection(span: tuple[int, int], *, name: str = "", guid: str = f.SELECTIONS[0]) -> str:
    return f.selection(guid, span, user=f.RUTH, codings=[(f.TRUST, f.RUTH)], name=name)


# --- Descriptions and notes without an author -------------------------------------------------------


def test_a_source_with_a_description_imports_it_as_a_memo_on_the_interview_by_the_importer(target):
    project, lead = target
    data = f.plain_qdpx("Ruth: We met.", source_extra="<Description>Recorded at the housing office.</Description>")
    report = import_project(project=project, upload=data, file_name="plain.qdpx", imported_by=lead)
    interview = Interview.objects.get(project=project)
    memo = Memo.objects.get(interview=interview)
    assert (memo.title, memo.text, memo.author) == ("Description", "Recorded at the housing office.", lead)
    assert "Description (Interview 3)" in report.imported["Memos"]


def test_from_the_command_line_without_a_user_a_description_is_credited_to_the_sources_creator(target):
    project, lead = target
    data = f.plain_qdpx("Ruth: We met.", source_extra="<Description>Recorded in March.</Description>")
    import_project(project=project, upload=data, file_name="plain.qdpx", imported_by=None)
    memo = Memo.objects.get(interview__project=project)
    assert (memo.text, memo.author) == ("Recorded in March.", lead)  # the file's Ruth Ellis, matched by name


def test_a_note_without_a_creating_user_is_kept_with_the_importer_as_author(target):
    project, lead = target
    note = f'<Note guid="{f.NOTES[0]}" name="Loose thought"><PlainTextContent>Ask about rent.</PlainTextContent></Note>'
    data = f.plain_qdpx("Ruth: We met.", notes=note)
    report = import_project(project=project, upload=data, file_name="plain.qdpx", imported_by=lead)
    memo = Memo.objects.get(project=project, title="Loose thought")
    assert (memo.text, memo.author) == ("Ask about rent.", lead)
    assert report.dropped == []


# --- The text exactly as the file has it ----------------------------------------------------------


def test_blank_lines_around_a_source_are_kept_and_a_selection_to_the_end_is_kept_whole(target):
    project, lead = target
    text = "\n\nInterviewer: How did it start?\n\nRuth: With trust.\n\n"
    span = (text.index("Ruth"), len(text))
    data = f.plain_qdpx(text, selections=_selection(span, name="Ruth: With trust."))
    report = import_project(project=project, upload=data, file_name="plain.qdpx", imported_by=lead)
    interview = Interview.objects.get(project=project)
    excerpt = Excerpt.objects.get(interview=interview)
    assert interview.transcript == text
    assert (excerpt.start, excerpt.end, excerpt.text) == (*span, "Ruth: With trust.\n\n")
    assert report.dropped == [] and report.notes == []

    exported = unzip(build_project_archive(project=project, user=None))
    root = assert_valid(exported["project.qde"], "Project-mrt2019.xsd")
    source = root.find("q:Sources/q:TextSource", NS)
    selection = source.find("q:PlainTextSelection", NS)
    assert exported[source.get("plainTextPath").replace("internal://", "sources/")] == text.encode()
    assert (int(selection.get("startPosition")), int(selection.get("endPosition"))) == span


def test_only_the_bom_and_line_endings_of_a_source_change_and_positions_follow(target):
    project, lead = target
    text = "\r\nInterviewer: And now? 💬\r\n\r\nRuth: Now we negotiate.\r\n"
    start = text.index("Ruth")
    data = f.plain_qdpx(
        "\ufeff".encode() + text.encode(), selections=_selection((start, len(text)), name="Ruth: Now we negotiate.")
    )
    report = import_project(project=project, upload=data, file_name="plain.qdpx", imported_by=lead)
    interview = Interview.objects.get(project=project)
    assert interview.transcript == "\nInterviewer: And now? 💬\n\nRuth: Now we negotiate.\n"
    assert Excerpt.objects.get(interview=interview).text == "Ruth: Now we negotiate.\n"
    assert report.notes == [
        "“Interview 3”: the byte-order mark was removed; line endings were converted to LF. "
        "Positions were adjusted to match."
    ]


def test_a_selection_that_cannot_be_kept_exactly_is_dropped_with_why(target):
    project, lead = target
    text = "One line.\r\nAnother line.\r\nA third line."
    good = f.code_point_span(text, "Another line.")
    third = f.code_point_span(text, "A third line.")
    selections = (
        _selection(good, name="Another line.")
        + _selection(third, name="A third line.", guid=f.SELECTIONS[2])
        + _selection((0, 10), guid=f.SELECTIONS[1])
    )
    data = f.plain_qdpx(text, selections=selections)
    report = import_project(project=project, upload=data, file_name="p.qdpx", imported_by=lead)
    assert sorted(e.text for e in Excerpt.objects.filter(interview__project=project)) == [
        "A third line.",
        "Another line.",
    ]
    assert report.dropped == [
        (
            "A selection [0, 10) in “Interview 3”",
            "it starts or ends between the two characters of a line ending (CR LF), which become one",
        )
    ]


# --- Refusals name the element at fault -----------------------------------------------------------


def test_a_rule_broken_while_a_case_is_saved_names_the_case(target, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError({"title": ["Ensure this value has at most 200 characters."]})

    monkeypatch.setattr(importing, "save_case_study", refuse)
    assert _refused(*target, f.nvivo_like_qdpx()) == [
        f"Case “Riverside” (GUID {f.CASE}): title: Ensure this value has at most 200 characters."
    ]


def test_a_rule_broken_while_a_source_is_saved_names_the_source(target, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError({"date": ["Enter a valid date."]})

    monkeypatch.setattr(importing, "save_interview", refuse)
    assert _refused(*target, f.plain_qdpx("Ruth: We met.")) == [
        f"Source “Interview 3” (GUID {f.SOURCE}): date: Enter a valid date."
    ]


def test_a_source_with_two_byte_order_marks_is_refused_by_name(target):
    assert _refused(*target, f.plain_qdpx("\ufeff\ufeffRuth: We met.".encode())) == [
        f"Source “Interview 3” (GUID {f.SOURCE}): it cannot be read as a transcript: "
        "The text starts with more than one byte-order mark."
    ]


# --- Bounds ---------------------------------------------------------------------------------------


def _peak_while(action) -> int:
    tracemalloc.start()
    try:
        action()
    finally:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def test_a_source_longer_than_a_transcript_may_be_is_refused_by_name(target):
    text = "Ruth: " + "x" * reading.MAX_SOURCE_CHARS
    assert _refused(*target, f.plain_qdpx(text)) == [
        f"Source “Interview 3” (GUID {f.SOURCE}): its text is longer than 1,000,000 characters, the most one "
        "transcript can hold (so that it can be saved and searched). Split it into shorter sources in the other tool."
    ]


def test_a_note_longer_than_a_memo_may_be_is_refused_by_name(target):
    note = (
        f'<Note guid="{f.NOTES[0]}" name="Long"><PlainTextContent>'
        f"{'x' * (reading.MAX_SOURCE_CHARS + 1)}</PlainTextContent></Note>"
    )
    assert _refused(*target, f.plain_qdpx("Ruth: We met.", notes=note)) == [
        f"Note “Long” (GUID {f.NOTES[0]}): its text is longer than 1,000,000 characters, the most one memo can hold."
    ]


def test_a_huge_source_in_a_small_archive_is_stopped_while_it_expands(target):
    data = f.plain_qdpx(b"word " * (64 * 1024 * 1024 // 5))  # 64 MB of text in a zip of about 64 KB
    assert len(data) < 200_000
    messages: list[str] = []
    peak = _peak_while(lambda: messages.extend(_refused(*target, data)))
    assert messages == [
        f"Source “Interview 3” (GUID {f.SOURCE}): its text is longer than 1,000,000 characters, the most one "
        "transcript can hold (so that it can be saved and searched). Split it into shorter sources in the other tool."
    ]
    assert peak < 16 * 1024 * 1024, f"{peak:,} bytes held while refusing a 64 MB source"


def _lying_zip(data: bytes, name: str, claimed_size: int) -> bytes:
    """The archive with the uncompressed size of `name` rewritten in its local header and central directory."""
    raw = bytearray(data)
    encoded = name.encode()
    local = raw.index(b"PK\x03\x04")
    while raw[local + 30 : local + 30 + len(encoded)] != encoded:
        local = raw.index(b"PK\x03\x04", local + 4)
    struct.pack_into("<I", raw, local + 22, claimed_size)
    central = raw.index(b"PK\x01\x02")
    while raw[central + 46 : central + 46 + len(encoded)] != encoded:
        central = raw.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", raw, central + 24, claimed_size)
    return bytes(raw)


def test_an_archive_whose_headers_understate_a_size_is_refused_while_reading_with_memory_bounded(target):
    honest = f.plain_qdpx(b"Ruth: " + b"We met. " * (8 * 1024 * 1024))  # 64 MB that says it is 1 KB
    data = _lying_zip(honest, f"sources/{f.SOURCE_FILE}", 1024)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo(f"sources/{f.SOURCE_FILE}").file_size == 1024
    messages: list[str] = []
    peak = _peak_while(lambda: messages.extend(_refused(*target, data)))
    assert messages == [f"“upload.qdpx” is a damaged zip archive: Bad CRC-32 for file 'sources/{f.SOURCE_FILE}'."]
    assert peak < 16 * 1024 * 1024


def test_an_archive_whose_headers_overstate_its_size_is_refused_before_reading(target, settings):
    settings.UPLOAD_MAX_EXPANDED_BYTES = 2 * 1024 * 1024
    data = _lying_zip(f.plain_qdpx("Ruth: We met."), f"sources/{f.SOURCE_FILE}", 3 * 1024 * 1024)
    assert _refused(*target, data) == ["The archive was refused: it expands to more than 2 MB."]


def test_the_expansion_limit_follows_the_upload_cap(target, settings):
    settings.UPLOAD_MAX_EXPANDED_BYTES = 2 * 1024 * 1024
    settings.EXCHANGE_MAX_EXPANDED_BYTES = 512 * 1024 * 1024
    data = f.plain_qdpx(b"word " * (600 * 1024))  # 3 MB: under the source bound, over the archive's
    assert _refused(*target, data) == ["The archive was refused: it expands to more than 2 MB."]


def test_project_xml_nested_too_deep_is_refused(target):
    codes = f'<Code guid="{f.TRUST}" name="Level" isCodable="true">' * 70 + "</Code>" * 70
    assert _refused(*target, f.plain_qdpx("Ruth: We met.", codes=codes)) == [
        "“project.qde” was refused: it nests elements more than 64 deep."
    ]


def test_project_xml_with_too_many_elements_is_refused(target, monkeypatch):
    monkeypatch.setattr(reading, "MAX_XML_ELEMENTS", 50)
    selections = "".join(_selection((0, 4), guid=f"ABCDABCD-6666-4666-8666-{n:012d}") for n in range(20))
    assert _refused(*target, f.plain_qdpx("Ruth: We met.", selections=selections)) == [
        "“project.qde” was refused: it holds more than 50 elements."
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the search vector is PostgreSQL's")
def test_a_source_too_varied_to_index_for_search_is_refused_by_name_on_postgresql(target):
    rng = random.Random(3)
    words = " ".join("".join(rng.choices(string.ascii_lowercase, k=7)) for _ in range(110_000))
    assert len(words) < reading.MAX_SOURCE_CHARS
    assert _refused(*target, f.plain_qdpx(words)) == [
        f"Source “Interview 3” (GUID {f.SOURCE}): its text has too many different words to be indexed for search "
        "(PostgreSQL keeps at most 1 MB of search index per transcript). Split it into shorter sources in the "
        "other tool."
    ]


def test_an_archive_entry_is_read_in_bounded_chunks():
    data = make_qdpx("<Project/>", {"sources/a.txt": b"a" * (3 * reading.CHUNK_BYTES + 5)})
    archive = reading.Archive(data, label="a.qdpx")
    sizes = [len(chunk) for chunk in archive.chunks("sources/a.txt")]
    assert sizes == [reading.CHUNK_BYTES] * 3 + [5]
    assert archive.expanded == 3 * reading.CHUNK_BYTES + 5
