from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from coding.services import create_excerpt, save_memo
from exchange import guids
from exchange.exporting import build_codebook, build_project_archive
from tests.factories import make_interview, make_participant, make_project
from tests.querycounts import assert_flat

from .helpers import NS, TRANSCRIPT, assert_valid, unzip


def _project_xml(data: bytes):
    return assert_valid(unzip(data)["project.qde"], "Project-mrt2019.xsd")


def test_codebook_export_is_valid_and_keeps_the_tree_colours_definitions_and_headings(coded_project):
    root = assert_valid(build_codebook(coded_project["project"]), "Codebook-mrt2019.xsd")
    codes = coded_project["codes"]

    top = root.findall("c:Codes/c:Code", NS)
    assert [c.get("name") for c in top] == ["Funding", "Old idea", "Partnership"]
    partnership = top[2]
    assert partnership.get("guid") == str(codes["Partnership"].guid)
    assert partnership.get("isCodable") == "false"
    assert partnership.get("color") == "#AA3300"
    assert partnership.findtext("c:Description", namespaces=NS) == "How organisations work together."
    assert [c.get("name") for c in partnership.findall("c:Code", NS)] == ["Conflict", "Trust"]
    trust = partnership.find("c:Code[@name='Trust']", NS)
    assert trust.get("isCodable") == "true" and trust.get("color") == "#2CA02C"
    commissioning = root.find("c:Codes/c:Code[@name='Funding']/c:Code[@name='Contracts']/c:Code", NS)
    assert commissioning.get("name") == "Commissioning"
    sets = {
        s.get("name"): [m.get("guid") for m in s.findall("c:MemberCode", NS)] for s in root.findall("c:Sets/c:Set", NS)
    }
    assert sets == {"Archived codes": [str(codes["Old idea"].guid)], "Tag: relational": [str(codes["Trust"].guid)]}


def test_a_project_without_codes_has_no_codebook_to_export(db):
    with pytest.raises(ValidationError) as error:
        build_codebook(make_project())
    assert error.value.messages == ["The project has no codes yet, so there is no codebook to export."]


def test_project_export_is_a_valid_zip_with_the_transcripts_as_utf8_text(coded_project):
    files = unzip(build_project_archive(project=coded_project["project"], user=coded_project["lead"]))
    root = _project_xml(build_project_archive(project=coded_project["project"], user=coded_project["lead"]))
    interview = coded_project["interviews"]["interview"]
    name = f"{guids.interview_guid(interview.pk)}.txt"

    assert sorted(files) == sorted(
        ["project.qde"] + [f"sources/{guids.interview_guid(i.pk)}.txt" for i in coded_project["interviews"].values()]
    )
    assert files[f"sources/{name}"] == TRANSCRIPT.encode("utf-8")
    assert not files[f"sources/{name}"].startswith(b"\xef\xbb\xbf")
    source = root.find(f"q:Sources/q:TextSource[@guid='{guids.interview_guid(interview.pk)}']", NS)
    assert source.get("name") == "Ruth, chief executive"
    assert source.get("plainTextPath") == f"internal://{name}"
    assert root.get("name") == "Partnership working"
    assert root.findtext("q:Description", namespaces=NS) == "How the third sector works with others."


