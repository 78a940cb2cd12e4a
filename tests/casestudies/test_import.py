import io
import zipfile
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from casestudies import importers, services
from casestudies.importers import read_transcript
from casestudies.models import Interview
from casestudies.transcripts import split_turns
from tests.casestudies import transcript_files as files
from tests.factories import (
    make_case_study,
    make_excerpt,
    make_interview,
    make_lead,
    make_project,
    make_researcher,
    make_user,
)

# ---------------------------------------------------------------------------------------------------------------
# Every format


def imported(name: str, data: bytes) -> Interview:
    """Import through the service into a new, empty interview, and read the row back."""
    interview = make_interview(make_case_study(), transcript="")
    services.import_transcript(interview=interview, name=name, data=data, imported_by=None)
    return Interview.objects.get(pk=interview.pk)


def speakers(text: str) -> list[str]:
    return [turn.speaker for turn in split_turns(text)]


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("utf8.txt", "utf-8"), ("utf8-bom.txt", "utf-8-sig"), ("utf16.txt", "utf-16"), ("utf16be.txt", "utf-16")],
)
def test_plain_text_in_unicode_is_stored_as_written_with_newlines_normalised(db, name, encoding):
    data = "\r\n\r\n".join(files.TURNS).encode(encoding)
    interview = imported(name, data)
    assert interview.transcript == files.CANONICAL
    assert interview.transcript_source == name
    assert speakers(interview.transcript) == ["Interviewer", "Siân", "Interviewer", "Siân"]


def test_plain_text_from_windows_1252_is_detected(db):
    text = "Interviewer: Where’s the café?\r\nSiân: By the station – £3 a coffee."
    interview = imported("notes.txt", text.encode("cp1252"))
    assert interview.transcript == "Interviewer: Where’s the café?\nSiân: By the station – £3 a coffee."
    # One turn to a line, with no blank line between them, still gives one turn per speaker.
    assert speakers(interview.transcript) == ["Interviewer", "Siân"]


def test_a_word_document_gives_one_paragraph_per_word_paragraph_and_table_rows_as_turns(db):
    data = files.docx_file(
        files.TURNS,
        heading="Interview with a housing association director",
        table_rows=[["00:12:05", "Interviewer", "Anything else?"], ["00:12:09", "Siân", "No, that’s it."]],
    )
    interview = imported("interview.docx", data)
    assert interview.transcript == (
        "Interview with a housing association director\n\n"
        + files.CANONICAL
        + "\n\n[00:12:05] Interviewer: Anything else?\n\n[00:12:09] Siân: No, that’s it."
    )
    turns = split_turns(interview.transcript)
    assert [t.speaker for t in turns] == ["", "Interviewer", "Siân", "Interviewer", "Siân", "Interviewer", "Siân"]
    assert turns[-1].timestamp == "00:12:09"


def test_an_opendocument_text_reads_headings_and_paragraphs(db):
    interview = imported("interview.odt", files.odt_file(files.TURNS, heading="Interview"))
    assert interview.transcript == "Interview\n\n" + files.CANONICAL


def test_a_pdf_text_layer_is_reflowed_into_paragraphs_without_page_numbers(db):
    long_answer = "Siân: " + " ".join(["We met every month at the town hall to go through the figures."] * 6)
    paragraphs = [*files.TURNS_WITHOUT_EMOJI, long_answer]
    interview = imported("interview.pdf", files.pdf_file(paragraphs))
    assert interview.transcript == "\n\n".join(paragraphs)
    assert speakers(interview.transcript) == ["Interviewer", "Siân", "Interviewer", "Siân", "Siân"]


def test_a_long_pdf_loses_its_running_headers_and_joins_turns_carried_over_a_page_break(db):
    clause = "and then we went back to the council with the figures from the first year of the contract"
    paragraphs = [
        f"{'Interviewer' if n % 2 == 0 else 'Siân'}: Turn {n} began, " + ", ".join([clause] * (3 + n % 4)) + "."
        for n in range(30)
    ]
    data = files.pdf_file(paragraphs, running_header="Connected Care interview (confidential)")
    assert data.count(b"/Type /Page\n") >= 3
    interview = imported("long.pdf", data)
    assert interview.transcript == "\n\n".join(paragraphs)


