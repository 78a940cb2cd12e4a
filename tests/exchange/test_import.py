from __future__ import annotations

import datetime as dt
import uuid

import pytest

from casestudies.models import CaseStudy, Interview, PhaseKind
from coding.colours import PALETTE_COLOURS as CODE_PALETTE
from coding.models import Code, Excerpt, Memo
from coding.services import create_code
from exchange.importing import import_codebook, import_project
from tests.factories import make_lead, make_project, make_user

from . import fixtures as f
from .helpers import make_qdpx


@pytest.fixture
def target(db):
    project = make_project(title="Imported study")
    lead = make_lead(project, username="ruth", first_name="Ruth", last_name="Ellis")
    return project, lead


def _import(project, lead, data: bytes, name: str = "riverside.qdpx"):
    return import_project(project=project, upload=data, file_name=name, imported_by=lead)


def test_an_nvivo_style_project_imports_with_positions_converted_from_utf16(target):
    project, lead = target
    report = _import(project, lead, f.nvivo_like_qdpx())

    interview = Interview.objects.get(project=project)
    assert interview.title == "Interview with Ruth"
    assert interview.transcript == f.CANONICAL
    texts = sorted(e.text for e in Excerpt.objects.filter(interview=interview))
    assert texts == sorted(
        [
            "trust 🤝, then a contract",
            "trust 🤝, then a contract",
            "With trust",
            "we negotiate 💬 every year",
            "How did it start?",
        ]
    )
    assert all(interview.transcript[e.start : e.end] == e.text for e in Excerpt.objects.all())
    assert (
        "Positions in “Interview with Ruth” were counted in UTF-16 code units (as NVivo for Windows counts); "
        "they were converted to characters." in report.notes
    )
    assert (
        "“Interview with Ruth”: the byte-order mark was removed; line endings were converted to LF. "
        "Positions were adjusted to match." in report.notes
    )


def test_utf16_positions_are_detected_without_help_from_the_origin(target):
    project, lead = target
    report = _import(project, lead, f.nvivo_like_qdpx(origin="Some other tool 1.0"))
    assert sorted(Excerpt.objects.values_list("text", flat=True))[0] == "How did it start?"
    assert any("UTF-16 code units" in note for note in report.notes)


def test_selections_are_split_into_one_excerpt_per_coder_with_their_codes(target):
    project, lead = target
    _import(project, lead, f.nvivo_like_qdpx())

    both = Excerpt.objects.filter(text="trust 🤝, then a contract").order_by("pk")
    ruths, alexs = both
    assert ruths.coded_by == lead
    assert ruths.guid == uuid.UUID(f.SELECTIONS[0])
    assert [c.name for c in ruths.codes.all()] == ["Trust"]
    assert ruths.memo == "Where it began."
    assert alexs.coded_by.get_full_name() == "Alex Morgan (imported)"
    assert sorted(c.name for c in alexs.codes.all()) == ["Conflict", "Negotiation"]
    assert alexs.guid != ruths.guid
    assert ruths.created_at == dt.datetime(2024, 2, 1, 9, 30, tzinfo=dt.UTC)
    assert ruths.updated_at == dt.datetime(2024, 2, 2, 9, 30, tzinfo=dt.UTC)
    link = ruths.code_links.get()
    assert link.applied_at.date() == dt.date(2024, 3, 2)


def test_unknown_coders_become_inactive_placeholder_accounts(target):
    project, lead = target
    report = _import(project, lead, f.nvivo_like_qdpx())

    alex = Excerpt.objects.get(text="With trust").coded_by
    assert alex.username == "refi-alex-morgan"
    assert not alex.is_active
    assert not alex.has_usable_password()
    assert "“Ruth Ellis” → the existing account “Ruth Ellis”." in report.coders
    assert (
        "“Alex Morgan” → a new inactive placeholder account “Alex Morgan (imported)” (refi-alex-morgan)."
        in report.coders
    )


def test_coders_are_matched_to_project_members_by_name_not_to_strangers(target):
    project, lead = target
    make_user(username="alex", first_name="Alex", last_name="Morgan")  # not in this project
    _import(project, lead, f.nvivo_like_qdpx())
    assert Excerpt.objects.get(text="With trust").coded_by.username == "refi-alex-morgan"


