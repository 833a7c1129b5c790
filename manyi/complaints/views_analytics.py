"""The complaint analytics page: filters in the URL, figures, ECharts charts, Excel exports,
and the form that edits the iceberg's coefficients.

The figures come from :mod:`manyi.complaints.analytics` (the same functions the API calls);
this module only formats them. Charts get their data through ``json_script`` and draw in
``static/complaints/analytics.js`` (no inline script).
"""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from manyi import clock
from manyi.complaints import analytics
from manyi.complaints.analytics import Filters, Report, Table
from manyi.complaints.estimates import (
    COEFFICIENT_FIELDS,
    COEFFICIENTS,
    can_edit_coefficients,
    update_coefficients,
)
from manyi.errors import InvalidInput
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Unit
from manyi.org.scopes import Perm, Scope, scope_for

# Long tables show their first rows on the page; the export has them all.
PAGE_ROWS = 15
# Columns a phone leaves out (the export and wider screens keep them).
PHONE_HIDDEN = {
    ("by_outlet", "code"),
    ("by_cause", "side"),
    ("repeat_customers", "outlet"),
    ("cost_by_kind", "resolutions"),
    ("cost_by_outlet", "resolutions"),
}
# Codes that must not break at their hyphens.
NOWRAP = {"batch_no", "code"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# -- formatting ---------------------------------------------------------------------------------


def _plain(value: Decimal) -> str:
    """A number with thousands separators and at most two decimals, no trailing zeros."""
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def cell_text(value: Any, kind: str) -> str:
    """A figure as the page shows it."""
    if value is None or value == "":
        return "—"
    if kind == "percent":
        return f"{Decimal(value) * 100:.1f}%"
    if kind == "money":
        return f"{Decimal(value):,.2f}"
    if kind == "number":
        return _plain(Decimal(value))
    if kind == "int":
        return f"{value:,}"
    if kind == "month":
        return f"{value:%Y-%m}"
    return str(value)


def _links(table: Table, row: dict[str, Any], scope: Scope) -> dict[str, str]:
    if table.key == "repeat_customers" and scope.can(Perm.VIEW_CUSTOMERS):
        return {"customer": reverse("customers:detail", args=[row["customer_id"]])}
    return {}


def display(table: Table, scope: Scope, limit: int | None = PAGE_ROWS) -> dict[str, Any]:
    """A table ready for the template: formatted cells, numbers right-aligned, first rows."""
    rows = table.rows if limit is None else table.rows[:limit]
    body = []
    for row in rows:
        links = _links(table, row, scope)
        body.append(
            [
                {
                    "text": cell_text(row.get(col.key), col.kind),
                    "num": col.kind not in ("text", "month"),
                    "href": links.get(col.key),
                    "hide": (table.key, col.key) in PHONE_HIDDEN,
                    "nowrap": col.key in NOWRAP,
                }
                for col in table.columns
            ]
        )
    return {
        "key": table.key,
        "title": table.title,
        "note": table.note,
        "columns": [
            {
                "label": c.label,
                "num": c.kind not in ("text", "month"),
                "hide": (table.key, c.key) in PHONE_HIDDEN,
            }
            for c in table.columns
        ],
        "rows": body,
        "total": len(table.rows),
        "cut": len(table.rows) > len(rows),
    }


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def chart_data(report: Report) -> dict[str, Any]:
    """What the charts draw, with their labels already in the page's language."""
    t = report.tables
    trend = t["trend"].rows
    return {
        "trend": {
            "labels": [f"{row['month']:%Y-%m}" for row in trend],
            "bars": [
                {"name": _("Complaints"), "data": [row["complaints"] for row in trend]},
                {"name": _("Major"), "data": [row["major"] for row in trend]},
            ],
            "line": {"name": _("Total cost (yuan)"), "data": [_number(r["cost"]) for r in trend]},
        },
        "cause": _pairs(t["by_cause"].rows, "cause"),
        "outlet": {
            **_pairs(t["by_outlet"].rows[:PAGE_ROWS], "outlet"),
            "line": {
                "name": _("Complaints per 1,000 purchases"),
                "data": [_number(r["per_1000"]) for r in t["by_outlet"].rows[:PAGE_ROWS]],
            },
        },
        "channel": _pairs(t["by_channel"].rows, "label"),
        "responsibility": _pairs(t["by_responsibility"].rows, "label"),
        "cost": {
            "labels": [r["label"] for r in t["cost_by_kind"].rows],
            "values": [_number(r["cost"]) for r in t["cost_by_kind"].rows],
            "name": _("Total cost (yuan)"),
        },
        "series_name": _("Complaints"),
    }


def _pairs(rows: list[dict[str, Any]], label: str) -> dict[str, Any]:
    return {
        "labels": [str(r[label]) for r in rows],
        "values": [r["complaints"] for r in rows],
        "name": _("Complaints"),
    }


# -- the page -----------------------------------------------------------------------------------


def _coefficient_rows(policy, errors: dict[str, str], posted: dict[str, str]) -> list[dict]:
    rows = []
    for c in COEFFICIENTS:
        value = getattr(policy, c.field)
        rows.append(
            {
                "field": c.field,
                "label": c.label,
                "source": c.source,
                "value": posted.get(c.field, _input_value(value)),
                "shown": _input_value(value),
                "default": _input_value(c.default),
                "error": errors.get(c.field),
                "step": "1" if c.integer else str(Decimal(1).scaleb(-c.places)),
                "min": _input_value(c.minimum),
                "max": _input_value(c.maximum),
                "percent": c.maximum == 1 and not c.integer,
            }
        )
    return rows


def _input_value(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _context(
    request: HttpRequest,
    scope: Scope,
    company: Unit,
    filters: Filters,
    report: Report | None,
    *,
    filter_errors: dict[str, str] | None = None,
    coefficient_errors: dict[str, str] | None = None,
    posted: dict[str, str] | None = None,
) -> dict[str, Any]:
    query = urlencode(filters.query())
    if scope.everything:
        query = urlencode({**filters.query(), "company": company.pk})
    context: dict[str, Any] = {
        "company": company,
        "filters": filters,
        "filter_values": {
            "from": request.GET.get("from", f"{filters.start:%Y-%m}"),
            "to": request.GET.get("to", f"{filters.end:%Y-%m}"),
            "unit": filters.unit.pk if filters.unit else None,
        },
        "filter_errors": filter_errors or {},
        "units": analytics.unit_choices(scope, company),
        "query": query,
        "report": report,
        "can_edit": can_edit_coefficients(scope, company),
        "everything": scope.everything,
    }
    if report is not None:
        tables = {key: display(table, scope) for key, table in report.tables.items()}
        context.update(
            {
                "t": tables,
                "charts": chart_data(report),
                "coefficients": _coefficient_rows(
                    report.policy, coefficient_errors or {}, posted or {}
                ),
                "measures": [
                    _measure(report.first_contact, _("Time to first contact"), _("business hours")),
                    _measure(report.resolution, _("Time to resolution"), _("calendar days")),
                ],
                **_iceberg_context(report),
            }
        )
    return context


def _figure(value: Decimal | None) -> str:
    return "—" if value is None else _plain(Decimal(value))


def _measure(stats, title: str, unit: str) -> dict[str, Any]:
    """One time measure, formatted for the page."""
    share = stats.share_within
    return {
        "measure": stats.measure,
        "title": title,
        "unit": unit,
        "share": "—" if share is None else cell_text(share, "percent"),
        "median": _figure(stats.median),
        "p90": _figure(stats.p90),
        "target": _figure(stats.target),
        "major_target": None if stats.major_target is None else _figure(stats.major_target),
        "within": stats.within,
        "late": stats.late,
        "open_overdue": stats.open_overdue,
        "open_in_time": stats.open_in_time,
    }


def _iceberg_context(report: Report) -> dict[str, Any]:
    berg, policy = report.iceberg, report.policy
    return {
        "berg": berg,
        "berg_round": {
            name: f"{berg.rounded(name):,}" for name in ("unhappy", "silent", "told", "kept_tell")
        },
        "fast_share": _percent(policy.kept_when_solved_fast),
        "slow_share": _percent(policy.kept_when_solved),
        "kept_fast": _plain(berg.solved_fast * policy.kept_when_solved_fast),
        "kept_slow": _plain(berg.solved_slow * policy.kept_when_solved),
        "kept_text": _plain(berg.kept),
        "lost_text": _plain(berg.lost),
    }


def _percent(value: Decimal) -> str:
    return f"{_plain(value * 100)}%"


def _errors(exc: InvalidInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    for field, message in exc.field_errors():
        errors.setdefault(field or "", str(message))
    return errors


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The analytics page (or its results fragment for htmx, or an Excel file)."""
    scope = scope_for(request.user)
    company = analytics.analytics_company(scope, request.GET.get("company"))
    try:
        filters = analytics.parse_filters(scope, company, request.GET)
    except InvalidInput as exc:
        filters = analytics.default_filters()
        context = _context(request, scope, company, filters, None, filter_errors=_errors(exc))
        # htmx swaps only successful answers: the fragment shows the errors in place.
        status = 200 if request.htmx else 422
        return render(request, _template(request), context, status=status)
    if request.GET.get("export"):
        return export(request, scope, company, filters)
    report = analytics.report(scope, company, filters)
    return render(request, _template(request), _context(request, scope, company, filters, report))


def _template(request: HttpRequest) -> str:
    if request.htmx and request.htmx.target == "analytics-results":
        return "complaints/_analytics_results.html"
    return "complaints/analytics.html"


@login_required
@require_POST
def coefficients(request: HttpRequest) -> HttpResponse:
    """Save the iceberg's coefficients (administrators and department heads)."""
    scope = scope_for(request.user)
    company = analytics.analytics_company(scope, request.POST.get("company"))
    values = {name: request.POST[name] for name in COEFFICIENT_FIELDS if name in request.POST}
    back = {k: request.POST[k] for k in ("from", "to", "unit", "company") if request.POST.get(k)}
    try:
        update_coefficients(actor=request.user, company=company, values=values)
    except InvalidInput as exc:
        try:
            filters = analytics.parse_filters(scope, company, back)
        except InvalidInput:
            filters = analytics.default_filters()
        report = analytics.report(scope, company, filters)
        context = _context(
            request,
            scope,
            company,
            filters,
            report,
            coefficient_errors=_errors(exc),
            posted={k: str(v) for k, v in values.items()},
        )
        context["coefficients_open"] = True
        context["coefficients_error"] = str(exc.message)
        return render(request, "complaints/analytics.html", context, status=422)
    messages.success(request, _("The coefficients are saved."))
    url = reverse("complaint_analytics:index")
    return redirect(f"{url}?{urlencode(back)}#iceberg" if back else f"{url}#iceberg")


# -- Excel ----------------------------------------------------------------------------------------

_FORMATS = {"money": "#,##0.00", "percent": "0.0%", "number": "0.00", "month": "yyyy-mm"}
# A text cell starting with one of these would be read as a formula by a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _xlsx_cell(sheet, value: Any, kind: str):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, Decimal):
        value = float(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        if value.startswith(_FORMULA_START):
            cell.data_type = "s"  # typed text, never a live formula (formula injection)
    elif kind in _FORMATS and value is not None:
        cell.number_format = _FORMATS[kind]
    return cell


def _sheet_title(title: str, used: set[str]) -> str:
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title)[:28].strip() or "Sheet"
    name, n = clean, 2
    while name in used:
        name = f"{clean[:26]} {n}"
        n += 1
    used.add(name)
    return name


def workbook(report: Report, keys: list[str]) -> bytes:
    """The tables ``keys`` of ``report`` as an .xlsx workbook: one sheet each (header row, then
    the rows; figures as numbers with their format), and a sheet saying what was exported."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    used: set[str] = set()
    for key in keys:
        table = report.tables[key]
        sheet = book.create_sheet(_sheet_title(str(table.title), used))
        sheet.append([_xlsx_cell(sheet, str(c.label), "text") for c in table.columns])
        for row in table.rows:
            sheet.append([_xlsx_cell(sheet, row.get(c.key), c.kind) for c in table.columns])
    about = book.create_sheet(_sheet_title(_("About"), used))
    f = report.filters
    for label, value in (
        (_("Company"), report.company.name),
        (_("Unit"), f.unit.name if f.unit else _("All units in view")),
        (_("From"), f"{f.start:%Y-%m}"),
        (_("To"), f"{f.end:%Y-%m}"),
        (_("Exported at"), f"{timezone.localtime(clock.now()):%Y-%m-%d %H:%M}"),
    ):
        about.append([_xlsx_cell(about, str(label), "text"), _xlsx_cell(about, value, "text")])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def export(request: HttpRequest, scope: Scope, company: Unit, filters: Filters) -> HttpResponse:
    """``?export=xlsx&table=<key>`` (or ``table=all``): the figures as an Excel file."""
    if request.GET.get("export") != "xlsx":
        raise InvalidInput(_("Export to xlsx only."), field="export")
    wanted = request.GET.get("table", "all")
    if wanted != "all" and wanted not in analytics.TABLE_KEYS:
        raise InvalidInput(_("There is no such table."), field="table")
    keys = list(analytics.TABLE_KEYS) if wanted == "all" else [wanted]
    report = analytics.report(scope, company, filters)
    data = workbook(report, keys)
    with transaction.atomic():
        audit(
            actor=request.user,
            action=AuditAction.EXPORT,
            obj=company,
            company_id=company.pk,
            changes={"complaint_analytics": [None, wanted], **_period_changes(filters)},
        )
    name = f"complaints-{wanted}-{filters.start:%Y%m}-{filters.end:%Y%m}.xlsx"
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _period_changes(filters: Filters) -> dict[str, list]:
    return {k: [None, v] for k, v in filters.query().items()}
