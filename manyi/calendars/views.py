"""Calendar pages (administrators and department heads): a year's holidays and make-up
workdays, one day, working hours of the company and its outlets, importing a year's official
schedule, and a deadline check."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.calendars import actions, queries
from manyi.calendars.forms import DayForm, DeadlineForm, HoursForm, ScheduleImportForm
from manyi.calendars.importing import ScheduleFileError, read_schedule, schedule_workbook
from manyi.calendars.models import DayOverride, WorkingHours
from manyi.calendars.service import Sla, calendar_for
from manyi.errors import DomainError, NotFound
from manyi.forms import add_domain_error
from manyi.org.models import Unit, UnitKind
from manyi.org.scopes import Perm, scope_for


def _company(request: HttpRequest) -> Unit:
    """The company whose calendar the user manages (refused unless they may, company-wide)."""
    company_id = _int(request.GET.get("company"))
    return queries.calendar_company(scope_for(request.user), Perm.MANAGE_CALENDAR, company_id)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _year(year: int) -> int:
    try:
        return actions.check_year(year)
    except DomainError as exc:
        raise NotFound() from exc


def _date(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise NotFound() from exc
    _year(day.year)
    return day


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _company(request)
    return redirect("calendars:year", year=timezone.localdate().year)


@login_required
def year_page(request: HttpRequest, year: int) -> HttpResponse:
    company = _company(request)
    view = queries.year_view(company, _year(year))
    context = {
        "view": view,
        "year": view.year,
        "status": view.status,
        "previous_year": view.year - 1 if view.year > actions.FIRST_YEAR else None,
        "next_year": view.year + 1 if view.year < actions.LAST_YEAR else None,
        "history": queries.calendar_history(scope_for(request.user), view.status),
        "weekday_names": queries.WEEKDAY_INITIALS,
    }
    return render(request, "calendars/calendar_year.html", context)


@login_required
def day_lookup(request: HttpRequest) -> HttpResponse:
    """The year page's "go to a date" box."""
    _company(request)
    text = request.GET.get("date", "")
    try:
        day = _date(text)
    except NotFound:
        messages.error(request, _("Enter a date between 2000 and 2100."))
        return redirect("calendars:index")
    return redirect("calendars:day", day=day.isoformat())


@login_required
def day_page(request: HttpRequest, day: str) -> HttpResponse:
    company = _company(request)
    date = _date(day)
    existing = DayOverride.objects.filter(company=company, date=date).first()
    initial = {"kind": existing.kind, "name": existing.name} if existing else {"kind": "holiday"}
    form = DayForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_day(actor=request.user, company=company, date=date, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("calendars:year", year=date.year)
    calendar = calendar_for(company, years=[date.year])
    context = {
        "form": form,
        "date": date,
        "existing": existing,
        "segments": calendar.working_segments(date),
        "fully_known": calendar.is_fully_known(date.year),
        "history": queries.calendar_history(scope_for(request.user), existing) if existing else [],
    }
    return render(request, "calendars/day_form.html", context)


@login_required
@require_POST
def day_delete(request: HttpRequest, day: str) -> HttpResponse:
    company = _company(request)
    date = _date(day)
    existing = DayOverride.objects.filter(company=company, date=date).first()
    if existing is None:
        raise NotFound()
    actions.remove_day(actor=request.user, day=existing)
    messages.success(request, _("%(date)s is an ordinary day again.") % {"date": date})
    return redirect("calendars:year", year=date.year)


@login_required
@require_POST
def year_reseed(request: HttpRequest, year: int) -> HttpResponse:
    company = _company(request)
    actions.seed_from_library(company, [_year(year)], actor=request.user)
    messages.success(request, _("The year was reloaded from the holiday library."))
    return redirect("calendars:year", year=year)


@login_required
@require_POST
def year_known(request: HttpRequest, year: int) -> HttpResponse:
    company = _company(request)
    fully_known = request.POST.get("fully_known") == "1"
    actions.set_year_known(
        actor=request.user, company=company, year=_year(year), fully_known=fully_known
    )
    messages.success(request, _("Saved."))
    return redirect("calendars:year", year=year)


@login_required
def year_import(request: HttpRequest, year: int) -> HttpResponse:
    company = _company(request)
    year = _year(year)
    form = ScheduleImportForm(request.POST or None, request.FILES or None)
    row_errors: list = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = read_schedule(upload, year=year)
            result = actions.import_schedule(
                actor=request.user,
                company=company,
                year=year,
                rows=rows,
                complete=form.cleaned_data["complete"],
                file_name=upload.name[:100],
            )
        except ScheduleFileError as exc:
            row_errors = exc.rows
            form.add_error("file", str(exc.message))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Imported: %(created)d days added, %(updated)d changed, %(removed)d removed.")
                % {"created": result.created, "updated": result.updated, "removed": result.removed},
            )
            return redirect("calendars:year", year=year)
    context = {"form": form, "year": year, "row_errors": row_errors}
    return render(request, "calendars/import_form.html", context, status=422 if row_errors else 200)