def test_the_code_tree_is_imported_with_guids_colours_definitions_and_headings(target):
    project, lead = target
    report = _import(project, lead, f.nvivo_like_qdpx())

    relationships = Code.objects.get(project=project, name="Relationships")
    assert relationships.guid == uuid.UUID(f.RELATIONSHIPS.strip("{}"))
    assert relationships.colour == "#aa3300"
    assert relationships.definition == "How the partners relate."
    assert not relationships.is_codable
    trust = Code.objects.get(name="Trust")
    assert trust.parent == relationships and trust.colour == "#00aa00" and trust.definition == ""
    negotiation = Code.objects.get(name="Negotiation")
    # A code the file gives no colour takes its parent's, as a code made in the codebook does.
    # With no usable colour in the file it takes the palette colour most distinct from its parent's.
    assert negotiation.parent.name == "Conflict" and negotiation.colour != negotiation.parent.colour
    assert negotiation.colour in CODE_PALETTE
    assert (
        "The colour “not a colour” of the code “Relationships › Conflict › Negotiation”",
        "it is not an #RRGGBB colour",
    ) in report.dropped


def test_cases_become_case_studies_holding_their_sources(target):
    project, lead = target
    report = _import(project, lead, f.nvivo_like_qdpx())

    case_study = CaseStudy.objects.get(project=project)
    assert case_study.title == "Riverside"
    assert case_study.slug == "riverside"
    assert case_study.focus == "Housing partnership in the North West."
    assert (case_study.sector, case_study.region) == ("Housing", "North West")
    assert case_study.level_of_analysis == CaseStudy.Level.PARTNERSHIP
    interview = Interview.objects.get(project=project)
    assert interview.case_study == case_study and interview.phase == PhaseKind.CASE_STUDY
    assert (
        "The value “Female” of “Gender” on the case “Riverside”",
        "the workbench has no field for it",
    ) in report.dropped


def test_notes_become_memos_with_their_author_dates_and_place(target):
    project, lead = target
    report = _import(project, lead, f.nvivo_like_qdpx())

    on_code = Memo.objects.get(guid=uuid.UUID(f.NOTES[0]))
    assert on_code.code.name == "Trust"
    assert (on_code.title, on_code.text, on_code.author) == ("Trust memo", "Trust grows over years.", lead)
    assert on_code.created_at == dt.datetime(2023, 11, 5, 8, 0, tzinfo=dt.UTC)
    assert on_code.updated_at == dt.datetime(2023, 12, 24, 18, 30, tzinfo=dt.UTC)
    on_interview = Memo.objects.get(guid=uuid.UUID(f.NOTES[1]))
    assert on_interview.interview.title == "Interview with Ruth"
    assert on_interview.author.get_full_name() == "Alex Morgan (imported)"
    on_project = Memo.objects.get(guid=uuid.UUID(f.NOTES[2]))
    assert (on_project.code, on_project.interview, on_project.case_study) == (None, None, None)
    assert Excerpt.objects.get(text="How did it start?").memo == "Opening: A standard opening question."
    assert not Memo.objects.filter(guid=uuid.UUID(f.NOTES[3])).exists()
    assert ("The note “Empty”", "it is empty") in report.dropped
    assert [(c.label, c.new, c.matched) for c in report.counts if c.label == "Memos"] == [("Memos", 3, 0)]


def test_a_selection_past_the_end_of_its_text_is_dropped_with_the_reason(target):
    project, lead = target
    report = _import(project, lead, f.nvivo_like_qdpx())
    assert (
        f"A selection [{f.UNITS - 5}, {f.UNITS + 10}) in “Interview with Ruth”",
        f"it ends at {f.UNITS + 10}, past the end of the text ({f.UNITS})",
    ) in report.dropped
    assert Excerpt.objects.count() == 5


def test_the_report_counts_what_was_new(target):
    project, lead = target
    report = _import(project, lead, f.nvivo_like_qdpx())
    assert {c.label: (c.new, c.matched) for c in report.counts} == {
        "Codes": (4, 0),
        "Case studies": (1, 0),
        "Interviews": (1, 0),
        "Coders": (1, 1),
        "Excerpts": (5, 0),
        "Code applications": (5, 0),
        "Memos": (3, 0),
    }


