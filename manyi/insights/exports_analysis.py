"""The analyses' tables as the page shows them and as Excel receives them (one shape for both:
``manyi.complaints.analytics.Table`` with its typed columns)."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from manyi import clock
from manyi.complaints.analytics import Table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMATS = {"percent": "0.0%", "number": "0.0", "signed": "+0.0;-0.0;0.0", "date": "yyyy-mm-dd"}
# A text cell starting with one of these would be read as a formula (formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: Any, kind: str) -> str:
    """A figure as the page shows it."""
    if value is None or value == "":
        return "—"
    if kind == "percent":
        return f"{Decimal(value) * 100:.1f}%"
    if kind == "number":
        text = f"{Decimal(str(value)):,.2f}"
        return text.rstrip("0").rstrip(".")
    if kind == "signed":
        return f"{Decimal(str(value)):+.1f}"
    if kind == "int":
        return f"{value:,}"
    if kind == "date":
        return (
            f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if hasattr(value, "hour") else str(value)
        )
    return str(value)


# Columns a phone leaves out (the export and wider screens keep them).
PHONE_HIDDEN = {
    "owner_in_time",
    "finished",
    "closed",
    "owner_due",
    "owner_at",
    "total_before",
    "perception_n",
}


def display(table: Table, links: dict[tuple[int, str], str] | None = None) -> dict[str, Any]:
    """A table ready for the template: formatted cells, numbers right-aligned, links on the
    cells named in ``links`` ((row index, column key) → URL)."""
    links = links or {}
    return {
        "key": table.key,
        "title": table.title,
        "note": table.note,
        "columns": [
            {
                "label": c.label,
                "num": c.kind not in ("text", "date"),
                "hide": c.key in PHONE_HIDDEN,
            }
            for c in table.columns
        ],
        "rows": [
            [
                {
                    "text": cell_text(row.get(c.key), c.kind),
                    "num": c.kind not in ("text", "date"),
                    "hide": c.key in PHONE_HIDDEN,
                    "href": links.get((i, c.key)) or row.get(f"{c.key}_href"),
                }
                for c in table.columns
            ]
            for i, row in enumerate(table.rows)
        ],
    }


def _cell(sheet, value: Any, kind: str):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, Decimal):
        value = float(value)
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        value = timezone.localtime(value).replace(tzinfo=None)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        if value.startswith(_FORMULA_START):
            cell.data_type = "s"
    elif kind in _FORMATS and value is not None:
        cell.number_format = _FORMATS[kind]
    return cell


def _title(title: str, used: set[str]) -> str:
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title)[:28].strip() or "Sheet"
    name, n = clean, 2
    while name in used:
        name = f"{clean[:26]} {n}"
        n += 1
    used.add(name)
    return name


def workbook(tables: list[Table], about: list[tuple[str, str]]) -> bytes:
    """``tables`` as an .xlsx workbook, one sheet each, and a sheet saying what it is."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_title(str(table.title), used))
        sheet.append([_cell(sheet, str(c.label), "text") for c in table.columns])
        for row in table.rows:
            sheet.append([_cell(sheet, row.get(c.key), c.kind) for c in table.columns])
    sheet = book.create_sheet(_title("About", used))
    exported = f"{timezone.localtime(clock.now()):%Y-%m-%d %H:%M}"
    for label, value in [*about, ("Exported at", exported)]:
        sheet.append([_cell(sheet, str(label), "text"), _cell(sheet, str(value), "text")])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
