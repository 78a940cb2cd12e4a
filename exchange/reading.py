"""Reading REFI-QDA files from other tools: leniently in what they say, strictly in what is safe.

Nothing here touches the database. A file that cannot be read safely or fully raises `RefusedFile`
with a message for the person who uploaded it; what can be read becomes plain dataclasses that
`exchange.importing` turns into records.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import textwrap
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.conf import settings
from django.core.exceptions import ValidationError

from .guids import file_key
from .positions import BOM

MAX_ENTRIES = 10_000
# The XML of a project or codebook: at most this many elements (about 80 MB of parsed tree when they are
# empty; a project with 300,000 coded selections has 900,000) and this deep (a code tree nests within it).
MAX_XML_ELEMENTS = 1_000_000
MAX_XML_DEPTH = 64
# A source's text, in characters: about 170,000 words, a fifteen-hour interview. PostgreSQL caps a
# transcript's search vector at 1 MB: ordinary speech of this length needs about a third of that, and a
# text that still does not fit (mostly distinct "words", such as numbers) is refused when it is saved.
MAX_SOURCE_CHARS = 1_000_000
# No encoding needs more than four bytes a character, so a longer file is refused before it is decoded.
MAX_SOURCE_BYTES = 4 * MAX_SOURCE_CHARS + len(BOM.encode("utf-8"))
CHUNK_BYTES = 64 * 1024


class RefusedFile(ValidationError):
    """An exchange file that is not imported at all; the message says why."""


# --- What a file says, as plain data -------------------------------------------------------------


@dataclass
class FileUser:
    key: str
    name: str = ""
    id: str = ""


@dataclass
class FileCode:
    key: str
    name: str
    is_codable: bool = True
    colour: str = ""
    description: str = ""
    note_keys: list[str] = field(default_factory=list)
    children: list[FileCode] = field(default_factory=list)


@dataclass
class FileCoding:
    key: str
    code_key: str
    user_key: str = ""
    created_at: dt.datetime | None = None


@dataclass
class FileSelection:
    key: str
    start: int
    end: int
    name: str = ""
    description: str = ""
    user_key: str = ""
    created_at: dt.datetime | None = None
    modified_at: dt.datetime | None = None
    codings: list[FileCoding] = field(default_factory=list)
    note_keys: list[str] = field(default_factory=list)


@dataclass
class FileValue:
    variable_key: str
    value: object


@dataclass
class FileSource:
    key: str
    name: str
    text: str
    location: str
    kind: str = "text"
    guid: str = ""
    description: str = ""
    user_key: str = ""
    created_at: dt.datetime | None = None
    modified_at: dt.datetime | None = None
    selections: list[FileSelection] = field(default_factory=list)
    codings: list[FileCoding] = field(default_factory=list)
    note_keys: list[str] = field(default_factory=list)
    values: list[FileValue] = field(default_factory=list)


@dataclass
class FileVariable:
    key: str
    name: str
    type: str = "Text"


@dataclass
class FileCase:
    key: str
    name: str
    guid: str = ""
    description: str = ""
    values: list[FileValue] = field(default_factory=list)
    source_keys: list[str] = field(default_factory=list)
    selection_count: int = 0
    code_count: int = 0
    note_keys: list[str] = field(default_factory=list)


@dataclass
class FileNote:
    key: str
    name: str
    text: str
    description: str = ""
    user_key: str = ""
    created_at: dt.datetime | None = None
    modified_at: dt.datetime | None = None


@dataclass
class FileLink:
    name: str
    origin_key: str
    target_key: str


@dataclass
class FileSet:
    name: str
    description: str = ""
    code_keys: list[str] = field(default_factory=list)
    other_members: int = 0


@dataclass
class FileCodebook:
    origin: str
    codes: list[FileCode]
    sets: list[FileSet]


@dataclass
class FileProject:
    name: str
    origin: str
    users: list[FileUser]
    codes: list[FileCode]
    variables: list[FileVariable]
    cases: list[FileCase]
    sources: list[FileSource]
    notes: list[FileNote]
    links: list[FileLink]
    sets: list[FileSet]
    description: str = ""
    creating_user_key: str = ""
    note_keys: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)


# --- XML, safely and without caring about namespaces ---------------------------------------------


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Element, *names: str) -> Iterator[Element]:
    for child in element:
        if _local(child.tag) in names:
            yield child


def _child(element: Element, name: str) -> Element | None:
    return next(_children(element, name), None)


def _attr(element: Element, name: str) -> str:
    """An attribute by its local name; tools disagree on case and some prefix attributes."""
    value = element.get(name)
    if value is None:
        wanted = name.lower()
        for attribute, candidate in element.attrib.items():
            if _local(attribute).lower() == wanted:
                value = candidate
                break
    return (value or "").strip()


def _text(element: Element | None) -> str:
    """Element text with the indentation that pretty-printing tools add taken away."""
    if element is None:
        return ""
    return textwrap.dedent("".join(element.itertext()).strip("\n")).strip()


def _raw_text(element: Element | None) -> str:
    return "" if element is None else "".join(element.itertext())


def _bool(value: str, default: bool = True) -> bool:
    if not value:
        return default
    return value.strip().lower() not in {"false", "0", "no"}


def _int(value: str) -> int | None:
    try:
        return int(value.strip())
    except (AttributeError, ValueError):
        return None


def _datetime(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _key(value: str) -> str:
    return file_key(value) if value else ""


def element_label(kind: str, name: str = "", guid: str = "") -> str:
    """How a refusal names the element at fault: `Source “Interview 3” (GUID 7c4d…)`."""
    label = f"{kind} “{name}”" if name else kind
    return f"{label} (GUID {guid})" if guid else label


class _Chunks:
    """A file-like view of an iterator of byte chunks, for the XML parser (which takes what `read` gives)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks

    def read(self, size: int = -1) -> bytes:
        return next(self.chunks, b"")