def test_importing_the_same_file_twice_adds_nothing_the_second_time(target):
    project, lead = target
    _import(project, lead, f.nvivo_like_qdpx())
    before = (Code.objects.count(), Interview.objects.count(), Excerpt.objects.count(), Memo.objects.count())
    report = _import(project, lead, f.nvivo_like_qdpx())
    assert (Code.objects.count(), Interview.objects.count(), Excerpt.objects.count(), Memo.objects.count()) == before
    assert {c.label: (c.new, c.matched) for c in report.counts} == {
        "Codes": (0, 4),
        "Case studies": (0, 1),
        "Interviews": (0, 1),
        "Excerpts": (0, 5),
        "Memos": (0, 3),
    }


def test_codes_are_matched_by_guid_then_by_name_under_the_same_parent(target):
    project, lead = target
    relationships = create_code(project=project, name="relationships", created_by=lead, is_codable=False)
    trust = create_code(project=project, name="TRUST", created_by=lead, parent=relationships)
    renamed = create_code(project=project, name="Disagreement", created_by=lead)
    Code.objects.filter(pk=renamed.pk).update(guid=uuid.UUID(f.CONFLICT.strip("{}")))
    stray = create_code(project=project, name="Negotiation", created_by=lead)  # same name, other parent

    report = _import(project, lead, f.nvivo_like_qdpx())

    assert Code.objects.filter(project=project).count() == 5
    assert Excerpt.objects.get(text="With trust").codes.get() == trust
    negotiation = Code.objects.get(project=project, name="Negotiation", parent=renamed)
    assert negotiation != stray
    assert "Code “Relationships › Conflict” is the project's “Disagreement” (same GUID)." in report.matched
    assert "Code “Relationships › Trust” matched the project's code of the same name." in report.matched


def test_guids_already_used_by_another_project_are_not_taken_over(target):
    project, lead = target
    other = make_project()
    _import(other, make_lead(other), f.nvivo_like_qdpx())
    _import(project, lead, f.nvivo_like_qdpx())
    assert Code.objects.filter(project=project).count() == 4
    assert not Code.objects.filter(project=project, guid=uuid.UUID(f.TRUST)).exists()
    assert Excerpt.objects.filter(interview__project=project).count() == 5


@pytest.mark.parametrize(
    "namespace",
    [
        ' xmlns="urn:QDA-XML:project:1.0"',
        "",
        ' xmlns="urn:QDA-XML:codebook:1.0"',
        ' xmlns="http://schema.qdasoftware.org/versions/Project/v1.0"',
    ],
    ids=["standard", "none", "codebook-namespace", "url-namespace"],
)
def test_namespace_variants_are_read_alike(target, namespace):
    project, lead = target
    _import(project, lead, f.nvivo_like_qdpx(namespace=namespace))
    assert Code.objects.filter(project=project).count() == 4
    assert Excerpt.objects.count() == 5


def test_a_project_file_with_a_bom_crlf_another_name_and_lower_case_sources_folder_is_read(target):
    project, lead = target
    xml = "\ufeff" + f.nvivo_like_project().replace("\n", "\r\n")
    data = make_qdpx(
        xml.encode("utf-8"),
        {f"sources/{f.SOURCE_FILE}": f.TEXT.encode("utf-8")},
        qde_name="Riverside Study.qde",
    )
    _import(project, lead, data)
    assert Interview.objects.get().transcript == f.CANONICAL
    assert Excerpt.objects.count() == 5


