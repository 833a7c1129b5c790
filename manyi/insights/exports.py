"""The cockpit's Excel export (openpyxl): the current view — indicators with the previous
period and the change, the drill-down table, SLA compliance per stage, the twelve-month trend."""

from __future__ import annotations

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from manyi.insights.queries import Cockpit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def workbook(result: Cockpit) -> bytes:
    """The workbook's bytes: four sheets, numbers as numbers (no formatting as text)."""
    book = Workbook()
    bold = Font(bold=True)
    sheet = book.active
    sheet.title = _("Indicators")[:31]
    who = result.person.name if result.person else result.unit.name
    sheet.append([_("Cockpit"), who])
    sheet.append([_("Period"), f"{result.period.start} – {result.period.end}"])
    sheet.append([_("Previous period"), f"{result.previous.start} – {result.previous.end}"])
    sheet.append([])
    sheet.append([_("Indicator"), _("Value"), _("Previous period"), _("Change"), _("Note")])
    for cell in sheet[5]:
        cell.font = bold
    for i in result.indicators:
        sheet.append(
            [str(i.label), _round(i.value), _round(i.previous), _round(i.change), i.detail]
        )
    sheet.column_dimensions["A"].width = 28

    if result.children:
        table = book.create_sheet(_("Drill-down")[:31])
        table.append([_("Name"), _("Kind"), *[str(i.label) for i in result.indicators]])
        for cell in table[1]:
            cell.font = bold
        for c in result.children:
            table.append(
                [c.name, str(c.kind), *[_round(c.values.get(i.code)) for i in result.indicators]]
            )
        table.column_dimensions["A"].width = 24

    stages = book.create_sheet(_("SLA per stage")[:31])
    stages.append(
        [_("Workflow"), _("Stage"), _("Completions"), _("On time"), _("On time %"), _("Previous %")]
    )
    for cell in stages[1]:
        cell.font = bold
    for s in result.stages:
        stages.append(
            [s.workflow, s.label, s.completions, s.on_time, _round(s.rate), _round(s.previous)]
        )

    trend = book.create_sheet(_("Trend")[:31])
    trend.append([_("Month"), *[str(i.label) for i in result.indicators if i.trend]])
    for cell in trend[1]:
        cell.font = bold
    with_trend = [i for i in result.indicators if i.trend]
    for n, month in enumerate(result.months):
        trend.append([f"{month:%Y-%m}", *[_round(i.trend[n]) for i in with_trend]])

    out = BytesIO()
    book.save(out)
    return out.getvalue()
