"""Importing REFI-QDA codebooks and projects into a research project.

A file is read whole before anything is written (reading touches no database), then written in one
transaction: a file that is refused, or anything that fails half-way, leaves the database as it was.
Inside it, single items that cannot be kept (a selection past the end of its text, a variable the
workbench has no field for) are dropped one by one and listed in the report with the reason, so that
nothing is lost silently.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils.text import slugify
from simple_history.utils import bulk_update_with_history

from casestudies.models import CaseStudy, CaseStudyMembership, Interview, PhaseKind, ProjectMembership, ResearchProject
from casestudies.services import record_turns, save_case_study, save_interview
from coding.models import Code, Excerpt, Memo
from coding.services import (
    NewExcerpt,
    check_excerpt,
    create_code,
    create_excerpts,
    save_memo,
    set_code_archived,
    update_code,
)

from . import guids
from .exporting import (
    ARCHIVED_SET,
    CASE_VARIABLES,
    PLACEHOLDER_PREFIX,
    PLACEHOLDER_SUFFIX,
    SOURCE_VARIABLES,
    TAG_SET_PREFIX,
    default_note_name,
    user_label,
)
from .positions import CODE_POINTS, RawSelection, convert_selections
from .reading import (
    FileCode,
    FileCodebook,
    FileProject,
    FileSet,
    FileSource,
    FileValue,
    RefusedFile,
    element_label,
    read_codebook,
    read_project,
)
from .report import ImportReport

MAX_CODEBOOK_BYTES = 20 * 1024 * 1024
_COLOUR = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
_VARIABLE_NAMES = {name.lower(): key for key, name in CASE_VARIABLES + [(k, n) for k, n, _t in SOURCE_VARIABLES]}


def _variable_key(name: str) -> str | None:
    return _VARIABLE_NAMES.get(" ".join(name.replace("_", " ").split()).lower())


def _colour(value: str) -> str | None:
    match = _COLOUR.match(value.strip()) if value else None
    if not match:
        return None
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return f"#{digits.lower()}"


def _walk(codes: Iterable[FileCode], path: str = "") -> Iterator[tuple[FileCode, str]]:
    for code in codes:
        here = f"{path} › {code.name}" if path else code.name
        yield code, here
        yield from _walk(code.children, here)


def _choice(value: object, choices) -> str | None:
    text = str(value or "").strip().lower()
    for choice in choices:
        if text in {choice.value.lower(), choice.label.lower()}:
            return choice.value
    return None


def _split_list(value: object) -> list[str]:
    return [part.strip()[:100] for part in re.split(r"[;\n]", str(value or "")) if part.strip()]


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    return " ".join(error.messages)


@contextmanager
def _refusing_for(label: str) -> Iterator[None]:
    """A rule broken while `label` (an element of the file) is written refuses the file, naming the element."""
    try:
        yield
    except RefusedFile:
        raise
    except ValidationError as error:
        raise RefusedFile(f"{label}: {_messages(error)}") from error


# PostgreSQL's code for "program limit exceeded", raised when a transcript's search vector passes 1 MB.
_PROGRAM_LIMIT_EXCEEDED = "54000"


def _date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value or "").strip()[:10])
    except ValueError:
        return None


class _Import:
    """The state of one import: what each file GUID became in the database."""

    def __init__(self, *, project: ResearchProject, imported_by: AbstractBaseUser | None, report: ImportReport) -> None:
        self.project = project
        self.imported_by = imported_by
        self.report = report
        self.codes: dict[str, Code] = {}
        self.new_codes: dict[int, Code] = {}
        self.code_paths: dict[str, str] = {}
        self.file_users: dict[str, object] = {}
        self.user_cache: dict[str, AbstractBaseUser] = {}
        self._user_index: dict[str, AbstractBaseUser] | None = None
        self.to_archive: list[Code] = []

    # --- Codes -----------------------------------------------------------------------------------

    def import_codes(self, file_codes: list[FileCode], *, coded: set[str] = frozenset()) -> None:
        existing = list(Code.objects.filter(project=self.project))
        by_guid = {code.guid: code for code in existing}
        by_name = {(code.parent_id, code.name.casefold()): code for code in existing}
        wanted = [guids.guid_from_key(code.key) for code, _ in _walk(file_codes)]
        taken = set(Code.objects.filter(guid__in=wanted).exclude(project=self.project).values_list("guid", flat=True))

        def add(file_code: FileCode, parent: Code | None, order: int, path: str) -> None:
            guid = guids.guid_from_key(file_code.key)
            name = " ".join(file_code.name.split())[:200] or "Unnamed code"
            code = by_guid.get(guid)
            if code is not None:
                self.report.add_matched(f"Code “{path}” is the project's “{code.name}” (same GUID).")
                self.report.count("Codes", matched=1)
            else:
                code = by_name.get((parent.pk if parent else None, name.casefold()))
                if code is not None:
                    self.report.add_matched(f"Code “{path}” matched the project's code of the same name.")
                    self.report.count("Codes", matched=1)
            if code is None:
                code = self._create_code(
                    file_code,
                    name=name,
                    parent=parent,
                    path=path,
                    coded=coded,
                    order=order,
                    guid=None if guid in taken else guid,
                )
                if code is None:
                    return
                self.new_codes[code.pk] = code
                by_name[(code.parent_id, code.name.casefold())] = code
                by_guid[guid] = code
            self.codes[file_code.key] = code
            self.code_paths[file_code.key] = path
            for index, child in enumerate(file_code.children):
                add(child, code, index, f"{path} › {child.name}")

        for index, file_code in enumerate(file_codes):
            add(file_code, None, index, file_code.name)

    def _create_code(
        self,
        file_code: FileCode,
        *,
        name: str,
        parent: Code | None,
        path: str,
        coded: set[str],
        order: int,
        guid: uuid.UUID | None,
    ) -> Code | None:
        colour = _colour(file_code.colour)
        if file_code.colour and colour is None:
            self.report.drop(f"The colour “{file_code.colour}” of the code “{path}”", "it is not an #RRGGBB colour")
        is_codable = file_code.is_codable
        if not is_codable and file_code.key in coded:
            is_codable = True
            self.report.notes.append(
                f"The code “{path}” was marked as not codable but has codings in the file; "
                "it was imported as codable so that they are kept."
            )
        if name != file_code.name.strip():
            self.report.notes.append(f"The code name “{file_code.name[:60]}…” was shortened or tidied to “{name}”.")
        try:  # create_code is atomic itself: a refusal rolls back to its own savepoint
            code = create_code(
                project=self.project,
                name=name,
                created_by=self.imported_by,
                parent=parent,
                definition=file_code.description,
                colour=colour,
                is_codable=is_codable,
                order=order,
                guid=guid,
                allow_separator=True,
            )
        except ValidationError as error:
            self.report.drop(f"The code “{path}” and its sub-codes", " ".join(error.messages))
            return None
        self.report.count("Codes", new=1)
        self.report.add_imported("Codes", path)
        return code

    def apply_sets(self, sets: list[FileSet]) -> None:
        """Sets of codes become tags on the new codes; our own "Archived codes" set archives them."""
        tags: dict[int, list[str]] = {}
        for file_set in sets:
            members = [self.codes[key] for key in file_set.code_keys if key in self.codes]
            if file_set.other_members:
                self.report.drop(
                    f"{file_set.other_members} source or note member(s) of the set “{file_set.name}”",
                    "the workbench has sets of codes only (as tags)",
                )
            if not members:
                continue
            new_members = [code for code in members if code.pk in self.new_codes]
            if len(new_members) < len(members):
                self.report.notes.append(
                    f"The set “{file_set.name}” was applied to new codes only; "
                    f"{len(members) - len(new_members)} existing code(s) were left as they are."
                )
            if file_set.name == ARCHIVED_SET:
                self.to_archive += new_members
                continue
            tag = (file_set.name.removeprefix(TAG_SET_PREFIX).strip() or "Unnamed set")[:100]
            for code in new_members:
                tags.setdefault(code.pk, []).append(tag)
        for pk, names in tags.items():
            code = self.new_codes[pk]
            with _refusing_for(f"The sets of {element_label('Code', code.name, str(code.guid))}"):
                update_code(code=code, tags=list(dict.fromkeys(names)))

    def archive_codes(self) -> None:
        for code in self.to_archive:
            with _refusing_for(element_label("Code", code.name, str(code.guid))):
                set_code_archived(code=code, is_archived=True)

    # --- Coders ----------------------------------------------------------------------------------

    def _candidates(self) -> dict[str, AbstractBaseUser]:
        """The accounts a file's user may be: members of this project, the importer, earlier placeholders."""
        if self._user_index is None:
            User = get_user_model()
            members = User.objects.filter(
                Q(pk__in=ProjectMembership.objects.filter(project=self.project).values("user_id"))
                | Q(pk__in=CaseStudyMembership.objects.filter(case_study__project=self.project).values("user_id"))
                | Q(username__startswith=PLACEHOLDER_PREFIX, is_active=False)
                | Q(pk=getattr(self.imported_by, "pk", None))
            )
            index: dict[str, AbstractBaseUser] = {}
            for user in members.order_by("pk"):
                index.setdefault(f"guid:{guids.user_guid(user.pk)}", user)
            for user in members.order_by("pk"):
                index.setdefault(f"name:{user.get_username().casefold()}", user)
                if user.get_full_name().strip():
                    index.setdefault(f"name:{user.get_full_name().strip().casefold()}", user)
                if user.get_username().startswith(PLACEHOLDER_PREFIX) and user.first_name:
                    index.setdefault(f"name:{user.first_name.strip().casefold()}", user)
            self._user_index = index
        return self._user_index

    def user(self, key: str) -> AbstractBaseUser:
        """The account for a file's user GUID: an existing one by GUID or name, or an inactive placeholder."""
        if key in self.user_cache:
            return self.user_cache[key]
        file_user = self.file_users.get(key)
        name = (getattr(file_user, "name", "") or "").strip()
        ident = (getattr(file_user, "id", "") or "").strip()
        index = self._candidates()
        found = None
        if key and not key.startswith("raw:"):
            found = index.get(f"guid:{key}")
        for label in (name, ident):
            if found is None and label:
                found = index.get(f"name:{label.casefold()}")
        if found is None and not key and self.imported_by is not None:
            found = self.imported_by
            self.report.coders.append(f"Work with no recorded user → you ({user_label(found)}).")
        elif found is not None:
            self.report.coders.append(f"“{name or ident or key}” → the existing account “{user_label(found)}”.")
            self.report.count("Coders", matched=1)
        else:
            found = self._placeholder(name or ident or "Unknown coder")
            self.report.coders.append(
                f"“{name or ident or 'Unknown coder'}” → a new inactive placeholder account "
                f"“{found.get_full_name()}” ({found.get_username()})."
            )
            self.report.count("Coders", new=1)
        self.user_cache[key] = found
        for label in (name, ident):
            if label:
                index.setdefault(f"name:{label.casefold()}", found)
        return found

    def _placeholder(self, name: str) -> AbstractBaseUser:
        User = get_user_model()
        base = f"{PLACEHOLDER_PREFIX}{slugify(name)[:40] or 'coder'}"
        username, n = base, 1
        while User.objects.filter(username=username).exists():
            n += 1
            username = f"{base}-{n}"
        user = User(username=username, first_name=name[:150], last_name=PLACEHOLDER_SUFFIX, is_active=False)
        user.set_unusable_password()
        with _refusing_for(element_label("User", name)):
            user.full_clean()
        user.save()
        return user