def test_a_pdf_typed_one_turn_to_a_line_is_split_at_each_speaker(db):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", fname=str(files.DEJAVU))
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    for turn in files.TURNS_WITHOUT_EMOJI:
        pdf.cell(0, 5, turn, new_x="LMARGIN", new_y="NEXT")
    interview = imported("single-spaced.pdf", bytes(pdf.output()))
    assert interview.transcript == "\n\n".join(files.TURNS_WITHOUT_EMOJI)


def test_an_rtf_document_keeps_characters_beyond_the_basic_multilingual_plane(db):
    interview = imported("interview.rtf", files.rtf_file(files.TURNS))
    assert interview.transcript == files.CANONICAL
    assert "🙂" in interview.transcript


def test_an_html_page_gives_its_reading_text_one_paragraph_per_block(db):
    interview = imported("interview.html", files.html_file(files.TURNS))
    assert interview.transcript == "Interview transcript\n\n" + files.CANONICAL


def test_markdown_is_stored_as_the_text_a_reader_reads(db):
    source = (
        "# Interview\n\n"
        "**Interviewer:** How did the partnership with the *council* start?\n"
        "Siân: With a [phone call](https://example.org), really.\n\n"
        "- first point\n- second point\n"
    )
    interview = imported("interview.md", source.encode())
    assert interview.transcript == (
        "Interview\n\n"
        "Interviewer: How did the partnership with the council start?\n"
        "Siân: With a phone call, really.\n\n"
        "first point\n\nsecond point"
    )
    assert speakers(interview.transcript) == ["", "Interviewer", "Siân", "", ""]


def test_webvtt_cues_become_turns_with_their_timestamps_and_voices(db):
    data = files.vtt_file(
        [
            ("00:00:01.000", "00:00:04.000", "<v Interviewer>How did the partnership start?"),
            ("00:00:04.500", "00:00:07.000", "<v Siân>With a phone call,"),
            ("00:00:07.000", "00:00:09.000", "<v Siân>really &amp; truly."),
            ("00:01:23.400", "00:01:25.000", "<v.loud Interviewer>And then?\n<v Siân>Then it grew."),
        ]
    )
    interview = imported("recording.vtt", data)
    assert interview.transcript == (
        "[00:00:01] Interviewer: How did the partnership start?\n\n"
        "[00:00:04] Siân: With a phone call, really & truly.\n\n"
        "[00:01:23] Interviewer: And then?\n\n"
        "[00:01:23] Siân: Then it grew."
    )
    turns = split_turns(interview.transcript)
    assert [(t.timestamp, t.speaker) for t in turns] == [
        ("00:00:01", "Interviewer"),
        ("00:00:04", "Siân"),
        ("00:01:23", "Interviewer"),
        ("00:01:23", "Siân"),
    ]


def test_subrip_cues_take_the_speaker_from_a_label_and_carry_it_to_unlabelled_cues(db):
    data = files.srt_file(
        [
            (1.0, 3.0, "Interviewer: How did it start?"),
            (3.5, 5.0, "Siân: With a <i>phone</i> call,"),
            (5.0, 7.0, "really."),
            (3725.0, 3727.0, "Interviewer: An hour in,\nand then?"),
        ]
    )
    interview = imported("recording.srt", data)
    assert interview.transcript == (
        "[00:00:01] Interviewer: How did it start?\n\n"
        "[00:00:03] Siân: With a phone call, really.\n\n"
        "[01:02:05] Interviewer: An hour in, and then?"
    )


def test_subtitles_without_speakers_start_a_paragraph_after_a_pause(db):
    data = files.srt_file([(0.0, 2.0, "Welcome to the workshop."), (2.1, 4.0, "Let us begin."), (9.0, 11.0, "First,")])
    interview = imported("workshop.srt", data)
    assert interview.transcript == "[00:00:00] Welcome to the workshop. Let us begin.\n\n[00:00:09] First,"


