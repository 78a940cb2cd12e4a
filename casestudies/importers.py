"""Reading a transcript file into the canonical text: one reader per format behind `read_transcript`.

Every reader uses a library made for its format; what this module adds is the checks around them (size,
archive expansion, whether the contents match the name, encryption) and the layout of the result: paragraphs
separated by a blank line, so that `split_turns` finds the speaker turns. Nothing here writes to the database.

Every reader runs bounded, whatever the file claims: the bounds below (bytes inflated, counted while inflating;
bytes a PDF's streams decode to; nesting; cues, turns, elements and characters) refuse a hostile file early with
a message of its own, and the whole read runs in a child process with memory and time limits (parsing_limits)
for whatever a library might still do. bench/hostile_uploads.py measures both.
"""

from __future__ import annotations

import codecs
import html
import importlib
import io
import logging
import re
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.template.defaultfilters import filesizeformat

from . import parsing_limits
from .transcripts import TURN_PATTERN, Turn, normalise_transcript, split_turns

logger = logging.getLogger(__name__)

# An interview transcript is a few dozen parts in a Word or OpenDocument file; thousands mean something else.
ARCHIVE_MAX_ENTRIES = 2000
# Subtitle cues without a speaker carry on the current turn unless the recording pauses for longer than this.
CUE_PAUSE_SECONDS = 2.0
# More control characters than this share of the text means the file is binary, whatever its name says.
CONTROL_CHARACTER_SHARE = 0.01

# Bounds on what a file may make a reader do, whatever the file claims about itself. Each is far beyond any real
# transcript and well inside what a web worker can afford; the child process (parsing_limits) catches the rest.
#
# The text and markup a Word or OpenDocument file's XML parts may unpack to, each: a 73,000-word transcript is
# 0.5 MB of document.xml as python-docx writes it and a few MB as Word does (revision ids on every run); odfpy
# reads about 7 MB of content.xml a second, so this keeps the slowest reader near 2 s.
ARCHIVE_XML_PART_MAX_BYTES = 16 * 1024 * 1024
# The bytes a PDF's streams may decode to, all streams together: a 73,000-word transcript decodes to about 2 MB,
# a PDF with embedded fonts to a few MB more. pdfminer holds every decoded stream in memory.
PDF_MAX_DECODED_BYTES = 64 * 1024 * 1024
# What one PDF page may draw (characters and shapes): a dense page of transcript is about 4,000 characters, and
# pdfminer's layout analysis of a page takes time that grows faster than the number of things on it.
PDF_MAX_OBJECTS_PER_PAGE = 20_000
# Characters a PDF may draw in all. pdfminer lays out 70,000 to 170,000 a second, depending on the page (a
# 73,000-word transcript, 430,000 characters, takes 2.5 s), so this keeps the slowest reader to a few seconds; it is
# 100,000 words, past the longest real transcript. A longer one imports from another format, up to
# TRANSCRIPT_MAX_CHARACTERS.
PDF_MAX_CHARACTERS = 600_000
# How deeply elements may nest in an HTML page. Real pages, Word's HTML included, nest a few dozen deep; the HTML
# reader walks the tree recursively and needs to stay well inside Python's limit of 1,000 frames.
HTML_MAX_NESTING = 200
# How deeply lists and quotations may nest in Markdown, and how many brackets ([, ( and <) may be open at once in a
# paragraph. The Markdown library scans ahead from every open bracket for its match, and recurses once per list
# level, so its time grows with the square of the first and its memory with the second.
MARKDOWN_MAX_NESTING = 32
# How deeply elements may nest in a Word or OpenDocument file's main XML part, for the same reason as
# HTML_MAX_NESTING, and how many elements it may have: Word writes about 90,000 for a 73,000-word transcript, and
# odfpy needs about 5 s per million.
XML_MAX_NESTING = 200
XML_MAX_ELEMENTS = 500_000
# Cues in a subtitle file: one a second for eight hours is 28,800.
SUBTITLE_MAX_CUES = 30_000
# Turns (paragraphs) in a transcript: the longest interviews have a few thousand; the coding page shows them all.
TRANSCRIPT_MAX_TURNS = 20_000
# Characters in a transcript: about 250,000 words, several times the longest day-long workshop.
TRANSCRIPT_MAX_CHARACTERS = 1_500_000
# On PostgreSQL each transcript is indexed for search in a generated tsvector column (analysis migration 0002),
# and PostgreSQL refuses to store a vector of more than 1 MB of lexemes and positions, failing the whole save.
# A text can need at most 4 bytes of vector per character (measured: distinct single CJK characters), so a
# transcript shorter than this cannot reach the cap; a longer one is checked by PostgreSQL itself before it is saved.
SEARCH_VECTOR_SAFE_CHARACTERS = 250_000
SEARCH_VECTOR_MAX_BYTES = 1024 * 1024  # to be exact, one byte less


@dataclass(frozen=True)
class TranscriptFormat:
    key: str
    label: str  # as a sentence says it: "a Word document (.docx)"
    extensions: tuple[str, ...]
    read: Callable[[str, bytes, TranscriptFormat], str] = field(repr=False)
    # The modules its reader imports: loaded in the worker before a child is forked, so that each child starts with
    # them rather than importing them again (up to half a second for pdfminer).
    libraries: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportedTranscript:
    """The canonical text read from a file, with the turns found in it."""

    name: str
    format: TranscriptFormat
    text: str

    @cached_property
    def turns(self) -> list[Turn]:
        return split_turns(self.text)

    def summary(self) -> str:
        return describe_transcript(self.text, turns=self.turns)


def describe_transcript(text: str, *, turns: list[Turn] | None = None) -> str:
    """'2,345 words in 84 turns; speakers: Interviewer (42), Ruth (41)': what an import found, in a line."""
    turns = split_turns(text) if turns is None else turns
    word_count = len(text.split())
    words = f"{word_count:,} word{'s' if word_count != 1 else ''}"
    turn_count = f"{len(turns):,} turn{'s' if len(turns) != 1 else ''}"
    speakers = Counter(turn.speaker for turn in turns if turn.speaker).most_common()
    if not speakers:
        return f"{words} in {turn_count}; no speaker labels were recognised"
    shown = ", ".join(f"{speaker} ({count:,})" for speaker, count in speakers[:8])
    more = f" and {len(speakers) - 8} more" if len(speakers) > 8 else ""
    return f"{words} in {turn_count}; speakers: {shown}{more}"