def test_selections_count_code_points_and_carry_one_coding_per_coder_and_code(coded_project):
    root = _project_xml(build_project_archive(project=coded_project["project"], user=coded_project["lead"]))
    first, second, third = coded_project["excerpts"][:3]
    codes, lead, researcher = coded_project["codes"], coded_project["lead"], coded_project["researcher"]

    selection = root.find(f".//q:PlainTextSelection[@guid='{first.guid}']", NS)
    start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
    assert TRANSCRIPT[start:end] == "With a phone call, really. The café 🏠 was where we met."
    assert selection.get("name") == "With a phone call, really. The café 🏠 was where we met."
    assert selection.get("creatingUser") == str(guids.user_guid(lead.pk))
    assert selection.findtext("q:Description", namespaces=NS) == "The founding story."
    codings = selection.findall("q:Coding", NS)
    assert sorted(c.find("q:CodeRef", NS).get("targetGUID") for c in codings) == sorted(
        [str(codes["Trust"].guid), str(codes["Contracts"].guid)]
    )
    assert {c.get("creatingUser") for c in codings} == {str(guids.user_guid(lead.pk))}

    overlapping = root.find(f".//q:PlainTextSelection[@guid='{second.guid}']", NS)
    assert {c.get("creatingUser") for c in overlapping.findall("q:Coding", NS)} == {str(guids.user_guid(researcher.pk))}
    assert len(overlapping.findall("q:Coding", NS)) == 2
    uncoded = root.find(f".//q:PlainTextSelection[@guid='{third.guid}']", NS)
    assert uncoded.findall("q:Coding", NS) == []

    users = {u.get("guid"): (u.get("name"), u.get("id")) for u in root.findall("q:Users/q:User", NS)}
    assert users[str(guids.user_guid(lead.pk))] == ("Ruth Ellis", "ruth")
    assert users[str(guids.user_guid(researcher.pk))] == ("Sam Okafor", "sam")


def test_memos_become_notes_with_their_author_dates_and_references(coded_project):
    root = _project_xml(build_project_archive(project=coded_project["project"], user=coded_project["lead"]))
    memos, lead = coded_project["memos"], coded_project["lead"]

    note = root.find(f"q:Notes/q:Note[@guid='{memos['code'].guid}']", NS)
    assert note.get("name") == "On trust"
    assert note.findtext("q:PlainTextContent", namespaces=NS) == "Trust is built slowly."
    assert note.get("creatingUser") == str(guids.user_guid(lead.pk))
    assert note.get("creationDateTime") == memos["code"].created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert note.get("modifiedDateTime") == memos["code"].updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    trust = root.find(f".//q:Code[@guid='{coded_project['codes']['Trust'].guid}']", NS)
    assert [r.get("targetGUID") for r in trust.findall("q:NoteRef", NS)] == [str(memos["code"].guid)]

    interview = coded_project["interviews"]["interview"]
    source = root.find(f".//q:TextSource[@guid='{guids.interview_guid(interview.pk)}']", NS)
    assert [r.get("targetGUID") for r in source.findall("q:NoteRef", NS)] == [str(memos["interview"].guid)]
    untitled = root.find(f"q:Notes/q:Note[@guid='{memos['interview'].guid}']", NS)
    assert untitled.get("name") == "A warm interview."

    link = root.find("q:Links/q:Link", NS)
    assert link.get("originGUID") == str(memos["case_study"].guid)
    assert link.get("targetGUID") == str(guids.case_study_guid(coded_project["case_studies"]["riverside"].pk))
    assert [r.get("targetGUID") for r in root.findall("q:NoteRef", NS)] == [str(memos["project"].guid)]


def test_case_studies_become_cases_with_their_attributes_as_variables(coded_project):
    root = _project_xml(build_project_archive(project=coded_project["project"], user=coded_project["lead"]))
    variables = {
        v.get("guid"): (v.get("name"), v.get("typeOfVariable")) for v in root.findall("q:Variables/q:Variable", NS)
    }
    riverside = coded_project["case_studies"]["riverside"]

    case = root.find(f"q:Cases/q:Case[@guid='{guids.case_study_guid(riverside.pk)}']", NS)
    assert case.get("name") == "Riverside Housing Partnership"
    assert case.findtext("q:Description", namespaces=NS) == "A housing association and a council working together."
    values = {
        variables[v.find("q:VariableRef", NS).get("targetGUID")][0]: v.findtext("q:TextValue", namespaces=NS)
        for v in case.findall("q:VariableValue", NS)
    }
    assert values == {
        "Sector": "Housing",
        "Region": "North West",
        "Level of analysis": "Partnership",
        "Status": "Fieldwork",
        "Forms of partnership": "Alliance; Contract",
        "Topics": "Homelessness",
        "Lead researchers": "R. Ellis",
    }
    interview = coded_project["interviews"]["interview"]
    assert [r.get("targetGUID") for r in case.findall("q:SourceRef", NS)] == [str(guids.interview_guid(interview.pk))]
    source = root.find(f".//q:TextSource[@guid='{guids.interview_guid(interview.pk)}']", NS)
    source_values = {
        variables[v.find("q:VariableRef", NS).get("targetGUID")]: (
            v.findtext("q:TextValue", namespaces=NS) or v.findtext("q:DateValue", namespaces=NS)
        )
        for v in source.findall("q:VariableValue", NS)
    }
    assert source_values == {("Phase", "Text"): "Case study", ("Interview date", "Date"): "2011-05-12"}