def test_an_import_records_where_the_text_came_from_and_who_imported_it(db):
    user = make_user(first_name="Ruth", last_name="Ellis")
    interview = make_interview(make_case_study(), transcript="")
    services.import_transcript(
        interview=interview, name="C:\\Users\\ruth\\interview.txt", data=b"Q: Hi", imported_by=user
    )
    interview.refresh_from_db()
    assert interview.transcript_source == "interview.txt"
    assert interview.transcript_imported_by == user
    assert interview.transcript_imported_at is not None


# ---------------------------------------------------------------------------------------------------------------
# Refusals: each says what was wrong, and nothing is written


def assert_refused(name: str, data: bytes | Callable[[], bytes], message: str) -> None:
    """Refused by the reader, by the import into an interview, and by the import that creates one."""
    data = data() if callable(data) else data  # files are made when the test runs, not when tests are collected
    with pytest.raises(ValidationError) as error:
        read_transcript(name=name, data=data)
    assert error.value.messages == [message]

    interview = make_interview(make_case_study(), transcript="", transcript_source="")
    with pytest.raises(ValidationError) as error:
        services.import_transcript(interview=interview, name=name, data=data, imported_by=None)
    assert error.value.messages == [message]
    interview.refresh_from_db()
    assert (interview.transcript, interview.transcript_source, interview.transcript_imported_at) == ("", "", None)

    count = Interview.objects.count()
    new = Interview(project=interview.project, case_study=interview.case_study, title="New", phase="case_study")
    with pytest.raises(ValidationError) as error:
        services.create_interview_with_transcript(interview=new, name=name, data=data, imported_by=None)
    assert error.value.messages == [message]
    assert Interview.objects.count() == count
    assert new.pk is None


def test_a_file_over_the_size_limit_is_refused(db, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    assert_refused(
        "long.txt",
        b"Q: x\n" * 201,
        "“long.txt” is 1005\xa0bytes; the largest file that can be imported is 1000\xa0bytes.",
    )


def test_the_default_size_limit_is_twenty_megabytes(db):
    with pytest.raises(ValidationError) as error:
        importers.check_size(name="huge.pdf", size=20 * 1024 * 1024 + 1)
    assert error.value.messages == ["“huge.pdf” is 20.0\xa0MB; the largest file that can be imported is 20.0\xa0MB."]


def test_an_empty_file_is_refused(db):
    assert_refused("empty.docx", b"", "“empty.docx” is empty.")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("blank.txt", b"\r\n \r\n\t\r\n"),
        ("blank.docx", lambda: files.docx_file(["", "  "])),
        ("blank.html", b"<html><body><p> </p><script>var x = 1;</script></body></html>"),
    ],
)
def test_a_file_with_no_text_in_it_is_refused(db, name, data):
    assert_refused(name, data, f"“{name}” contains no text.")


def test_a_pdf_without_a_text_layer_is_refused(db):
    assert_refused(
        "scan.pdf",
        files.pdf_image_only(),
        "“scan.pdf” has no text layer: its pages are images, as a scanned document is. Run it through text "
        "recognition (OCR) first, or import the transcript in another format.",
    )


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("broken.docx", lambda: files.docx_file(files.TURNS)[:3000], "a Word document (.docx)"),
        ("broken.odt", lambda: files.odt_file(files.TURNS)[:-400], "an OpenDocument text (.odt)"),
        (
            "broken-xml.odt",
            lambda: files.rewrite_zip(
                files.odt_file(files.TURNS), replace={"content.xml": b"<office:document-content"}
            ),
            "an OpenDocument text (.odt)",
        ),
        ("broken.pdf", lambda: files.pdf_file(files.TURNS_WITHOUT_EMOJI)[:600], "a PDF document"),
        ("broken.txt", b"\xff\xfeI\x00n\x00t", "a plain-text file (.txt)"),  # UTF-16 cut off mid-character
    ],
)
def test_a_damaged_document_is_refused(db, name, data, kind):
    assert_refused(name, data, f"“{name}” could not be read as {kind}: the file is damaged or incomplete.")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("locked.docx", lambda: files.encrypted_docx(files.TURNS)),
        ("locked.pdf", lambda: files.encrypted_pdf(files.TURNS_WITHOUT_EMOJI)),
        ("locked.odt", lambda: files.encrypted_odt(files.TURNS)),
    ],
)
def test_a_password_protected_document_is_refused(db, name, data):
    assert_refused(
        name, data, f"“{name}” is protected by a password. Save a copy without the password and import that."
    )