def test_positions_in_code_points_over_crlf_text_are_kept(target):
    project, lead = target
    text = "Q: Why? ✨\r\nA: Because 🌍 matters.\r\nQ: Thanks."
    start, end = f.code_point_span(text, "Because 🌍 matters")
    xml = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="p" origin="ATLAS.ti">
      <CodeBook><Codes><Code guid="{f.TRUST}" name="Reason" isCodable="true"/></Codes></CodeBook>
      <Sources><TextSource guid="{f.SOURCE}" name="One" plainTextPath="internal://{f.SOURCE_FILE}">
        {f.selection(f.SELECTIONS[0], (start, end), user=f.RUTH, codings=[(f.TRUST, f.RUTH)])}
      </TextSource></Sources></Project>"""
    report = _import(project, lead, make_qdpx(xml, {f"sources/{f.SOURCE_FILE}": text}))
    assert Excerpt.objects.get().text == "Because 🌍 matters"
    assert not any("were counted in" in note for note in report.notes)


def test_positions_counted_after_line_endings_were_rewritten_are_detected(target):
    project, lead = target
    text = "Speaker one: we met at the hall.\r\nSpeaker two: funding was the issue.\r\nSpeaker one: yes, always."
    lf = text.replace("\r\n", "\n")
    spans = [f.code_point_span(lf, phrase) for phrase in ("funding was the issue", "yes, always")]
    selections = "".join(
        f.selection(f.SELECTIONS[n], span, user=f.RUTH, codings=[(f.TRUST, f.RUTH)]) for n, span in enumerate(spans)
    )
    xml = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="p" origin="QualCoder 3.5">
      <CodeBook><Codes><Code guid="{f.TRUST}" name="Money" isCodable="true"/></Codes></CodeBook>
      <Sources><TextSource guid="{f.SOURCE}" name="Hall" plainTextPath="internal://{f.SOURCE_FILE}">{selections}
      </TextSource></Sources></Project>"""
    report = _import(project, lead, make_qdpx(xml, {f"sources/{f.SOURCE_FILE}": text}))
    assert sorted(Excerpt.objects.values_list("text", flat=True)) == ["funding was the issue", "yes, always"]
    assert (
        "Positions in “Hall” were counted in code points, with each line ending counted as one character; "
        "they were converted to characters." in report.notes
    )


def test_a_heading_with_codings_in_the_file_is_imported_as_codable(target):
    project, lead = target
    xml = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="p">
      <CodeBook><Codes><Code guid="{f.TRUST}" name="Theme" isCodable="false"/></Codes></CodeBook>
      <Sources><TextSource guid="{f.SOURCE}" name="One"><PlainTextContent>Some text here.</PlainTextContent>
        {f.selection(f.SELECTIONS[0], (5, 9), user=f.RUTH, codings=[(f.TRUST, f.RUTH)])}
      </TextSource></Sources></Project>"""
    report = _import(project, lead, make_qdpx(xml))
    assert Code.objects.get().is_codable
    assert Excerpt.objects.get().codes.get().name == "Theme"
    assert (
        "The code “Theme” was marked as not codable but has codings in the file; "
        "it was imported as codable so that they are kept." in report.notes
    )


def test_coding_of_a_whole_source_becomes_an_excerpt_of_the_whole_transcript(target):
    project, lead = target
    xml = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="p">
      <Users><User guid="{f.RUTH}" name="ruth"/></Users>
      <CodeBook><Codes><Code guid="{f.TRUST}" name="Whole" isCodable="true"/></Codes></CodeBook>
      <Sources><TextSource guid="{f.SOURCE}" name="One" creatingUser="{f.RUTH}">
        <PlainTextContent>All of it.</PlainTextContent>
        <Coding guid="{f.SELECTIONS[1]}" creatingUser="{f.RUTH}"><CodeRef targetGUID="{f.TRUST}"/></Coding>
      </TextSource></Sources></Project>"""
    _import(project, lead, make_qdpx(xml))
    excerpt = Excerpt.objects.get()
    assert (excerpt.start, excerpt.end, excerpt.text, excerpt.coded_by) == (0, 10, "All of it.", lead)


