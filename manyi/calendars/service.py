"""Deadlines on the business calendar: what the SLA clocks of the case engine run on.

Load a calendar once (:func:`calendar_for`: the working hours of an outlet or its company, and
the company's holidays and make-up workdays for a range of years, in a handful of queries), then
compute in Python with no query per day or per deadline::

    calendar = calendar_for(case.outlet)
    due = calendar.add_business_hours(taken_at, 2)          # "within 2 business hours"
    due = calendar.next_business_day(taken_at)              # "by the next business day"
    due = calendar.add_calendar_days(taken_at, 7)           # "within 7 calendar days"
    warnings = calendar.warnings_for(due, start=taken_at)   # a year without its official schedule

The rules, precisely:

- A **workday** is a date with working time: its weekday has working hours and it is not a
  holiday, or it is a make-up workday (调休上班). A make-up workday works its own weekday's hours
  if that weekday normally works, else the standard day (the first of Monday–Friday with hours).
- **Business hours** count only time inside working segments (08:30–12:00 and 13:30–17:30 by
  default: the lunch break does not count). A start outside working time begins at the next
  segment. The deadline is the earliest instant at which the hours have elapsed, so two hours
  from 15:30 end at 17:30 the same day, not at the next morning's opening.
- **N business days** (``add_business_days``) end at the close (the end of the last working
  segment) of the N-th workday after the start's date; the start's own day does not count, so
  "by the next business day" (N = 1) from Friday 17:00 is the close of the next workday. N = 0 is
  "the same business day": the close of the start's date if it is a workday not yet closed, else
  the close of the next workday.
- **N calendar days** end at 23:59:59 of the date N days after the start's date, holidays or not.
- A deadline never lies before its start.
- Times are aware datetimes in ``settings.TIME_ZONE`` (Asia/Shanghai). Mainland China has had no
  daylight saving time since 1991, so a working segment is a fixed span of wall-clock time and
  durations are plain wall-clock differences; a deployment in a zone with DST would need
  segments built with fold handling (not supported).
- A year the calendar does not know in full (the State Council has not published its schedule;
  see ``library.py``) is computed with what is known — statutory holidays, no make-up workdays —
  and :meth:`BusinessCalendar.warnings_for` says so.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from manyi.calendars.models import (
    DEFAULT_WEEK,
    CalendarYear,
    DayKind,
    DayOverride,
    Segment,
    WorkingHours,
    week_segments,
)
from manyi.errors import DomainError, interpolate
from manyi.org.models import Unit, UnitKind

# A computation that finds no working time in this many days stops instead of looping forever
# (a calendar whose week has no working hours at all).
MAX_SCAN_DAYS = 3 * 366
END_OF_DAY = dt.time(23, 59, 59)

Week = tuple[tuple[Segment, ...], ...]
DayInfo = tuple[str, str]  # (kind, name)
YearLoader = Callable[[int], tuple[dict[dt.date, DayInfo], bool]]


class NoWorkingTime(DomainError):
    """The calendar has no working time in the period a computation needed."""

    code = "no-working-time"
    default_message = _("The business calendar has no working time in the next three years.")


def local_zone() -> ZoneInfo:
    """The zone working hours are read in (settings.TIME_ZONE, Asia/Shanghai)."""
    return ZoneInfo(settings.TIME_ZONE)


@dataclass
class BusinessCalendar:
    """Working hours plus holidays and make-up workdays, loaded once; computes deadlines.

    ``overrides`` and ``known`` hold the loaded years; a computation that reaches a year not
    loaded asks ``loader`` for it once (two queries), so a deadline far ahead still works.
    """

    company_id: int
    week: Week
    overrides: dict[dt.date, DayInfo] = field(default_factory=dict)
    known: dict[int, bool] = field(default_factory=dict)
    loader: YearLoader | None = None
    unit_id: int | None = None
    # Whether the outlet has hours of its own (else the company's apply).
    own_hours: bool = False
    tz: ZoneInfo = field(default_factory=local_zone)

    # -- days ----------------------------------------------------------------------------------
    def _year(self, year: int) -> bool:
        """Whether ``year`` is fully known, loading it first if needed."""
        if year not in self.known:
            if self.loader is None:
                self.known[year] = False
            else:
                days, fully_known = self.loader(year)
                self.overrides.update(days)
                self.known[year] = fully_known
        return self.known[year]

    @cached_property
    def standard_day(self) -> tuple[Segment, ...]:
        """The hours of a normal workday: the first of Monday–Friday that has any."""
        for day in (*self.week[:5], *self.week[5:]):
            if day:
                return day
        return week_segments(DEFAULT_WEEK)[0]

    def day_info(self, day: dt.date) -> DayInfo | None:
        """The override of ``day`` — (kind, name) — or None for an ordinary day."""
        self._year(day.year)
        return self.overrides.get(day)

    def _minutes(self, day: dt.date) -> tuple[Segment, ...]:
        info = self.day_info(day)
        own = self.week[day.weekday()]
        if info is None:
            return own
        if info[0] == DayKind.HOLIDAY:
            return ()
        return own or self.standard_day

    def is_workday(self, day: dt.date) -> bool:
        """Whether ``day`` has working time (a holiday has none; a make-up workday has)."""
        return bool(self._minutes(day))

    def working_segments(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working segments of ``day`` as aware datetimes in the local zone, in order."""
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=self.tz)
        return [
            (midnight + dt.timedelta(minutes=start), midnight + dt.timedelta(minutes=end))
            for start, end in self._minutes(day)
        ]

    def close_of(self, day: dt.date) -> dt.datetime | None:
        """The end of the last working segment of ``day``, or None if it is not a workday."""
        minutes = self._minutes(day)
        if not minutes:
            return None
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=self.tz)
        return midnight + dt.timedelta(minutes=minutes[-1][1])

    def is_fully_known(self, year: int) -> bool:
        """Whether the official schedule of ``year`` (holidays and make-up days) is loaded."""
        return self._year(year)

    # -- deadlines -----------------------------------------------------------------------------
    def _local(self, moment: dt.datetime) -> dt.datetime:
        if timezone.is_naive(moment):
            raise ValueError("The calendar computes with aware datetimes only.")
        return moment.astimezone(self.tz)

    def add_business_hours(
        self, start: dt.datetime, hours: float | int | Decimal | dt.timedelta
    ) -> dt.datetime:
        """The instant at which ``hours`` of working time have passed since ``start``."""
        remaining = _as_timedelta(hours)
        start = self._local(start)
        if not remaining:
            return start
        day = start.date()
        for _i in range(MAX_SCAN_DAYS):
            for seg_start, seg_end in self.working_segments(day):
                if seg_end <= start:
                    continue
                begin = max(seg_start, start)
                available = seg_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += dt.timedelta(days=1)
        raise NoWorkingTime()

    def add_business_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The close of the ``days``-th workday after ``start``'s date (0: the same workday)."""
        if days < 0:
            raise ValueError("days must not be negative")
        start = self._local(start)
        day = start.date()
        if days == 0:
            close = self.close_of(day)
            if close is not None and close > start:
                return close
            days = 1
        counted = 0
        for _i in range(MAX_SCAN_DAYS):
            day += dt.timedelta(days=1)
            close = self.close_of(day)
            if close is not None:
                counted += 1
                if counted == days:
                    return close
        raise NoWorkingTime()

    def next_business_day(self, start: dt.datetime) -> dt.datetime:
        """ "By the next business day": the close of the first workday after ``start``'s date."""
        return self.add_business_days(start, 1)

    def add_calendar_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """23:59:59 (local) of the date ``days`` days after ``start``'s date, holidays or not."""
        if days < 0:
            raise ValueError("days must not be negative")
        start = self._local(start)
        end = dt.datetime.combine(start.date() + dt.timedelta(days=days), END_OF_DAY, self.tz)
        return max(end, start)

    def business_time_between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """The working time from ``a`` to ``b`` (negative when ``b`` is before ``a``).

        For clocks that pause (waiting for the customer) and for SLA reports: the time used is
        the working time between the events, whatever the weekends and holidays in between.
        """
        a, b = self._local(a), self._local(b)
        if b < a:
            return -self.business_time_between(b, a)
        total = dt.timedelta()
        day = a.date()
        while day <= b.date():
            for seg_start, seg_end in self.working_segments(day):
                begin, end = max(seg_start, a), min(seg_end, b)
                if end > begin:
                    total += end - begin
            day += dt.timedelta(days=1)
        return total

    # -- what the calendar does not know -------------------------------------------------------
    def uncertain_years(self, start: dt.datetime, end: dt.datetime) -> list[int]:
        """The years from ``start`` to ``end`` whose official schedule is not known in full."""
        first, last = sorted((self._local(start).year, self._local(end).year))
        return [year for year in range(first, last + 1) if not self.is_fully_known(year)]

    def warnings_for(
        self, deadline: dt.datetime, *, start: dt.datetime | None = None
    ) -> list[Promise]:
        """Translatable warnings for a deadline computed through a year not fully known."""
        years = self.uncertain_years(start or deadline, deadline)
        if not years:
            return []
        return [
            interpolate(
                ngettext_lazy(
                    "The official holiday schedule of %(years)s is not yet in the business "
                    "calendar: this deadline counts the statutory holidays only and may move "
                    "when the schedule is added.",
                    "The official holiday schedules of %(years)s are not yet in the business "
                    "calendar: this deadline counts the statutory holidays only and may move "
                    "when the schedules are added.",
                    len(years),
                ),
                {"years": "、".join(str(y) for y in years)},
            )
        ]


