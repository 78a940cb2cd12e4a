"""Export → import into an empty project → export gives an equivalent file."""

from __future__ import annotations

import uuid

from lxml import etree

from casestudies.models import Interview, Participant, PhaseKind
from coding.models import Code, Excerpt, Memo
from coding.services import create_excerpt
from exchange.exporting import build_codebook, build_project_archive
from exchange.importing import import_codebook, import_project
from tests.factories import make_lead, make_project

from .helpers import NS, assert_valid, unzip


def _equivalent_form(data: bytes) -> dict:
    """What a researcher would call the content of a .qdpx, with GUIDs replaced by what they point to."""
    files = unzip(data)
    root = assert_valid(files["project.qde"], "Project-mrt2019.xsd")
    users = {u.get("guid"): u.get("name") for u in root.findall("q:Users/q:User", NS)}
    variables = {v.get("guid"): (v.get("name"), v.get("typeOfVariable")) for v in root.findall(".//q:Variable", NS)}
    paths: dict[str, str] = {}
    codes = set()

    def walk(parent, prefix: str) -> None:
        for code in parent.findall("q:Code", NS):
            path = f"{prefix}/{code.get('name')}"
            paths[code.get("guid")] = path
            codes.add((path, code.get("color"), code.findtext("q:Description", namespaces=NS), code.get("isCodable")))
            walk(code, path)

    codebook = root.find("q:CodeBook/q:Codes", NS)
    if codebook is not None:
        walk(codebook, "")

    def values(element) -> frozenset:
        return frozenset(
            (variables[v.find("q:VariableRef", NS).get("targetGUID")], v[1].text)
            for v in element.findall("q:VariableValue", NS)
        )

    sources, selections, targets = {}, set(), {}
    for source in root.findall("q:Sources/q:TextSource", NS):
        name = source.get("name")
        targets[source.get("guid")] = f"source:{name}"
        text = files[source.get("plainTextPath").replace("internal://", "sources/")].decode("utf-8")
        sources[name] = (text, values(source))
        for selection in source.findall("q:PlainTextSelection", NS):
            codings = selection.findall("q:Coding", NS)
            selections.add(
                (
                    name,
                    int(selection.get("startPosition")),
                    int(selection.get("endPosition")),
                    users[selection.get("creatingUser")],
                    selection.get("creationDateTime"),
                    selection.findtext("q:Description", namespaces=NS),
                    frozenset(
                        (
                            paths[c.find("q:CodeRef", NS).get("targetGUID")],
                            users[c.get("creatingUser")],
                            c.get("creationDateTime"),
                        )
                        for c in codings
                    ),
                )
            )
    for guid, path in paths.items():
        targets[guid] = f"code:{path}"
    cases = {}
    for case in root.findall("q:Cases/q:Case", NS):
        targets[case.get("guid")] = f"case:{case.get('name')}"
        cases[case.get("name")] = (
            case.findtext("q:Description", namespaces=NS),
            values(case),
            frozenset(targets[r.get("targetGUID")] for r in case.findall("q:SourceRef", NS)),
        )
    note_places: dict[str, str] = {}
    for element in root.iter(f"{{{NS['q']}}}NoteRef"):
        owner = element.getparent()
        note_places[element.get("targetGUID")] = targets.get(owner.get("guid"), "project")
    for link in root.findall("q:Links/q:Link", NS):
        note_places[link.get("originGUID")] = targets[link.get("targetGUID")]
    notes = {
        (
            n.get("name"),
            n.findtext("q:PlainTextContent", namespaces=NS),
            users.get(n.get("creatingUser")),
            n.get("creationDateTime"),
            n.get("modifiedDateTime"),
            note_places[n.get("guid")],
        )
        for n in root.findall("q:Notes/q:Note", NS)
    }
    sets = {
        s.get("name"): frozenset(paths[m.get("targetGUID")] for m in s.findall("q:MemberCode", NS))
        for s in root.findall("q:Sets/q:Set", NS)
    }
    return {
        "name": root.get("name"),
        "users": sorted(users.values()),
        "codes": codes,
        "variables": set(variables.values()),
        "sources": sources,
        "selections": selections,
        "codings": sum(len(s[-1]) for s in selections),
        "cases": cases,
        "notes": notes,
        "sets": sets,
    }


