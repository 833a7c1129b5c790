"""Scoreboards (003 P-077..079) and daily recognition (P-076) in the API."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Schema, Status

from manyi.errors import InvalidInput
from manyi.org.scopes import Perm, scope_for
from manyi.team.actions.common import today
from manyi.team.actions.recognition import recognise
from manyi.team.api import router
from manyi.team.queries import scoreboard as boards
from manyi.team.views.common import unit_from
from manyi.team.views.scoreboard import parse_month

MONTH = r"^\d{4}-\d{2}$"


class BoardQuery(Schema):
    from_month: str | None = Field(None, pattern=MONTH, description="YYYY-MM; default: 2 ago")
    to_month: str | None = Field(None, pattern=MONTH, description="YYYY-MM; default: this month")
    unit_id: int | None = Field(None, ge=1, lt=2**63)
    sort: str = Field("cases_handled", description="the measure to rank by")


class RowOut(Schema):
    rank: int
    id: int = Field(..., alias="key")
    name: str
    unit_name: str
    cases_handled: int
    customers: int
    new_customers: int
    praise: int
    recognitions: int
    complaints: int
    surveys: int
    survey_index: float | None
    nps: float | None
    csat: float | None
    audit_score: float | None
    median_hours: float | None
    passages: int
    breaches: int
    on_time: float | None


class BoardOut(Schema):
    start: dt.date
    end: dt.date = Field(..., description="the first day after the period")
    rows: list[RowOut]


class MonthlyOut(Schema):
    months: list[dt.date]
    cases_handled: list[float | None]
    praise: list[float | None]
    recognitions: list[float | None]
    complaints: list[float | None]
    survey_index: list[float | None]


class PersonOut(Schema):
    start: dt.date
    end: dt.date
    row: RowOut
    monthly: MonthlyOut


class RecognitionIn(Schema):
    staff_id: int = Field(..., ge=1, lt=2**63)
    note: str = Field("", max_length=200)


class RecognitionOut(Schema):
    id: int
    staff_id: int
    note: str
    day: dt.date


def _period(params: BoardQuery) -> boards.Period:
    default = boards.default_period(today())
    first = parse_month(params.from_month) if params.from_month else default.start
    last = parse_month(params.to_month) if params.to_month else default.last_month
    if first is None or last is None:
        raise InvalidInput(_month_error(), field="from_month" if first is None else "to_month")
    if params.sort not in boards.MEASURE_NAMES:
        raise InvalidInput(_sort_error(), field="sort")
    return boards.period_of(first, last)


def _month_error():
    return _("Enter a month as YYYY-MM.")


def _sort_error():
    return _("Not one of the available choices.")


@router.get("/scoreboards/people", response=BoardOut, summary="People ranked over a period")
def people(request: HttpRequest, params: Query[BoardQuery]):
    """Managers: the staff of their units; everyone else: their own line."""
    scope = scope_for(request.user)
    period = _period(params)
    unit = unit_from(scope, params.unit_id, Perm.VIEW_REPORTS) if params.unit_id else None
    rows = boards.person_board(scope, period, unit=unit, sort=params.sort)
    return {"start": period.start, "end": period.end, "rows": rows}


@router.get("/scoreboards/teams", response=BoardOut, summary="Outlets ranked over a period")
def teams(request: HttpRequest, params: Query[BoardQuery]):
    scope = scope_for(request.user)
    period = _period(params)
    unit = unit_from(scope, params.unit_id, Perm.VIEW_REPORTS) if params.unit_id else None
    rows = boards.team_board(scope, period, unit=unit, sort=params.sort)
    return {"start": period.start, "end": period.end, "rows": rows}


@router.get("/scoreboards/people/{staff_id}", response=PersonOut, summary="One person's lines")
def person(request: HttpRequest, staff_id: int, params: Query[BoardQuery]):
    staff = boards.get_person(scope_for(request.user), staff_id)
    period = _period(params)
    monthly = boards.monthly(boards.PERSON, staff.pk, period)
    return {
        "start": period.start,
        "end": period.end,
        "row": boards.person_row(staff, period),
        "monthly": {"months": period.months(), **monthly},
    }


@router.post(
    "/recognitions", response={201: RecognitionOut}, summary="Recognise good service today"
)
def recognise_api(request: HttpRequest, body: RecognitionIn):
    return Status(201, recognise(actor=request.user, staff=body.staff_id, note=body.note))
