"""CSV and XLSX files that open cleanly in Excel and cannot smuggle a formula into it.

CSV is UTF-8 with a byte-order mark (without it Excel guesses a legacy code page and mangles “smart
quotes”, accents and emoji), dates are ISO 8601 (which Excel reads as dates in any locale). In both
formats a text cell that begins with = + - @ (or a tab or carriage return) is neutralised: CSV prefixes it
with an apostrophe, XLSX stores it as text with Excel's own quote prefix, so it shows as typed and is
never evaluated.
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from django.http import HttpResponse
from django.utils import timezone

from disclosure.redaction import Redactor

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_LIMIT = 32_767
TRUNCATED = " … [truncated: Excel holds at most 32,767 characters in a cell]"
CSV_TYPE = "text/csv; charset=utf-8"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Value = str | int | float | bool | datetime.date | datetime.datetime | None


def neutralise(text: str) -> str:
    """Text that Excel would read as a formula gets a leading apostrophe."""
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def _local(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


def csv_cell(value: Value) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return value
    return neutralise(str(value))


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Value]], *, redactor: Redactor) -> bytes:
    """Every text cell passes through the project's redaction: a file that leaves the app names no one."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(redactor.redact_value(value)) for value in header])
    for row in rows:
        writer.writerow([csv_cell(redactor.redact_value(value)) for value in row])
    return buffer.getvalue().encode("utf-8")


@dataclass
class Sheet:
    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Value]]
    widths: Sequence[int] = ()
    wrap: bool = False


# Characters XML 1.0 cannot carry (openpyxl's ILLEGAL_CHARACTERS_RE).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
DATETIME_FORMAT = "d mmm yyyy hh:mm"
DATE_FORMAT = "d mmm yyyy"
EXCEL_EPOCH = datetime.datetime(1899, 12, 30)
ROWS_PER_WRITE = 200


class _Styles:
    """The cell formats a workbook uses (bold, wrapped, quote prefix, date format), numbered as met."""

    def __init__(self) -> None:
        self.formats: dict[tuple[bool, bool, bool, str], int] = {(False, False, False, ""): 0}

    def index(self, *, bold: bool = False, wrap: bool = False, quote: bool = False, number_format: str = "") -> int:
        key = (bold, wrap, quote, number_format)
        found = self.formats.get(key)
        if found is None:
            found = self.formats[key] = len(self.formats)
        return found

    def xml(self) -> str:
        number_formats = {DATETIME_FORMAT: 164, DATE_FORMAT: 165}
        xfs = []
        for bold, wrap, quote, number_format in self.formats:
            attributes = f'numFmtId="{number_formats.get(number_format, 0)}" fontId="{1 if bold else 0}"'
            attributes += ' fillId="0" borderId="0" xfId="0"'
            if number_format:
                attributes += ' applyNumberFormat="1"'
            if bold:
                attributes += ' applyFont="1"'
            if quote:
                attributes += ' quotePrefix="1"'
            if wrap:
                xfs.append(f'<xf {attributes} applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>')
            else:
                xfs.append(f"<xf {attributes}/>")
        formats = "".join(f'<numFmt numFmtId="{pk}" formatCode="{code}"/>' for code, pk in number_formats.items())
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<styleSheet xmlns="{MAIN_NS}"><numFmts count="2">{formats}</numFmts>'
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )


def _column(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _xlsx_cell(reference: str, value: Value, *, styles: _Styles, wrap: bool, bold: bool = False) -> str:
    if value is None or value == "":
        # An empty cell, as openpyxl writes an empty string: nothing but its format.
        style = styles.index(bold=bold, wrap=wrap)
        return f'<c r="{reference}" s="{style}"/>' if style else ""
    if isinstance(value, bool):
        value = "Yes" if value else "No"
    if isinstance(value, datetime.datetime | datetime.date):
        if isinstance(value, datetime.datetime):
            serial = (_local(value) - EXCEL_EPOCH).total_seconds() / 86400
            number_format = DATETIME_FORMAT
        else:
            serial = (value - EXCEL_EPOCH.date()).days
            number_format = DATE_FORMAT
        style = styles.index(bold=bold, number_format=number_format)
        return f'<c r="{reference}" s="{style}"><v>{serial!r}</v></c>'
    if isinstance(value, int | float):
        style = styles.index(bold=bold)
        return f'<c r="{reference}"{f" s={chr(34)}{style}{chr(34)}" if style else ""}><v>{value!r}</v></c>'
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if len(text) > XLSX_CELL_LIMIT:
        text = text[: XLSX_CELL_LIMIT - len(TRUNCATED)] + TRUNCATED
    # Typed as text, a leading "=" is never a formula; the quote prefix keeps it so when edited in Excel.
    style = styles.index(bold=bold, wrap=wrap, quote=text.startswith(FORMULA_TRIGGERS))
    escaped = escape(text).replace("\r", "&#13;")
    return (
        f'<c r="{reference}" t="inlineStr"{f" s={chr(34)}{style}{chr(34)}" if style else ""}>'
        f'<is><t xml:space="preserve">{escaped}</t></is></c>'
    )


def _sheet_xml(spec: Sheet, *, styles: _Styles, redactor: Redactor) -> Iterator[str]:
    """The worksheet's XML in pieces of a few hundred rows, so that a large sheet is never one string."""
    columns = "".join(
        f'<col min="{index}" max="{index}" width="{width}" customWidth="1"/>'
        for index, width in enumerate(spec.widths, start=1)
    )
    yield (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{RELATIONSHIPS_NS}">'
        '<sheetViews><sheetView workbookViewId="0"><pane xSplit="1" ySplit="1" topLeftCell="B2"'
        ' activePane="bottomRight" state="frozen"/><selection pane="bottomRight"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>' + (f"<cols>{columns}</cols>" if columns else "") + "<sheetData>"
    )
    letters: list[str] = []
    wrap = spec.wrap
    redact = redactor.redact_value
    chunk: list[str] = []
    for number, row in enumerate(itertools.chain([spec.header], spec.rows), start=1):
        while len(letters) < len(row):
            letters.append(_column(len(letters) + 1))
        bold = number == 1
        cells = "".join(
            _xlsx_cell(f"{letter}{number}", redact(value), styles=styles, wrap=wrap, bold=bold)
            for letter, value in zip(letters, row, strict=False)
        )
        chunk.append(f'<row r="{number}">{cells}</row>')
        if len(chunk) >= ROWS_PER_WRITE:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk) + "</sheetData></worksheet>"


def xlsx_bytes(sheets: Sequence[Sheet], *, redactor: Redactor) -> bytes:
    """Every text cell passes through the project's redaction: a file that leaves the app names no one.

    The workbook is written directly as SpreadsheetML (inline strings, a handful of cell formats), a row at a
    time: a cell costs a string format rather than a spreadsheet library's cell object.
    """
    buffer = io.BytesIO()
    styles = _Styles()
    titles: list[str] = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, spec in enumerate(sheets, start=1):
            title = _sheet_title(spec.title)
            while title.casefold() in {taken.casefold() for taken in titles}:
                title = f"{title[:28]} {number}"
            titles.append(title)
            with archive.open(f"xl/worksheets/sheet{number}.xml", "w") as sheet:
                for piece in _sheet_xml(spec, styles=styles, redactor=redactor):
                    sheet.write(piece.encode("utf-8"))
        count = len(titles)
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="'
                'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for n in range(1, count + 1)
            )
            + "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS_NS}">'
            f'<Relationship Id="rId1" Type="{RELATIONSHIPS_NS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{MAIN_NS}" xmlns:r="{RELATIONSHIPS_NS}"><sheets>'
            + "".join(
                f'<sheet name={quoteattr(title)} sheetId="{n}" r:id="rId{n}"/>'
                for n, title in enumerate(titles, start=1)
            )
            + "</sheets></workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS_NS}">'
            + "".join(
                f'<Relationship Id="rId{n}" Type="{RELATIONSHIPS_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                for n in range(1, count + 1)
            )
            + f'<Relationship Id="rId{count + 1}" Type="{RELATIONSHIPS_NS}/styles" Target="styles.xml"/>'
            "</Relationships>",
        )
        archive.writestr("xl/styles.xml", styles.xml())
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    for character in "[]:*?/\\":
        title = title.replace(character, " ")
    return title[:31] or "Sheet"


def download(data: bytes, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_download(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Value]], *, redactor: Redactor
) -> HttpResponse:
    return download(csv_bytes(header, rows, redactor=redactor), filename=f"{filename}.csv", content_type=CSV_TYPE)


def xlsx_download(filename: str, sheets: Sequence[Sheet], *, redactor: Redactor) -> HttpResponse:
    return download(xlsx_bytes(sheets, redactor=redactor), filename=f"{filename}.xlsx", content_type=XLSX_TYPE)
