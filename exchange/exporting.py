"""Writing REFI-QDA files: the codebook (.qdc) and the whole project (.qdpx).

Nothing here writes to the database. GUIDs are stable: codes, excerpts and memos carry their own, and
everything else gets one derived from its primary key (see `exchange.guids`), so exporting twice gives
the same file. Participants are not part of the format and nothing of theirs is written.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from lxml import etree

from casestudies.models import CaseStudy, Interview, ResearchProject
from coding.models import Code, Excerpt, ExcerptCode, Memo
from coding.tree import CodeTree
from disclosure.access import can_manage_project

from . import guids

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
PROJECT_SCHEMA_LOCATION = f"{PROJECT_NS} http://schema.qdasoftware.org/versions/Project/v1.0/Project.xsd"
CODEBOOK_SCHEMA_LOCATION = f"{CODEBOOK_NS} http://schema.qdasoftware.org/versions/Codebook/v1.0/Codebook.xsd"
ORIGIN = "Partnership workbench"
ARCHIVED_SET = "Archived codes"
TAG_SET_PREFIX = "Tag: "
SELECTION_NAME_LENGTH = 100
PLACEHOLDER_PREFIX = "refi-"
PLACEHOLDER_SUFFIX = "(imported)"

# Case-study attributes travel as Variables on Cases; interview attributes as Variables on sources.
CASE_VARIABLES = [
    ("sector", "Sector"),
    ("region", "Region"),
    ("level", "Level of analysis"),
    ("status", "Status"),
    ("forms", "Forms of partnership"),
    ("topics", "Topics"),
    ("leads", "Lead researchers"),
]
SOURCE_VARIABLES = [("phase", "Phase", "Text"), ("date", "Interview date", "Date")]

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """Text that XML 1.0 can carry: characters it forbids (stray control codes) become U+FFFD."""
    return _NOT_XML.sub("\ufffd", value)


def _when(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _set(element: etree._Element, **attributes: object) -> None:
    for name, value in attributes.items():
        if value is not None and value != "":
            element.set(name, xml_text(str(value)))


def _sub(parent: etree._Element, tag: str, ns: str = PROJECT_NS, **attributes: object) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}")
    _set(element, **attributes)
    return element


def _text_element(parent: etree._Element, tag: str, text: str, ns: str = PROJECT_NS) -> etree._Element:
    element = _sub(parent, tag, ns)
    element.text = xml_text(text)
    return element


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def default_note_name(text: str) -> str:
    """What names an untitled memo's Note: its first line, shortened."""
    return " ".join(text.strip().split("\n", 1)[0].split())[:80]


def user_label(user) -> str:
    """A coder's name as other tools show it; a placeholder made by an import goes back under its own name."""
    if (
        not user.is_active
        and user.get_username().startswith(PLACEHOLDER_PREFIX)
        and user.last_name == PLACEHOLDER_SUFFIX
    ):
        return user.first_name
    return user.get_full_name().strip() or user.get_username()


# --- What goes out -------------------------------------------------------------------------------


@dataclass
class ExportScope:
    project: ResearchProject
    whole_project: bool
    codes: CodeTree
    interviews: list[Interview]
    case_studies: list[CaseStudy]
    excerpts: list[Excerpt]
    memos: list[Memo]


