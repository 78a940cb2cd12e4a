"""Hostile uploads: every reader runs bounded, and each bound gives its own message with nothing written.

The files are small: each test lowers the limit it crosses, so that it runs in a moment. bench/hostile_uploads.py
sends the full-size files, with the limits as shipped, through the upload page.
"""

import dataclasses
import faulthandler
import io
import os
import resource
import signal
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from casestudies import importers, parsing_limits, services
from casestudies.importers import read_transcript
from tests.casestudies import hostile_files as hostile
from tests.casestudies import transcript_files as files
from tests.casestudies.test_import import assert_refused
from tests.factories import make_case_study, make_interview, make_lead, make_project

MB = 1024 * 1024
PRECAUTION = "it was refused as a precaution."
RETRY = "If it opens normally, save it again as a new file, or as plain text (.txt), and import that."

# ---------------------------------------------------------------------------------------------------------------
# Word and OpenDocument archives: what they really unpack to, counted while inflating


def test_a_word_document_whose_headers_understate_what_it_unpacks_to_is_refused(db, settings):
    settings.UPLOAD_MAX_EXPANDED_BYTES = MB
    bomb = hostile.lying_zip_bomb_docx(3 * MB, declared_size=1000)
    assert sum(entry.file_size for entry in zipfile.ZipFile(io.BytesIO(bomb)).infolist()) < MB  # the lie
    assert_refused(
        "bomb.docx",
        bomb,
        f"“bomb.docx” unpacks to more than the limit of 1.0\xa0MB, although it declares less; {PRECAUTION}",
    )


def test_an_opendocument_whose_headers_understate_what_it_unpacks_to_is_refused(db, settings):
    settings.UPLOAD_MAX_EXPANDED_BYTES = MB
    assert_refused(
        "bomb.odt",
        hostile.odt_bomb(3 * MB, declared_size=10),
        f"“bomb.odt” unpacks to more than the limit of 1.0\xa0MB, although it declares less; {PRECAUTION}",
    )


def test_a_word_document_with_an_honestly_huge_text_part_is_refused_before_it_is_parsed(db, monkeypatch):
    monkeypatch.setattr(importers, "ARCHIVE_XML_PART_MAX_BYTES", 64 * 1024)
    assert_refused(
        "long.docx",
        hostile.honest_large_docx(400),
        "“long.docx” holds a part (word/document.xml) that unpacks to more than 64.0\xa0KB of text and markup, far "
        f"more than a transcript needs; {PRECAUTION}",
    )


def test_a_document_compressed_in_a_way_office_never_uses_is_refused(db):
    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(files.docx_file(files.TURNS))) as source, zipfile.ZipFile(packed, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename), compress_type=zipfile.ZIP_BZIP2)
    assert_refused(
        "bzip.docx",
        packed.getvalue(),
        "“bzip.docx” could not be read as a Word document (.docx): it is compressed in a way that Word and "
        f"LibreOffice documents never are; {PRECAUTION}",
    )


def test_an_opendocument_that_defines_entities_is_refused(db):
    assert_refused(
        "laughs.odt",
        hostile.odt_billion_laughs(),
        "“laughs.odt” defines its own XML entities, which documents saved by LibreOffice or Word never do; "
        f"{PRECAUTION}",
    )


def test_a_document_of_too_many_elements_is_refused(db, monkeypatch):
    monkeypatch.setattr(importers, "XML_MAX_ELEMENTS", 500)
    data = hostile.honest_large_docx(200)
    assert_refused(
        "crowded.docx",
        data,
        f"“crowded.docx” is made of more than 500 elements, far more than a transcript needs; {PRECAUTION}",
    )


def test_an_opendocument_nested_too_deeply_is_refused(db):
    deep = "<text:span>" * 201 + "Q: deep" + "</text:span>" * 201
    content = zipfile.ZipFile(io.BytesIO(files.odt_file(["PLACEHOLDER"]))).read("content.xml").decode()
    data = files.rewrite_zip(
        files.odt_file(["PLACEHOLDER"]), replace={"content.xml": content.replace("PLACEHOLDER", deep).encode()}
    )
    assert_refused(
        "deep.odt",
        data,
        f"“deep.odt” nests elements more than 200 levels deep, far more than a transcript needs; {PRECAUTION}",
    )