# ---------------------------------------------------------------------------------------------------------------
# Refusals


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _damaged(name: str, fmt: TranscriptFormat) -> ValidationError:
    return _refuse(
        f"“{name}” could not be read as {fmt.label}: the file is damaged or incomplete.",
        "damaged",
    )


def _password_protected(name: str) -> ValidationError:
    return _refuse(
        f"“{name}” is protected by a password. Save a copy without the password and import that.",
        "password",
    )


def _not_this_format(name: str, fmt: TranscriptFormat, data: bytes) -> ValidationError:
    actual = describe_contents(data)
    if actual is None:
        return _refuse(f"“{name}” is not {fmt.label}: its contents are not in that format.", "mismatch")
    description, extension = actual
    advice = f" Rename it to end in {extension} and import it again." if extension else ""
    return _refuse(f"“{name}” is not {fmt.label}: it is {description}.{advice}", "mismatch")


def _too_deep(name: str, limit: int, what: str) -> ValidationError:
    return _refuse(
        f"“{name}” nests {what} more than {limit} levels deep, far more than a transcript needs; it was refused "
        "as a precaution.",
        "too_deep",
    )


def _too_long(name: str) -> ValidationError:
    return _refuse(
        f"“{name}” holds more than the {TRANSCRIPT_MAX_CHARACTERS:,} characters of text a transcript can have. "
        "Split it into several interviews and import each.",
        "too_long",
    )


def _bounded(name: str, paragraphs: Iterable[str]) -> Iterator[str]:
    """The paragraphs, stopped with a refusal as soon as they hold more text than a transcript can."""
    total = 0
    for paragraph in paragraphs:
        total += len(paragraph)
        if total > TRANSCRIPT_MAX_CHARACTERS:
            raise _too_long(name)
        yield paragraph


def _too_many(name: str, count: int, limit: int, what: str) -> ValidationError:
    return _refuse(
        f"“{name}” has {count:,} {what}, more than the {limit:,} a transcript can have; it was refused as a "
        "precaution.",
        "too_many",
    )


# ---------------------------------------------------------------------------------------------------------------
# What a file really is, from its first bytes (and, for ZIP files, the names inside)

_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "a PDF document", ".pdf"),
    (b"{\\rtf", "an RTF document", ".rtf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a Microsoft Office 97–2003 file or a password-protected Office file", ""),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", ""),
    (b"\xff\xd8\xff", "a JPEG image", ""),
    (b"GIF87a", "a GIF image", ""),
    (b"GIF89a", "a GIF image", ""),
    (b"\x1f\x8b", "a gzip archive", ""),
    (b"Rar!\x1a\x07", "a RAR archive", ""),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", ""),
    (b"ID3", "an MP3 recording", ""),
    (b"OggS", "an Ogg recording", ""),
    (b"fLaC", "a FLAC recording", ""),
    (b"RIFF", "a WAV or AVI recording", ""),
)
_ODF_MIMETYPES = {
    "application/vnd.oasis.opendocument.text": ("an OpenDocument text (.odt)", ".odt"),
    "application/vnd.oasis.opendocument.spreadsheet": ("an OpenDocument spreadsheet", ""),
    "application/vnd.oasis.opendocument.presentation": ("an OpenDocument presentation", ""),
}


def describe_contents(data: bytes) -> tuple[str, str] | None:
    """What the bytes are, as a sentence would say it, and the extension to import them under (or "")."""
    if data.startswith(b"PK\x03\x04"):
        return _describe_zip(data)
    for signature, description, extension in _SIGNATURES:
        if data.startswith(signature):
            return description, extension
    if data[4:8] == b"ftyp":
        return "an MP4 or M4A recording", ""
    return None