# --- Codebooks -----------------------------------------------------------------------------------


def _read_all(upload: IO[bytes] | bytes, *, limit: int, label: str) -> bytes:
    data = bytes(upload) if isinstance(upload, bytes | bytearray) else upload.read(limit + 1)
    if len(data) > limit:
        raise RefusedFile(f"“{label}” was refused: it is larger than {limit // (1024 * 1024)} MB.")
    return data


# What an import is doing, for a page that shows its progress: "reading" the file, then "writing" the records.
OnStage = Callable[[str], None]


def _no_stage(stage: str) -> None:
    return None


def import_codebook(
    *,
    project: ResearchProject,
    upload: IO[bytes] | bytes,
    file_name: str,
    imported_by: AbstractBaseUser | None = None,
    on_stage: OnStage = _no_stage,
) -> ImportReport:
    """Merge a `.qdc` codebook into the project's: codes are matched by GUID, then by name in the same parent."""
    on_stage("reading")
    codebook: FileCodebook = read_codebook(
        _read_all(upload, limit=MAX_CODEBOOK_BYTES, label=file_name), label=file_name
    )
    if not codebook.codes:
        raise RefusedFile(f"“{file_name}” holds no codes.")
    on_stage("writing")
    return _write_codebook(project=project, codebook=codebook, file_name=file_name, imported_by=imported_by)


