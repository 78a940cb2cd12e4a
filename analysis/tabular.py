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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from disclosure.redaction import Redactor

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_LIMIT = 32_767
TRUNCATED = " … [truncated: Excel holds at most 32,767 characters in a cell]"
CSV_TYPE = "text/csv; charset=utf-8"
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


def _xlsx_cell(sheet, value: Value, *, wrap: bool) -> WriteOnlyCell:
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(text) > XLSX_CELL_LIMIT:
            text = text[: XLSX_CELL_LIMIT - len(TRUNCATED)] + TRUNCATED
        cell = WriteOnlyCell(sheet, value=text)
        # Typed as text, a leading "=" is never a formula; the quote prefix keeps it so when edited in Excel.
        cell.data_type = "s"
        if text.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
        if wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell
    if isinstance(value, bool):
        return WriteOnlyCell(sheet, value="Yes" if value else "No")
    if isinstance(value, datetime.datetime):
        cell = WriteOnlyCell(sheet, value=_local(value))
        cell.number_format = "d mmm yyyy hh:mm"
        return cell
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "d mmm yyyy"
        return cell
    return WriteOnlyCell(sheet, value=value)


def xlsx_bytes(sheets: Sequence[Sheet], *, redactor: Redactor) -> bytes:
    """Every text cell passes through the project's redaction: a file that leaves the app names no one."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for spec in sheets:
        sheet = workbook.create_sheet(title=_sheet_title(spec.title))
        sheet.freeze_panes = "B2"
        for index, width in enumerate(spec.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        header = []
        for value in spec.header:
            cell = _xlsx_cell(sheet, redactor.redact_value(value), wrap=spec.wrap)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in spec.rows:
            sheet.append([_xlsx_cell(sheet, redactor.redact_value(value), wrap=spec.wrap) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
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
