"""Scoreboard pages (003 P-077..079) and the quick "recognise" button (P-076)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.errors import Conflict, InvalidInput
from manyi.org.scopes import Perm, Scope, scope_for
from manyi.team.actions.common import today
from manyi.team.actions.recognition import recognise
from manyi.team.queries import scoreboard as boards
from manyi.team.views.common import unit_from


def parse_month(raw: Any) -> dt.date | None:
    """A "YYYY-MM" value as the first day of the month, or None."""
    try:
        year, month = str(raw).split("-")
        return dt.date(int(year), int(month), 1)
    except (TypeError, ValueError):
        return None


def period_from(params) -> tuple[boards.Period, dict[str, str]]:
    """The period of the query string (``from``, ``to`` months) and the errors of bad values
    (the default period is used then)."""
    day = today()
    default = boards.default_period(day)
    errors = {}
    first = parse_month(params.get("from")) if params.get("from") else default.start
    last = parse_month(params.get("to")) if params.get("to") else default.last_month
    if first is None:
        errors["from"] = _("Enter a month as YYYY-MM.")
    if last is None:
        errors["to"] = _("Enter a month as YYYY-MM.")
    if errors:
        return default, errors
    return boards.period_of(first, last), errors


def _may_recognise(scope: Scope) -> bool:
    return scope.can(Perm.MANAGE_TEAM)


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """Ranked tables of people and teams over a period (managers: their units; others: their
    own line)."""
    scope = scope_for(request.user)
    period, errors = period_from(request.GET)
    reads = boards.reads_boards(scope)
    unit = unit_from(scope, request.GET.get("unit"), Perm.VIEW_REPORTS) if reads else None
    sort = request.GET.get("sort", "cases_handled")
    sort = sort if sort in boards.MEASURE_NAMES else "cases_handled"
    context = {
        "period": period,
        "filter_errors": errors,
        "values": {
            "from": f"{period.start:%Y-%m}",
            "to": f"{period.last_month:%Y-%m}",
            "unit": unit.pk if unit else None,
            "sort": sort,
        },
        "units": list(scope.units().filter(is_active=True).exclude(kind="company"))
        if reads
        else [],
        "measures": boards.MEASURES,
        "people": boards.person_board(scope, period, unit=unit, sort=sort),
        "teams": boards.team_board(scope, period, unit=unit, sort=sort) if reads else [],
        "can_recognise": _may_recognise(scope),
        "me": scope.staff_id,
        "reads": reads,
    }
    template = "team/_scoreboard_results.html" if request.htmx else "team/scoreboard.html"
    return render(request, template, context)


def _chart(period: boards.Period, series: dict[str, list]) -> dict[str, Any]:
    labels = [f"{m:%Y-%m}" for m in period.months()]
    names = dict((name, str(label)) for name, label, _b in boards.MEASURES)
    return {
        "counts": {
            "labels": labels,
            "series": [
                {"name": names[key], "data": series[key]}
                for key in ("cases_handled", "praise", "recognitions", "complaints")
            ],
            "y": {"min": 0},
        },
        "index": {
            "labels": labels,
            "series": [{"name": names["survey_index"], "data": series["survey_index"]}],
            "y": {"min": 0, "max": 100},
        },
    }


@login_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    """One person's figures and their month-by-month lines."""
    scope = scope_for(request.user)
    staff = boards.get_person(scope, pk)
    period, errors = period_from(request.GET)
    context = {
        "subject": staff.name,
        "subtitle": staff.unit.name,
        "row": boards.person_row(staff, period),
        "chart": _chart(period, boards.monthly(boards.PERSON, staff.pk, period)),
        "period": period,
        "filter_errors": errors,
        "values": {"from": f"{period.start:%Y-%m}", "to": f"{period.last_month:%Y-%m}"},
        "is_team": False,
        "staff": staff,
        "can_recognise": _may_recognise(scope) and staff.pk != scope.staff_id,
    }
    return render(request, "team/scoreboard_detail.html", context)


@login_required
def team(request: HttpRequest, pk: int) -> HttpResponse:
    """One outlet's figures and its month-by-month lines."""
    scope = scope_for(request.user)
    unit = boards.get_team(scope, pk)
    period, errors = period_from(request.GET)
    context = {
        "subject": unit.name,
        "subtitle": "",
        "row": boards.team_row(unit, period),
        "chart": _chart(period, boards.monthly(boards.TEAM, unit.pk, period)),
        "period": period,
        "filter_errors": errors,
        "values": {"from": f"{period.start:%Y-%m}", "to": f"{period.last_month:%Y-%m}"},
        "is_team": True,
    }
    return render(request, "team/scoreboard_detail.html", context)


@login_required
@require_POST
def recognise_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The quick "recognise" button: today's word of praise (htmx swaps in a tick)."""
    status, message = 200, _("Recognised today.")
    try:
        recognise(actor=request.user, staff=pk, note=request.POST.get("note", ""))
    except Conflict as exc:
        status, message = exc.status, str(exc.message)
    except InvalidInput as exc:
        status, message = exc.status, str(exc.message)
    return render(
        request,
        "team/_recognised.html",
        {"message": message, "ok": status == 200},
        status=status,
    )
