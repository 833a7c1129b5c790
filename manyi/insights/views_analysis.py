"""The analyses' pages: service gap, loop closure (and the signals behind each number), word
of mouth, voice of the customer (and the complaints behind a theme), the weekly reports.

Every page reads its figures through the same functions as the API; filters are whole months
and a region or outlet (``from``, ``to``, ``unit``), as on the complaint analytics page. Each
table exports to Excel with ``?export=xlsx&table=<key>``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from manyi.complaints import analytics as complaint_analytics
from manyi.complaints.analytics import Filters, Table
from manyi.complaints.estimates import can_edit_coefficients
from manyi.errors import InvalidInput, NotFound
from manyi.insights import estimates, gap, loop, tables_analysis, voice
from manyi.insights.exports_analysis import cell_text, display, workbook, xlsx_response
from manyi.insights.models_loop import WeeklyReport
from manyi.org.models import Staff, Unit
from manyi.org.scopes import Perm, Scope, scope_for


def _errors(exc: InvalidInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, message in exc.field_errors():
        errors.setdefault(name or "", str(message))
    return errors


def _setup(request: HttpRequest) -> tuple[Scope, Unit, Filters, dict[str, str]]:
    """The reader's scope, company and filters (defaults and the errors on bad filters)."""
    scope = scope_for(request.user)
    company = complaint_analytics.analytics_company(scope, request.GET.get("company"))
    try:
        filters = complaint_analytics.parse_filters(scope, company, request.GET)
        errors: dict[str, str] = {}
    except InvalidInput as exc:
        filters = complaint_analytics.default_filters()
        errors = _errors(exc)
    return scope, company, filters, errors


def _base(request, scope, company, filters, errors, page: str) -> dict[str, Any]:
    query = filters.query()
    if scope.everything:
        query["company"] = str(company.pk)
    return {
        "company": company,
        "filters": filters,
        "filter_values": {
            "from": request.GET.get("from", f"{filters.start:%Y-%m}"),
            "to": request.GET.get("to", f"{filters.end:%Y-%m}"),
            "unit": filters.unit.pk if filters.unit else None,
        },
        "filter_errors": errors,
        "units": complaint_analytics.unit_choices(scope, company),
        "query": urlencode(query),
        "page": page,
        "everything": scope.everything,
    }


def _export(request, tables: dict[str, Table], company, filters, name: str) -> HttpResponse:
    wanted = request.GET.get("table", "all")
    if request.GET.get("export") != "xlsx":
        raise InvalidInput(_("Export to xlsx only."), field="export")
    if wanted != "all" and wanted not in tables:
        raise InvalidInput(_("There is no such table."), field="table")
    chosen = list(tables.values()) if wanted == "all" else [tables[wanted]]
    about = [
        (_("Company"), company.name),
        (_("Unit"), filters.unit.name if filters.unit else _("All units in view")),
        (_("From"), f"{filters.start:%Y-%m}"),
        (_("To"), f"{filters.end:%Y-%m}"),
    ]
    data = workbook(chosen, about)
    return xlsx_response(data, f"{name}-{wanted}-{filters.start:%Y%m}-{filters.end:%Y%m}.xlsx")


def _status(errors: dict) -> int:
    return 422 if errors else 200


# -- loop closure ---------------------------------------------------------------------------------


@login_required
@require_GET
def loop_page(request: HttpRequest) -> HttpResponse:
    """Loop closure: signals, the share closed, the median time, per kind, outlet and person."""
    scope, company, filters, errors = _setup(request)
    report = loop.report(scope, tables_analysis.period_of(company, filters))
    tables = tables_analysis.loop_tables(report, filters)
    if request.GET.get("export"):
        return _export(request, tables, company, filters, "loop-closure")
    context = _base(request, scope, company, filters, errors, "loop")
    total = report.total
    context.update(
        {
            "total": total,
            "t": {key: display(t) for key, t in tables.items()},
            "audit_days": loop.AUDIT_OWNER_DAYS,
            "share_text": cell_text(total.share, "percent"),
            "all_url": tables_analysis._signals_url(filters, state="all"),
            "open_url": tables_analysis._signals_url(filters, state="open"),
            "late_url": tables_analysis._signals_url(filters, state="late"),
            "chart": {
                "labels": [r["label"] for r in tables["by_unit"].rows],
                "share": [
                    None if r["share"] is None else float(r["share"] * 100)
                    for r in tables["by_unit"].rows
                ],
                "name": _("Share closed"),
            },
        }
    )
    return render(request, "insights/loop.html", context, status=_status(errors))