def _describe_zip(data: bytes) -> tuple[str, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
                mimetype = _read_mimetype(archive)
                if mimetype in _ODF_MIMETYPES:
                    return _ODF_MIMETYPES[mimetype]
                if mimetype.startswith("application/vnd.oasis.opendocument."):
                    return "an OpenDocument file of another kind", ""
    except (zipfile.BadZipFile, KeyError, RuntimeError, ValueError):
        return "a damaged ZIP archive", ""
    if "word/document.xml" in names:
        return "a Word document (.docx)", ".docx"
    if "xl/workbook.xml" in names:
        return "an Excel workbook", ""
    if "ppt/presentation.xml" in names:
        return "a PowerPoint presentation", ""
    return "a ZIP archive", ""


# ---------------------------------------------------------------------------------------------------------------
# Shared layout helpers


def _paragraphs_to_text(paragraphs: Iterable[str]) -> str:
    """Non-empty paragraphs, each trimmed, separated by one blank line."""
    kept = []
    for paragraph in paragraphs:
        lines = [line.rstrip() for line in paragraph.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
        cleaned = "\n".join(line for line in lines if line.strip()).strip()
        if cleaned:
            kept.append(cleaned)
    return "\n\n".join(kept)


_TIMESTAMP_CELL = re.compile(r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?[\])]?")
_LABEL_CELL = re.compile(r"[^\W\d_][\w'’.()-]*(?: [\w'’.()-]+){0,3}:?")


def _table_row_text(cells: Sequence[str]) -> str:
    """A table row as a line of text. Transcripts laid out as [time |] speaker | words read as a turn."""
    values = [" ".join(cell.split()) for cell in cells]
    values = [value for index, value in enumerate(values) if value and (index == 0 or value != values[index - 1])]
    timestamp = ""
    if len(values) > 1 and _TIMESTAMP_CELL.fullmatch(values[0]):
        timestamp = f"[{values.pop(0).strip('[]()')}] "
    if len(values) == 2 and len(values[0]) <= 40 and _LABEL_CELL.fullmatch(values[0]) and values[0][0].isupper():
        return f"{timestamp}{values[0].rstrip(':')}: {values[1]}"
    return timestamp + "\t".join(values)


def _read_mimetype(archive: zipfile.ZipFile) -> str:
    # Read in a small piece: zipfile's read() of a whole entry inflates up to 1 GB at once, whatever size the
    # archive declares for it; reading 200 bytes inflates no more than a few kilobytes.
    with archive.open("mimetype") as part:
        return part.read(200).decode("ascii", "replace").strip()


def _check_archive(name: str, data: bytes, fmt: TranscriptFormat) -> zipfile.ZipFile:
    """Open a ZIP-based document after checking what unpacking it costs.

    First the sizes the archive declares, then the bytes each entry really inflates to, counted while inflating
    in small pieces, since the declared sizes can lie: zipfile trusts them only at the end of an entry, after it
    has inflated up to 1 GB in one go. Once this passes, the readers' own unpacking is bounded by what was counted.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _damaged(name, fmt) from None
    entries = archive.infolist()
    if len(entries) > ARCHIVE_MAX_ENTRIES:
        raise _refuse(
            f"“{name}” holds {len(entries):,} files inside it, more than the {ARCHIVE_MAX_ENTRIES:,} "
            "a document needs; it was refused as a precaution.",
            "archive_entries",
        )
    expanded = sum(entry.file_size for entry in entries)
    limit = settings.UPLOAD_MAX_EXPANDED_BYTES
    if expanded > limit:
        raise _refuse(
            f"“{name}” would unpack to {filesizeformat(expanded)}, more than the limit of {filesizeformat(limit)}; "
            "it was refused as a precaution.",
            "archive_too_large",
        )
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise _password_protected(name)
    remaining = limit
    for entry in entries:
        is_markup = entry.filename.endswith((".xml", ".rels"))
        budget = min(remaining, ARCHIVE_XML_PART_MAX_BYTES) if is_markup else remaining
        inflated = _inflated_size(name, data, entry, fmt, budget=budget)
        if inflated > budget and is_markup and budget < remaining:
            raise _refuse(
                f"“{name}” holds a part ({entry.filename}) that unpacks to more than "
                f"{filesizeformat(ARCHIVE_XML_PART_MAX_BYTES)} of text and markup, far more than a transcript "
                "needs; it was refused as a precaution.",
                "archive_part_too_large",
            )
        if inflated > budget:
            raise _refuse(
                f"“{name}” unpacks to more than the limit of {filesizeformat(limit)}, although it declares less; "
                "it was refused as a precaution.",
                "archive_too_large",
            )
        remaining -= inflated
    return archive


_LOCAL_HEADER = struct.Struct("<4s22xHH")
_INFLATE_PIECE = 64 * 1024


def _inflated_size(name: str, data: bytes, entry: zipfile.ZipInfo, fmt: TranscriptFormat, *, budget: int) -> int:
    """How many bytes the entry's compressed data inflates to, counted up to budget + 1 and no further."""
    offset = entry.header_offset
    header = data[offset : offset + _LOCAL_HEADER.size]
    if len(header) < _LOCAL_HEADER.size or not header.startswith(b"PK\x03\x04"):
        raise _damaged(name, fmt)
    _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    start = offset + _LOCAL_HEADER.size + name_length + extra_length
    compressed = memoryview(data)[start : start + entry.compress_size]
    if entry.compress_type == zipfile.ZIP_STORED:
        return len(compressed)
    if entry.compress_type != zipfile.ZIP_DEFLATED:
        # Word and LibreOffice only store or deflate; other methods (bzip2, LZMA) cannot be inflated in bounded
        # pieces by zipfile, so they are not read at all.
        raise _refuse(
            f"“{name}” could not be read as {fmt.label}: it is compressed in a way that Word and LibreOffice "
            "documents never are; it was refused as a precaution.",
            "archive_compression",
        )
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    total = 0
    try:
        for position in range(0, len(compressed), _INFLATE_PIECE):
            pending = compressed[position : position + _INFLATE_PIECE]
            while pending and total <= budget:
                total += len(inflater.decompress(pending, _INFLATE_PIECE))
                pending = inflater.unconsumed_tail
            if total > budget or inflater.eof:
                break
    except zlib.error:
        raise _damaged(name, fmt) from None
    return total


def _ole_is_encrypted(data: bytes) -> bool:
    """Whether an OLE compound file is a password-protected Office document (as Word saves an encrypted .docx)."""
    import msoffcrypto

    try:
        return bool(msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted())
    except Exception:  # noqa: BLE001 — any OLE file msoffcrypto does not know is simply not an encrypted document
        return False


# ---------------------------------------------------------------------------------------------------------------
# Plain text and the formats written as text (Markdown, HTML, WebVTT, SubRip)

_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32), 127])  # all but tab, line feed, vertical tab, form feed, CR
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decode_text(name: str, data: bytes, fmt: TranscriptFormat) -> str:
    """Text in UTF-8, UTF-16 or UTF-32 with a byte-order mark, UTF-8 without one, or else Windows-1252."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise _damaged(name, fmt) from None
    actual = describe_contents(data)
    if actual is not None and actual[1] != fmt.extensions[0]:
        raise _not_this_format(name, fmt, data)
    # Control characters other than tabs and line ends mean binary data, in any encoding that keeps ASCII as is.
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if b"\x00" in data or controls > len(data) * CONTROL_CHARACTER_SHARE:
        raise _refuse(f"“{name}” is not {fmt.label}: it contains binary data.", "binary")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise _refuse(
                f"The character encoding of “{name}” could not be recognised. Save it as UTF-8 text and import "
                "it again.",
                "encoding",
            ) from None
    return text


def read_plain_text(name: str, data: bytes, fmt: TranscriptFormat) -> str:
    return _decode_text(name, data, fmt)


_BLOCK_TAGS = (
    "address article aside blockquote caption dd details dialog div dl dt fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p section summary table tbody tfoot thead ul"
)
_SKIPPED_TAGS = "head script style template noscript svg math iframe object embed select button"


class _HTMLText:
    """The reading text of an HTML tree: one paragraph per block element, <br> as a line break."""

    BLOCKS = frozenset(_BLOCK_TAGS.split())
    SKIPPED = frozenset(_SKIPPED_TAGS.split())

    def __init__(self) -> None:
        self.paragraphs: list[str] = []
        self._parts: list[str] = []

    def read(self, root) -> str:
        self._walk(root)
        self._end_paragraph()
        return _paragraphs_to_text(self.paragraphs)

    def _end_paragraph(self) -> None:
        lines = ("".join(self._parts)).split("\n")
        self.paragraphs.append("\n".join(" ".join(line.split()) for line in lines))
        self._parts = []

    def _walk(self, node) -> None:
        from bs4 import NavigableString, Tag
        from bs4.element import PreformattedString

        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):  # comments, doctype, processing instructions
                    self._parts.append(re.sub(r"\s+", " ", str(child)))
            elif not isinstance(child, Tag) or child.name in self.SKIPPED:
                continue
            elif child.name == "br":
                self._parts.append("\n")
            elif child.name == "pre":
                self._end_paragraph()
                self.paragraphs.append(child.get_text())
            elif child.name == "tr":
                self._end_paragraph()
                cells = child.find_all(["td", "th"], recursive=False)
                self.paragraphs.append(_table_row_text([" ".join(cell.get_text(" ").split()) for cell in cells]))
            elif child.name in self.BLOCKS:
                self._end_paragraph()
                self._walk(child)
                self._end_paragraph()
            else:
                self._walk(child)


def _html_reading_text(name: str, markup: str) -> str:
    from bs4 import BeautifulSoup

    _check_html_nesting(name, markup)
    soup = BeautifulSoup(markup, "lxml")
    return _HTMLText().read(soup.body or soup)


def _check_html_nesting(name: str, markup: str) -> None:
    """Refuse markup nested deeper than HTML_MAX_NESTING, measured on lxml's tree (C, no recursion in Python)."""
    from lxml import etree

    # As bytes, since lxml refuses a str that opens with an XML declaration naming an encoding (as XHTML may).
    root = etree.fromstring(markup.encode("utf-8"), etree.HTMLParser(encoding="utf-8", no_network=True, huge_tree=True))
    if root is None:
        return
    depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > HTML_MAX_NESTING:
            raise _too_deep(name, HTML_MAX_NESTING, "elements")