def test_empty_optional_elements_and_sources_without_names_are_accepted(target):
    project, lead = target
    xml = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="p"><Users/><CodeBook><Codes/></CodeBook>
      <Variables/><Cases/><Sources><TextSource guid="{f.SOURCE}" plainTextPath="board_2017.txt"><Description/>
      </TextSource></Sources><Notes/><Links/><Sets/><Description/></Project>"""
    report = _import(project, lead, make_qdpx(xml, {"sources/board_2017.txt": "Minutes of the board."}))
    interview = Interview.objects.get()
    assert (interview.title, interview.transcript, interview.phase) == (
        "board_2017.txt",
        "Minutes of the board.",
        PhaseKind.SCOPING,
    )
    assert report.dropped == []


def test_a_codebook_merges_into_the_project_codebook(target):
    project, lead = target
    existing = create_code(project=project, name="Feelings", created_by=lead)
    qdc = f"""<?xml version="1.0" encoding="utf-8"?>
    <CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="Taguette 1.5.2">
      <Codes>
        <Code guid="{{{f.TRUST.lower()}}}" name="feelings" isCodable="true"><Code guid="{f.CONFLICT}" name="Joy"
          isCodable="true" color="#fc0"><Description>
              Happiness,
              delight.
          </Description></Code></Code>
        <Code guid="c001" name="Places" isCodable="false"/>
      </Codes>
      <Sets><Set guid="{f.CASE}" name="Positive"><MemberCode guid="{f.CONFLICT}"/></Set></Sets>
    </CodeBook>"""
    report = import_codebook(project=project, upload=qdc.encode(), file_name="emotions.qdc", imported_by=lead)

    joy = Code.objects.get(name="Joy")
    assert joy.parent == existing
    assert (joy.colour, joy.definition, joy.guid) == (
        "#ffcc00",
        "Happiness,\ndelight.",
        uuid.UUID(f.CONFLICT.strip("{}")),
    )
    assert [t.name for t in joy.tags.all()] == ["Positive"]
    places = Code.objects.get(name="Places")
    assert not places.is_codable and places.parent is None
    assert {c.label: (c.new, c.matched) for c in report.counts} == {"Codes": (2, 1)}
    assert report.origin == "Taguette 1.5.2"


def test_an_archived_codes_set_archives_the_new_codes(target):
    project, lead = target
    qdc = f"""<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="{f.TRUST}" name="Old" isCodable="true"/>
      </Codes><Sets><Set guid="{f.CASE}" name="Archived codes"><MemberCode guid="{f.TRUST}"/></Set></Sets></CodeBook>"""
    import_codebook(project=project, upload=qdc.encode(), file_name="old.qdc", imported_by=lead)
    assert Code.objects.get(name="Old").is_archived


def test_a_pdf_is_imported_through_its_text_and_media_sources_are_listed_as_dropped(target):
    project, lead = target
    xml = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="p">
      <CodeBook><Codes><Code guid="{f.TRUST}" name="Granola" isCodable="true"/></Codes></CodeBook>
      <Sources>
        <PDFSource guid="{f.SOURCE}" name="Recipe.pdf" path="internal://recipe.pdf">
          <PDFSelection guid="{f.SELECTIONS[0]}" page="0" firstX="1" firstY="1" secondX="9" secondY="9"/>
          <Representation guid="{f.CASE}" plainTextPath="internal://recipe.txt">
            {f.selection(f.SELECTIONS[1], (10, 17), user=f.RUTH, codings=[(f.TRUST, f.RUTH)], name="granola")}
          </Representation>
        </PDFSource>
        <AudioSource guid="{f.NOTES[0]}" name="Breakfast.m4a" path="relative:///breakfast.m4a">
          <Transcript guid="{f.NOTES[1]}" plainTextPath="internal://missing.txt"/>
        </AudioSource>
        <PictureSource guid="{f.NOTES[2]}" name="Cornflakes.jpg" path="internal://x.jpg"/>
      </Sources>
      <Graphs><Graph guid="{f.NOTES[3]}"/></Graphs>
    </Project>"""
    report = _import(project, lead, make_qdpx(xml, {"sources/recipe.txt": "Base with granola and honey."}))
    interview = Interview.objects.get()
    assert (interview.title, interview.transcript) == ("Recipe.pdf", "Base with granola and honey.")
    assert Excerpt.objects.get().text == "granola"
    assert report.dropped == [
        (
            "1 area selection(s) in the PDF “Recipe.pdf”",
            "they mark areas of PDF pages; its plain-text selections were imported",
        ),
        (
            "The audio source “Breakfast.m4a” and its 1 synchronised transcript(s)",
            "the workbench codes text transcripts; import the transcript as a text source",
        ),
        ("The picture source “Cornflakes.jpg”", "the workbench codes text only"),
        ("The graphs (network views)", "the workbench has no graphs"),
    ]
