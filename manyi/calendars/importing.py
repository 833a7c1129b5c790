"""A year's official holiday schedule from Excel, and the same layout out (the template).

The sheet's first row names the columns 日期, 类型 and 名称 (English: date, kind, name); 类型 is
放假 / 上班 (or holiday / workday, 休 / 班). A schedule is small (a few dozen rows), so the file
is read whole and checked whole: every bad row is reported with its number and reason, and
nothing is written unless every row is good.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from django.utils.translation import gettext_lazy as _

from manyi.calendars.actions import NAME_MAX, ScheduleRow
from manyi.calendars.models import DayKind, DayOverride
from manyi.errors import InvalidInput, interpolate

MAX_BYTES = 1024 * 1024
MAX_ROWS = 400

HEADERS = {
    "日期": "date",
    "date": "date",
    "类型": "kind",
    "kind": "kind",
    "type": "kind",
    "名称": "name",
    "name": "name",
    "节日": "name",
}
KINDS = {
    "放假": DayKind.HOLIDAY,
    "休": DayKind.HOLIDAY,
    "休息": DayKind.HOLIDAY,
    "假": DayKind.HOLIDAY,
    "holiday": DayKind.HOLIDAY,
    "上班": DayKind.WORKDAY,
    "班": DayKind.WORKDAY,
    "补班": DayKind.WORKDAY,
    "调休上班": DayKind.WORKDAY,
    "workday": DayKind.WORKDAY,
}
KIND_TITLES = {DayKind.HOLIDAY: "放假", DayKind.WORKDAY: "上班"}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
_SPACES = re.compile(r"\s+")


class ScheduleFileError(InvalidInput):
    """The schedule file cannot be imported: the whole file, or rows (number, reason)."""

    def __init__(self, message: Any = None, *, rows: list[tuple[int, Any]] = ()) -> None:
        self.rows = list(rows)
        super().__init__(
            message
            or interpolate(
                _("%(count)d rows have errors; nothing was imported."),
                {"count": len({number for number, _reason in self.rows})},
            ),
            field="file",
        )


def _read_cells(data: bytes) -> list[list[Any]]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        return [list(row) for row in sheet.iter_rows()]
    except (CalamineError, OSError, ValueError, TypeError, IndexError) as exc:
        raise ScheduleFileError(_("The file is not a readable Excel (.xlsx) workbook.")) from exc


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _SPACES.sub(" ", str(value)).strip()


def read_schedule(upload, *, year: int) -> list[ScheduleRow]:
    """The rows of an uploaded schedule for ``year``, all checked; :class:`ScheduleFileError`
    names every bad row. Dates may lie in ``year`` or in the December before / January after
    it (a New Year holiday can span the turn of the year)."""
    name = getattr(upload, "name", "") or ""
    if not name.lower().endswith(".xlsx"):
        raise ScheduleFileError(_("Upload an .xlsx file."))
    if getattr(upload, "size", 0) > MAX_BYTES:
        raise ScheduleFileError(_("The file is too large for a holiday schedule (at most 1 MB)."))
    cells = _read_cells(upload.read())
    if not cells:
        raise ScheduleFileError(_("The file is empty."))
    columns: dict[str, int] = {}
    for index, title in enumerate(cells[0]):
        key = HEADERS.get(_text(title).lower())
        if key and key not in columns:
            columns[key] = index
    if "date" not in columns or "kind" not in columns:
        raise ScheduleFileError(
            _("The first row must name the columns 日期 (date), 类型 (kind) and 名称 (name).")
        )
    lowest, highest = dt.date(year - 1, 12, 1), dt.date(year + 1, 1, 31)
    rows: list[ScheduleRow] = []
    errors: list[tuple[int, Any]] = []
    seen: dict[dt.date, int] = {}
    body = cells[1:]
    if len(body) > MAX_ROWS:
        raise ScheduleFileError(
            interpolate(_("A schedule has at most %(max)d rows."), {"max": MAX_ROWS})
        )

    def cell(row: list[Any], key: str) -> Any:
        index = columns.get(key)
        return row[index] if index is not None and index < len(row) else None

    for number, row in enumerate(body, start=2):
        if not any(_text(v) for v in row):
            continue
        raw_date, raw_kind, name = cell(row, "date"), cell(row, "kind"), _text(cell(row, "name"))
        date = _parse_date(raw_date) if _text(raw_date) else None
        problems: list[Any] = []
        if date is None:
            problems.append(_("日期: not a date (write it as 2027-02-06)."))
        elif not lowest <= date <= highest:
            problems.append(
                interpolate(_("日期: %(date)s is not in %(year)d."), {"date": date, "year": year})
            )
        elif date in seen:
            problems.append(
                interpolate(
                    _("日期: %(date)s is already on row %(row)d."),
                    {"date": date, "row": seen[date]},
                )
            )
        kind = KINDS.get(_text(raw_kind).lower())
        if kind is None:
            problems.append(_("类型: write 放假 (holiday) or 上班 (workday)."))
        if len(name) > NAME_MAX:
            problems.append(
                interpolate(_("名称: at most %(limit)d characters."), {"limit": NAME_MAX})
            )
        if problems:
            errors.extend((number, p) for p in problems)
            continue
        seen[date] = number
        rows.append(ScheduleRow(number, date, kind, name))
    if errors:
        raise ScheduleFileError(rows=errors)
    if not rows:
        raise ScheduleFileError(_("The file lists no days."))
    return rows


def schedule_workbook(company_id: int, year: int) -> bytes:
    """The year's days in the import layout (the template, filled with what the calendar has)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(year)
    sheet.append(["日期", "类型", "名称"])
    days = DayOverride.objects.filter(
        company_id=company_id, date__range=(dt.date(year, 1, 1), dt.date(year, 12, 31))
    ).order_by("date")
    for day in days:
        sheet.append([day.date, KIND_TITLES[day.kind], day.name])
    for date_cell, _kind_cell, name_cell in sheet.iter_rows(min_row=2, max_col=3):
        date_cell.number_format = "yyyy-mm-dd"
        if isinstance(name_cell.value, str) and name_cell.value.startswith("="):
            name_cell.data_type = "s"  # typed text, never a live formula (formula injection)
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["C"].width = 24
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
