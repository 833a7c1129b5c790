"""Every write to the business calendar: seeding from the libraries, days, years, working hours.

Seeding runs without an actor when the calendar service finds a year it has never seen
(:func:`ensure_seeded_years`); everything else is an administrator's action and is audited.
Rows an administrator entered or imported always win over the library's: reseeding a year
replaces only the rows that came from the library.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.calendars import library
from manyi.calendars.models import (
    CalendarYear,
    DayKind,
    DayOverride,
    DaySource,
    WorkingHours,
    day_segments,
    format_minutes,
)
from manyi.calendars.service import forget_calendars
from manyi.errors import InvalidInput, NotFound, interpolate
from manyi.org.actions import audit, diff
from manyi.org.models import AuditAction, Unit, UnitKind
from manyi.org.scopes import Perm, scope_for

# The years a calendar may hold: wide enough for any SLA, narrow enough to catch typos.
FIRST_YEAR, LAST_YEAR = 2000, 2100
NAME_MAX = 50
WEEKDAY_FIELDS = [f"day_{i}" for i in range(7)]


def _year_span(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _require_company(actor, company: Unit) -> None:
    if company.kind != UnitKind.COMPANY:
        raise InvalidInput(_("Choose a company."), field="company")
    scope_for(actor).require_unit(company, Perm.MANAGE_CALENDAR)


def check_year(year: Any, field: str = "year") -> int:
    """``year`` as an int within the years a calendar holds, or :class:`InvalidInput`."""
    try:
        value = int(year)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(_("Enter a year."), field=field) from exc
    if not FIRST_YEAR <= value <= LAST_YEAR:
        raise InvalidInput(
            interpolate(
                _("Enter a year from %(first)d to %(last)d."),
                {"first": FIRST_YEAR, "last": LAST_YEAR},
            ),
            field=field,
        )
    return value


# -- seeding ------------------------------------------------------------------------------------


def _needs_seeding(row: CalendarYear | None) -> bool:
    """Never seeded, or seeded with statutory days only and the library now knows the year."""
    if row is None or row.seeded_at is None:
        return True
    return (
        not row.fully_known
        and not row.seeded_with.startswith("chinese-calendar")
        and library.chinese_calendar_knows(row.year)
    )


def _seed_year(company_id: int, year: int, *, actor=None, only_if_needed: bool) -> CalendarYear:
    schedule = library.schedule_for(year)
    now = timezone.now()
    with transaction.atomic():
        row = CalendarYear.objects.select_for_update().filter(company_id=company_id, year=year)
        row = row.first()
        if row is None:
            try:
                with transaction.atomic():
                    row = CalendarYear.objects.create(company_id=company_id, year=year)
            except IntegrityError:
                # Another process seeds the same year right now; wait for it, then re-check.
                row = CalendarYear.objects.select_for_update().get(company_id=company_id, year=year)
        if only_if_needed and not _needs_seeding(row):
            return row
        first_seeding = row.seeded_at is None
        first, last = _year_span(year)
        in_year = DayOverride.objects.filter(company_id=company_id, date__range=(first, last))
        kept = set(in_year.exclude(source=DaySource.LIBRARY).values_list("date", flat=True))
        removed, _by_model = in_year.filter(source=DaySource.LIBRARY).delete()
        added = DayOverride.objects.bulk_create(
            [
                DayOverride(
                    company_id=company_id,
                    date=day.date,
                    kind=day.kind,
                    name=day.name,
                    source=DaySource.LIBRARY,
                    created_at=now,
                    updated_at=now,
                )
                for day in schedule.days
                if day.date not in kept
            ]
        )
        changes: dict[str, list[Any]] = {"seeded_with": [row.seeded_with, schedule.source]}
        fully_known = row.fully_known or schedule.fully_known
        if fully_known != row.fully_known:
            changes["fully_known"] = [row.fully_known, fully_known]
        changes["days"] = [removed, len(added)]
        row.fully_known = fully_known
        row.seeded_with = schedule.source
        row.seeded_at = row.updated_at = now
        row.save(update_fields=["fully_known", "seeded_with", "seeded_at", "updated_at"])
        audit(
            actor=actor,
            action=AuditAction.CREATE if first_seeding else AuditAction.UPDATE,
            obj=row,
            company_id=company_id,
            changes=changes,
        )
    return row


def seed_from_library(company: Unit, years: Iterable[int], *, actor=None) -> list[CalendarYear]:
    """(Re)load ``years`` of the company's calendar from the libraries.

    chinese-calendar gives a published year's holidays and make-up workdays (fully known); for a
    year it does not know, ``holidays.China`` gives the statutory days only (not fully known).
    Rows entered by hand or imported are kept; a year once fully known stays so. With an
    ``actor`` (the page's button) the actor must manage the calendar; without, it is the system
    (the management command, the lazy seeding of the calendar service).
    """
    if actor is not None:
        _require_company(actor, company)
    company_id = company.pk if company.kind == UnitKind.COMPANY else company.company_id
    return [
        _seed_year(company_id, check_year(year), actor=actor, only_if_needed=False)
        for year in sorted(set(years))
    ]


def ensure_seeded_years(company_id: int, years: Iterable[int]) -> dict[int, CalendarYear]:
    """The status rows of ``years``, seeding those never seen (and upgrading those seeded with
    statutory days only once chinese-calendar knows them). One query when all are seeded."""
    years = sorted(set(years))
    rows = {r.year: r for r in CalendarYear.objects.filter(company_id=company_id, year__in=years)}
    for year in years:
        if _needs_seeding(rows.get(year)):
            if FIRST_YEAR <= year <= LAST_YEAR:
                rows[year] = _seed_year(company_id, year, only_if_needed=True)
            else:
                # Outside the calendar's range: nothing to seed, never fully known.
                rows[year] = CalendarYear(company_id=company_id, year=year, fully_known=False)
    return rows


def ensure_seeded(company: Unit, year: int) -> CalendarYear:
    """The status row of one year, seeded from the libraries if it never was."""
    company_id = company.pk if company.kind == UnitKind.COMPANY else company.company_id
    return ensure_seeded_years(company_id, [year])[year]


# -- days -------------------------------------------------------------------------------------


def _clean_kind(kind: str) -> str:
    if kind not in DayKind.values:
        raise InvalidInput(_("Choose holiday or workday."), field="kind")
    return kind


def _clean_day_name(name: str) -> str:
    name = (name or "").strip()
    if len(name) > NAME_MAX:
        raise InvalidInput(
            interpolate(_("Too long (at most %(limit)d characters)."), {"limit": NAME_MAX}),
            field="name",
        )
    return name


@transaction.atomic
def set_day(*, actor, company: Unit, date: dt.date, kind: str, name: str = "") -> DayOverride:
    """Declare one date a holiday or a (make-up) workday; replaces what the date had."""
    forget_calendars()
    _require_company(actor, company)
    check_year(date.year, field="date")
    values = {"kind": _clean_kind(kind), "name": _clean_day_name(name), "source": DaySource.MANUAL}
    ensure_seeded(company, date.year)
    now = timezone.now()
    day = DayOverride.objects.select_for_update().filter(company=company, date=date).first()
    if day is None:
        day = DayOverride.objects.create(
            company=company, date=date, created_at=now, updated_at=now, **values
        )
        audit(
            actor=actor,
            action=AuditAction.CREATE,
            obj=day,
            company_id=company.pk,
            changes={k: [None, v] for k, v in values.items()},
        )
        return day
    changes = diff(day, values)
    if changes:
        for name_, value in values.items():
            setattr(day, name_, value)
        day.updated_at = now
        day.save(update_fields=[*values, "updated_at"])
        audit(
            actor=actor, action=AuditAction.UPDATE, obj=day, company_id=company.pk, changes=changes
        )
    return day


@transaction.atomic
def remove_day(*, actor, day: DayOverride) -> None:
    """Make a date an ordinary day again (its weekday's hours apply).

    A date that came from the library comes back if the year is reseeded.
    """
    forget_calendars()
    day = DayOverride.objects.select_for_update().select_related("company").filter(pk=day.pk)
    day = day.first()
    if day is None:
        raise NotFound()
    _require_company(actor, day.company)
    audit(
        actor=actor,
        action=AuditAction.DELETE,
        obj=day,
        company_id=day.company_id,
        changes={"kind": [day.kind, None], "name": [day.name, None]},
    )
    day.delete()


@transaction.atomic
def set_year_known(*, actor, company: Unit, year: int, fully_known: bool) -> CalendarYear:
    """Confirm that the calendar holds the official schedule of ``year`` in full, or withdraw it."""
    forget_calendars()
    _require_company(actor, company)
    year = check_year(year)
    row = ensure_seeded(company, year)
    row = CalendarYear.objects.select_for_update().get(pk=row.pk)
    if row.fully_known != fully_known:
        audit(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=row,
            company_id=company.pk,
            changes={"fully_known": [row.fully_known, fully_known]},
        )
        row.fully_known = fully_known
        row.updated_at = timezone.now()
        row.save(update_fields=["fully_known", "updated_at"])
    return row


# -- importing a year's schedule ----------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleRow:
    """One valid row of an imported schedule."""

    number: int
    date: dt.date
    kind: str
    name: str


@dataclass(frozen=True)
class ImportResult:
    year: int
    created: int
    updated: int
    removed: int
    fully_known: bool


@transaction.atomic
def import_schedule(
    *,
    actor,
    company: Unit,
    year: int,
    rows: list[ScheduleRow],
    complete: bool,
    file_name: str = "",
) -> ImportResult:
    """Write a year's official schedule (rows already checked by ``importing.read_schedule``).

    Every row replaces what its date had. With ``complete`` the file is the whole schedule of the
    year: library and earlier imported days of the year that it does not list are removed (days
    entered by hand stay), and the year becomes fully known.
    """
    forget_calendars()
    _require_company(actor, company)
    year = check_year(year)
    ensure_seeded(company, year)
    now = timezone.now()
    dates = [r.date for r in rows]
    existing = {
        d.date: d
        for d in DayOverride.objects.select_for_update().filter(company=company, date__in=dates)
    }
    removed = 0
    if complete:
        first, last = _year_span(year)
        stale = DayOverride.objects.filter(
            company=company,
            date__range=(first, last),
            source__in=[DaySource.LIBRARY, DaySource.IMPORT],
        ).exclude(date__in=dates)
        removed, _by_model = stale.delete()
    new, changed = [], []
    for row in rows:
        day = existing.get(row.date)
        if day is None:
            new.append(
                DayOverride(
                    company=company,
                    date=row.date,
                    kind=row.kind,
                    name=row.name,
                    source=DaySource.IMPORT,
                    created_at=now,
                    updated_at=now,
                )
            )
        elif (day.kind, day.name, day.source) != (row.kind, row.name, DaySource.IMPORT):
            day.kind, day.name, day.source, day.updated_at = (
                row.kind,
                row.name,
                DaySource.IMPORT,
                now,
            )
            changed.append(day)
    DayOverride.objects.bulk_create(new)
    DayOverride.objects.bulk_update(changed, ["kind", "name", "source", "updated_at"])
    status = CalendarYear.objects.select_for_update().get(company=company, year=year)
    if complete and not status.fully_known:
        status.fully_known = True
        status.updated_at = now
        status.save(update_fields=["fully_known", "updated_at"])
    audit(
        actor=actor,
        action=AuditAction.IMPORT,
        obj=status,
        company_id=company.pk,
        changes={
            "file": [None, file_name],
            "created": [None, len(new)],
            "updated": [None, len(changed)],
            "removed": [None, removed],
            "fully_known": [None, status.fully_known],
        },
    )
    return ImportResult(year, len(new), len(changed), removed, status.fully_known)


# -- working hours ------------------------------------------------------------------------------


def clean_week(week: Any) -> list[list[list[str]]]:
    """A week of segments (seven lists of [start, end], Monday first), validated and normalised
    to "HH:MM"; every bad day is reported at once, on its field ``day_0`` … ``day_6``."""
    if not isinstance(week, list | tuple) or len(week) != 7:
        raise InvalidInput(_("Give the working hours of all seven days."), field="week")
    errors = []
    cleaned: list[list[list[str]]] = []
    for index, day in enumerate(week):
        try:
            segments = day_segments(list(day or []))
        except (ValueError, TypeError):
            errors.append(
                (
                    WEEKDAY_FIELDS[index],
                    _(
                        "Enter times like 08:30-12:00, 13:30-17:30: each period ends after it "
                        "starts, within the day, in order and without overlapping."
                    ),
                )
            )
            continue
        cleaned.append([[format_minutes(s), format_minutes(e)] for s, e in segments])
    if errors:
        raise InvalidInput(errors=errors)
    if not any(cleaned):
        raise InvalidInput(_("A week needs some working time."), field="day_0")
    return cleaned


def _hours_target(actor, unit: Unit) -> tuple[int, int | None]:
    if unit.kind == UnitKind.REGION:
        raise InvalidInput(_("Working hours belong to the company or to an outlet."), field="unit")
    scope_for(actor).require_unit(unit, Perm.MANAGE_CALENDAR)
    if unit.kind == UnitKind.COMPANY:
        return unit.pk, None
    return unit.company_id, unit.pk


@transaction.atomic
def set_working_hours(*, actor, unit: Unit, week: Any) -> WorkingHours:
    """Set the weekly working hours of the company (its default) or of one outlet."""
    forget_calendars()
    company_id, outlet_id = _hours_target(actor, unit)
    cleaned = clean_week(week)
    # of=("self",): the company default is found with "outlet IS NULL", which PostgreSQL reads
    # through an outer join it cannot lock.
    hours = (
        WorkingHours.objects.select_for_update(of=("self",))
        .filter(company_id=company_id, outlet_id=outlet_id)
        .first()
    )
    now = timezone.now()
    if hours is None:
        hours = WorkingHours.objects.create(
            company_id=company_id, outlet_id=outlet_id, week=cleaned, updated_at=now
        )
        audit(
            actor=actor,
            action=AuditAction.CREATE,
            obj=hours,
            company_id=company_id,
            changes={"week": [None, describe_week(cleaned)], "unit": [None, unit.name]},
        )
        return hours
    if hours.week != cleaned:
        audit(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=hours,
            company_id=company_id,
            changes={
                "week": [describe_week(hours.week), describe_week(cleaned)],
                "unit": [unit.name, unit.name],
            },
        )
        hours.week = cleaned
        hours.updated_at = now
        hours.save(update_fields=["week", "updated_at"])
    return hours


@transaction.atomic
def clear_working_hours(*, actor, outlet: Unit) -> None:
    """An outlet goes back to the company's working hours."""
    forget_calendars()
    company_id, outlet_id = _hours_target(actor, outlet)
    if outlet_id is None:
        raise InvalidInput(_("The company's own hours can be changed, not removed."), field="unit")
    hours = WorkingHours.objects.select_for_update().filter(outlet_id=outlet_id).first()
    if hours is None:
        return
    audit(
        actor=actor,
        action=AuditAction.DELETE,
        obj=hours,
        company_id=company_id,
        changes={"week": [describe_week(hours.week), None], "unit": [outlet.name, None]},
    )
    hours.delete()


WEEKDAY_SHORT = ["一", "二", "三", "四", "五", "六", "日"]


def describe_week(week: list) -> str:
    """A week as one line for the audit log: "一 08:30-12:00 13:30-17:30; 二 …; 六 —"."""
    parts = []
    for index, day in enumerate(week or []):
        text = " ".join(f"{s}-{e}" for s, e in day) or "—"
        parts.append(f"{WEEKDAY_SHORT[index]} {text}")
    return "; ".join(parts)