def read_html(name: str, data: bytes, fmt: TranscriptFormat) -> str:
    markup = _decode_text(name, data, fmt)
    if not re.search(r"<(?:[A-Za-z][\w-]*[\s/>]|!)", markup):
        raise _refuse(
            f"“{name}” is not {fmt.label}: it has no HTML markup. Rename it to end in .txt and import it again.",
            "mismatch",
        )
    return _html_reading_text(name, markup)


_MARKDOWN_EXTENSIONS = ("tables", "fenced_code", "sane_lists", "nl2br")


def read_markdown(name: str, data: bytes, fmt: TranscriptFormat) -> str:
    import markdown

    source = _decode_text(name, data, fmt)
    _check_markdown_nesting(name, source)
    # nl2br: a transcript typed one turn to a line keeps its lines, as the writer saw them.
    rendered = markdown.markdown(source, extensions=[f"markdown.extensions.{name}" for name in _MARKDOWN_EXTENSIONS])
    return _html_reading_text(name, rendered)


_MARKDOWN_BLOCK_BREAK = re.compile(r"\n[ \t]*\n")
_MARKDOWN_BRACKET = re.compile(r"\\.|[\[(]|<(?=[A-Za-z/!?])|[\])>]")
_MARKDOWN_LINE_NESTING = re.compile(r"^([ \t]*)((?:(?:[-*+]|\d{1,9}[.)])[ \t]+|>[ \t]*)*)", re.MULTILINE)


def _check_markdown_nesting(name: str, source: str) -> None:
    """Refuse Markdown whose lists, quotations or open brackets nest deeper than MARKDOWN_MAX_NESTING."""
    for match in _MARKDOWN_LINE_NESTING.finditer(source):
        indent, markers = match.groups()
        if not markers and len(indent) < 4 * MARKDOWN_MAX_NESTING:
            continue
        level = len(indent.expandtabs(4)) // 4 + len(re.findall(r"[-*+>]|\d+[.)]", markers))
        if level > MARKDOWN_MAX_NESTING:
            raise _too_deep(name, MARKDOWN_MAX_NESTING, "lists or quotations")
    for block in _MARKDOWN_BLOCK_BREAK.split(source):
        if block.count("[") + block.count("(") + block.count("<") <= MARKDOWN_MAX_NESTING:
            continue
        depth = 0
        for bracket in _MARKDOWN_BRACKET.finditer(block):
            token = bracket.group()
            if token in "])>":
                depth = max(0, depth - 1)
            elif len(token) == 1:
                depth += 1
                if depth > MARKDOWN_MAX_NESTING:
                    raise _too_deep(name, MARKDOWN_MAX_NESTING, "brackets")


@dataclass
class _Cue:
    start: float
    end: float
    lines: list[tuple[str, str]]  # (voice given by the file, or "", the line's text without markup)


@dataclass
class _CueTurn:
    start: float
    end: float
    speaker: str
    words: list[str]