def parse_xml(data: bytes | Iterator[bytes], *, label: str) -> Element:
    """Parse untrusted XML: no DTD, no entities, no external references, no network; bounded in elements and depth.

    The XML is parsed as it arrives (chunks from an archive entry, counted as they expand), so a file that is
    too large is stopped while it is read, not after.
    """
    source = io.BytesIO(data) if isinstance(data, bytes | bytearray) else _Chunks(data)
    depth = elements = 0
    try:
        events = iterparse(source, events=("start", "end"), forbid_dtd=True, forbid_entities=True, forbid_external=True)
        for event, _element in events:
            if event == "end":
                depth -= 1
                continue
            depth += 1
            elements += 1
            if depth > MAX_XML_DEPTH:
                raise RefusedFile(f"“{label}” was refused: it nests elements more than {MAX_XML_DEPTH} deep.")
            if elements > MAX_XML_ELEMENTS:
                raise RefusedFile(f"“{label}” was refused: it holds more than {MAX_XML_ELEMENTS:,} elements.")
        return events.root
    except DefusedXmlException as error:
        raise RefusedFile(
            f"“{label}” was refused: it declares a document type or entities (DOCTYPE/ENTITY), "
            "which REFI-QDA files never need and which can be used to attack the reader."
        ) from error
    except ParseError as error:
        raise RefusedFile(f"“{label}” is not well-formed XML: {error}.") from error


# --- The codebook --------------------------------------------------------------------------------


def _code(element: Element) -> FileCode:
    name = _attr(element, "name")
    return FileCode(
        key=_key(_attr(element, "guid")) or _key(f"code-without-guid:{name}:{id(element)}"),
        name=name,
        is_codable=_bool(_attr(element, "isCodable")),
        colour=_attr(element, "color"),
        description=_text(_child(element, "Description")),
        note_keys=[_key(_attr(ref, "targetGUID")) for ref in _children(element, "NoteRef")],
        children=[_code(child) for child in _children(element, "Code")],
    )


def _codes(parent: Element | None) -> list[FileCode]:
    if parent is None:
        return []
    codes_element = _child(parent, "Codes")
    return [] if codes_element is None else [_code(code) for code in _children(codes_element, "Code")]