def test_a_document_that_holds_more_text_than_a_transcript_can_is_refused_while_it_is_read(db, monkeypatch):
    monkeypatch.setattr(importers, "TRANSCRIPT_MAX_CHARACTERS", 2000)
    message = (
        "“{}” holds more than the 2,000 characters of text a transcript can have. Split it into several interviews "
        "and import each."
    )
    assert_refused("long.docx", hostile.honest_large_docx(20), message.format("long.docx"))
    assert_refused("long.odt", files.odt_file(["Q: " + "word " * 100] * 5), message.format("long.odt"))
    assert_refused("long.txt", hostile.text_of_length(2001), message.format("long.txt"))


def test_a_zip_bomb_named_as_text_is_told_apart_without_being_unpacked(db):
    assert_refused(
        "notes.txt",
        hostile.lying_zip_bomb_txt(64 * MB),
        "“notes.txt” is not a plain-text file (.txt): it is a damaged ZIP archive.",
    )


# ---------------------------------------------------------------------------------------------------------------
# PDF: a budget for what its streams decode to, and for what a page draws


@pytest.mark.parametrize(
    "make",
    [
        lambda: hostile.pdf_flate_bomb(3 * MB),
        lambda: hostile.pdf_flate_bomb(3 * MB, twice=True),
        lambda: hostile.pdf_truncated_flate_bomb(3 * MB),
    ],
    ids=["once", "twice", "truncated"],
)
def test_a_pdf_whose_streams_inflate_beyond_the_budget_is_refused(db, monkeypatch, make):
    monkeypatch.setattr(importers, "PDF_MAX_DECODED_BYTES", MB)
    assert_refused(
        "bomb.pdf",
        make(),
        f"“bomb.pdf” holds compressed contents that unpack to more than 1.0\xa0MB, far more than a transcript needs; "
        f"{PRECAUTION}",
    )


def test_a_pdf_page_that_draws_too_much_is_refused(db, monkeypatch):
    monkeypatch.setattr(importers, "PDF_MAX_OBJECTS_PER_PAGE", 100)
    assert_refused(
        "dense.pdf",
        hostile.pdf_many_text_operators(10),
        "“dense.pdf” has a page that draws more than 100 characters and shapes, far more than a page of a transcript "
        f"holds; {PRECAUTION}",
    )


def test_a_pdf_that_draws_more_text_than_a_transcript_can_is_refused_while_it_is_read(db, monkeypatch):
    monkeypatch.setattr(importers, "PDF_MAX_CHARACTERS", 150)
    assert_refused(
        "long.pdf",
        hostile.pdf_many_text_operators(10),
        "“long.pdf” draws more than the 150 characters of text a PDF transcript can have. Split it into several "
        "interviews, or import it as a Word document or plain text.",
    )


def test_a_pdf_stream_with_a_bad_checksum_is_still_read(db):
    stream = zlib.compress(b"BT /F1 12 Tf 72 700 Td (Interviewer: Hello there) Tj ET")
    damaged = stream[:-4] + bytes(4)  # the Adler-32 checksum at the end no longer matches
    imported = read_transcript(name="checksum.pdf", data=hostile.pdf_with_stream(damaged, filters="/FlateDecode"))
    assert imported.text == "Interviewer: Hello there"


# ---------------------------------------------------------------------------------------------------------------
# Markup and subtitles: nesting and counts


@pytest.mark.parametrize(
    ("name", "data", "what"),
    [
        ("brackets.md", hostile.markdown_nested_brackets(2000), "brackets"),
        ("links.md", hostile.markdown_open_links(40), "brackets"),
        ("list.md", hostile.markdown_nested_list(40), "lists or quotations"),
        ("quotes.md", hostile.markdown_nested_quotes(40), "lists or quotations"),
    ],
)
def test_markdown_nested_too_deeply_is_refused(db, name, data, what):
    assert_refused(
        name, data, f"“{name}” nests {what} more than 32 levels deep, far more than a transcript needs; {PRECAUTION}"
    )