@login_required
def year_schedule(request: HttpRequest, year: int) -> HttpResponse:
    """The year's days as an .xlsx in the import layout (doubles as the template)."""
    company = _company(request)
    year = _year(year)
    actions.ensure_seeded(company, year)
    content = schedule_workbook(company.pk, year)
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="holidays-{year}.xlsx"'
    return response


@login_required
def hours_list(request: HttpRequest) -> HttpResponse:
    company = _company(request)
    company_row, outlet_rows = queries.hours_overview(company)
    context = {"company_row": company_row, "outlet_rows": outlet_rows}
    return render(request, "calendars/hours_list.html", context)


def _hours_unit(company: Unit, pk: int) -> Unit:
    unit = Unit.objects.filter(pk=pk, company=company).exclude(kind=UnitKind.REGION).first()
    if unit is None:
        raise NotFound()
    return unit


@login_required
def hours_edit(request: HttpRequest, pk: int) -> HttpResponse:
    company = _company(request)
    unit = _hours_unit(company, pk)
    lines, own = queries.week_as_text(unit)
    form = HoursForm(request.POST or None, initial={f"day_{i}": t for i, t in enumerate(lines)})
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_working_hours(actor=request.user, unit=unit, week=form.week())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("calendars:hours")
    outlet_id = unit.pk if unit.kind == UnitKind.OUTLET else None
    row = WorkingHours.objects.filter(company=company, outlet_id=outlet_id).first()
    history = queries.calendar_history(scope_for(request.user), row) if row else []
    context = {"form": form, "unit": unit, "own": own, "history": history}
    return render(request, "calendars/hours_form.html", context)


@login_required
@require_POST
def hours_reset(request: HttpRequest, pk: int) -> HttpResponse:
    company = _company(request)
    unit = _hours_unit(company, pk)
    actions.clear_working_hours(actor=request.user, outlet=unit)
    messages.success(request, _("%(name)s now works the company's hours.") % {"name": unit.name})
    return redirect("calendars:hours")


def _hours_text(value: dt.timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    return _("%(hours)d h %(minutes)02d min") % {"hours": minutes // 60, "minutes": minutes % 60}


@login_required
def deadline_check(request: HttpRequest) -> HttpResponse:
    """Try the calendar: when does a limit started at a given time run out?"""
    company = _company(request)
    units = [company, *Unit.objects.filter(company=company, kind=UnitKind.OUTLET, is_active=True)]
    now = timezone.localtime().replace(second=0, microsecond=0)
    initial = {"start": now, "unit": company.pk, "rule": "business_hours", "amount": 2}
    form = DeadlineForm(request.GET or None, units=units, initial=initial)
    result = None
    if request.GET and form.is_valid():
        data = form.cleaned_data
        unit = next(u for u in units if u.pk == data["unit"])
        start = data["start"]
        calendar = calendar_for(unit)
        sla = Sla(data["rule"], data["amount"])
        try:
            deadline = sla.deadline(calendar, start)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            result = {
                "unit": unit,
                "own_hours": calendar.own_hours,
                "sla": sla.describe(),
                "start": timezone.localtime(start),
                "deadline": deadline,
                "business_hours": _hours_text(calendar.business_time_between(start, deadline)),
                "warnings": calendar.warnings_for(deadline, start=start),
            }
    return render(request, "calendars/deadline.html", {"form": form, "result": result})
