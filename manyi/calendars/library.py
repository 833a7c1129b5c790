"""The one boundary to the holiday libraries: a year's mainland-China schedule as plain rows.

``chinese-calendar`` carries the State Council's published schedules: holidays with the days
off given in exchange (调休) and the make-up workdays. It knows a year only once the schedule is
out, and raises ``NotImplementedError`` for any other year. ``holidays`` computes the statutory
days of any year from the law (《全国年节及纪念日放假办法》, including the weekday given in lieu
of a holiday on a weekend, 补假) but cannot know the make-up workdays of a year not yet
published. So: chinese-calendar where it knows the year (fully known), else ``holidays.China``
(statutory days only, not fully known).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from manyi.calendars.models import DayKind

# chinese-calendar names its holidays in English; the calendar shows the official Chinese names.
CHINESE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


@dataclass(frozen=True)
class LibraryDay:
    date: dt.date
    kind: str
    name: str


@dataclass(frozen=True)
class LibrarySchedule:
    """One year as the libraries know it."""

    year: int
    days: tuple[LibraryDay, ...]
    fully_known: bool
    source: str  # "chinese-calendar 1.11.0", "holidays 0.109" or "" when neither knows the year


def _version(package: str) -> str:
    try:
        return f"{package} {version(package)}"
    except PackageNotFoundError:  # pragma: no cover - both are dependencies
        return package


def chinese_calendar_knows(year: int) -> bool:
    """Whether chinese-calendar has the official schedule of ``year``."""
    import chinese_calendar

    try:
        chinese_calendar.is_holiday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def schedule_for(year: int) -> LibrarySchedule:
    """The holidays and make-up workdays of ``year`` from the best library that knows it."""
    if chinese_calendar_knows(year):
        return _from_chinese_calendar(year)
    return _from_holidays(year)


def _from_chinese_calendar(year: int) -> LibrarySchedule:
    from chinese_calendar import constants

    days = [
        LibraryDay(day, DayKind.HOLIDAY, CHINESE_NAMES.get(name, name))
        for day, name in constants.holidays.items()
        if day.year == year
    ]
    # ``workdays`` lists the make-up workdays: weekend days worked in exchange for a holiday.
    days += [
        LibraryDay(day, DayKind.WORKDAY, CHINESE_NAMES.get(name, name))
        for day, name in constants.workdays.items()
        if day.year == year
    ]
    days.sort(key=lambda d: d.date)
    return LibrarySchedule(year, tuple(days), True, _version("chinese-calendar"))


def _from_holidays(year: int) -> LibrarySchedule:
    import holidays

    try:
        china = holidays.China(years=year, language="zh_CN")
        items = sorted(china.items())
    except (NotImplementedError, ValueError, KeyError):  # pragma: no cover - outside its range
        return LibrarySchedule(year, (), False, "")
    days = tuple(LibraryDay(day, DayKind.HOLIDAY, str(name)[:50]) for day, name in items)
    return LibrarySchedule(year, days, False, _version("holidays") if days else "")