def test_a_document_that_would_unpack_beyond_the_limit_is_refused(db, settings):
    settings.UPLOAD_MAX_EXPANDED_BYTES = 5 * 1024 * 1024
    bomb = files.rewrite_zip(files.docx_file(files.TURNS), add={"word/media/padding.bin": bytes(6 * 1024 * 1024)})
    assert len(bomb) < 100_000  # it is small to upload: only unpacking it is costly
    unpacked = sum(entry.file_size for entry in zipfile.ZipFile(io.BytesIO(bomb)).infolist())
    assert_refused(
        "bomb.docx",
        bomb,
        f"“bomb.docx” would unpack to {filesizeformat(unpacked)}, more than the limit of 5.0\xa0MB; it was refused "
        "as a precaution.",
    )


def test_a_document_with_thousands_of_files_inside_is_refused(db):
    crowded = files.rewrite_zip(files.odt_file(files.TURNS), add={f"Pictures/{n}.txt": b"" for n in range(2001)})
    assert_refused(
        "crowded.odt",
        crowded,
        "“crowded.odt” holds 2,006 files inside it, more than the 2,000 a document needs; it was refused as a "
        "precaution.",
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "interview.docx",
            lambda: files.pdf_file(["Q: Hello"]),
            "“interview.docx” is not a Word document (.docx): it is a PDF document. Rename it to end in .pdf and "
            "import it again.",
        ),
        (
            "interview.docx",
            b"Interviewer: this is plain text saved with the wrong name",
            "“interview.docx” is not a Word document (.docx): its contents are not in that format.",
        ),
        (
            "interview.docx",
            lambda: files.odt_file(files.TURNS),
            "“interview.docx” is not a Word document (.docx): it is an OpenDocument text (.odt). Rename it to end "
            "in .odt and import it again.",
        ),
        (
            "interview.odt",
            lambda: files.docx_file(files.TURNS),
            "“interview.odt” is not an OpenDocument text (.odt): it is a Word document (.docx). Rename it to end "
            "in .docx and import it again.",
        ),
        (
            "interview.pdf",
            lambda: files.docx_file(files.TURNS),
            "“interview.pdf” is not a PDF document: it is a Word document (.docx). Rename it to end in .docx and "
            "import it again.",
        ),
        (
            "interview.rtf",
            b"Interviewer: not RTF at all",
            "“interview.rtf” is not an RTF document: its contents are not in that format.",
        ),
        (
            "interview.txt",
            lambda: files.docx_file(files.TURNS),
            "“interview.txt” is not a plain-text file (.txt): it is a Word document (.docx). Rename it to end in "
            ".docx and import it again.",
        ),
        (
            "interview.txt",
            lambda: files.rtf_file(files.TURNS),
            "“interview.txt” is not a plain-text file (.txt): it is an RTF document. Rename it to end in .rtf and "
            "import it again.",
        ),
        (
            "recording.txt",
            b"ID3\x04\x00\x00\x00\x00\x00\x00",
            "“recording.txt” is not a plain-text file (.txt): it is an MP3 recording.",
        ),
        (
            "binary.txt",
            bytes(range(1, 256)) * 4,
            "“binary.txt” is not a plain-text file (.txt): it contains binary data.",
        ),
        (
            "nulls.md",
            b"Interviewer:\x00\x00 hello",
            "“nulls.md” is not a Markdown file: it contains binary data.",
        ),
        (
            "page.html",
            b"Interviewer: no markup here",
            "“page.html” is not an HTML page: it has no HTML markup. Rename it to end in .txt and import it again.",
        ),
        (
            "captions.vtt",
            lambda: files.srt_file([(1.0, 2.0, "Hello")]),
            "“captions.vtt” is not a WebVTT subtitle file: it must begin with the line “WEBVTT”.",
        ),
        (
            "captions.srt",
            b"Subtitles for the workshop\n\n1\n00:00:01,000 --> 00:00:02,000\nHello\n",
            "“captions.srt” is not a SubRip subtitle file: from line 1 it does not read as numbered subtitles with "
            "times such as “00:01:02,500 --> 00:01:05,000”.",
        ),
    ],
)
def test_a_file_whose_contents_do_not_match_its_name_is_refused(db, name, data, message):
    assert_refused(name, data, message)