def test_export_import_export_gives_an_equivalent_project(coded_project):
    first = build_project_archive(project=coded_project["project"], user=coded_project["lead"])
    empty = make_project(title="Partnership working", slug="copy")
    report = import_project(project=empty, upload=first, file_name="copy.qdpx", imported_by=make_lead(empty))
    second = build_project_archive(project=empty, user=None)

    before, after = _equivalent_form(first), _equivalent_form(second)
    assert report.dropped == []
    for part in before:
        assert after[part] == before[part], part
    assert before["codings"] == 7 and len(before["notes"]) == 5 and len(before["cases"]) == 2
    assert Excerpt.objects.filter(interview__project=empty).count() == 5
    assert Code.objects.get(project=empty, name="Old idea").is_archived


def test_guids_survive_a_round_trip_into_another_installation(coded_project):
    data = build_project_archive(project=coded_project["project"], user=None)
    first_root = etree.fromstring(unzip(data)["project.qde"])
    code_guids = {c.get("guid") for c in first_root.iter(f"{{{NS['q']}}}Code")}
    selection_guids = {s.get("guid") for s in first_root.iter(f"{{{NS['q']}}}PlainTextSelection")}
    note_guids = {n.get("guid") for n in first_root.iter(f"{{{NS['q']}}}Note")}
    # Another installation has none of these records: free the GUIDs here by giving the originals new ones.
    for model in (Code, Excerpt, Memo):
        for record in model.objects.all():
            model.objects.filter(pk=record.pk).update(guid=uuid.uuid4())

    empty = make_project(slug="elsewhere")
    import_project(project=empty, upload=data, file_name="p.qdpx", imported_by=make_lead(empty))
    assert {str(g) for g in Code.objects.filter(project=empty).values_list("guid", flat=True)} == code_guids
    assert {str(g) for g in Excerpt.objects.filter(interview__project=empty).values_list("guid", flat=True)} == (
        selection_guids
    )
    assert {str(g) for g in Memo.objects.filter(project=empty).values_list("guid", flat=True)} == note_guids


def test_codebook_export_import_export_gives_an_equivalent_codebook(coded_project):
    first = build_codebook(coded_project["project"])
    empty = make_project(slug="codebook-copy")
    import_codebook(project=empty, upload=first, file_name="c.qdc", imported_by=make_lead(empty))
    second = build_codebook(empty)

    def form(data: bytes) -> set:
        root = assert_valid(data, "Codebook-mrt2019.xsd")
        found = set()
        for code in root.iter(f"{{{NS['c']}}}Code"):
            ancestors = [a.get("name") for a in code.iterancestors(f"{{{NS['c']}}}Code")]
            found.add(
                (
                    "/".join(reversed(ancestors + [code.get("name")])),
                    code.get("color"),
                    code.get("isCodable"),
                    code.findtext("c:Description", namespaces=NS),
                )
            )
        found |= {(s.get("name"), len(s)) for s in root.iter(f"{{{NS['c']}}}Set")}
        return found

    assert form(second) == form(first)


def test_the_demo_project_exports_a_valid_file_and_round_trips(demo_project):
    first = build_project_archive(project=demo_project, user=None)
    empty = make_project(title=demo_project.title, slug="demo-copy")
    report = import_project(project=empty, upload=first, file_name="demo.qdpx", imported_by=make_lead(empty))
    before, after = _equivalent_form(first), _equivalent_form(build_project_archive(project=empty, user=None))
    assert report.dropped == []
    for part in before:
        assert after[part] == before[part], part
    assert before["sources"] and before["cases"]
    everything = b"".join(unzip(first).values())
    real_names = [p.real_name for p in Participant.objects.filter(project=demo_project) if p.real_name]
    assert real_names and not [name for name in real_names if name.encode() in everything]


def test_a_transcript_with_blank_lines_at_its_ends_round_trips_with_a_selection_to_the_end(coded_project):
    text = "\n\nInterviewer: Anything else?\n\nJo: Only the funding.\n\n"
    interview = Interview.objects.create(
        project=coded_project["project"], title="Follow-up", phase=PhaseKind.SCOPING, transcript=text
    )
    start = text.index("Jo:")
    create_excerpt(
        interview=interview, start=start, end=len(text), coded_by=coded_project["lead"], codes=[], memo="To the end."
    )
    first = build_project_archive(project=coded_project["project"], user=coded_project["lead"])
    empty = make_project(title="Partnership working", slug="blank-lines")
    report = import_project(project=empty, upload=first, file_name="copy.qdpx", imported_by=make_lead(empty))
    second = build_project_archive(project=empty, user=None)

    before, after = _equivalent_form(first), _equivalent_form(second)
    assert report.dropped == []
    for part in before:
        assert after[part] == before[part], part
    copy = Interview.objects.get(project=empty, title="Follow-up")
    assert copy.transcript == text
    assert Excerpt.objects.get(interview=copy).text == "Jo: Only the funding.\n\n"
