"""API of the business calendar: a year's days, working hours, and deadlines computed on them.

Reading (a year, working hours, a deadline) needs the right to see the organisation; changing
the calendar is for administrators and department heads, company-wide, as on the pages.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status

from manyi.calendars import actions
from manyi.calendars.models import DEFAULT_WEEK, DayOverride, WorkingHours
from manyi.calendars.queries import calendar_company
from manyi.calendars.service import Sla, SlaUnit, calendar_for
from manyi.errors import InvalidInput, NotFound, both_languages
from manyi.org.models import Unit, UnitKind
from manyi.org.scopes import Perm, scope_for

router = Router(tags=["calendar"])

_NAIVE = _("Give the time with its zone, e.g. 2026-02-13T17:00+08:00.")
_WHOLE_DAYS = _("Days are counted in whole numbers.")
_AMOUNT = _("Enter an amount from 0 to 10000.")


class DayOut(Schema):
    date: dt.date
    kind: str = Field(..., description="holiday or workday (a make-up workday, 调休上班)")
    name: str
    source: str = Field(..., description="library, manual or import")


class DayIn(Schema):
    kind: str = Field(..., description="holiday or workday")
    name: str = Field("", max_length=50)


class YearOut(Schema):
    year: int
    fully_known: bool = Field(..., description="whether the official schedule is loaded in full")
    seeded_with: str
    days: list[DayOut]


class YearKnownIn(Schema):
    fully_known: bool


class HoursOut(Schema):
    unit_id: int
    own: bool = Field(..., description="whether the unit has hours of its own")
    week: list[list[list[str]]] = Field(
        ..., description='seven days, Monday first, each a list of ["HH:MM", "HH:MM"] periods'
    )


class HoursIn(Schema):
    week: list[list[list[str]]]


class Message(Schema):
    zh: str
    en: str


class DeadlineOut(Schema):
    start: dt.datetime
    deadline: dt.datetime
    business_seconds: int = Field(..., description="working time from start to deadline")
    warnings: list[Message]


def _company(request: HttpRequest, perm: Perm, company_id: int | None = None) -> Unit:
    return calendar_company(scope_for(request.user), perm, company_id)


def _year(year: int) -> int:
    try:
        return actions.check_year(year)
    except InvalidInput as exc:
        raise NotFound() from exc


def _year_out(company: Unit, year: int) -> dict:
    status = actions.ensure_seeded(company, year)
    days = DayOverride.objects.filter(
        company=company, date__range=(dt.date(year, 1, 1), dt.date(year, 12, 31))
    ).order_by("date")
    return {
        "year": year,
        "fully_known": status.fully_known,
        "seeded_with": status.seeded_with,
        "days": list(days),
    }


@router.get(
    "/calendar/years/{year}",
    response=YearOut,
    summary="A year's holidays and make-up workdays, and whether the year is fully known",
)
def get_year(request: HttpRequest, year: int, company_id: int | None = None):
    company = _company(request, Perm.VIEW_ORG, company_id)
    return _year_out(company, _year(year))


@router.put("/calendar/years/{year}/known", response=YearOut, summary="Mark a year fully known")
def set_year_known(
    request: HttpRequest, year: int, payload: YearKnownIn, company_id: int | None = None
):
    company = _company(request, Perm.MANAGE_CALENDAR, company_id)
    year = _year(year)
    actions.set_year_known(
        actor=request.user, company=company, year=year, fully_known=payload.fully_known
    )
    return _year_out(company, year)


@router.put("/calendar/days/{day}", response=DayOut, summary="Make a date a holiday or workday")
def put_day(request: HttpRequest, day: dt.date, payload: DayIn, company_id: int | None = None):
    company = _company(request, Perm.MANAGE_CALENDAR, company_id)
    return actions.set_day(
        actor=request.user, company=company, date=day, kind=payload.kind, name=payload.name
    )


@router.delete(
    "/calendar/days/{day}", response={204: None}, summary="Make a date an ordinary day again"
)
def delete_day(request: HttpRequest, day: dt.date, company_id: int | None = None):
    company = _company(request, Perm.MANAGE_CALENDAR, company_id)
    existing = DayOverride.objects.filter(company=company, date=day).first()
    if existing is None:
        raise NotFound()
    actions.remove_day(actor=request.user, day=existing)
    return Status(204, None)


def _hours_unit(request: HttpRequest, unit_id: int, perm: Perm) -> Unit:
    scope = scope_for(request.user)
    scope.require(perm)
    unit = scope.units().filter(pk=unit_id).exclude(kind=UnitKind.REGION).first()
    if unit is None:
        raise NotFound()
    return unit


def _hours_out(unit: Unit) -> dict:
    company_id = unit.pk if unit.kind == UnitKind.COMPANY else unit.company_id
    outlet_id = unit.pk if unit.kind == UnitKind.OUTLET else None
    wanted = Q(outlet__isnull=True) | Q(outlet_id=outlet_id)
    rows = {h.outlet_id: h for h in WorkingHours.objects.filter(wanted, company_id=company_id)}
    hours = rows.get(outlet_id) or rows.get(None)
    return {
        "unit_id": unit.pk,
        "own": outlet_id in rows,
        "week": hours.week if hours else DEFAULT_WEEK,
    }


@router.get("/calendar/hours/{unit_id}", response=HoursOut, summary="Working hours of a unit")
def get_hours(request: HttpRequest, unit_id: int):
    return _hours_out(_hours_unit(request, unit_id, Perm.VIEW_ORG))


@router.put(
    "/calendar/hours/{unit_id}",
    response=HoursOut,
    summary="Set the working hours of the company or of one outlet",
)
def put_hours(request: HttpRequest, unit_id: int, payload: HoursIn):
    unit = _hours_unit(request, unit_id, Perm.MANAGE_CALENDAR)
    actions.set_working_hours(actor=request.user, unit=unit, week=payload.week)
    return _hours_out(unit)


@router.delete(
    "/calendar/hours/{unit_id}",
    response={204: None},
    summary="An outlet goes back to the company's working hours",
)
def delete_hours(request: HttpRequest, unit_id: int):
    unit = _hours_unit(request, unit_id, Perm.MANAGE_CALENDAR)
    actions.clear_working_hours(actor=request.user, outlet=unit)
    return Status(204, None)


@router.get(
    "/calendar/deadline",
    response=DeadlineOut,
    summary="When a limit started at a given time runs out on a unit's business calendar",
)
def get_deadline(
    request: HttpRequest,
    start: dt.datetime,
    unit_id: int,
    rule: SlaUnit,
    amount: Decimal,
):
    unit = _hours_unit(request, unit_id, Perm.VIEW_ORG)
    if start.tzinfo is None:
        raise InvalidInput(errors=[("start", _NAIVE)])
    if not 0 <= amount <= 10000:
        raise InvalidInput(errors=[("amount", _AMOUNT)])
    if rule != SlaUnit.BUSINESS_HOURS and amount != int(amount):
        raise InvalidInput(errors=[("amount", _WHOLE_DAYS)])
    calendar = calendar_for(unit)
    deadline = Sla(rule, amount).deadline(calendar, start)
    return {
        "start": start,
        "deadline": deadline,
        "business_seconds": int(calendar.business_time_between(start, deadline).total_seconds()),
        "warnings": [both_languages(w) for w in calendar.warnings_for(deadline, start=start)],
    }
