"""CSV and XLSX renderings of API data, safe to open in a spreadsheet.

Rows are the JSON objects of the API flattened one level: nested lists and objects (seats,
votes, stakes, evidence) become JSON text in one cell; lists of codes become ``GBR;JPN``.
Any text cell that a spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return, after any leading spaces or line breaks, and is not a plain
number) is prefixed with ``'`` (``programs.spreadsheets.escape_formula``, shared with the
admin's exports).
"""

import csv
import json
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.http import FileResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rest_framework import renderers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from programs.spreadsheets import escape_formula

if TYPE_CHECKING:
    from programs.dashboards.exports import Table

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: XLSX exports are built in a temporary file that spills to disk past this many bytes.
XLSX_MEMORY_LIMIT = 8 * 1024 * 1024


def cell_text(value: Any) -> str:
    """The text of one CSV cell (before escaping)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ";".join(value)
    if isinstance(value, dict | list):
        return json.dumps(value, cls=JSONEncoder, ensure_ascii=False, sort_keys=True)
    return str(value)


def csv_cell(value: Any) -> str:
    return escape_formula(cell_text(value))


def xlsx_value(value: Any, numeric: bool = False) -> Any:
    """The value of one XLSX cell: numbers and booleans typed, text escaped and cleaned."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if numeric and isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            pass
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", cell_text(value))
    return escape_formula(text)


def rows_of(data: Any) -> list[dict]:
    """The rows in a response body: a list, a page of results, or one object."""
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        return data["results"]
    if isinstance(data, list):
        return [row if isinstance(row, dict) else {"value": row} for row in data]
    if isinstance(data, dict):
        return [data]
    return [{"value": data}]


def columns_of(rows: Sequence[dict]) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return list(columns)


class _Echo:
    """A file-like object whose write returns the text (for streaming csv.writer output)."""

    def write(self, value: str) -> str:
        return value


def stream_csv(columns: Sequence[str], rows: Iterable[dict]) -> Iterator[str]:
    """CSV text, one line at a time: the header, then each row's cells."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(columns)
    for row in rows:
        yield writer.writerow([csv_cell(row.get(column)) for column in columns])


def write_xlsx(
    sheets: Iterable[tuple[str, Sequence[str], Iterable[dict], set[str]]],
) -> tempfile.SpooledTemporaryFile:
    """An XLSX workbook, one sheet per (title, columns, rows, numeric columns), rewound."""
    workbook = Workbook(write_only=True)
    for title, columns, rows, numeric in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append(list(columns))
        for row in rows:
            sheet.append(
                [
                    WriteOnlyCell(sheet, xlsx_value(row.get(column), column in numeric))
                    for column in columns
                ]
            )
    output = tempfile.SpooledTemporaryFile(max_size=XLSX_MEMORY_LIMIT)  # noqa: SIM115 (returned open)
    workbook.save(output)
    output.seek(0)
    return output


class CSVRenderer(renderers.BaseRenderer):
    media_type = CSV_MEDIA_TYPE
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        rows = rows_of(data)
        return "".join(stream_csv(columns_of(rows), rows)).encode(self.charset)


class XLSXRenderer(renderers.BaseRenderer):
    media_type = XLSX_MEDIA_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        rows = rows_of(data)
        with write_xlsx([("data", columns_of(rows), rows, set())]) as output:
            return output.read()


SECTION_FOR_CSV = "A CSV file holds one table: name it with section ({choices})."


def table_response(
    tables: "dict[str, Table]", fmt: str, section: str | None, name: str
) -> HttpResponseBase:
    """One table as CSV, one or every table as an XLSX workbook, or every table's rows as JSON
    by section name (``fmt`` as DRF's negotiation picked it)."""
    if fmt == "csv":
        if section is None:
            raise ValidationError({"section": [SECTION_FOR_CSV.format(choices=", ".join(tables))]})
        chosen = tables[section]
        response: HttpResponseBase = StreamingHttpResponse(
            stream_csv(chosen.columns, chosen.rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}-{section}.csv"'
        return response
    if fmt == "xlsx":
        names = [section] if section else list(tables)
        sheets: list[tuple[str, Sequence[str], Iterable[dict], set[str]]] = [
            (sheet, tables[sheet].columns, tables[sheet].rows, set()) for sheet in names
        ]
        response = FileResponse(write_xlsx(sheets), content_type=XLSX_MEDIA_TYPE)
        stem = f"{name}-{section}" if section else name
        response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
        return response
    return Response({sheet: chosen.rows for sheet, chosen in tables.items()})