def test_markdown_with_brackets_that_close_is_read(db):
    source = "\n".join(f"[00:0{n}:00] Interviewer: [inaudible] and [laughs] ([sic])" for n in range(10)) * 5
    imported = read_transcript(name="brackets.md", data=source.encode())
    assert "[inaudible] and [laughs] ([sic])" in imported.text


@pytest.mark.parametrize("tag", ["div", "span", "b"])
def test_html_nested_too_deeply_is_refused(db, tag):
    assert_refused(
        "deep.html",
        hostile.html_nested(201, tag=tag),
        f"“deep.html” nests elements more than 200 levels deep, far more than a transcript needs; {PRECAUTION}",
    )


def test_an_xhtml_page_that_declares_its_encoding_is_read(db):
    page = '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><body><p>Q: café</p>'
    assert read_transcript(name="page.html", data=(page + "</body></html>").encode()).text == "Q: café"


def test_html_that_defines_entities_does_not_expand_them(db):
    imported = read_transcript(name="laughs.html", data=hostile.html_billion_laughs())
    assert len(imported.text) < 100


@pytest.mark.parametrize(
    ("name", "make"), [("cues.vtt", hostile.vtt_cues), ("cues.srt", hostile.srt_cues)], ids=["vtt", "srt"]
)
def test_a_subtitle_file_with_too_many_cues_is_refused(db, monkeypatch, name, make):
    monkeypatch.setattr(importers, "SUBTITLE_MAX_CUES", 10)
    assert_refused(
        name, make(11), f"“{name}” has 11 subtitle cues, more than the 10 a transcript can have; {PRECAUTION}"
    )
    assert (
        len(read_transcript(name=name, data=make(10)).turns) == 10
    )  # at the limit: one turn a cue, speakers alternating