def _as_timedelta(hours: float | int | Decimal | dt.timedelta) -> dt.timedelta:
    if isinstance(hours, dt.timedelta):
        value = hours
    elif isinstance(hours, Decimal):
        value = dt.timedelta(seconds=float(hours * 3600))
    else:
        value = dt.timedelta(hours=hours)
    if value < dt.timedelta():
        raise ValueError("hours must not be negative")
    return value


# -- SLA rules ------------------------------------------------------------------------------------


class SlaUnit(models.TextChoices):
    BUSINESS_HOURS = "business_hours", _("business hours")
    BUSINESS_DAYS = "business_days", _("business days")
    CALENDAR_DAYS = "calendar_days", _("calendar days")


@dataclass(frozen=True)
class Sla:
    """A time limit as a workflow declares it: ``Sla(SlaUnit.BUSINESS_HOURS, 2)``."""

    unit: str
    amount: int | Decimal

    def deadline(self, calendar: BusinessCalendar, start: dt.datetime) -> dt.datetime:
        """When the limit runs out for something started at ``start``."""
        if self.unit == SlaUnit.BUSINESS_HOURS:
            return calendar.add_business_hours(start, Decimal(self.amount))
        if self.unit == SlaUnit.BUSINESS_DAYS:
            return calendar.add_business_days(start, int(self.amount))
        if self.unit == SlaUnit.CALENDAR_DAYS:
            return calendar.add_calendar_days(start, int(self.amount))
        raise ValueError(self.unit)

    def describe(self) -> Promise:
        """The limit in words: "within 2 business hours"."""
        amount = self.amount
        if self.unit == SlaUnit.BUSINESS_HOURS:
            text = _("within %(amount)s business hours")
        elif self.unit == SlaUnit.BUSINESS_DAYS:
            text = _("within %(amount)s business days")
        else:
            text = _("within %(amount)s calendar days")
        return interpolate(text, {"amount": _plain_number(amount)})