def _sets(parent: Element) -> list[FileSet]:
    sets_element = _child(parent, "Sets")
    if sets_element is None:
        return []
    found = []
    for element in _children(sets_element, "Set"):
        code_keys = [
            _key(_attr(member, "targetGUID") or _attr(member, "guid")) for member in _children(element, "MemberCode")
        ]
        others = sum(1 for _ in _children(element, "MemberSource", "MemberNote"))
        found.append(
            FileSet(
                name=_attr(element, "name"),
                description=_text(_child(element, "Description")),
                code_keys=[key for key in code_keys if key],
                other_members=others,
            )
        )
    return found


def read_codebook(data: bytes, *, label: str = "codebook") -> FileCodebook:
    """A `.qdc` codebook; a project file's codebook is accepted too."""
    root = parse_xml(data, label=label)
    if _local(root.tag) == "Project":
        codebook = _child(root, "CodeBook")
        return FileCodebook(origin=_attr(root, "origin"), codes=_codes(codebook), sets=_sets(root))
    if _local(root.tag) != "CodeBook":
        raise RefusedFile(
            f"“{label}” is not a REFI-QDA codebook: its root element is <{_local(root.tag)}>, not <CodeBook>."
        )
    return FileCodebook(origin=_attr(root, "origin"), codes=_codes(root), sets=_sets(root))


# --- The project archive -------------------------------------------------------------------------


def max_expanded_bytes() -> int:
    """What a whole archive may expand to: in proportion to the upload cap, as for Word and OpenDocument files."""
    limit = settings.UPLOAD_MAX_EXPANDED_BYTES
    return min(limit, getattr(settings, "EXCHANGE_MAX_EXPANDED_BYTES", limit))


def _safe_name(name: str) -> str:
    """The entry's path with `/` separators; refuses names that would point outside the archive."""
    normalised = name.replace("\\", "/")
    parts = normalised.split("/")
    if normalised.startswith("/") or ".." in parts or (parts and ":" in parts[0]) or "\x00" in normalised:
        raise RefusedFile(f"The archive was refused: the file name “{name}” points outside the archive.")
    return normalised


class Archive:
    """A .qdpx zip (or a project backup), opened with limits on what it may expand to."""

    def __init__(self, upload: IO[bytes] | bytes, *, label: str, limit: int | None = None) -> None:
        self.label = label
        self.qde_folder = ""
        self.limit = limit or max_expanded_bytes()
        self.expanded = 0
        stream = upload
        if isinstance(upload, bytes | bytearray):
            stream = io.BytesIO(upload)
        if not zipfile.is_zipfile(stream):
            raise RefusedFile(f"“{label}” is not a .qdpx project: it is not a zip archive.")
        stream.seek(0)
        try:
            self.zip = zipfile.ZipFile(stream)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise RefusedFile(f"“{label}” is a damaged zip archive: {error}.") from error
        if len(infos) > MAX_ENTRIES:
            raise RefusedFile(f"The archive was refused: it holds more than {MAX_ENTRIES:,} files.")
        self.entries: dict[str, zipfile.ZipInfo] = {}
        declared = 0
        for info in infos:
            name = _safe_name(info.filename)
            declared += info.file_size
            if info.is_dir() or name.startswith("__MACOSX/"):
                continue
            self.entries[name] = info
        if declared > self.limit:
            raise self._too_big()
        self._by_lower = {name.lower(): name for name in self.entries}

    def _too_big(self) -> RefusedFile:
        return RefusedFile(f"The archive was refused: it expands to more than {self.limit // (1024 * 1024):,} MB.")

    def chunks(self, name: str, *, limit: int | None = None, too_big: str = "") -> Iterator[bytes]:
        """An entry's bytes as they expand, counted against the archive's limit and the entry's own `limit`.

        The count is of what comes out of the decompressor, never of what a header says (a header may lie).
        """
        info = self.entries[name]
        read = 0
        try:
            with self.zip.open(info) as entry:
                while chunk := entry.read(CHUNK_BYTES):
                    read += len(chunk)
                    self.expanded += len(chunk)
                    if limit is not None and read > limit:
                        raise RefusedFile(too_big)
                    if self.expanded > self.limit:
                        raise self._too_big()
                    yield chunk
        except RuntimeError as error:  # encrypted entries
            raise RefusedFile(f"The archive was refused: “{name}” is encrypted.") from error
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:
            raise RefusedFile(f"“{self.label}” is a damaged zip archive: {error}.") from error

    def read(self, name: str, *, limit: int | None = None, too_big: str = "") -> bytes:
        return b"".join(self.chunks(name, limit=limit, too_big=too_big))

    def project_entry(self) -> str:
        found = sorted(name for name in self.entries if name.lower().endswith(".qde"))
        if not found:
            raise RefusedFile(f"“{self.label}” holds no project file (*.qde), so it is not a REFI-QDA project.")
        if len(found) > 1:
            raise RefusedFile(
                f"“{self.label}” holds {len(found)} project files ({', '.join(found)}); a .qdpx must hold exactly one."
            )
        return found[0]

    def find_source(self, path: str) -> str | None:
        """The entry a source path points to: `internal://x.txt` is `sources/x.txt` (any case of folder)."""
        if "://" in path:
            scheme, _, rest = path.partition("://")
            if scheme.lower() != "internal":
                return None
        else:
            rest = path
        rest = rest.replace("\\", "/").lstrip("/")
        base = self.qde_folder
        candidates = [
            posixpath.join(base, "sources", rest),
            posixpath.join("sources", rest),
            posixpath.join(base, rest),
            rest,
        ]
        for candidate in candidates:
            name = self._by_lower.get(posixpath.normpath(candidate).lower())
            if name:
                return name
        return None


