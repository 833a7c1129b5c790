"""Excel files of the quality tables: one sheet per table, figures as numbers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from io import BytesIO
from typing import Any

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A text cell starting with one of these would be read as a formula by a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(sheet, value: Any):
    from openpyxl.cell import WriteOnlyCell

    if value is not None and not isinstance(value, int | float | str):
        value = str(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        cell.data_type = "s"  # typed text, never a live formula (formula injection)
    elif isinstance(value, float):
        cell.number_format = "0.0"
    return cell


def workbook(sheets: Iterable[tuple[str, Sequence[Any], Iterable[Sequence[Any]]]]) -> bytes:
    """An .xlsx of ``(title, header, rows)`` sheets."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    used: set[str] = set()
    for title, header, rows in sheets:
        name = "".join(" " if ch in "[]:*?/\\" else ch for ch in str(title))[:28] or "Sheet"
        while name in used:
            name = f"{name[:26]}_"
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.append([_cell(sheet, str(h)) for h in header])
        for row in rows:
            sheet.append([_cell(sheet, v) for v in row])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
