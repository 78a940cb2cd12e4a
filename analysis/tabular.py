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
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone

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


# Characters XML 1.0 cannot carry: dropped from text cells.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
DATETIME_FORMAT = "d mmm yyyy hh:mm"
DATE_FORMAT = "d mmm yyyy"


def xlsx_bytes(sheets: Sequence[Sheet], *, redactor: Redactor) -> bytes:
    """The sheets as an Excel workbook, written by XlsxWriter row by row (its constant-memory mode keeps one row
    in memory). Every text cell passes through the project's redaction: a file that leaves the app names no one.

    Text is always written as text, so a leading "=" is never a formula; a formula-like cell also carries
    Excel's quote prefix, so it stays text when edited in Excel.
    """
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {"constant_memory": True, "in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False},
    )
    formats = _Formats(workbook)
    for spec in sheets:
        sheet = workbook.add_worksheet(_sheet_title(spec.title))
        sheet.freeze_panes(1, 1)
        for index, width in enumerate(spec.widths):
            sheet.set_column(index, index, width)
        for column, value in enumerate(spec.header):
            _write(sheet, 0, column, redactor.redact_value(value), formats, wrap=spec.wrap, bold=True)
        for row, values in enumerate(spec.rows, start=1):
            for column, value in enumerate(values):
                _write(sheet, row, column, redactor.redact_value(value), formats, wrap=spec.wrap)
    workbook.close()
    return buffer.getvalue()


class _Formats:
    """The few cell formats a sheet uses, made once per workbook."""

    def __init__(self, workbook) -> None:
        self._workbook, self._made = workbook, {}

    def get(self, *, wrap: bool = False, bold: bool = False, quote: bool = False, number: str = ""):
        key = (wrap, bold, quote, number)
        if key not in self._made:
            properties = {}
            if wrap:
                properties.update(text_wrap=True, valign="top")
            if bold:
                properties["bold"] = True
            if quote:
                properties["quote_prefix"] = True
            if number:
                properties["num_format"] = number
            self._made[key] = self._workbook.add_format(properties) if properties else None
        return self._made[key]


def _write(sheet, row: int, column: int, value: Value, formats: _Formats, *, wrap: bool, bold: bool = False) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        sheet.write_string(row, column, "Yes" if value else "No", formats.get(wrap=wrap, bold=bold))
    elif isinstance(value, datetime.datetime):
        sheet.write_datetime(row, column, _local(value), formats.get(bold=bold, number=DATETIME_FORMAT))
    elif isinstance(value, datetime.date):
        sheet.write_datetime(row, column, value, formats.get(bold=bold, number=DATE_FORMAT))
    elif isinstance(value, int | float):
        sheet.write_number(row, column, value, formats.get(bold=bold))
    else:
        text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
        if len(text) > XLSX_CELL_LIMIT:
            text = text[: XLSX_CELL_LIMIT - len(TRUNCATED)] + TRUNCATED
        quote = text.startswith(FORMULA_TRIGGERS)
        sheet.write_string(row, column, text, formats.get(wrap=wrap, bold=bold, quote=quote))


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