def _signal_filters(request, scope, company, filters) -> tuple[loop.Period, str | None, str]:
    period = tables_analysis.period_of(company, filters)
    errors: list[tuple[str, Any]] = []
    kind = request.GET.get("kind") or None
    if kind is not None and kind not in loop.SOURCES:
        errors.append(("kind", _("Not one of the available choices.")))
    state = request.GET.get("state") or "open"
    if state not in loop.STATES:
        errors.append(("state", _("Not one of the available choices.")))
    unit = period.unit
    if request.GET.get("outlet"):
        unit = complaint_analytics._unit_in_scope(scope, company, request.GET["outlet"])
        if unit is None:
            errors.append(("outlet", _("Choose a region or outlet you can see.")))
    person = None
    raw = request.GET.get("person")
    if raw and raw != "none":
        try:
            person = Staff.objects.filter(company=company, pk=int(raw)).first()
        except (TypeError, ValueError):
            person = None
        if person is None:
            errors.append(("person", _("Choose a person of the company.")))
    if errors:
        raise InvalidInput(_("Some filters are not valid."), errors=errors)
    return (
        loop.Period(company, period.start, period.end, unit=unit, person=person),
        kind,
        state,
    )


def signal_rows(request, scope, company, filters) -> tuple[list[loop.Signal], Table]:
    period, kind, state = _signal_filters(request, scope, company, filters)
    found = loop.open_signals(scope, period, kind=kind, state=state)
    if request.GET.get("person") == "none":
        found = [s for s in found if s.person_id is None]
    units = dict(Unit.objects.filter(pk__in={s.unit_id for s in found}).values_list("pk", "name"))
    people = dict(
        Staff.objects.filter(pk__in={s.person_id for s in found if s.person_id}).values_list(
            "pk", "name"
        )
    )
    return found, tables_analysis.signal_table(found, units, people)


SIGNALS_PAGE = 100


@login_required
@require_GET
def loop_signals(request: HttpRequest) -> HttpResponse:
    """The signals behind a number of the loop-closure page (open ones by default)."""
    scope, company, filters, errors = _setup(request)
    found, table = signal_rows(request, scope, company, filters)
    if request.GET.get("export"):
        return _export(request, {"signals": table}, company, filters, "signals")
    context = _base(request, scope, company, filters, errors, "loop")
    context.update(
        {
            "signals": [
                {**row, "owner_in_time": s.owner_in_time, "link": s.link}
                for s, row in zip(found[:SIGNALS_PAGE], table.rows, strict=False)
            ],
            "count": len(found),
            "cut": len(found) > SIGNALS_PAGE,
            "state": request.GET.get("state") or "open",
            "here": request.GET.urlencode(),
        }
    )
    return render(request, "insights/loop_signals.html", context)


# -- service gap ----------------------------------------------------------------------------------


@login_required
@require_GET
def gap_page(request: HttpRequest) -> HttpResponse:
    """Expectation against perception per factor, for an outlet (or any unit)."""
    scope, company, filters, errors = _setup(request)
    try:
        report = gap.gap_report(scope, company, filters, request.GET.get("instrument"))
    except InvalidInput as exc:
        errors = {**errors, **_errors(exc)}
        report = gap.gap_report(scope, company, filters)
    table = tables_analysis.gap_table(report)
    if request.GET.get("export"):
        return _export(request, {"gap": table}, company, filters, "service-gap")
    context = _base(request, scope, company, filters, errors, "gap")
    if report.instrument is not None:
        context["query"] += "&" + urlencode({"instrument": report.instrument.pk})
    context.update(
        {
            "report": report,
            "table": display(table),
            "chart": {
                "labels": [r.name for r in report.rows],
                "expectation": [r.expectation for r in report.rows],
                "perception": [r.perception for r in report.rows],
                "names": [_("Expectation (importance)"), _("Perception (score)")],
            },
        }
    )
    return render(request, "insights/gap.html", context, status=_status(errors))