def test_a_transcript_with_too_many_turns_is_refused(db, monkeypatch):
    monkeypatch.setattr(importers, "TRANSCRIPT_MAX_TURNS", 10)
    assert_refused(
        "turns.txt",
        hostile.text_with_many_turns(11),
        f"“turns.txt” has 11 turns (paragraphs), more than the 10 a transcript can have; {PRECAUTION}",
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the search vector is stored on PostgreSQL only")
def test_a_transcript_too_varied_to_index_for_search_is_refused_before_it_is_saved(db):
    data = hostile.text_of_distinct_words(140_000)
    assert_refused(
        "words.txt",
        data,
        "“words.txt” has too many different words to be indexed for search: its index would be over 1.0\xa0MB, the "
        "most PostgreSQL can store. Split it into several interviews and import each.",
    )


def test_a_long_transcript_of_ordinary_words_is_imported(db):
    interview = make_interview(make_case_study(), transcript="")
    services.import_transcript(
        interview=interview, name="long.txt", data=hostile.text_of_length(400_000), imported_by=None
    )
    interview.refresh_from_db()
    assert len(interview.transcript) > 400_000


# ---------------------------------------------------------------------------------------------------------------
# The child process: whatever a reader does, the worker gets a message


def with_reader(monkeypatch, read) -> None:
    """Make .txt files read by `read` (run in the child like every reader)."""
    fmt = importers._BY_EXTENSION[".txt"]
    monkeypatch.setitem(importers._BY_EXTENSION, ".txt", dataclasses.replace(fmt, read=read))


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def test_a_reader_that_needs_too_much_memory_gives_a_message_and_the_worker_keeps_its_memory(db, monkeypatch):
    monkeypatch.setattr(parsing_limits, "PARSE_MEMORY_BYTES", 128 * MB)

    def hog(name, data, fmt):
        held = [bytearray(16 * MB) for _ in range(64)]  # 1 GB, in pieces
        return str(len(held))

    with_reader(monkeypatch, hog)
    before = peak_rss()
    assert_refused(
        "hog.txt",
        b"Q: x",
        f"“hog.txt” could not be read within the limits: reading it needed more than 128 MB of memory. {RETRY}",
    )
    assert peak_rss() - before < 64 * MB


def test_a_reader_that_spins_is_stopped_by_the_processing_time_limit(db, monkeypatch):
    monkeypatch.setattr(parsing_limits, "PARSE_CPU_SECONDS", 1)
    monkeypatch.setattr(parsing_limits, "PARSE_TIMEOUT_SECONDS", 120)  # so that only the CPU limit can stop it

    def spin(name, data, fmt):
        while True:
            pass

    with_reader(monkeypatch, spin)
    with pytest.raises(ValidationError) as error:
        read_transcript(name="spin.txt", data=b"Q: x")
    assert error.value.messages == [
        "“spin.txt” could not be read within the limits: reading it used more than 1 second of processing time. "
        + RETRY
    ]


def test_a_reader_that_waits_is_stopped_by_the_timeout(db, monkeypatch):
    monkeypatch.setattr(parsing_limits, "PARSE_TIMEOUT_SECONDS", 0.5)
    with_reader(monkeypatch, lambda name, data, fmt: time.sleep(60))
    assert_refused(
        "wait.txt",
        b"Q: x",
        f"“wait.txt” could not be read within the limits: reading it took longer than 0.5 seconds. {RETRY}",
    )


def test_a_reader_that_crashes_gives_a_message(db, monkeypatch):
    def crash(name, data, fmt):
        faulthandler.disable()  # in the child only: pytest's stack dump of the crash would just be noise here
        os.kill(os.getpid(), signal.SIGSEGV)

    with_reader(monkeypatch, crash)
    assert_refused(
        "crash.txt",
        b"Q: x",
        f"“crash.txt” could not be read within the limits: the reader stopped unexpectedly (SIGSEGV). {RETRY}",
    )


def test_a_reader_that_answers_more_than_a_transcript_is_stopped(db, monkeypatch):
    monkeypatch.setattr(parsing_limits, "RESULT_MAX_BYTES", MB)
    monkeypatch.setattr(importers, "TRANSCRIPT_MAX_CHARACTERS", 100 * MB)
    with_reader(monkeypatch, lambda name, data, fmt: "Q: x " * MB)
    assert_refused(
        "flood.txt",
        b"Q: x",
        "“flood.txt” could not be read within the limits: what it contains is longer than a transcript can be. "
        + RETRY,
    )


def test_a_reader_that_fails_in_the_child_reports_the_file_as_damaged(db, monkeypatch):
    with_reader(monkeypatch, lambda name, data, fmt: 1 / 0)
    assert_refused(
        "broken.txt",
        b"Q: x",
        "“broken.txt” could not be read as a plain-text file (.txt): the file is damaged or incomplete.",
    )


def child_processes() -> set[str]:
    """The ids of this process's children, zombies included (Linux lists them per thread)."""
    return {pid for path in Path("/proc/self/task").glob("*/children") for pid in path.read_text().split()}


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="lists child processes through Linux's /proc")
def test_each_import_leaves_no_child_process_behind(db, monkeypatch):
    before = child_processes()
    read_transcript(name="a.txt", data=b"Q: x")
    with pytest.raises(ValidationError):
        read_transcript(name="a.rtf", data=b"not rtf")
    monkeypatch.setattr(parsing_limits, "PARSE_TIMEOUT_SECONDS", 0.2)
    with_reader(monkeypatch, lambda name, data, fmt: time.sleep(60))
    with pytest.raises(ValidationError):
        read_transcript(name="wait.txt", data=b"Q: x")
    assert child_processes() == before


# ---------------------------------------------------------------------------------------------------------------
# Through the upload page


def test_a_hostile_upload_is_refused_on_the_page_with_its_message_and_nothing_saved(client, db, monkeypatch):
    monkeypatch.setattr(importers, "PDF_MAX_DECODED_BYTES", MB)
    project = make_project()
    lead = make_lead(project)
    interview = make_interview(make_case_study(project), transcript="", title="Interview with the director")
    client.force_login(lead)
    response = client.post(
        reverse("casestudies:interview_import", args=[interview.pk]),
        {"file": SimpleUploadedFile("bomb.pdf", hostile.pdf_flate_bomb(3 * MB, twice=True))},
    )
    assert response.status_code == 400
    assert (
        "“bomb.pdf” holds compressed contents that unpack to more than 1.0\xa0MB, far more than a transcript needs; "
        "it was refused as a precaution." in response.content.decode()
    )
    interview.refresh_from_db()
    assert (interview.transcript, interview.transcript_source, interview.transcript_imported_at) == ("", "", None)