@transaction.atomic
def _write_codebook(
    *, project: ResearchProject, codebook: FileCodebook, file_name: str, imported_by: AbstractBaseUser | None
) -> ImportReport:
    report = ImportReport(file_name=file_name, kind="codebook", origin=codebook.origin)
    state = _Import(project=project, imported_by=imported_by, report=report)
    state.import_codes(codebook.codes)
    state.apply_sets(codebook.sets)
    state.archive_codes()
    return report


# --- Projects ------------------------------------------------------------------------------------


class _ProjectImport(_Import):
    def __init__(self, *, file: FileProject, **kwargs) -> None:
        super().__init__(**kwargs)
        self.file = file
        self.file_users = {user.key: user for user in file.users}
        self.variables = {variable.key: variable for variable in file.variables}
        self.notes = {note.key: note for note in file.notes}
        self.case_studies: dict[str, CaseStudy] = {}
        self.interviews: dict[str, Interview] = {}
        self.note_targets: dict[str, list[tuple[str, object]]] = {}
        self.selection_notes: dict[str, list[str]] = {}
        self.link_targets: dict[str, list[str]] = {}
        self.folded_notes: set[str] = set()

    def run(self) -> ImportReport:
        file = self.file
        for what, why in file.dropped:
            self.report.drop(what, why)
        self._collect_note_links()
        coded = {c.code_key for s in file.sources for sel in s.selections for c in sel.codings}
        coded |= {c.code_key for s in file.sources for c in s.codings}
        self.import_codes(file.codes, coded=coded)
        self.apply_sets(file.sets)
        self.import_cases()
        self.import_sources()
        self.import_notes()
        self.archive_codes()
        if file.description and not self.project.summary:
            self.project.summary = file.description
            with _refusing_for(f"The description of {element_label('Project', file.name)}"):
                self.project.full_clean()
            self.project.save(update_fields=["summary"])
            self.report.notes.append("The project had no summary; the file's description became its summary.")
        elif file.description and file.description != self.project.summary:
            self.report.drop("The project's description", "the project keeps its own summary")
        return self.report

    # --- Cases -----------------------------------------------------------------------------------

    def _values(self, values: list[FileValue], *, owner: str) -> dict[str, object]:
        found: dict[str, object] = {}
        for value in values:
            variable = self.variables.get(value.variable_key)
            name = variable.name if variable else "an undefined variable"
            key = _variable_key(variable.name) if variable else None
            if value.value is None or value.value == "":
                continue
            if key is None:
                self.report.drop(
                    f"The value “{value.value}” of “{name}” on {owner}", "the workbench has no field for it"
                )
                continue
            found[key] = value.value
        return found

    def import_cases(self) -> None:
        existing = list(CaseStudy.objects.filter(project=self.project))
        by_guid = {str(guids.case_study_guid(cs.pk)): cs for cs in existing}
        by_title = {cs.title.casefold(): cs for cs in existing}
        slugs = {cs.slug for cs in existing}
        for index, case in enumerate(self.file.cases, start=1):
            title = " ".join(case.name.split())[:200] or f"Case {index}"
            if case.selection_count:
                self.report.drop(
                    f"{case.selection_count} selection(s) in the case “{title}”",
                    "a case study holds whole interviews; parts of sources are not kept as case members",
                )
            if case.code_count:
                self.report.drop(f"{case.code_count} code link(s) of the case “{title}”", "case studies are not coded")
            found = by_guid.get(case.key) or by_title.get(title.casefold())
            for note_key in case.note_keys:
                self.note_targets.setdefault(note_key, []).append(("case_study", found))
            if found is not None:
                self.case_studies[case.key] = found
                self.report.add_matched(f"Case “{title}” is the existing case study “{found.title}”.")
                self.report.count("Case studies", matched=1)
                continue
            values = self._values(case.values, owner=f"the case “{title}”")
            case_study = CaseStudy(project=self.project, title=title, focus=case.description)
            for key, field, limit in (
                ("sector", "sector", 120),
                ("region", "region", 120),
                ("leads", "lead_researchers", 200),
            ):
                if key in values:
                    setattr(case_study, field, str(values[key])[:limit])
            for key, field, choices, label in (
                ("level", "level_of_analysis", CaseStudy.Level, "level of analysis"),
                ("status", "status", CaseStudy.Status, "status"),
            ):
                if key in values:
                    choice = _choice(values[key], choices)
                    if choice is None:
                        self.report.drop(
                            f"The {label} “{values[key]}” of the case “{title}”",
                            f"it is not one of: {', '.join(str(c.label) for c in choices)}",
                        )
                    else:
                        setattr(case_study, field, choice)
            base = slugify(title)[:70] or "case-study"
            slug, n = base, 1
            while slug in slugs:
                n += 1
                slug = f"{base}-{n}"
            case_study.slug = slug
            slugs.add(slug)
            with _refusing_for(element_label("Case", title, case.guid)):
                save_case_study(case_study=case_study, forms_of_partnership=_split_list(values.get("forms")))
                if values.get("topics"):
                    case_study.topics.set(_split_list(values["topics"]))
            self.case_studies[case.key] = case_study
            by_title[title.casefold()] = case_study
            self.report.count("Case studies", new=1)
            self.report.add_imported("Case studies", title)
            for note_key in case.note_keys:
                self.note_targets[note_key] = [
                    ("case_study", case_study) if target == ("case_study", None) else target
                    for target in self.note_targets[note_key]
                ]

    # --- Sources, selections, codings ------------------------------------------------------------

    def _case_for_sources(self) -> dict[str, CaseStudy]:
        owners: dict[str, CaseStudy] = {}
        for case in self.file.cases:
            case_study = self.case_studies.get(case.key)
            for source_key in case.source_keys:
                if case_study is None:
                    continue
                if source_key in owners and owners[source_key] != case_study:
                    self.report.drop(
                        f"The membership of a source in the case “{case_study.title}”",
                        f"an interview belongs to one case study; it was kept in “{owners[source_key].title}”",
                    )
                    continue
                owners[source_key] = case_study
        return owners

    def import_sources(self) -> None:
        owners = self._case_for_sources()
        existing = list(Interview.objects.filter(project=self.project))
        by_guid = {str(guids.interview_guid(i.pk)): i for i in existing}
        by_title_and_text = {(i.title, i.transcript): i for i in existing}
        candidate_guids = [guids.guid_from_key(sel.key) for s in self.file.sources for sel in s.selections if sel.key]
        self.taken_excerpt_guids = set(Excerpt.objects.filter(guid__in=candidate_guids).values_list("guid", flat=True))
        for source in self.file.sources:
            self.import_source(source, owners.get(source.key), by_guid, by_title_and_text)

    def _interview_for(
        self, source: FileSource, canonical: str, case_study: CaseStudy | None, by_guid: dict, by_title: dict
    ) -> tuple[Interview, bool]:
        title = " ".join(source.name.split())[:200] or "Untitled source"
        found = by_guid.get(source.key)
        if found is not None and found.transcript != canonical:
            found = None
        found = found or by_title.get((title, canonical))
        if found is not None:
            self.report.add_matched(f"Source “{title}” is the existing interview “{found.title}” (same text).")
            self.report.count("Interviews", matched=1)
            return found, False
        values = self._values(source.values, owner=f"the source “{title}”")
        phase = PhaseKind.CASE_STUDY if case_study else PhaseKind.SCOPING
        wanted = _choice(values.get("phase"), PhaseKind) if "phase" in values else None
        if wanted == PhaseKind.WORKSHOP or (wanted == PhaseKind.CASE_STUDY and case_study):
            phase = wanted
        elif wanted and wanted != phase:
            self.report.notes.append(
                f"“{title}” is marked as phase “{values['phase']}” but "
                + ("belongs to a case study" if case_study else "belongs to no case")
                + f"; it was imported as {PhaseKind(phase).label.lower()}."
            )
        interview = Interview(
            project=self.project,
            case_study=case_study,
            title=title,
            phase=phase,
            date=_date(values.get("date")) if "date" in values else None,
            transcript="",
            transcript_source=f"{self.report.file_name}: {source.location}"[:255],
        )
        label = element_label("Source", title, source.guid)
        with _refusing_for(label):
            save_interview(interview=interview)
            self._store_text(interview, canonical, label=label)
        self.report.count("Interviews", new=1)
        self.report.add_imported(
            "Interviews", f"{title}" + (f" (case study “{case_study.title}”)" if case_study else " (scoping)")
        )
        if source.description:
            # The description is about the source, not anyone's memo: it is credited to whoever imports it
            # (or, from the command line without --user, to the source's creator).
            author = self.imported_by or self.user(source.user_key)
            with _refusing_for(f"The description of {label[0].lower()}{label[1:]}"):
                save_memo(
                    project=self.project,
                    author=author,
                    text=source.description,
                    title="Description",
                    interview=interview,
                )
            self.report.count("Memos", new=1)
            self.report.add_imported("Memos", f"Description ({title})")
        return interview, True

    @staticmethod
    def _store_text(interview: Interview, canonical: str, *, label: str) -> None:
        """The source's text, exactly as the file has it apart from the BOM and line endings.

        save_interview also trims blank lines at the ends of a new transcript, which a REFI-QDA source's
        positions count; so the record is saved first and its text written as it is. On PostgreSQL the
        write builds the transcript's search vector, which has a limit of its own.
        """
        interview.transcript = canonical  # no longer than reading.MAX_SOURCE_CHARS: the reader refuses more
        try:
            with transaction.atomic():
                interview.save(update_fields=["transcript"])
                record_turns(interview=interview)
        except DatabaseError as error:
            if getattr(error.__cause__, "pgcode", None) != _PROGRAM_LIMIT_EXCEEDED:
                raise
            raise RefusedFile(
                f"{label}: its text has too many different words to be indexed for search (PostgreSQL keeps at "
                "most 1 MB of search index per transcript). Split it into shorter sources in the other tool."
            ) from error

    def import_source(self, source: FileSource, case_study: CaseStudy | None, by_guid: dict, by_title: dict) -> None:
        raw_selections = [RawSelection(s.start, s.end, s.name) for s in source.selections]
        try:
            canonical, converted = convert_selections(
                raw=source.text, selections=raw_selections, origin=self.file.origin
            )
        except ValueError as error:
            label = element_label("Source", source.name, source.guid)
            raise RefusedFile(f"{label}: it cannot be read as a transcript: {error}") from error
        interview, created = self._interview_for(source, canonical, case_study, by_guid, by_title)
        self.interviews[source.key] = interview
        for note_key in source.note_keys:
            self.note_targets.setdefault(note_key, []).append(("interview", interview))
        if created and source.text != canonical:
            changes = []
            if source.text.startswith("\ufeff"):
                changes.append("the byte-order mark was removed")
            if "\r" in source.text:
                changes.append("line endings were converted to LF")
            self.report.notes.append(f"“{interview.title}”: {'; '.join(changes)}. Positions were adjusted to match.")
        if created and not canonical:
            self.report.notes.append(f"“{interview.title}” has no text.")
        if source.selections and converted.reading is not CODE_POINTS:
            self.report.notes.append(
                f"Positions in “{interview.title}” were counted in {converted.reading.label}; "
                "they were converted to characters."
            )
        existing = set(Excerpt.objects.filter(interview=interview).values_list("guid", flat=True))
        new_excerpts: list[NewExcerpt] = []
        for selection, span, reason in zip(source.selections, converted.ranges, converted.reasons, strict=True):
            label = f"The selection “{selection.name[:60]}”" if selection.name else "A selection"
            label += f" [{selection.start}, {selection.end}) in “{interview.title}”"
            if span is None:
                self.report.drop(label, reason)
                continue
            memo_parts = [selection.description] if selection.description else []
            memo_parts += self._selection_note_texts(selection.key)
            self._add_excerpts(
                interview=interview,
                span=span,
                key=selection.key,
                label=label,
                codings=selection.codings,
                owner_key=selection.user_key,
                memo="\n\n".join(memo_parts),
                created_at=selection.created_at,
                modified_at=selection.modified_at,
                existing=existing,
                new_excerpts=new_excerpts,
            )
        if source.codings:
            if interview.transcript:
                self._add_excerpts(
                    interview=interview,
                    span=(0, len(interview.transcript)),
                    key=f"{source.key}:whole",
                    label=f"The coding of the whole of “{interview.title}”",
                    codings=source.codings,
                    owner_key=source.user_key,
                    memo="",
                    created_at=source.created_at,
                    modified_at=source.modified_at,
                    existing=existing,
                    new_excerpts=new_excerpts,
                )
            else:
                self.report.drop(f"The coding of the whole of “{interview.title}”", "the source has no text")
        # Each excerpt has passed check_excerpt already, so the batch writes them all.
        with _refusing_for(f"The coding of {element_label('Source', interview.title, source.guid)}"):
            create_excerpts(interview=interview, excerpts=new_excerpts, recorded_by=self.imported_by)

    def _selection_note_texts(self, selection_key: str) -> list[str]:
        """Notes tied to a selection (by NoteRef or Link) are kept in its excerpt's memo."""
        texts = []
        for note_key in dict.fromkeys(self.selection_notes.get(selection_key, [])):
            note = self.notes.get(note_key)
            if note is None:
                continue
            body = "\n\n".join(part for part in (note.description, note.text) if part)
            texts.append(f"{note.name}: {body}" if note.name else body)
            self.folded_notes.add(note_key)
        return texts

    def _add_excerpts(
        self,
        *,
        interview: Interview,
        span: tuple[int, int],
        key: str,
        label: str,
        codings: list,
        owner_key: str,
        memo: str,
        created_at: dt.datetime | None,
        modified_at: dt.datetime | None,
        existing: set[uuid.UUID],
        new_excerpts: list[NewExcerpt],
    ) -> None:
        """One excerpt per coder: a selection's codings are grouped by the user who made them.

        The excerpts are checked here (a bad one is dropped and reported) and collected in `new_excerpts`,
        which the caller writes in one batch.
        """
        groups: dict[str, list] = {}
        for coding in codings:
            groups.setdefault(coding.user_key or owner_key or self.file.creating_user_key, []).append(coding)
        if not codings:
            groups[owner_key or self.file.creating_user_key] = []
        for index, (user_key, group) in enumerate(groups.items()):
            guid = guids.guid_from_key(key) if index == 0 and not key.endswith(":whole") else None
            guid = guid or guids.derived_guid("excerpt", key, user_key)
            if guid in existing:
                self.report.count("Excerpts", matched=1)
                continue
            coder = self.user(user_key)
            codes: list[Code] = []
            times: dict[int, dt.datetime | None] = {}
            for coding in group:
                code = self.codes.get(coding.code_key)
                if code is None:
                    self.report.drop(f"A coding on {label[0].lower()}{label[1:]}", "its code is not in the codebook")
                    continue
                if code.is_archived or not code.is_codable:
                    why = "is archived in this project" if code.is_archived else "is a heading that cannot be applied"
                    self.report.drop(f"The code “{code.name}” on {label[0].lower()}{label[1:]}", f"the code {why}")
                    continue
                if code not in codes:
                    codes.append(code)
                    times[code.pk] = coding.created_at
            try:
                check_excerpt(interview=interview, start=span[0], end=span[1], codes=codes)
            except ValidationError as error:
                self.report.drop(label, " ".join(error.messages))
                continue
            derived = index > 0 or key.endswith(":whole")
            keep_guid = guid not in self.taken_excerpt_guids and not (
                derived and Excerpt.objects.filter(guid=guid).exists()
            )
            if keep_guid:
                self.taken_excerpt_guids.add(guid)
                existing.add(guid)
            new_excerpts.append(
                NewExcerpt(
                    start=span[0],
                    end=span[1],
                    codes=codes,
                    memo=memo if index == 0 else "",
                    coded_by=coder,
                    guid=guid if keep_guid else None,
                    created_at=created_at,
                    updated_at=modified_at or created_at,
                    applied_at={pk: moment for pk, moment in times.items() if moment},
                )
            )
            self.report.count("Excerpts", new=1)
            self.report.count("Code applications", new=len(codes))

    # --- Notes -----------------------------------------------------------------------------------

    def _collect_note_links(self) -> None:
        """Which notes sit on selections (NoteRef or Link), and what else Links tie notes to."""
        selection_keys = {sel.key for source in self.file.sources for sel in source.selections}
        for source in self.file.sources:
            for selection in source.selections:
                for note_key in selection.note_keys:
                    self.selection_notes.setdefault(selection.key, []).append(note_key)
        for link in self.file.links:
            for note_key, other in ((link.origin_key, link.target_key), (link.target_key, link.origin_key)):
                if note_key not in self.notes:
                    continue
                if other in selection_keys:
                    self.selection_notes.setdefault(other, []).append(note_key)
                else:
                    self.link_targets.setdefault(note_key, []).append(other)

    def import_notes(self) -> None:
        for file_code, _path in _walk(self.file.codes):
            if file_code.key in self.codes:
                for note_key in file_code.note_keys:
                    self.note_targets.setdefault(note_key, []).append(("code", self.codes[file_code.key]))
        for note_key in self.file.note_keys:
            self.note_targets.setdefault(note_key, []).append(("project", None))
        existing = set(Memo.objects.filter(project=self.project).values_list("guid", flat=True))
        wanted = [guids.guid_from_key(note.key) for note in self.file.notes]
        taken = set(Memo.objects.filter(guid__in=wanted).values_list("guid", flat=True))
        dated: list[Memo] = []
        for note in self.file.notes:
            guid = guids.guid_from_key(note.key)
            targets = self._targets_of(note.key)
            title = note.name.strip()[:200]
            label = f"The note “{title}”" if title else "An untitled note"
            if note.key in self.folded_notes and not targets:
                self.report.add_imported("Memos", f"{title or 'Untitled note'} (kept in an excerpt's memo)")
                continue
            if guid in existing:
                self.report.count("Memos", matched=1)
                continue
            text = "\n\n".join(part for part in (note.description, note.text) if part)
            if not text:
                self.report.drop(label, "it is empty")
                continue
            kind, target = targets[0] if targets else ("project", None)
            if not targets and note.key in self.link_targets:
                self.report.notes.append(
                    f"{label} was linked to something that was not imported; it was kept as a project memo."
                )
            if len({(k, getattr(t, "pk", None)) for k, t in targets}) > 1:
                self.report.notes.append(f"{label} was attached to several records; it was kept on the first.")
            if title == default_note_name(note.text):
                title = ""
            author = self.user(note.user_key)  # with no recorded user: the importer, or a placeholder
            try:  # save_memo is atomic itself: a refusal rolls back to its own savepoint
                memo = save_memo(
                    project=self.project,
                    author=author,
                    text=text,
                    title=title,
                    **({kind: target} if kind != "project" else {}),
                )
            except ValidationError as error:
                self.report.drop(label, " ".join(error.messages))
                continue
            if guid not in taken:
                memo.guid = guid
            memo.created_at = note.created_at or memo.created_at
            memo.updated_at = note.modified_at or note.created_at or memo.updated_at
            dated.append(memo)
            where = {
                "code": "on a code",
                "interview": "on an interview",
                "case_study": "on a case study",
                "project": "on the project",
            }[kind]
            self.report.count("Memos", new=1)
            self.report.add_imported("Memos", f"{title or default_note_name(note.text)} ({where})")
        bulk_update_with_history(
            dated, Memo, ["guid", "created_at", "updated_at"], batch_size=500, default_user=self.imported_by
        )

    def _targets_of(self, note_key: str) -> list[tuple[str, object]]:
        found = list(self.note_targets.get(note_key, []))
        for other in self.link_targets.get(note_key, []):
            if other in self.codes:
                found.append(("code", self.codes[other]))
            elif other in self.interviews:
                found.append(("interview", self.interviews[other]))
            elif other in self.case_studies:
                found.append(("case_study", self.case_studies[other]))
        return found


def import_project(
    *,
    project: ResearchProject,
    upload: IO[bytes] | bytes,
    file_name: str,
    imported_by: AbstractBaseUser | None = None,
    on_stage: OnStage = _no_stage,
) -> ImportReport:
    """Import a `.qdpx` into the project: codes, cases, sources with their coding, coders and notes."""
    on_stage("reading")
    file = read_project(upload, label=file_name)
    on_stage("writing")
    return _write_project(project=project, file=file, file_name=file_name, imported_by=imported_by)


@transaction.atomic
def _write_project(
    *, project: ResearchProject, file: FileProject, file_name: str, imported_by: AbstractBaseUser | None
) -> ImportReport:
    report = ImportReport(file_name=file_name, kind="project", origin=file.origin)
    return _ProjectImport(file=file, project=project, imported_by=imported_by, report=report).run()
