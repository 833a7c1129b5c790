"""A customer's data as files: JSON (machine-readable) and Excel (one sheet per section)."""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import Workbook

# A cell starting with one of these is a formula to Excel/WPS: user text that starts so is
# written with a leading apostrophe so it stays text (CSV/formula injection, "=cmd|…").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet cell that can never be a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, dict | list):
        return safe_cell(json.dumps(value, ensure_ascii=False))
    return value


def as_json(data: dict) -> bytes:
    """The sections as one JSON document (UTF-8, Chinese unescaped)."""
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def as_xlsx(data: dict) -> bytes:
    """The sections as an Excel workbook, one sheet each, a header row of field names."""
    book = Workbook()
    book.remove(book.active)
    for section, rows in data.items():
        sheet = book.create_sheet(section[:31])
        columns: list[str] = []
        for row in rows:
            for key in row:
                if key not in columns:
                    columns.append(key)
        sheet.append(columns or ["—"])
        for row in rows:
            sheet.append([safe_cell(row.get(c)) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