# -- word of mouth --------------------------------------------------------------------------------


@login_required
@require_GET
def word_of_mouth_page(request: HttpRequest) -> HttpResponse:
    """Word of mouth and retention: people told, customers kept and lost, with the arithmetic."""
    scope, company, filters, errors = _setup(request)
    result = estimates.word_of_mouth(scope, company, filters)
    tables = tables_analysis.word_of_mouth_tables(result)
    if request.GET.get("export"):
        return _export(request, tables, company, filters, "word-of-mouth")
    context = _base(request, scope, company, filters, errors, "word_of_mouth")
    context.update(
        {
            "w": result,
            "t": {key: display(t) for key, t in tables.items()},
            "lines": {line.key: line for line in result.lines},
            "can_edit": can_edit_coefficients(scope, company),
        }
    )
    return render(request, "insights/word_of_mouth.html", context, status=_status(errors))


# -- voice of the customer ------------------------------------------------------------------------


@login_required
@require_GET
def voice_page(request: HttpRequest) -> HttpResponse:
    """Keyword themes of complaints and survey comments, this period against the one before."""
    scope, company, filters, errors = _setup(request)
    found = voice.themes(scope, company, filters)
    if request.GET.get("export"):
        table = tables_analysis.voice_table(found, filters)
        return _export(request, {"themes": table}, company, filters, "voice")
    table = tables_analysis.voice_table(found, filters, limit=voice.TOP)
    context = _base(request, scope, company, filters, errors, "voice")
    before = voice.previous(filters)
    context.update(
        {
            "table": display(table),
            "rows": table.rows,
            "count": len(found),
            "before": before,
            "chart": {
                "words": [r["word"] for r in table.rows[:15]][::-1],
                "now": [r["total"] for r in table.rows[:15]][::-1],
                "before": [r["total_before"] for r in table.rows[:15]][::-1],
                "names": [_("This period"), _("The period before")],
            },
        }
    )
    return render(request, "insights/voice.html", context, status=_status(errors))


@login_required
@require_GET
def voice_records(request: HttpRequest) -> HttpResponse:
    """The complaints of the period whose text uses a theme's word (keyset pages)."""
    scope, company, filters, errors = _setup(request)
    word = str(request.GET.get("word") or "").strip()[:40]
    rows, cursor = voice.complaint_records(
        scope, company, filters, word=word, after=request.GET.get("after")
    )
    context = _base(request, scope, company, filters, errors, "voice")
    params = {**filters.query(), "word": word}
    context.update(
        {
            "word": word,
            "rows": rows,
            "next_query": urlencode({**params, "after": cursor}) if cursor else "",
        }
    )
    return render(request, "insights/voice_records.html", context)


# -- weekly reports -------------------------------------------------------------------------------


def _reports(scope: Scope):
    qs = WeeklyReport.objects.select_related("unit").order_by("-week", "unit__path")
    return scope.filter(qs, unit_field="unit", perm=Perm.VIEW_REPORTS)


@login_required
@require_GET
def weekly_list(request: HttpRequest) -> HttpResponse:
    """The weekly reports of the units the reader sees, newest week first (one page)."""
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_REPORTS)
    reports = list(_reports(scope)[:200])
    return render(request, "insights/weekly.html", {"reports": reports, "page": "weekly"})


@login_required
@require_GET
def weekly_file(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    """One weekly report's PDF or Excel file (through the storage API)."""
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_REPORTS)
    if fmt not in ("pdf", "xlsx"):
        raise NotFound()
    report = scope.get(WeeklyReport.objects.all(), pk, unit_field="unit", perm=Perm.VIEW_REPORTS)
    name = report.pdf if fmt == "pdf" else report.xlsx
    if not name or not default_storage.exists(name):
        raise NotFound()
    filename = f"weekly-{report.unit_id}-{report.week:%Y%m%d}.{fmt}"
    return FileResponse(default_storage.open(name, "rb"), as_attachment=True, filename=filename)