def test_a_webvtt_file_with_a_malformed_cue_is_refused_rather_than_read_without_it(db):
    assert_refused(
        "captions.vtt",
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n\n00:00:0x.000 --> 00:00:04.000\nLost words\n",
        "“captions.vtt” could not be read as a WebVTT subtitle file: a cue’s time line is malformed. Times are "
        "written like “00:01:02.500 --> 00:01:05.000”.",
    )


def test_text_in_an_unrecognised_encoding_is_refused(db):
    # 0x81 and 0x8d are neither UTF-8 nor Windows-1252.
    assert_refused(
        "legacy.txt",
        b"Interviewer: \x81\x8d hello",
        "The character encoding of “legacy.txt” could not be recognised. Save it as UTF-8 text and import it again.",
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "interview.doc",
            "“interview.doc” is a Word 97–2003 document (.doc), which cannot be read here. Open it in Word or "
            "LibreOffice, save it as a Word document (.docx), and import that.",
        ),
        (
            "interview.pages",
            "Files ending in .pages cannot be imported. Import one of these: .txt, .docx, .odt, .pdf, .rtf, .html, "
            ".md, .vtt, .srt.",
        ),
        (
            "README",
            "Files without an extension such as .txt cannot be imported. Import one of these: .txt, .docx, .odt, "
            ".pdf, .rtf, .html, .md, .vtt, .srt.",
        ),
    ],
)
def test_a_file_of_an_unsupported_type_is_refused(db, name, message):
    assert_refused(name, b"Interviewer: hello", message)


def test_a_word_document_with_tracked_changes_is_refused_rather_than_read_without_them(db):
    assert_refused(
        "edited.docx",
        files.docx_with_tracked_insertion(),
        "“edited.docx” has tracked changes. Accept or reject them in Word (Review, then Accept All Changes), save "
        "it, and import it again.",
    )


def test_replacing_the_transcript_of_an_interview_with_excerpts_is_refused(db):
    interview = make_interview(make_case_study())
    original = interview.transcript
    make_excerpt(interview, start=0, end=11)
    make_excerpt(interview, start=13, end=20)
    with pytest.raises(ValidationError) as error:
        services.import_transcript(
            interview=interview, name="new.txt", data=b"Q: A new text", imported_by=None, replace=True
        )
    assert error.value.messages == [
        "This interview already has 2 coded excerpts, which point to places in its current transcript, so the "
        "transcript cannot be replaced. Import the new version into a new interview, or delete the excerpts first."
    ]
    interview.refresh_from_db()
    assert interview.transcript == original
    assert interview.transcript_source == ""


def test_replacing_a_transcript_needs_to_be_confirmed(db):
    interview = make_interview(make_case_study())
    original = interview.transcript
    with pytest.raises(ValidationError) as error:
        services.import_transcript(interview=interview, name="new.txt", data=b"Q: A new text", imported_by=None)
    assert error.value.code == "would_replace"
    interview.refresh_from_db()
    assert interview.transcript == original

    services.import_transcript(
        interview=interview, name="new.txt", data=b"Q: A new text", imported_by=None, replace=True
    )
    interview.refresh_from_db()
    assert interview.transcript == "Q: A new text"


# ---------------------------------------------------------------------------------------------------------------
# The import page


@pytest.fixture
def setting(db):
    project = make_project()
    case_study = make_case_study(project)
    lead = make_lead(project)
    interview = make_interview(case_study, transcript="", title="Interview with the director")
    return project, case_study, lead, interview


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_the_interview_page_offers_the_import_to_those_who_may_edit_it(client, setting):
    project, case_study, lead, interview = setting
    researcher = make_researcher(project, case_study)
    client.force_login(lead)
    page = client.get(interview.get_absolute_url()).content.decode()
    assert reverse("casestudies:interview_import", args=[interview.pk]) in page
    client.force_login(researcher)
    page = client.get(interview.get_absolute_url()).content.decode()
    assert "Import transcript" not in page