def _timestamp(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _cues_to_text(cues: Iterable[_Cue]) -> str:
    """Cues as turns "[00:01:23] Ruth: ...": consecutive cues of one speaker make one turn.

    A speaker comes from a voice tag (<v Ruth>) or a label at the start of a line ("Ruth: ..."); a cue without
    either carries on the current turn, or after a long pause in an unattributed stretch, starts a paragraph.
    """
    turns: list[_CueTurn] = []
    for cue in cues:
        speaker = ""
        for voice, line in cue.lines:
            text = re.sub(r"^(?:>>|-)\s*", "", " ".join(line.split()))
            label = TURN_PATTERN.match(text + " ")
            if label and not label.group("timestamp"):
                speaker, text = label.group("speaker").strip(), text[label.end() :].strip()
            elif voice:
                speaker = voice
            if not text:
                continue
            current = turns[-1] if turns else None
            if current and (
                (speaker and speaker == current.speaker)
                or (not speaker and current.speaker)
                or (not speaker and not current.speaker and cue.start - current.end <= CUE_PAUSE_SECONDS)
            ):
                current.words.append(text)
                current.end = cue.end
            else:
                turns.append(_CueTurn(start=cue.start, end=cue.end, speaker=speaker, words=[text]))
    return "\n\n".join(
        f"[{_timestamp(turn.start)}] " + (f"{turn.speaker}: " if turn.speaker else "") + " ".join(turn.words)
        for turn in turns
    )


def _check_cue_count(name: str, source: str) -> None:
    cues = source.count("-->")  # every cue has one time line, and nothing else in a subtitle file has an arrow
    if cues > SUBTITLE_MAX_CUES:
        raise _too_many(name, cues, SUBTITLE_MAX_CUES, "subtitle cues")


def read_webvtt(name: str, data: bytes, fmt: TranscriptFormat) -> str:
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError
    from webvtt.models import Caption

    source = normalise_transcript(_decode_text(name, data, fmt))
    _check_cue_count(name, source)
    try:
        # Strict: a cue the library cannot read is refused rather than left out of the transcript.
        captions = webvtt.from_string(source, strict=True).captions
    except MalformedFileError:
        raise _refuse(f"“{name}” is not {fmt.label}: it must begin with the line “WEBVTT”.", "mismatch") from None
    except MalformedCaptionError:
        raise _refuse(
            f"“{name}” could not be read as {fmt.label}: a cue’s time line is malformed. Times are written "
            "like “00:01:02.500 --> 00:01:05.000”.",
            "damaged",
        ) from None
    cues = []
    for caption in captions:
        lines, voice = [], ""
        for raw in caption.lines:
            tag = Caption.VOICE_SPAN_PATTERN.match(raw)
            if tag:
                voice = " ".join(tag.group(1).split())
            lines.append((voice, html.unescape(Caption(text=raw).text)))
        start, end = caption.start_time.in_milliseconds() / 1000, caption.end_time.in_milliseconds() / 1000
        cues.append(_Cue(start=start, end=end, lines=lines))
    return _cues_to_text(cues)


def read_subrip(name: str, data: bytes, fmt: TranscriptFormat) -> str:
    import srt
    from bs4 import BeautifulSoup

    source = normalise_transcript(_decode_text(name, data, fmt))
    _check_cue_count(name, source)
    try:
        subtitles = list(srt.parse(source))
    except (srt.SRTParseError, srt.TimestampParseError) as error:
        position = getattr(error, "expected_start", 0)
        line = source.count("\n", 0, position) + 1
        raise _refuse(
            f"“{name}” is not {fmt.label}: from line {line} it does not read as numbered subtitles with times "
            "such as “00:01:02,500 --> 00:01:05,000”.",
            "mismatch",
        ) from None
    cues = []
    for subtitle in subtitles:
        # Subtitle text may carry <i>/<font> markup and {\an8} positioning codes; neither is part of what was said.
        content = re.sub(r"\{\\[^}]*\}", "", subtitle.content)
        text = BeautifulSoup(content, "html.parser").get_text() if "<" in content else html.unescape(content)
        cues.append(
            _Cue(
                start=subtitle.start.total_seconds(),
                end=subtitle.end.total_seconds(),
                lines=[("", line) for line in text.split("\n")],
            )
        )
    return _cues_to_text(cues)


# ---------------------------------------------------------------------------------------------------------------
# Word, OpenDocument, RTF and PDF


def read_docx(name: str, data: bytes, fmt: TranscriptFormat) -> str:
    import docx
    from docx.table import Table

    if data.startswith(b"\xd0\xcf\x11\xe0") and _ole_is_encrypted(data):
        raise _password_protected(name)
    if not data.startswith(b"PK\x03\x04"):
        raise _not_this_format(name, fmt, data)
    with _check_archive(name, data, fmt) as archive:
        if "word/document.xml" not in archive.namelist():
            raise _not_this_format(name, fmt, data)
        _check_xml_part(name, archive.read("word/document.xml"))
    document = docx.Document(io.BytesIO(data))
    # python-docx reads the text outside revision marks only, so text inserted with tracked changes on would be lost.
    if document.element.body.xpath(".//w:ins | .//w:del | .//w:moveFrom | .//w:moveTo"):
        raise _refuse(
            f"“{name}” has tracked changes. Accept or reject them in Word (Review, then Accept All Changes), "
            "save it, and import it again.",
            "tracked_changes",
        )

    def blocks() -> Iterator[str]:
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                yield from (_table_row_text([cell.text for cell in row.cells]) for row in block.rows)
            else:
                yield block.text

    return _paragraphs_to_text(_bounded(name, blocks()))


_MANIFEST_NS = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"


def read_odt(name: str, data: bytes, fmt: TranscriptFormat) -> str:
    from defusedxml import ElementTree
    from odf import opendocument, teletype
    from odf.namespaces import TABLENS, TEXTNS

    if not data.startswith(b"PK\x03\x04"):
        raise _not_this_format(name, fmt, data)
    with _check_archive(name, data, fmt) as archive:
        names = set(archive.namelist())
        mimetype = _read_mimetype(archive) if "mimetype" in names else ""
        if mimetype != "application/vnd.oasis.opendocument.text" or "content.xml" not in names:
            raise _not_this_format(name, fmt, data)
        if "META-INF/manifest.xml" in names:
            manifest = ElementTree.fromstring(archive.read("META-INF/manifest.xml"))
            if next(manifest.iter(f"{{{_MANIFEST_NS}}}encryption-data"), None) is not None:
                raise _password_protected(name)
        # odfpy prints a part it cannot parse and carries on without it; check the text is well-formed first, and
        # that it nests no deeper than the recursive walk below can follow.
        for part in ("content.xml", "styles.xml"):
            if part in names:
                _check_xml_part(name, archive.read(part))
    document = opendocument.load(io.BytesIO(data))

    skipped = {(TEXTNS, "tracked-changes"), (TEXTNS, "sequence-decls"), (TEXTNS, "variable-decls")}

    def walk(node) -> Iterator[str]:
        for child in node.childNodes:
            if child.nodeType != child.ELEMENT_NODE or child.qname in skipped:
                continue
            if child.qname in {(TEXTNS, "p"), (TEXTNS, "h")}:
                yield teletype.extractText(child)
            elif child.qname == (TABLENS, "table-row"):
                cells = [
                    "\n".join(teletype.extractText(p) for p in cell.childNodes if p.nodeType == p.ELEMENT_NODE)
                    for cell in child.childNodes
                    if cell.nodeType == cell.ELEMENT_NODE and cell.qname == (TABLENS, "table-cell")
                ]
                yield _table_row_text(cells)
            else:
                yield from walk(child)

    return _paragraphs_to_text(_bounded(name, walk(document.text)))


def _check_xml_part(name: str, xml: bytes) -> None:
    """Refuse an XML part that defines entities, nests too deeply or has too many elements, before a reader builds
    its tree (python-docx and odfpy hold a Python object for every element, about 150 bytes and 2 µs each)."""
    from defusedxml import DTDForbidden, ElementTree, EntitiesForbidden

    depth = elements = 0
    try:
        for event, _ in ElementTree.iterparse(io.BytesIO(xml), events=("start", "end")):
            if event == "end":
                depth -= 1
                continue
            depth += 1
            elements += 1
            if depth > XML_MAX_NESTING:
                raise _too_deep(name, XML_MAX_NESTING, "elements")
            if elements > XML_MAX_ELEMENTS:
                raise _refuse(
                    f"“{name}” is made of more than {XML_MAX_ELEMENTS:,} elements, far more than a transcript "
                    "needs; it was refused as a precaution.",
                    "too_many_elements",
                )
    except (EntitiesForbidden, DTDForbidden):
        # Entities that expand into one another are how a few bytes of XML become gigabytes ("billion laughs").
        raise _refuse(
            f"“{name}” defines its own XML entities, which documents saved by LibreOffice or Word never do; it was "
            "refused as a precaution.",
            "xml_entities",
        ) from None


def read_rtf(name: str, data: bytes, fmt: TranscriptFormat) -> str:
    from striprtf.striprtf import rtf_to_text

    if not data.lstrip().startswith(b"{\\rtf"):
        raise _not_this_format(name, fmt, data)
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        source = data.decode("cp1252", "replace")
    text = rtf_to_text(source, errors="replace")
    # \uN escapes above the Basic Multilingual Plane come out as two surrogates; join them into one character.
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    # striprtf writes both a paragraph end (\par) and a line break (\line) as one newline: each line is a paragraph.
    return _paragraphs_to_text(text.split("\n"))


_PAGE_NUMBER = re.compile(r"(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?", re.IGNORECASE)
_ENDS_A_SENTENCE = re.compile(r"[.?!…:;\"”’)\]]$")


class _PDFOverBudget(Exception):
    """A PDF's streams decode to more than PDF_MAX_DECODED_BYTES."""


# What is left of the PDF_MAX_DECODED_BYTES of the PDF being read, in a one-item list the decoders count down.
_pdf_budget: ContextVar[list[int] | None] = ContextVar("pdf_budget", default=None)


def _inflate_within_budget(inflater, data: bytes) -> bytes:
    """What `data` inflates to through `inflater`, in pieces, charged to the PDF's budget as it grows."""
    budget = _pdf_budget.get() or [PDF_MAX_DECODED_BYTES]
    pieces = []
    pending = data
    while True:
        room = min(budget[0] + 1, _INFLATE_PIECE)
        piece = inflater.decompress(pending, room)
        budget[0] -= len(piece)
        if budget[0] < 0:
            raise _PDFOverBudget
        pieces.append(piece)
        pending = inflater.unconsumed_tail
        if not pending and len(piece) < room:
            return b"".join(pieces)


class _BoundedInflater:
    def __init__(self, inflater) -> None:
        self._inflater = inflater

    def decompress(self, data: bytes) -> bytes:
        return _inflate_within_budget(self._inflater, data)


class _BoundedZlib:
    """Stands in for the zlib module inside pdfminer.pdftypes, which inflates FlateDecode streams in one call."""

    error = zlib.error
    MAX_WBITS = zlib.MAX_WBITS

    @staticmethod
    def decompress(data: bytes, wbits: int = zlib.MAX_WBITS, bufsize: int = 0) -> bytes:
        inflater = zlib.decompressobj(wbits)
        inflated = _inflate_within_budget(inflater, data)
        if not inflater.eof:
            raise zlib.error("Error -5 while decompressing data: incomplete or truncated stream")
        return inflated

    @staticmethod
    def decompressobj(*args, **kwargs) -> _BoundedInflater:
        return _BoundedInflater(zlib.decompressobj(*args, **kwargs))


def _decompress_corrupted_within_budget(data: bytes) -> bytes:
    """pdfminer's decompress_corrupted (inflate, ignoring a bad checksum at the end), in linear time and budgeted.

    pdfminer's own feeds the stream one byte at a time and appends to a bytes object, which is quadratic.
    """
    inflater = zlib.decompressobj()
    inflated = _inflate_within_budget(inflater, data[:-3])
    pieces = [inflated]
    try:
        for index in range(max(0, len(data) - 3), len(data)):
            pieces.append(_inflate_within_budget(inflater, data[index : index + 1]))
    except zlib.error:
        logger.info("Data lost while inflating a corrupted PDF stream")
    return b"".join(pieces)


def _lzwdecode_within_budget(data: bytes) -> bytes:
    from pdfminer.lzw import LZWDecoder

    budget = _pdf_budget.get() or [PDF_MAX_DECODED_BYTES]
    pieces = []
    for piece in LZWDecoder(io.BytesIO(data)).run():
        budget[0] -= len(piece)
        if budget[0] < 0:
            raise _PDFOverBudget
        pieces.append(piece)
    return b"".join(pieces)


def _bound_pdfminer_decoders() -> None:
    """pdfminer has no limit on what a stream may decode to: give its decoders PDF_MAX_DECODED_BYTES per file."""
    from pdfminer import pdftypes

    pdftypes.zlib = _BoundedZlib
    pdftypes.decompress_corrupted = _decompress_corrupted_within_budget
    pdftypes.lzwdecode = _lzwdecode_within_budget


class _PDFPageTooFull(Exception):
    """A page holds more than PDF_MAX_OBJECTS_PER_PAGE characters and shapes."""


class _PDFTooLong(Exception):
    """The pages draw more than PDF_MAX_CHARACTERS characters."""


def _pdf_layouts(data: bytes):
    """pdfminer's extract_pages, counting what each page draws so that layout analysis never sees too much."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    class BoundedAggregator(PDFPageAggregator):
        characters = 0
        on_page = 0

        def begin_page(self, page, ctm) -> None:
            self.on_page = 0
            super().begin_page(page, ctm)

        def _count(self) -> None:
            self.on_page += 1
            if self.on_page > PDF_MAX_OBJECTS_PER_PAGE:
                raise _PDFPageTooFull

        def render_char(self, *args, **kwargs) -> float:
            self._count()
            self.characters += 1
            if self.characters > PDF_MAX_CHARACTERS:
                raise _PDFTooLong
            return super().render_char(*args, **kwargs)

        def paint_path(self, *args, **kwargs) -> None:
            self._count()
            super().paint_path(*args, **kwargs)

    resources = PDFResourceManager(caching=True)
    device = BoundedAggregator(resources, laparams=LAParams())
    interpreter = PDFPageInterpreter(resources, device)
    for page in PDFPage.get_pages(io.BytesIO(data), caching=True):
        interpreter.process_page(page)
        yield device.get_result()


def read_pdf(name: str, data: bytes, fmt: TranscriptFormat) -> str:
    from pdfminer.layout import LTTextContainer
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    if b"%PDF-" not in data[:1024]:
        raise _not_this_format(name, fmt, data)
    _bound_pdfminer_decoders()
    token = _pdf_budget.set([PDF_MAX_DECODED_BYTES])
    try:
        pages = [
            [_pdf_lines(element.get_text()) for element in page if isinstance(element, LTTextContainer)]
            for page in _pdf_layouts(data)
        ]
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise _password_protected(name) from None
    except _PDFPageTooFull:
        raise _refuse(
            f"“{name}” has a page that draws more than {PDF_MAX_OBJECTS_PER_PAGE:,} characters and shapes, far more "
            "than a page of a transcript holds; it was refused as a precaution.",
            "pdf_page_too_full",
        ) from None
    except _PDFTooLong:
        raise _refuse(
            f"“{name}” draws more than the {PDF_MAX_CHARACTERS:,} characters of text a PDF transcript can have. "
            "Split it into several interviews, or import it as a Word document or plain text.",
            "too_long",
        ) from None
    except _PDFOverBudget:
        raise _refuse(
            f"“{name}” holds compressed contents that unpack to more than {filesizeformat(PDF_MAX_DECODED_BYTES)}, "
            "far more than a transcript needs; it was refused as a precaution.",
            "pdf_too_large",
        ) from None
    finally:
        _pdf_budget.reset(token)
    text = _paragraphs_to_text(_pdf_paragraphs(pages))
    if not text.strip():
        raise _refuse(
            f"“{name}” has no text layer: its pages are images, as a scanned document is. Run it through text "
            "recognition (OCR) first, or import the transcript in another format.",
            "no_text_layer",
        )
    return text


def _pdf_lines(box: str) -> list[str]:
    lines = (" ".join(line.split()) for line in box.replace("\x0c", "").split("\n"))
    return [line for line in lines if line]


def _pdf_paragraphs(pages: list[list[list[str]]]) -> list[str]:
    """The text blocks of a PDF's pages as paragraphs, without running headers, footers and page numbers.

    pdfminer's layout analysis gives the blocks; wrapped lines are joined, each speaker label opens a paragraph,
    and a block that carries a sentence over a page break is joined to the paragraph it continues.
    """
    running = _running_blocks(pages)
    paragraphs: list[str] = []
    for page in pages:
        first_on_page = True
        for lines in page:
            if not lines or _shape(lines) in running or (len(lines) == 1 and _PAGE_NUMBER.fullmatch(lines[0])):
                continue
            block = _reflow_pdf_block(lines)
            if (
                first_on_page
                and paragraphs
                and not TURN_PATTERN.match(block[0] + " ")
                and not _ENDS_A_SENTENCE.search(paragraphs[-1])
            ):
                paragraphs[-1] += " " + block.pop(0)
            first_on_page = False
            paragraphs.extend(block)
    return paragraphs


def _shape(lines: list[str]) -> str:
    return re.sub(r"\d+", "#", " ".join(lines))


def _running_blocks(pages: list[list[list[str]]]) -> set[str]:
    """Blocks that open or close most pages alike (numbers aside): running headers and footers."""
    if len(pages) < 2:
        return set()
    counts = Counter(
        shape for page in pages if page for shape in {_shape(page[0]), _shape(page[-1])} if len(shape) <= 200
    )
    return {shape for shape, count in counts.items() if count >= max(2, (len(pages) + 1) // 2)}


def _reflow_pdf_block(lines: list[str]) -> list[str]:
    """A block of PDF text lines as paragraphs: wrapped lines joined, a new paragraph at each speaker label."""
    paragraphs: list[str] = []
    for line in lines:
        if not paragraphs or TURN_PATTERN.match(line + " "):
            paragraphs.append(line)
        elif re.search(r"\w-$", paragraphs[-1]):
            paragraphs[-1] += line
        else:
            paragraphs[-1] += " " + line
    return paragraphs


# ---------------------------------------------------------------------------------------------------------------
# The entry point

_HTML_LIBRARIES = ("bs4", "lxml.etree")
FORMATS: tuple[TranscriptFormat, ...] = (
    TranscriptFormat("txt", "a plain-text file (.txt)", (".txt", ".text"), read_plain_text),
    TranscriptFormat(
        "docx", "a Word document (.docx)", (".docx",), read_docx, ("docx", "msoffcrypto", "defusedxml.ElementTree")
    ),
    TranscriptFormat(
        "odt", "an OpenDocument text (.odt)", (".odt",), read_odt, ("odf.opendocument", "defusedxml.ElementTree")
    ),
    TranscriptFormat(
        "pdf",
        "a PDF document",
        (".pdf",),
        read_pdf,
        ("pdfminer.converter", "pdfminer.layout", "pdfminer.pdfinterp", "pdfminer.pdfpage", "pdfminer.lzw"),
    ),
    TranscriptFormat("rtf", "an RTF document", (".rtf",), read_rtf, ("striprtf.striprtf",)),
    TranscriptFormat("html", "an HTML page", (".html", ".htm"), read_html, _HTML_LIBRARIES),
    TranscriptFormat(
        "md",
        "a Markdown file",
        (".md", ".markdown"),
        read_markdown,
        ("markdown", *(f"markdown.extensions.{name}" for name in _MARKDOWN_EXTENSIONS), *_HTML_LIBRARIES),
    ),
    TranscriptFormat("vtt", "a WebVTT subtitle file", (".vtt",), read_webvtt, ("webvtt",)),
    TranscriptFormat("srt", "a SubRip subtitle file", (".srt",), read_subrip, ("srt", "bs4")),
)
_BY_EXTENSION = {extension: fmt for fmt in FORMATS for extension in fmt.extensions}
SUPPORTED_EXTENSIONS = tuple(fmt.extensions[0] for fmt in FORMATS)
ACCEPT_ATTRIBUTE = ",".join(_BY_EXTENSION)


def format_for(name: str) -> TranscriptFormat:
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in _BY_EXTENSION:
        return _BY_EXTENSION[extension]
    if extension == ".doc":
        raise _refuse(
            f"“{name}” is a Word 97–2003 document (.doc), which cannot be read here. Open it in Word or LibreOffice, "
            "save it as a Word document (.docx), and import that.",
            "unsupported",
        )
    kind = f"Files ending in {extension}" if extension else "Files without an extension such as .txt"
    raise _refuse(
        f"{kind} cannot be imported. Import one of these: {', '.join(SUPPORTED_EXTENSIONS)}.",
        "unsupported",
    )


def check_size(*, name: str, size: int) -> None:
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        raise _refuse(
            f"“{name}” is {filesizeformat(size)}; the largest file that can be imported is {filesizeformat(limit)}.",
            "too_large",
        )
    if size == 0:
        raise _refuse(f"“{name}” is empty.", "empty")


def read_transcript(*, name: str, data: bytes) -> ImportedTranscript:
    """The canonical text of a transcript file, or a ValidationError that says what is wrong with it.

    The file is parsed in a child process with limits on memory and time (see parsing_limits), so that no file,
    whatever it makes a parser do, can take the web worker with it.
    """
    name = PurePosixPath(name.replace("\\", "/")).name or name
    fmt = format_for(name)
    check_size(name=name, size=len(data))
    for library in fmt.libraries:
        importlib.import_module(library)
    try:
        text = parsing_limits.run_bounded(lambda: _read_text(name, data, fmt))
    except parsing_limits.LimitExceeded as exceeded:
        raise _refuse(
            f"“{name}” could not be read within the limits: {exceeded.reason}. If it opens normally, save it again "
            "as a new file, or as plain text (.txt), and import that.",
            "limits",
        ) from None
    imported = ImportedTranscript(name=name, format=fmt, text=text)
    if len(imported.turns) > TRANSCRIPT_MAX_TURNS:
        raise _too_many(name, len(imported.turns), TRANSCRIPT_MAX_TURNS, "turns (paragraphs)")
    _check_search_vector(name, text)
    return imported


def _read_text(name: str, data: bytes, fmt: TranscriptFormat) -> str:
    """The canonical text, as read in the child process: the whole of the format's reader and the length check."""
    try:
        text = fmt.read(name, data, fmt)
    except (ValidationError, MemoryError):
        raise
    except Exception:  # noqa: BLE001 — a parser failing on a malformed file is the file's fault, told as such
        logger.info("Could not read %r as %s", name, fmt.key, exc_info=True)
        raise _damaged(name, fmt) from None
    text = normalise_transcript(text)
    if not text.strip():
        raise _refuse(f"“{name}” contains no text.", "no_text")
    if len(text) > TRANSCRIPT_MAX_CHARACTERS:
        raise _too_long(name)
    return text


def _check_search_vector(name: str, text: str) -> None:
    """On PostgreSQL, refuse a text whose search vector would be over the cap, before anything is written.

    Only texts longer than SEARCH_VECTOR_SAFE_CHARACTERS can reach it, and PostgreSQL is asked about those: its
    own to_tsvector, with the configuration analysis migration 0002 indexes with, is the only exact measure.
    """
    if connection.vendor != "postgresql" or len(text) <= SEARCH_VECTOR_SAFE_CHARACTERS:
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT length(to_tsvector('english'::regconfig, %s))", [text])
    except DatabaseError as error:
        if getattr(error.__cause__, "pgcode", None) != "54000":  # program_limit_exceeded
            raise
        raise _refuse(
            f"“{name}” has too many different words to be indexed for search: its index would be over "
            f"{filesizeformat(SEARCH_VECTOR_MAX_BYTES)}, the most PostgreSQL can store. Split it into several "
            "interviews and import each.",
            "too_many_words",
        ) from None