def _decode_text(data: bytes, *, what: str, entry: str) -> str:
    """A plain-text source: UTF-8 (with or without BOM; the BOM is kept for position counting) or UTF-16."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return "\ufeff" + data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise RefusedFile(f"{what}: its file “{entry}” is not readable UTF-16 text.") from error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RefusedFile(f"{what}: its file “{entry}” is not UTF-8 text.") from error
    if "\x00" in text:
        raise RefusedFile(f"{what}: its file “{entry}” contains NUL characters, so it is not plain text.")
    return text


def _too_long(what: str, *, memo: bool) -> str:
    if memo:
        return f"{what}: its text is longer than {MAX_SOURCE_CHARS:,} characters, the most one memo can hold."
    return (
        f"{what}: its text is longer than {MAX_SOURCE_CHARS:,} characters, the most one transcript can hold "
        "(so that it can be saved and searched). Split it into shorter sources in the other tool."
    )


def _values(element: Element) -> list[FileValue]:
    found = []
    for value_element in _children(element, "VariableValue"):
        ref = _child(value_element, "VariableRef")
        if ref is None:
            continue
        value: object = None
        for child in value_element:
            kind = _local(child.tag)
            raw = (child.text or "").strip()
            if kind == "TextValue":
                value = _raw_text(child).strip()
            elif kind == "BooleanValue":
                value = _bool(raw, default=False) if raw else None
            elif kind == "IntegerValue":
                value = _int(raw)
            elif kind in {"FloatValue", "DateValue", "DateTimeValue"}:
                value = raw or None
        found.append(FileValue(variable_key=_key(_attr(ref, "targetGUID")), value=value))
    return found


def _coding(element: Element) -> FileCoding | None:
    ref = _child(element, "CodeRef")
    if ref is None:
        return None
    return FileCoding(
        key=_key(_attr(element, "guid")),
        code_key=_key(_attr(ref, "targetGUID")),
        user_key=_key(_attr(element, "creatingUser")),
        created_at=_datetime(_attr(element, "creationDateTime")),
    )


def _note_keys(element: Element) -> list[str]:
    return [_key(_attr(ref, "targetGUID")) for ref in _children(element, "NoteRef") if _attr(ref, "targetGUID")]


class _ProjectReader:
    def __init__(self, archive: Archive, root: Element) -> None:
        self.archive = archive
        self.root = root
        self.origin = _attr(root, "origin")
        self.dropped: list[tuple[str, str]] = []

    def text_of(self, element: Element, *, what: str, memo: bool = False) -> tuple[str, str]:
        """The plain text of a TextSource or Note, and where it came from; at most MAX_SOURCE_CHARS long."""
        content = _child(element, "PlainTextContent")
        path = _attr(element, "plainTextPath")
        text, location = "", ""
        if path:
            entry = self.archive.find_source(path)
            if entry is None:
                if content is None or not _raw_text(content):
                    raise RefusedFile(f"{what}: its text file “{path}” is not in the archive.")
            else:
                data = self.archive.read(entry, limit=MAX_SOURCE_BYTES, too_big=_too_long(what, memo=memo))
                text, location = _decode_text(data, what=what, entry=entry), entry
        if not location and content is not None:
            text, location = _raw_text(content), "the project file"
        if len(text.removeprefix(BOM)) > MAX_SOURCE_CHARS:
            raise RefusedFile(_too_long(what, memo=memo))
        return text, location

    def source(self, element: Element, *, name: str, kind: str = "text") -> FileSource:
        label = name or _attr(element, "plainTextPath") or _attr(element, "guid")
        what = element_label("Source", label, _attr(element, "guid"))
        text, location = self.text_of(element, what=what)
        if not location and _attr(element, "richTextPath"):
            raise RefusedFile(
                f"{what}: it has only rich text ({_attr(element, 'richTextPath')}) and no plain text; "
                "REFI-QDA text selections count positions in the plain text."
            )
        selections = []
        for selection in _children(element, "PlainTextSelection"):
            start, end = _int(_attr(selection, "startPosition")), _int(_attr(selection, "endPosition"))
            if start is None or end is None:
                self.dropped.append(
                    (
                        f"{element_label('Selection', guid=_attr(selection, 'guid'))} in “{label}”",
                        "its start or end position is not a number",
                    )
                )
                continue
            selections.append(
                FileSelection(
                    key=_key(_attr(selection, "guid")),
                    start=start,
                    end=end,
                    name=_attr(selection, "name"),
                    description=_text(_child(selection, "Description")),
                    user_key=_key(_attr(selection, "creatingUser")),
                    created_at=_datetime(_attr(selection, "creationDateTime")),
                    modified_at=_datetime(_attr(selection, "modifiedDateTime")),
                    codings=[c for c in map(_coding, _children(selection, "Coding")) if c],
                    note_keys=_note_keys(selection),
                )
            )
        if not name:
            name = posixpath.basename(location) if location and location != "the project file" else "Untitled source"
        return FileSource(
            key=_key(_attr(element, "guid")),
            name=name,
            text=text,
            location=location,
            kind=kind,
            guid=_attr(element, "guid"),
            description=_text(_child(element, "Description")),
            user_key=_key(_attr(element, "creatingUser")),
            created_at=_datetime(_attr(element, "creationDateTime")),
            modified_at=_datetime(_attr(element, "modifiedDateTime")),
            selections=selections,
            codings=[c for c in map(_coding, _children(element, "Coding")) if c],
            note_keys=_note_keys(element),
            values=_values(element),
        )

    def sources(self) -> list[FileSource]:
        sources_element = _child(self.root, "Sources")
        if sources_element is None:
            return []
        found = []
        for element in sources_element:
            kind, name = _local(element.tag), _attr(element, "name")
            if kind == "TextSource":
                found.append(self.source(element, name=name))
            elif kind == "PDFSource":
                representation = _child(element, "Representation")
                pdf_selections = sum(1 for _ in _children(element, "PDFSelection"))
                if representation is not None:
                    found.append(self.source(representation, name=name or _attr(representation, "name"), kind="pdf"))
                    if pdf_selections:
                        self.dropped.append(
                            (
                                f"{pdf_selections} area selection(s) in the PDF “{name}”",
                                "they mark areas of PDF pages; its plain-text selections were imported",
                            )
                        )
                else:
                    self.dropped.append((f"The PDF “{name}”", "it has no plain-text representation to code"))
            elif kind in {"PictureSource", "AudioSource", "VideoSource"}:
                what = {"PictureSource": "picture", "AudioSource": "audio", "VideoSource": "video"}[kind]
                transcripts = sum(1 for _ in _children(element, "Transcript"))
                extra = f" and its {transcripts} synchronised transcript(s)" if transcripts else ""
                why = (
                    "the workbench codes text only"
                    if what == "picture"
                    else "the workbench codes text transcripts; import the transcript as a text source"
                )
                self.dropped.append((f"The {what} source “{name}”{extra}", why))
        return found

    def notes(self) -> list[FileNote]:
        notes_element = _child(self.root, "Notes")
        if notes_element is None:
            return []
        found = []
        for element in _children(notes_element, "Note"):
            name = _attr(element, "name")
            text, _ = self.text_of(element, what=element_label("Note", name, _attr(element, "guid")), memo=True)
            found.append(
                FileNote(
                    key=_key(_attr(element, "guid")),
                    name=name,
                    text=text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff").strip(),
                    description=_text(_child(element, "Description")),
                    user_key=_key(_attr(element, "creatingUser")),
                    created_at=_datetime(_attr(element, "creationDateTime")),
                    modified_at=_datetime(_attr(element, "modifiedDateTime")),
                )
            )
        return found

    def variables(self) -> list[FileVariable]:
        element = _child(self.root, "Variables")
        if element is None:
            return []
        return [
            FileVariable(key=_key(_attr(v, "guid")), name=_attr(v, "name"), type=_attr(v, "typeOfVariable") or "Text")
            for v in _children(element, "Variable")
        ]

    def cases(self) -> list[FileCase]:
        element = _child(self.root, "Cases")
        if element is None:
            return []
        return [
            FileCase(
                key=_key(_attr(case, "guid")),
                name=_attr(case, "name"),
                guid=_attr(case, "guid"),
                description=_text(_child(case, "Description")),
                values=_values(case),
                source_keys=[_key(_attr(ref, "targetGUID")) for ref in _children(case, "SourceRef")],
                selection_count=sum(1 for _ in _children(case, "SelectionRef")),
                code_count=sum(1 for _ in _children(case, "CodeRef")),
                note_keys=_note_keys(case),
            )
            for case in _children(element, "Case")
        ]

    def links(self) -> list[FileLink]:
        element = _child(self.root, "Links")
        if element is None:
            return []
        return [
            FileLink(
                name=_attr(link, "name"),
                origin_key=_key(_attr(link, "originGUID")),
                target_key=_key(_attr(link, "targetGUID")),
            )
            for link in _children(element, "Link")
        ]

    def read(self) -> FileProject:
        root = self.root
        users_element = _child(root, "Users")
        users = [
            FileUser(key=_key(_attr(u, "guid")), name=_attr(u, "name"), id=_attr(u, "id"))
            for u in (_children(users_element, "User") if users_element is not None else [])
        ]
        project = FileProject(
            name=_attr(root, "name"),
            origin=self.origin,
            users=users,
            codes=_codes(_child(root, "CodeBook")),
            variables=self.variables(),
            cases=self.cases(),
            sources=self.sources(),
            notes=self.notes(),
            links=self.links(),
            sets=_sets(root),
            description=_text(_child(root, "Description")),
            creating_user_key=_key(_attr(root, "creatingUserGUID")),
            note_keys=_note_keys(root),
        )
        if _child(root, "Graphs") is not None:
            self.dropped.append(("The graphs (network views)", "the workbench has no graphs"))
        project.dropped = self.dropped
        return project


def read_project(upload: IO[bytes] | bytes, *, label: str = "project.qdpx") -> FileProject:
    """A `.qdpx` archive: its single `.qde` and the plain-text sources it refers to."""
    archive = Archive(upload, label=label)
    entry = archive.project_entry()
    archive.qde_folder = posixpath.dirname(entry)
    root = parse_xml(archive.chunks(entry), label=entry)
    if _local(root.tag) != "Project":
        raise RefusedFile(
            f"“{entry}” is not a REFI-QDA project: its root element is <{_local(root.tag)}>, not <Project>."
        )
    return _ProjectReader(archive, root).read()