def test_only_editors_reach_the_import_page(client, setting):
    project, case_study, lead, interview = setting
    url = reverse("casestudies:interview_import", args=[interview.pk])
    client.force_login(make_researcher(project, case_study))
    assert client.get(url).status_code == 403
    assert client.post(url, {"file": upload("a.txt", b"Q: x")}).status_code == 403
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    interview.refresh_from_db()
    assert interview.transcript == ""


def test_importing_a_file_on_the_page_stores_it_and_shows_the_turns(client, setting):
    _, _, lead, interview = setting
    client.force_login(lead)
    url = reverse("casestudies:interview_import", args=[interview.pk])
    form = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in form
    assert "up to 20.0\xa0MB" in form
    response = client.post(url, {"file": upload("interview.docx", files.docx_file(files.TURNS))}, follow=True)
    assert response.redirect_chain == [(interview.get_absolute_url(), 302)]
    page = response.content.decode()
    assert "Imported “interview.docx”: 30 words in 4 turns; speakers: Interviewer (2), Siân (2)." in page, page
    assert '<strong class="speaker">Siân:</strong> With a phone call, really — in the café on Dale Street. 🙂' in page
    assert "Imported from “interview.docx” on" in page
    interview.refresh_from_db()
    assert interview.transcript == files.CANONICAL
    assert interview.transcript_imported_by == lead