def export_scope(*, project: ResearchProject, user=None) -> ExportScope:
    """Leads and admins (and the command line, with no user) export the whole project; a researcher
    exports what they can see: their case studies' interviews and the project's scoping interviews, the
    excerpts visible to them (blind coding respected), and memos on what is included. Everyone gets the
    whole codebook, which every project member can see."""
    whole = user is None or can_manage_project(user, project)
    interviews = Interview.objects.filter(project=project)
    case_studies = CaseStudy.objects.filter(project=project)
    excerpts = Excerpt.objects.filter(interview__project=project)
    if not whole:
        interviews = interviews.visible_to(user)
        case_studies = case_studies.visible_to(user)
        excerpts = excerpts.visible_to(user)
    interview_list = list(interviews.order_by("pk"))
    case_study_list = list(case_studies.prefetch_related("forms_of_partnership", "topics").order_by("order", "pk"))
    excerpt_list = list(
        excerpts.filter(interview__in=[i.pk for i in interview_list])
        .select_related("coded_by")
        .prefetch_related(Prefetch("code_links", queryset=ExcerptCode.objects.select_related("code")))
        .order_by("interview_id", "start", "end", "guid")
    )
    memos = Memo.objects.filter(project=project).filter(
        Q(code__isnull=False)
        | Q(interview__in=[i.pk for i in interview_list])
        | Q(case_study__in=[c.pk for c in case_study_list])
        | Q(code__isnull=True, interview__isnull=True, case_study__isnull=True)
    )
    return ExportScope(
        project=project,
        whole_project=whole,
        codes=CodeTree.of(project, codes=Code.objects.prefetch_related("tags")),
        interviews=interview_list,
        case_studies=case_study_list,
        excerpts=excerpt_list,
        memos=list(memos.select_related("author").order_by("created_at", "guid")),
    )


# --- The codebook --------------------------------------------------------------------------------


def _code_sets(codes: Iterable[Code]) -> list[tuple[str, list[Code]]]:
    """Code tags and the archived flag, which REFI-QDA has no field for, travel as Sets of codes."""
    by_name: dict[str, list[Code]] = {}
    for code in codes:
        if code.is_archived:
            by_name.setdefault(ARCHIVED_SET, []).append(code)
        for tag in code.tags.all():
            by_name.setdefault(f"{TAG_SET_PREFIX}{tag.name}", []).append(code)
    return sorted(by_name.items())


def _build_codes(parent: etree._Element, tree: CodeTree, ns: str, notes: dict) -> None:
    def add(element: etree._Element, code: Code) -> None:
        code_element = _sub(
            element,
            "Code",
            ns,
            guid=code.guid,
            name=code.name,
            isCodable="true" if code.is_codable else "false",
            color=code.colour.upper(),
        )
        if code.definition:
            _text_element(code_element, "Description", code.definition, ns)
        for memo in notes.get(code.pk, []):
            _sub(code_element, "NoteRef", ns, targetGUID=memo.guid)
        for child in tree.children_of(code.pk):
            add(code_element, child)

    codes_element = _sub(parent, "Codes", ns)
    for code in tree.children_of(None):
        add(codes_element, code)


def build_codebook(project: ResearchProject) -> bytes:
    """The project's codebook as a `.qdc` file: the tree, colours, definitions, isCodable, and Sets."""
    tree = CodeTree.of(project, codes=Code.objects.prefetch_related("tags"))
    if not len(tree):
        raise ValidationError("The project has no codes yet, so there is no codebook to export.")
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", CODEBOOK_SCHEMA_LOCATION)
    root.set("origin", ORIGIN)
    _build_codes(root, tree, CODEBOOK_NS, notes={})
    sets = _code_sets(tree.codes())
    if sets:
        sets_element = _sub(root, "Sets", CODEBOOK_NS)
        for name, members in sets:
            set_element = _sub(sets_element, "Set", CODEBOOK_NS, guid=guids.set_guid(project.pk, name), name=name)
            for code in members:
                _sub(set_element, "MemberCode", CODEBOOK_NS, guid=code.guid)
    return _serialise(root)


# --- The project ---------------------------------------------------------------------------------


def _case_values(case_study: CaseStudy) -> dict[str, str]:
    return {
        "sector": case_study.sector,
        "region": case_study.region,
        "level": case_study.get_level_of_analysis_display(),
        "status": case_study.get_status_display(),
        "forms": "; ".join(sorted(tag.name for tag in case_study.forms_of_partnership.all())),
        "topics": "; ".join(sorted(tag.name for tag in case_study.topics.all())),
        "leads": case_study.lead_researchers,
    }


def _source_values(interview: Interview) -> dict[str, str]:
    return {
        "phase": interview.get_phase_display(),
        "date": interview.date.isoformat() if interview.date else "",
    }


