"""The cockpit page: indicator cards with their trend, the drill-down table and chart, SLA
compliance per stage, the Excel export of the current view.

The figures come from :func:`manyi.insights.queries.cockpit` (the same function the API
calls); this module reads the filters from the URL, formats, and renders. Charts get their data
through ``json_script`` and draw in ``static/insights/cockpit.js`` (no inline script).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from manyi import clock
from manyi.errors import InvalidInput
from manyi.insights import exports, queries
from manyi.insights.api_cockpit import cockpit_out
from manyi.insights.queries import Cockpit, Indicator, Period
from manyi.org.models import UnitKind
from manyi.org.scopes import Perm, scope_for

# The filters that travel with every drill link and the export.
PERIOD_PARAMS = ("period", "at", "from", "to")


def number_text(value: float | None, fmt: str) -> str:
    """A figure as the page shows it ("—" when there is none)."""
    if value is None:
        return "—"
    if fmt == "percent":
        return f"{value:.1f}%"
    if fmt == "score":
        return f"{value:+.0f}" if value else "0"
    if fmt == "rate":
        return f"{value:.2f}"
    if fmt == "stars":
        return f"{value:.0f}★"
    if fmt == "count":
        return f"{value:,.0f}"
    return f"{value:.1f}"


def change_text(indicator: Indicator) -> str:
    change = indicator.change
    if change is None:
        return ""
    if indicator.fmt == "percent":
        return _("%(value)s pts") % {"value": f"{change:+.1f}"}
    if indicator.fmt in ("stars", "count", "score"):
        return f"{change:+.0f}"
    if indicator.fmt == "rate":
        return f"{change:+.2f}"
    return f"{change:+.1f}"


def _period_query(request: HttpRequest, period: Period) -> dict[str, str]:
    """The period as it travels in links: what the reader chose, or the one shown."""
    return {k: request.GET.get(k, "") for k in PERIOD_PARAMS if request.GET.get(k)}


def drill_url(level: str, pk: int, params: dict[str, str]) -> str:
    name = "insights:cockpit_person" if level == "person" else "insights:cockpit_unit"
    url = reverse(name, args=[pk])
    return f"{url}?{urlencode(params)}" if params else url


def _filters(request: HttpRequest) -> tuple[Period, dict[str, str]]:
    """The period of the query string; a bad value falls back to this month with its error."""
    errors: dict[str, str] = {}
    try:
        period = queries.parse_period(request.GET)
    except InvalidInput as exc:
        for name, message in exc.field_errors():
            errors[name or "period"] = str(message)
        period = queries.period_for("month", clock.now().date())
    return period, errors


@login_required
@require_GET
def cockpit_page(
    request: HttpRequest, unit_id: int | None = None, person_id: int | None = None
) -> HttpResponse:
    """The cockpit of the reader's home unit, a unit below it, or a person in their scope."""
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_REPORTS)
    period, errors = _filters(request)
    result = queries.cockpit(
        scope,
        unit=unit_id or request.GET.get("unit") or None,
        person=person_id,
        start=period.start,
        end=period.end,
    )
    params = {} if errors else _period_query(request, period)
    return render(
        request,
        "insights/cockpit.html",
        _context(request, result, params, errors),
        status=422 if errors else 200,
    )


def _context(
    request: HttpRequest, result: Cockpit, params: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    cards = [
        {
            "i": i,
            "value": number_text(i.value, i.fmt),
            "previous": number_text(i.previous, i.fmt),
            "change": change_text(i),
            # A sparkline only where the twelve months hold a figure.
            "spark": any(v is not None for v in i.trend),
        }
        for i in result.indicators
    ]
    columns = [
        i
        for i in result.indicators
        if result.child_level != "person" or i.code in queries.PERSON_CODES
    ]
    rows = [
        {
            "row": c,
            "url": drill_url(c.level, c.pk, params),
            "cells": [number_text(c.values.get(i.code), i.fmt) for i in columns],
        }
        for c in result.children
    ]
    data = cockpit_out(result)
    data["months"] = [f"{m:%Y-%m}" for m in result.months]
    for child, row in zip(data["children"], rows, strict=True):
        child["url"] = row["url"]
    for key in ("start", "end", "previous_start", "previous_end"):
        data[key] = data[key].isoformat()
    export_params = {**params}
    if result.person is not None:
        export_params["person"] = str(result.person.pk)
    else:
        export_params["unit"] = str(result.unit.pk)
    values = {k: request.GET.get(k, "") for k in PERIOD_PARAMS}
    values["period"] = values["period"] or "month"
    if not values["at"] and values["period"] != "custom":
        values["at"] = f"{result.period.start:%Y-%m}"
    return {
        "cockpit": result,
        "cards": cards,
        "columns": columns,
        "rows": rows,
        "chart_data": data,
        "path_links": [{"unit": u, "url": drill_url("unit", u.pk, params)} for u in result.path],
        "filter_values": values,
        "filter_errors": errors,
        "hidden": {"unit": request.GET.get("unit", "")} if request.GET.get("unit") else {},
        "export_url": f"{reverse('insights:cockpit_export')}?{urlencode(export_params)}",
        "child_title": {
            "region": _("Regions"),
            "outlet": _("Outlets"),
            "person": _("People"),
        }.get(result.child_level, ""),
        "is_company": result.unit.kind == UnitKind.COMPANY and result.person is None,
        "generated": timezone.localtime(clock.now()),
    }


@login_required
@require_GET
def cockpit_export(request: HttpRequest) -> HttpResponse:
    """The current view as an Excel workbook (indicators, children, stages, trend)."""
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_REPORTS)
    period = queries.parse_period(request.GET)
    result = queries.cockpit(
        scope,
        unit=request.GET.get("unit") or None,
        person=request.GET.get("person") or None,
        start=period.start,
        end=period.end,
    )
    content = exports.workbook(result)
    name = f"cockpit-{result.period.start:%Y%m%d}-{result.period.end:%Y%m%d}.xlsx"
    response = HttpResponse(content, content_type=exports.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
