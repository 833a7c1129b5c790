"""The read side of the calendar pages: a year as twelve month grids, the working-hours list."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.calendars.models import (
    DEFAULT_WEEK,
    CalendarYear,
    DayKind,
    DayOverride,
    DaySource,
    WorkingHours,
)
from manyi.calendars.service import BusinessCalendar, calendar_for
from manyi.errors import NotFound
from manyi.org.models import Unit, UnitKind
from manyi.org.queries import history_of
from manyi.org.scopes import Perm, Scope


@dataclass
class DayCell:
    date: dt.date
    classes: str
    title: str


@dataclass
class Month:
    first: dt.date
    weeks: list[list[DayCell | None]]


@dataclass
class DayRun:
    """Consecutive days with the same kind, name and source: "2026-02-15 – 02-23 春节"."""

    first: DayOverride
    last: DayOverride
    count: int


def day_runs(days: list[DayOverride]) -> list[DayRun]:
    """``days`` (in date order) grouped into runs of consecutive dates that read the same."""
    runs: list[DayRun] = []
    for day in days:
        run = runs[-1] if runs else None
        if (
            run is not None
            and day.date == run.last.date + dt.timedelta(days=1)
            and (day.kind, day.name, day.source) == (run.last.kind, run.last.name, run.last.source)
        ):
            run.last = day
            run.count += 1
        else:
            runs.append(DayRun(day, day, 1))
    return runs


# Weekday names for the month grids (one character in Chinese) and the hours summary.
WEEKDAY_INITIALS = [
    pgettext_lazy("weekday initial", "Mo"),
    pgettext_lazy("weekday initial", "Tu"),
    pgettext_lazy("weekday initial", "We"),
    pgettext_lazy("weekday initial", "Th"),
    pgettext_lazy("weekday initial", "Fr"),
    pgettext_lazy("weekday initial", "Sa"),
    pgettext_lazy("weekday initial", "Su"),
]
WEEKDAY_SHORT = [
    pgettext_lazy("weekday, short", "Mon"),
    pgettext_lazy("weekday, short", "Tue"),
    pgettext_lazy("weekday, short", "Wed"),
    pgettext_lazy("weekday, short", "Thu"),
    pgettext_lazy("weekday, short", "Fri"),
    pgettext_lazy("weekday, short", "Sat"),
    pgettext_lazy("weekday, short", "Sun"),
]


@dataclass
class YearView:
    """Everything the year page shows, loaded in a few queries."""

    company: Unit
    year: int
    status: CalendarYear
    calendar: BusinessCalendar
    days: list[DayOverride]
    months: list[Month] = field(default_factory=list)
    runs: list[DayRun] = field(default_factory=list)
    holidays_on_workdays: int = 0
    makeup_workdays: int = 0
    workdays: int = 0


def calendar_company(scope: Scope, perm: Perm, company_id: int | None = None) -> Unit:
    """The company whose calendar the user reads or manages: their own; an installation
    superuser (no staff record) names one with ``company_id`` (else the first company).
    Refused without ``perm``; managing (any perm but VIEW_ORG) needs it company-wide, since
    the holidays apply to every outlet."""
    scope.require(perm)
    companies = Unit.objects.filter(kind=UnitKind.COMPANY)
    if scope.company_id is not None:
        company = companies.filter(pk=scope.company_id).first()
    elif company_id is not None:
        company = companies.filter(pk=company_id).first()
    else:
        company = companies.order_by("pk").first()
    if company is None:
        raise NotFound()
    if perm != Perm.VIEW_ORG:
        scope.require_unit(company, perm)
    return company


def year_view(company: Unit, year: int) -> YearView:
    """The year's calendar: month grids with holidays and make-up workdays marked, the list of
    its days, and counts (seeds the year first if it never was)."""
    calendar = calendar_for(company, years=[year])
    status = CalendarYear.objects.get(company=company, year=year)
    days = list(
        DayOverride.objects.filter(
            company=company, date__range=(dt.date(year, 1, 1), dt.date(year, 12, 31))
        ).order_by("date")
    )
    view = YearView(company, year, status, calendar, days, runs=day_runs(days))
    today = timezone.localdate()
    grid = pycalendar.Calendar(firstweekday=0)
    for number in range(1, 13):
        weeks: list[list[DayCell | None]] = []
        for week in grid.monthdatescalendar(year, number):
            cells: list[DayCell | None] = []
            for day in week:
                if day.month != number:
                    cells.append(None)
                    continue
                cells.append(_cell(calendar, day, today, view))
            weeks.append(cells)
        view.months.append(Month(dt.date(year, number, 1), weeks))
    return view


def _cell(calendar: BusinessCalendar, day: dt.date, today: dt.date, view: YearView) -> DayCell:
    info = calendar.day_info(day)
    works = calendar.is_workday(day)
    view.workdays += works
    classes = ["day"]
    title = ""
    if info is not None:
        kind, name = info
        title = name
        if kind == DayKind.HOLIDAY:
            classes.append("holiday")
            if calendar.week[day.weekday()]:
                view.holidays_on_workdays += 1
        else:
            classes.append("makeup")
            if not calendar.week[day.weekday()]:
                view.makeup_workdays += 1
    elif not works:
        classes.append("off")
    if day == today:
        classes.append("today")
    return DayCell(day, " ".join(classes), title)


@dataclass
class HoursRow:
    unit: Unit
    days: list[str]
    own: bool

    @property
    def named_days(self) -> list[tuple[str, str]]:
        """(weekday, hours) for the seven days, Monday first."""
        return list(zip(WEEKDAYS.values(), self.days, strict=True))

    @property
    def summary(self) -> list[str]:
        """The week in a few words: consecutive days with the same hours grouped, days off
        left out: ["周一–周五 08:30–12:00, 13:30–17:30", "周六 09:00–12:00"]."""
        names = [str(name) for name in WEEKDAY_SHORT]
        parts, index = [], 0
        while index < 7:
            end = index
            while end + 1 < 7 and self.days[end + 1] == self.days[index]:
                end += 1
            if self.days[index]:
                label = names[index] if end == index else f"{names[index]}–{names[end]}"
                parts.append(f"{label} {self.days[index]}")
            index = end + 1
        return parts


def _day_texts(week: list) -> list[str]:
    return [", ".join(f"{s}–{e}" for s, e in day) for day in week]


def hours_overview(company: Unit) -> tuple[HoursRow, list[HoursRow]]:
    """The company's weekly hours and every active outlet's (its own or the company's)."""
    rows = {h.outlet_id: h for h in WorkingHours.objects.filter(company=company)}
    default = rows.get(None)
    default_week = default.week if default else DEFAULT_WEEK
    company_row = HoursRow(company, _day_texts(default_week), default is not None)
    outlets = Unit.objects.filter(company=company, kind=UnitKind.OUTLET, is_active=True)
    outlet_rows = []
    for outlet in outlets.order_by("path"):
        own = rows.get(outlet.pk)
        outlet_rows.append(
            HoursRow(outlet, _day_texts(own.week if own else default_week), own is not None)
        )
    return company_row, outlet_rows


def week_as_text(unit: Unit) -> tuple[list[str], bool]:
    """The week the hours form starts from — the unit's own, else the company's, else the
    default — as one "08:30-12:00, 13:30-17:30" line per weekday; and whether it is its own."""
    company_id = unit.pk if unit.kind == UnitKind.COMPANY else unit.company_id
    outlet_id = unit.pk if unit.kind == UnitKind.OUTLET else None
    wanted = Q(outlet__isnull=True) | Q(outlet_id=outlet_id)
    rows = {h.outlet_id: h for h in WorkingHours.objects.filter(wanted, company_id=company_id)}
    hours = rows.get(outlet_id) or rows.get(None)
    week = hours.week if hours else DEFAULT_WEEK
    return [", ".join(f"{s}-{e}" for s, e in day) for day in week], outlet_id in rows


# Audit entries of the calendar carry a few keys that are not model fields; their labels here.
_CHANGE_LABELS = {
    "days": _("library days (removed → added)"),
    "file": _("file"),
    "created": _("added"),
    "updated": _("changed"),
    "removed": _("removed"),
    "unit": _("unit"),
}
_VALUE_LABELS = {
    **dict(DayKind.choices),
    **dict(DaySource.choices),
    True: _("Yes"),
    False: _("No"),
}


def _value_label(value):
    # Only booleans and the choice values have labels (1 == True must not read "Yes").
    if isinstance(value, bool) or (isinstance(value, str) and value in _VALUE_LABELS):
        return _VALUE_LABELS[value]
    return value


def calendar_history(scope, obj) -> list:
    """The audit entries of a calendar row, with readable labels for every change."""
    entries = history_of(scope, obj)
    for entry in entries:
        rows = []
        for name, old, new in entry.change_rows:
            label = _CHANGE_LABELS.get(name, name)
            rows.append((label, _value_label(old), _value_label(new)))
        entry.change_rows = rows
    return entries