def _variable_value(parent: etree._Element, variable: uuid.UUID, kind: str, value: str) -> None:
    value_element = _sub(parent, "VariableValue")
    _sub(value_element, "VariableRef", targetGUID=variable)
    _text_element(value_element, "DateValue" if kind == "Date" else "TextValue", value)


def _selection_name(text: str) -> str:
    squashed = " ".join(text.split())
    if len(squashed) <= SELECTION_NAME_LENGTH:
        return squashed
    return squashed[: SELECTION_NAME_LENGTH - 1].rstrip() + "…"


def source_file_name(interview: Interview) -> str:
    return f"{guids.interview_guid(interview.pk)}.txt"


def build_project_xml(scope: ExportScope) -> bytes:
    project = scope.project
    root = etree.Element(f"{{{PROJECT_NS}}}Project", nsmap={None: PROJECT_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", PROJECT_SCHEMA_LOCATION)
    _set(root, name=project.title, origin=ORIGIN)

    code_notes: dict[int, list[Memo]] = {}
    interview_notes: dict[int, list[Memo]] = {}
    case_notes: list[Memo] = []
    project_notes: list[Memo] = []
    for memo in scope.memos:
        if memo.code_id:
            code_notes.setdefault(memo.code_id, []).append(memo)
        elif memo.interview_id:
            interview_notes.setdefault(memo.interview_id, []).append(memo)
        elif memo.case_study_id:
            case_notes.append(memo)
        else:
            project_notes.append(memo)

    users = {excerpt.coded_by_id: excerpt.coded_by for excerpt in scope.excerpts}
    users.update({memo.author_id: memo.author for memo in scope.memos if memo.author_id})
    if users:
        users_element = _sub(root, "Users")
        for user in sorted(users.values(), key=lambda u: (user_label(u).lower(), u.pk)):
            _sub(users_element, "User", guid=guids.user_guid(user.pk), name=user_label(user), id=user.get_username())

    if len(scope.codes):
        _build_codes(_sub(root, "CodeBook"), scope.codes, PROJECT_NS, code_notes)

    case_values = {cs.pk: _case_values(cs) for cs in scope.case_studies}
    source_values = {i.pk: _source_values(i) for i in scope.interviews}
    used_case = [(k, n) for k, n in CASE_VARIABLES if any(v[k] for v in case_values.values())]
    used_source = [(k, n, t) for k, n, t in SOURCE_VARIABLES if any(v[k] for v in source_values.values())]
    if used_case or used_source:
        variables_element = _sub(root, "Variables")
        for key, name in used_case:
            _sub(
                variables_element,
                "Variable",
                guid=guids.variable_guid(project.pk, key),
                name=name,
                typeOfVariable="Text",
            )
        for key, name, kind in used_source:
            _sub(
                variables_element, "Variable", guid=guids.variable_guid(project.pk, key), name=name, typeOfVariable=kind
            )

    interviews_by_case: dict[int, list[Interview]] = {}
    for interview in scope.interviews:
        if interview.case_study_id:
            interviews_by_case.setdefault(interview.case_study_id, []).append(interview)
    if scope.case_studies:
        cases_element = _sub(root, "Cases")
        for case_study in scope.case_studies:
            case_element = _sub(cases_element, "Case", guid=guids.case_study_guid(case_study.pk), name=case_study.title)
            if case_study.focus:
                _text_element(case_element, "Description", case_study.focus)
            for key, _name in used_case:
                if case_values[case_study.pk][key]:
                    _variable_value(
                        case_element, guids.variable_guid(project.pk, key), "Text", case_values[case_study.pk][key]
                    )
            for interview in interviews_by_case.get(case_study.pk, []):
                _sub(case_element, "SourceRef", targetGUID=guids.interview_guid(interview.pk))

    excerpts_by_interview: dict[int, list[Excerpt]] = {}
    for excerpt in scope.excerpts:
        excerpts_by_interview.setdefault(excerpt.interview_id, []).append(excerpt)
    if scope.interviews:
        sources_element = _sub(root, "Sources")
        for interview in scope.interviews:
            source = _sub(
                sources_element,
                "TextSource",
                guid=guids.interview_guid(interview.pk),
                name=interview.title,
                plainTextPath=f"internal://{source_file_name(interview)}",
                creationDateTime=_when(interview.created_at),
                modifiedDateTime=_when(interview.updated_at),
            )
            for excerpt in excerpts_by_interview.get(interview.pk, []):
                coder = guids.user_guid(excerpt.coded_by_id)
                selection = _sub(
                    source,
                    "PlainTextSelection",
                    guid=excerpt.guid,
                    name=_selection_name(excerpt.text),
                    startPosition=excerpt.start,
                    endPosition=excerpt.end,
                    creatingUser=coder,
                    creationDateTime=_when(excerpt.created_at),
                    modifyingUser=coder,
                    modifiedDateTime=_when(excerpt.updated_at),
                )
                if excerpt.memo:
                    _text_element(selection, "Description", excerpt.memo)
                for link in sorted(excerpt.code_links.all(), key=lambda link: str(link.code.guid)):
                    coding = _sub(
                        selection,
                        "Coding",
                        guid=guids.coding_guid(excerpt.guid, link.code.guid),
                        creatingUser=coder,
                        creationDateTime=_when(link.applied_at),
                    )
                    _sub(coding, "CodeRef", targetGUID=link.code.guid)
            for memo in interview_notes.get(interview.pk, []):
                _sub(source, "NoteRef", targetGUID=memo.guid)
            for key, _name, kind in used_source:
                if source_values[interview.pk][key]:
                    _variable_value(
                        source, guids.variable_guid(project.pk, key), kind, source_values[interview.pk][key]
                    )

    if scope.memos:
        notes_element = _sub(root, "Notes")
        for memo in scope.memos:
            author = guids.user_guid(memo.author_id) if memo.author_id else None
            note = _sub(
                notes_element,
                "Note",
                guid=memo.guid,
                name=memo.title or default_note_name(memo.text),
                creatingUser=author,
                creationDateTime=_when(memo.created_at),
                modifyingUser=author,
                modifiedDateTime=_when(memo.updated_at),
            )
            _text_element(note, "PlainTextContent", memo.text)

    # A Case has no NoteRef in the schema: a memo on a case study is tied to its Case with a Link,
    # as NVivo ties annotations to selections.
    if case_notes:
        links_element = _sub(root, "Links")
        for memo in case_notes:
            _sub(
                links_element,
                "Link",
                guid=guids.link_guid(memo.guid),
                name="Memo",
                direction="OneWay",
                originGUID=memo.guid,
                targetGUID=guids.case_study_guid(memo.case_study_id),
            )

    sets = _code_sets(scope.codes.codes())
    if sets:
        sets_element = _sub(root, "Sets")
        for name, members in sets:
            set_element = _sub(sets_element, "Set", guid=guids.set_guid(project.pk, name), name=name)
            for code in members:
                _sub(set_element, "MemberCode", targetGUID=code.guid)

    if project.summary:
        _text_element(root, "Description", project.summary)
    for memo in project_notes:
        _sub(root, "NoteRef", targetGUID=memo.guid)
    return _serialise(root)


def _zip_time(scope: ExportScope) -> tuple[int, int, int, int, int, int]:
    """Entries carry the time of the latest change, so that an unchanged project exports byte for byte."""
    moments = [i.updated_at for i in scope.interviews]
    moments += [e.updated_at for e in scope.excerpts] + [m.updated_at for m in scope.memos]
    latest = max((m for m in moments if m), default=None)
    if latest is None:
        return (1980, 1, 1, 0, 0, 0)
    latest = latest.astimezone(dt.UTC)
    return (latest.year, latest.month, latest.day, latest.hour, latest.minute, latest.second)


def build_project_archive(*, project: ResearchProject, user=None) -> bytes:
    """The project as a `.qdpx`: `project.qde` and each transcript as UTF-8 text under `sources/`."""
    scope = export_scope(project=project, user=user)
    stamp = _zip_time(scope)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def write(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)

        write("project.qde", build_project_xml(scope))
        for interview in scope.interviews:
            write(f"sources/{source_file_name(interview)}", interview.transcript.encode("utf-8"))
    return buffer.getvalue()