def test_exporting_twice_gives_the_same_file_and_the_same_guids(coded_project):
    first = build_project_archive(project=coded_project["project"], user=coded_project["lead"])
    second = build_project_archive(project=coded_project["project"], user=coded_project["lead"])
    assert first == second
    assert build_codebook(coded_project["project"]) == build_codebook(coded_project["project"])


def test_no_participant_real_name_leaves_in_an_export(coded_project):
    everything = b"".join(unzip(build_project_archive(project=coded_project["project"], user=None)).values())
    everything += build_codebook(coded_project["project"])
    assert b"Margaret Thornbury" not in everything
    assert b"Thornbury" not in everything


def test_a_researcher_exports_only_what_they_can_see(coded_project):
    data = build_project_archive(project=coded_project["project"], user=coded_project["researcher"])
    root = _project_xml(data)
    interviews = coded_project["interviews"]

    sources = {s.get("name") for s in root.findall("q:Sources/q:TextSource", NS)}
    assert sources == {"Ruth, chief executive", "Scoping: umbrella body"}
    assert {c.get("name") for c in root.findall("q:Cases/q:Case", NS)} == {"Riverside Housing Partnership"}
    assert f"sources/{guids.interview_guid(interviews['youth'].pk)}.txt" not in unzip(data)
    note_texts = {n.findtext("q:PlainTextContent", namespaces=NS) for n in root.findall("q:Notes/q:Note", NS)}
    assert "Youth memo." not in note_texts
    assert "Trust is built slowly." in note_texts
    assert root.find(f".//q:PlainTextSelection[@guid='{coded_project['excerpts'][4].guid}']", NS) is None
    assert len(root.findall(".//q:Code", NS)) == 7


def test_a_lead_exports_the_whole_project(coded_project):
    root = _project_xml(build_project_archive(project=coded_project["project"], user=coded_project["lead"]))
    assert len(root.findall("q:Sources/q:TextSource", NS)) == 3
    assert len(root.findall(".//q:PlainTextSelection", NS)) == 5
    assert len(root.findall("q:Notes/q:Note", NS)) == 5


def test_an_empty_project_exports_a_valid_file(db):
    files = unzip(build_project_archive(project=make_project(title="Nothing yet"), user=None))
    root = assert_valid(files["project.qde"], "Project-mrt2019.xsd")
    assert list(files) == ["project.qde"]
    assert root.get("name") == "Nothing yet" and len(root) == 0


def test_the_export_reads_a_fixed_number_of_queries_however_much_is_coded(coded_project):
    project, lead, researcher = coded_project["project"], coded_project["lead"], coded_project["researcher"]
    codes = coded_project["codes"]
    riverside = coded_project["case_studies"]["riverside"]

    def code_and_memo(interview) -> None:
        for start in range(0, 30, 3):
            create_excerpt(interview=interview, start=start, end=start + 2, coded_by=lead, codes=[codes["Trust"]])
            save_memo(project=project, author=researcher, text=f"Memo {start}", interview=interview)

    def grow() -> None:
        code_and_memo(coded_project["interviews"]["scoping"])
        code_and_memo(coded_project["interviews"]["interview"])
        for n in range(2):
            interview = make_interview(riverside, title=f"More {n}", transcript=TRANSCRIPT)
            interview.participants.add(make_participant(project), make_participant(project))
            code_and_memo(interview)
        save_memo(project=project, author=lead, text="Another.", case_study=riverside)

    # The codes and their tags are read once, together, for the codebook and its sets.
    assert_flat(lambda: build_project_archive(project=project, user=researcher), grow, expected=10)
    root = _project_xml(build_project_archive(project=project, user=researcher))
    assert len(root.findall("q:Sources/q:TextSource", NS)) == 4