def _plain_number(value: int | Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


# -- loading --------------------------------------------------------------------------------------


def _company_id(unit: Unit) -> int:
    return unit.pk if unit.kind == UnitKind.COMPANY else unit.company_id


def load_years(company_id: int, years: Iterable[int]) -> tuple[dict[dt.date, DayInfo], dict]:
    """The overrides and the fully-known flags of ``years`` (seeding them first if needed)."""
    from manyi.calendars.actions import ensure_seeded_years

    years = sorted(set(years))
    if not years:
        return {}, {}
    rows = ensure_seeded_years(company_id, years)
    known = {year: rows[year].fully_known for year in years}
    overrides: dict[dt.date, DayInfo] = {}
    wanted = set(years)
    span = DayOverride.objects.filter(
        company_id=company_id,
        date__gte=dt.date(years[0], 1, 1),
        date__lte=dt.date(years[-1], 12, 31),
    ).values_list("date", "kind", "name")
    for day, kind, name in span:
        if day.year in wanted:
            overrides[day] = (kind, name)
    return overrides, known


def week_for(unit: Unit) -> tuple[Week, bool]:
    """The working week of ``unit``: its own if it is an outlet that has one, else the company's
    (else the default week); and whether it is the outlet's own. One query."""
    company_id = _company_id(unit)
    outlet_id = unit.pk if unit.kind == UnitKind.OUTLET else None
    rows = list(
        WorkingHours.objects.filter(company_id=company_id).filter(
            Q(outlet__isnull=True) | Q(outlet_id=outlet_id)
        )
    )
    own = next((r for r in rows if outlet_id and r.outlet_id == outlet_id), None)
    default = next((r for r in rows if r.outlet_id is None), None)
    chosen = own or default
    week = chosen.segments() if chosen else week_segments(DEFAULT_WEEK)
    return week, own is not None


# A request reads the same calendars more than once (a case's deadline, then the warnings on
# its page or API response): within one request (``request_memo``, entered by
# ``manyi.middleware.CalendarMemoMiddleware``) each unit's calendar is loaded once. Nothing
# outlives the request, so several app servers never disagree about an edited calendar.
_memo: contextvars.ContextVar[dict[int, BusinessCalendar] | None] = contextvars.ContextVar(
    "manyi_calendar_memo", default=None
)


@contextlib.contextmanager
def request_memo() -> Iterator[None]:
    """Within this block, :func:`calendar_for` (default years) loads each unit's calendar once."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def forget_calendars() -> None:
    """Drop the calendars memoised in this request (after an edit of hours or days)."""
    memo = _memo.get()
    if memo is not None:
        memo.clear()


def calendar_for(unit: Unit, years: Iterable[int] | None = None) -> BusinessCalendar:
    """The business calendar of ``unit`` (an outlet's own hours if it has them, else its
    company's; always the company's holidays), with ``years`` loaded (default: last year to next
    year). Three queries once the years are seeded; other years load when first needed."""
    memo = _memo.get() if years is None else None
    if memo is not None and unit.pk in memo:
        return memo[unit.pk]
    company_id = _company_id(unit)
    week, own = week_for(unit)
    if years is None:
        this_year = timezone.localdate().year
        years = range(this_year - 1, this_year + 2)
    overrides, known = load_years(company_id, years)

    def loader(year: int) -> tuple[dict[dt.date, DayInfo], bool]:
        days, flags = load_years(company_id, [year])
        return days, flags[year]

    calendar = BusinessCalendar(
        company_id=company_id,
        week=week,
        overrides=overrides,
        known=known,
        loader=loader,
        unit_id=unit.pk,
        own_hours=own,
    )
    if memo is not None:
        memo[unit.pk] = calendar
    return calendar


def year_status(company_id: int, year: int) -> CalendarYear | None:
    """The stored status of one year of a company's calendar (None before it is seeded)."""
    return CalendarYear.objects.filter(company_id=company_id, year=year).first()