def test_an_upload_sent_by_the_progress_script_is_answered_with_where_to_go(client, setting):
    _, _, lead, interview = setting
    client.force_login(lead)
    response = client.post(
        reverse("casestudies:interview_import", args=[interview.pk]),
        {"file": upload("interview.txt", b"Q: Hello\n\nR: Hi")},
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert response.status_code == 200
    assert response.json() == {"location": interview.get_absolute_url()}


def test_a_refused_file_is_explained_on_the_form_and_nothing_is_saved(client, setting):
    _, _, lead, interview = setting
    client.force_login(lead)
    response = client.post(
        reverse("casestudies:interview_import", args=[interview.pk]),
        {"file": upload("scan.pdf", files.pdf_image_only())},
    )
    assert response.status_code == 400
    assert "“scan.pdf” has no text layer: its pages are images" in response.content.decode()
    interview.refresh_from_db()
    assert (interview.transcript, interview.transcript_source) == ("", "")


def test_a_file_over_the_limit_is_refused_before_it_is_read(client, setting, settings, monkeypatch):
    _, _, lead, interview = setting
    settings.UPLOAD_MAX_BYTES = 100
    monkeypatch.setattr(services, "import_transcript", lambda **kwargs: pytest.fail("the file was read"))
    client.force_login(lead)
    response = client.post(
        reverse("casestudies:interview_import", args=[interview.pk]), {"file": upload("big.txt", b"x" * 101)}
    )
    assert response.status_code == 400
    assert "“big.txt” is 101\xa0bytes; the largest file that can be imported is 100\xa0bytes." in (
        response.content.decode()
    )


def test_an_empty_upload_is_refused_with_its_name(client, setting):
    _, _, lead, interview = setting
    client.force_login(lead)
    response = client.post(reverse("casestudies:interview_import", args=[interview.pk]), {"file": upload("a.txt", b"")})
    assert response.status_code == 400
    assert "“a.txt” is empty." in response.content.decode()


def test_posting_without_a_file_asks_for_one(client, setting):
    _, _, lead, interview = setting
    client.force_login(lead)
    response = client.post(reverse("casestudies:interview_import", args=[interview.pk]), {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_replacing_a_transcript_on_the_page_needs_the_box_ticked(client, setting):
    _, case_study, lead, _ = setting
    interview = make_interview(case_study)
    original = interview.transcript
    client.force_login(lead)
    url = reverse("casestudies:interview_import", args=[interview.pk])
    assert "Importing a file replaces it." in client.get(url).content.decode()
    response = client.post(url, {"file": upload("new.txt", b"Q: new")})
    assert "Tick this to replace the interview’s current transcript with the file." in response.content.decode()
    interview.refresh_from_db()
    assert interview.transcript == original
    client.post(url, {"file": upload("new.txt", b"Q: new"), "replace": "on"})
    interview.refresh_from_db()
    assert interview.transcript == "Q: new"


def test_the_page_explains_why_an_interview_with_excerpts_cannot_take_a_new_transcript(client, setting):
    _, case_study, lead, _ = setting
    interview = make_interview(case_study)
    make_excerpt(interview, start=0, end=11)
    client.force_login(lead)
    url = reverse("casestudies:interview_import", args=[interview.pk])
    page = client.get(url).content.decode()
    assert "This interview has 1 coded excerpt, which point" in page
    assert '<form method="post" enctype' not in page
    response = client.post(url, {"file": upload("new.txt", b"Q: new"), "replace": "on"})
    assert response.status_code == 400
    assert "This interview has 1 coded excerpt, which point" in response.content.decode()
    interview.refresh_from_db()
    assert interview.transcript_source == ""


def test_a_new_interview_can_be_created_with_a_transcript_file(client, setting):
    project, case_study, lead, _ = setting
    client.force_login(lead)
    url = reverse("casestudies:interview_create", args=[project.slug])
    assert 'name="transcript_file"' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "title": "Board chair",
            "phase": "case_study",
            "case_study": case_study.pk,
            "transcript_file": upload("chair.odt", files.odt_file(files.TURNS)),
        },
        follow=True,
    )
    interview = Interview.objects.get(title="Board chair")
    assert response.redirect_chain == [(interview.get_absolute_url(), 302)]
    assert interview.transcript == files.CANONICAL
    assert interview.transcript_source == "chair.odt"
    assert "Saved the interview “Board chair”. Imported “chair.odt”: 30 words in 4 turns" in response.content.decode()


def test_a_new_interview_with_a_refused_file_is_not_created(client, setting):
    project, case_study, lead, _ = setting
    client.force_login(lead)
    count = Interview.objects.count()
    response = client.post(
        reverse("casestudies:interview_create", args=[project.slug]),
        {
            "title": "Board chair",
            "phase": "case_study",
            "case_study": case_study.pk,
            "transcript_file": upload("chair.docx", b"not a document"),
        },
    )
    assert "“chair.docx” is not a Word document (.docx): its contents are not in that format." in (
        response.content.decode()
    )
    assert Interview.objects.count() == count


def test_a_new_interview_takes_pasted_text_or_a_file_not_both(client, setting):
    project, case_study, lead, _ = setting
    client.force_login(lead)
    count = Interview.objects.count()
    response = client.post(
        reverse("casestudies:interview_create", args=[project.slug]),
        {
            "title": "Board chair",
            "phase": "case_study",
            "case_study": case_study.pk,
            "transcript": "Q: pasted",
            "transcript_file": upload("chair.txt", b"Q: uploaded"),
        },
    )
    assert "Paste the transcript or import a file, not both." in response.content.decode()
    assert Interview.objects.count() == count


# ---------------------------------------------------------------------------------------------------------------
# The command


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_the_command_imports_into_an_interview(db, tmp_path):
    interview = make_interview(make_case_study(), transcript="")
    user = make_user(username="ruth")
    out = io.StringIO()
    call_command(
        "import_transcript",
        str(write(tmp_path, "interview.vtt", files.vtt_file([("00:00:01.000", "00:00:02.000", "<v Ruth>Hello")]))),
        "--interview",
        str(interview.pk),
        "--user",
        "ruth",
        stdout=out,
    )
    interview.refresh_from_db()
    assert interview.transcript == "[00:00:01] Ruth: Hello"
    assert interview.transcript_imported_by == user
    assert out.getvalue() == (
        f"Imported “interview.vtt” into “{interview.title}” (interview {interview.pk}): "
        "3 words in 1 turn; speakers: Ruth (1).\n"
    )


def test_the_command_creates_a_case_study_interview_with_its_transcript(db, tmp_path):
    case_study = make_case_study(slug="housing-mergers")
    path = write(tmp_path, "chair.docx", files.docx_file(files.TURNS))
    call_command(
        "import_transcript", str(path), "--case-study", "housing-mergers", "--title", "Board chair",
        "--date", "2011-05-12", stdout=io.StringIO(),
    )  # fmt: skip
    interview = Interview.objects.get(title="Board chair")
    assert (interview.case_study, interview.phase, str(interview.date)) == (case_study, "case_study", "2011-05-12")
    assert interview.transcript == files.CANONICAL


def test_the_command_creates_a_scoping_interview_in_a_project(db, tmp_path):
    project = make_project(slug="partnership")
    path = write(tmp_path, "umbrella.md", b"Q: What do you do?\n\nR: We support local groups.")
    call_command(
        "import_transcript", str(path), "--project", "partnership", "--title", "Umbrella body", stdout=io.StringIO()
    )
    interview = Interview.objects.get(title="Umbrella body")
    assert (interview.project, interview.case_study, interview.phase) == (project, None, "scoping")
    assert speakers(interview.transcript) == ["Q", "R"]


def test_the_command_refuses_a_bad_file_with_the_reason_and_creates_nothing(db, tmp_path):
    make_case_study(slug="housing-mergers")
    path = write(tmp_path, "scan.pdf", files.pdf_image_only())
    with pytest.raises(CommandError) as error:
        call_command("import_transcript", str(path), "--case-study", "housing-mergers", "--title", "Chair")
    assert str(error.value).startswith("“scan.pdf” has no text layer")
    assert not Interview.objects.filter(title="Chair").exists()


def test_the_command_exits_non_zero_with_the_reason(db, tmp_path):
    import subprocess
    import sys

    from django.conf import settings as django_settings

    path = write(tmp_path, "empty.txt", b"")
    result = subprocess.run(
        [sys.executable, "manage.py", "import_transcript", str(path), "--interview", "1"],
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "“empty.txt” is empty." in result.stderr


def test_the_command_asks_for_replace_before_replacing_a_transcript(db, tmp_path):
    interview = make_interview(make_case_study())
    path = write(tmp_path, "new.txt", b"Q: new")
    with pytest.raises(CommandError) as error:
        call_command("import_transcript", str(path), "--interview", str(interview.pk))
    assert str(error.value) == "This interview already has a transcript. Add --replace to replace it."
    call_command("import_transcript", str(path), "--interview", str(interview.pk), "--replace", stdout=io.StringIO())
    interview.refresh_from_db()
    assert interview.transcript == "Q: new"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--interview", "999999"], "There is no interview with id 999999."),
        (["--case-study", "nowhere", "--title", "T"], "There is no case study “nowhere”."),
        (["--title", "T"], "Give --case-study SLUG, or --project SLUG for a scoping interview."),
        ([], "Give --interview ID, or --title with --case-study SLUG (or --project SLUG)."),
        (
            ["--interview", "1", "--title", "T"],
            "Give either --interview, or --title with --case-study or --project; not both.",
        ),
    ],
)
def test_the_command_explains_wrong_arguments(db, tmp_path, arguments, message):
    path = write(tmp_path, "a.txt", b"Q: hi")
    with pytest.raises(CommandError) as error:
        call_command("import_transcript", str(path), *arguments)
    assert str(error.value) == message


def test_the_command_refuses_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError) as error:
        call_command("import_transcript", str(tmp_path / "missing.txt"), "--interview", "1")
    assert str(error.value) == f"There is no file at {tmp_path / 'missing.txt'}."


def test_a_case_study_slug_used_in_two_projects_needs_the_project(db, tmp_path):
    make_case_study(slug="shared")
    other = make_case_study(slug="shared")
    path = write(tmp_path, "a.txt", b"Q: hi")
    with pytest.raises(CommandError) as error:
        call_command("import_transcript", str(path), "--case-study", "shared", "--title", "T")
    assert str(error.value) == "Several projects have a case study “shared”: add --project SLUG."
    call_command(
        "import_transcript", str(path), "--case-study", "shared", "--project", other.project.slug, "--title", "T",
        stdout=io.StringIO(),
    )  # fmt: skip
    assert Interview.objects.get(title="T").case_study == other
