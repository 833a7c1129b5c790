"""The survey results pages: filters in the URL, figures, ECharts charts, Excel exports, and the
answers behind a comment theme.

The figures come from :mod:`manyi.surveys.results` (the same functions the API calls); this
module only formats them. Charts get their data through ``json_script`` and draw in
``static/surveys/results.js`` (no inline script).
"""

from __future__ import annotations

from io import BytesIO
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from manyi import clock
from manyi.errors import InvalidInput
from manyi.instruments.models import ItemType
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Unit
from manyi.org.scopes import Perm, Scope, scope_for
from manyi.surveys import results
from manyi.surveys.results import Filters, Report, Table

# Long tables show their first rows on the page; the export has them all.
PAGE_ROWS = 15
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILTER_NAMES = ("instrument", "version", "from", "to", "unit", "technician", "campaign")


# -- formatting ---------------------------------------------------------------------------------


def cell_text(value: Any, kind: str) -> str:
    """A figure as the page shows it: one decimal for scores and shares, a sign for NPS."""
    if value is None or value == "":
        return "—"
    if kind == "percent":
        return f"{value:.1f}%"
    if kind == "signed":
        return f"{value:+.1f}".replace("-", "−")
    if kind == "number":
        return f"{value:,.1f}"
    if kind == "int":
        return f"{value:,}"
    if kind == "month":
        return f"{value:%Y-%m}"
    return str(value)


def _numeric(kind: str) -> bool:
    return kind not in ("text", "month")


def display(table: Table, limit: int | None = PAGE_ROWS) -> dict[str, Any]:
    """A table ready for the template: formatted cells, numbers right-aligned, first rows."""
    rows = table.rows if limit is None else table.rows[:limit]
    return {
        "key": table.key,
        "title": table.title,
        "note": table.note,
        "columns": [{"label": c.label, "num": _numeric(c.kind)} for c in table.columns],
        "rows": [
            [
                {"text": cell_text(row.get(c.key), c.kind), "num": _numeric(c.kind)}
                for c in table.columns
            ]
            for row in rows
        ],
        "total": len(table.rows),
        "cut": len(table.rows) > len(rows),
    }


def _round(value: float | None, places: int = 1) -> float | None:
    return None if value is None else round(value, places)


def delta(now: float | None, before: float | None) -> str:
    """The change against the previous period ("+2.5", "−1.0"), or "" when not comparable."""
    if now is None or before is None:
        return ""
    return f"{now - before:+.1f}".replace("-", "−")


def tiles(report: Report) -> list[dict[str, Any]]:
    """The headline figures with their change against the previous period."""
    t, p = report.totals, report.previous
    out = [
        {
            "key": "responses",
            "label": _("Responses"),
            "value": f"{t.responses:,}",
            "delta": f"{t.responses - p.responses:+,}".replace("-", "−") if p.responses else "",
            "note": _("unhappy: %(n)s") % {"n": f"{t.unhappy:,}"},
        },
        {
            "key": "response_rate",
            "label": _("Response rate"),
            "value": cell_text(t.response_rate, "percent"),
            "delta": delta(t.response_rate, p.response_rate),
            "note": _("%(answered)s of %(sent)s invitations")
            % {"answered": f"{t.answered:,}", "sent": f"{t.sent:,}"},
        },
    ]
    if report.has_index:
        out.append(
            {
                "key": "index",
                "label": _("Index (0–100)"),
                "value": cell_text(t.index, "number"),
                "delta": delta(t.index, p.index),
                "note": _("mean of %(n)s responses") % {"n": f"{t.indexed:,}"},
            }
        )
    if report.has_nps:
        out.append(
            {
                "key": "nps",
                "label": _("NPS"),
                "value": cell_text(t.nps, "signed"),
                "delta": delta(t.nps, p.nps),
                "note": _("promoters %(p)s · passives %(m)s · detractors %(d)s")
                % {
                    "p": cell_text(t.share(t.promoters), "percent"),
                    "m": cell_text(t.share(t.passives), "percent"),
                    "d": cell_text(t.share(t.detractors), "percent"),
                },
            }
        )
    if report.has_csat:
        out.append(
            {
                "key": "csat",
                "label": _("CSAT"),
                "value": cell_text(t.csat, "percent"),
                "delta": delta(t.csat, p.csat),
                "note": _("4 or 5 of 5: %(top)s of %(n)s")
                % {"top": f"{t.csat_top2:,}", "n": f"{t.csat_answered:,}"},
            }
        )
    return out


def chart_data(report: Report) -> dict[str, Any]:
    """What the charts draw, with their labels already in the page's language."""
    f = report.filters
    trend = report.tables["trend"].rows
    lines = []
    if report.has_index:
        lines.append({"name": _("Index"), "data": [_round(r["index"]) for r in trend]})
    if report.has_nps:
        lines.append({"name": _("NPS"), "data": [_round(r["nps"]) for r in trend]})
    if report.has_csat:
        lines.append({"name": _("CSAT %"), "data": [_round(r["csat"]) for r in trend]})
    outlets = report.tables["by_outlet"].rows[:PAGE_ROWS]
    main, main_name = _main_figure(report)
    # The rating scales side by side (their points low to high); a 0–10 question has the pie.
    scales = [i for i in report.items if i.type == ItemType.SCALE and i.answers]
    points: dict[str, str] = {}
    for item in scales:
        for value, label in item.labels.items():
            points.setdefault(value, label)
    return {
        "months": [f"{m:%Y-%m}" for m in f.months],
        "trend": {
            "bars": {"name": _("Responses"), "data": [r["responses"] for r in trend]},
            "lines": lines,
        },
        "factors": {
            "labels": [fig.name for fig in report.factors],
            "values": [_round(fig.mean) for fig in report.factors],
            "name": _("Mean score (0–100)"),
        },
        "factor_trend": {
            "lines": [
                {"name": fig.name, "data": [_round(v) for v in report.factor_trend[fig.code]]}
                for fig in report.factors
            ]
        },
        "outlets": {
            "labels": [r["name"] for r in outlets],
            "values": [_round(r[main]) for r in outlets],
            "name": main_name,
            "average": _round(getattr(report.totals, main)),
            "average_name": _("All in view"),
        },
        "distribution": {
            "labels": [f"{i.number}. {i.text}" for i in scales],
            "series": [
                {
                    "name": label,
                    "data": [
                        _round(i.values.get(value, 0) * 100.0 / i.answers) if i.answers else None
                        for i in scales
                    ],
                }
                for value, label in points.items()
            ],
        },
        "nps_split": {
            "labels": [_("Promoters (9–10)"), _("Passives (7–8)"), _("Detractors (0–6)")],
            "values": [report.totals.promoters, report.totals.passives, report.totals.detractors],
            "name": _("NPS answers"),
        }
        if report.has_nps
        else None,
    }


def _main_figure(report: Report) -> tuple[str, str]:
    """The figure outlets are compared by: the index, else NPS, else CSAT."""
    if report.has_index:
        return "index", _("Index")
    if report.has_nps:
        return "nps", _("NPS")
    return "csat", _("CSAT %")


# -- the page -----------------------------------------------------------------------------------


def _query(filters: Filters | None, company: Unit, scope: Scope) -> str:
    params = filters.query() if filters else {}
    if scope.everything:
        params["company"] = str(company.pk)
    return urlencode(params)


def _errors(exc: InvalidInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    for field, message in exc.field_errors():
        errors.setdefault(field or "", str(message))
    return errors


def _context(
    request: HttpRequest,
    scope: Scope,
    company: Unit,
    choices: list[results.InstrumentChoice],
    filters: Filters | None,
    report: Report | None,
    filter_errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    get = request.GET
    values = {name: get.get(name, "") for name in FILTER_NAMES}
    if filters is not None:
        values.update({k: v for k, v in filters.query().items() if not get.get(k)})
    chosen = next(
        (c for c in choices if str(c.instrument.pk) == str(values.get("instrument"))),
        choices[0] if choices else None,
    )
    context: dict[str, Any] = {
        "company": company,
        "everything": scope.everything,
        "choices": choices,
        "versions": chosen.versions if chosen else [],
        "units": results.unit_choices(scope, company),
        "technicians": results.technician_choices(scope, company),
        "campaigns": results.campaign_choices(scope, company),
        "values": values,
        "filter_errors": filter_errors or {},
        "filters": filters,
        "query": _query(filters, company, scope),
        "report": report,
    }
    if report is not None:
        context.update(
            {
                "t": {key: display(table) for key, table in report.tables.items()},
                "tiles": tiles(report),
                "charts": chart_data(report),
                "items": [_item_view(i) for i in report.items if i.type != ItemType.TEXT],
                "themes": [
                    {
                        "code": i.code,
                        "number": i.number,
                        "text": i.text,
                        "answers": i.answers,
                        "words": i.themes(),
                    }
                    for i in report.text_items
                ],  # fmt: skip
                "strengths": [_item_view(i) for i in report.strengths],
                "weaknesses": [_item_view(i) for i in report.weaknesses],
                "strong_factors": report.strong_factors,
                "weak_factors": report.weak_factors,
            }
        )
    return context


def _item_view(item: results.ItemFigure) -> dict[str, Any]:
    return {
        "code": item.code,
        "number": item.number,
        "text": item.text,
        "answers": item.answers,
        "mean": cell_text(item.mean, "number"),
        "distribution": [
            {**d, "share_text": cell_text(d["share"], "percent")} for d in item.distribution()
        ],
    }


def _template(request: HttpRequest) -> str:
    if request.htmx and request.htmx.target == "results-body":
        return "surveys/_results.html"
    return "surveys/results.html"


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The results page (or its body for htmx, or an Excel file)."""
    scope = scope_for(request.user)
    company = results.results_company(scope, request.GET.get("company"))
    choices = results.instrument_choices(scope, company)
    try:
        filters = results.parse_filters(scope, company, request.GET, choices=choices)
    except InvalidInput as exc:
        context = _context(request, scope, company, choices, None, None, _errors(exc))
        # htmx swaps only successful answers: the fragment shows the errors in place.
        return render(request, _template(request), context, status=200 if request.htmx else 422)
    if request.GET.get("export"):
        return export(request, scope, company, filters)
    report = results.report(scope, company, filters)
    context = _context(request, scope, company, choices, filters, report)
    return render(request, _template(request), context)


@login_required
@require_GET
def comments(request: HttpRequest) -> HttpResponse:
    """The free-text answers behind a theme (an item's answers containing a keyword)."""
    scope = scope_for(request.user)
    company = results.results_company(scope, request.GET.get("company"))
    filters = results.parse_filters(scope, company, request.GET)
    item = str(request.GET.get("item") or "")[:20]
    word = str(request.GET.get("word") or "").strip()[:40]
    page = results.comment_page(
        scope, company, filters, item=item, word=word, after=request.GET.get("after")
    )
    query = _query(filters, company, scope)
    base = urlencode({"item": item, "word": word})
    return render(
        request,
        "surveys/results_comments.html",
        {
            "company": company,
            "filters": filters,
            "word": word,
            "item": item,
            "page": page,
            "query": query,
            "next_query": f"{query}&{base}&after={page.next_cursor}" if page.next_cursor else "",
            "can_open": scope.can(Perm.MANAGE_SURVEYS),
        },
    )


# -- Excel ----------------------------------------------------------------------------------------

_FORMATS = {"number": "0.0", "signed": "+0.0;-0.0;0.0", "percent": "0.0%", "month": "yyyy-mm"}
# A text cell starting with one of these would be read as a formula by a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def xlsx_cell(sheet, value: Any, kind: str):
    """One write-only cell: numbers with their format (percent as a fraction), text never a
    formula (formula injection: a comment may start with "=")."""
    from openpyxl.cell import WriteOnlyCell

    if kind == "percent" and isinstance(value, int | float):
        value = value / 100.0
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        if value.startswith(_FORMULA_START):
            cell.data_type = "s"  # typed text, never a live formula
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
    every row; figures as numbers with their format), and a sheet saying what was exported."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    used: set[str] = set()
    for key in keys:
        table = report.tables[key]
        sheet = book.create_sheet(_sheet_title(str(table.title), used))
        sheet.append([xlsx_cell(sheet, str(c.label), "text") for c in table.columns])
        for row in table.rows:
            sheet.append([xlsx_cell(sheet, row.get(c.key), c.kind) for c in table.columns])
    about = book.create_sheet(_sheet_title(_("About"), used))
    f = report.filters
    for label, value in (
        (_("Company"), report.company.name),
        (_("Instrument"), f.instrument.name if f.instrument else "—"),
        (_("Version"), str(f.version.number) if f.version else _("All versions")),
        (_("Unit"), f.unit.name if f.unit else _("All units in view")),
        (_("Technician"), f.technician.name if f.technician else "—"),
        (_("Campaign"), f.campaign.name if f.campaign else "—"),
        (_("From"), f"{f.start:%Y-%m}"),
        (_("To"), f"{f.end:%Y-%m}"),
        (_("Exported at"), f"{timezone.localtime(clock.now()):%Y-%m-%d %H:%M}"),
    ):
        about.append([xlsx_cell(about, str(label), "text"), xlsx_cell(about, value, "text")])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def export(request: HttpRequest, scope: Scope, company: Unit, filters: Filters) -> HttpResponse:
    """``?export=xlsx&table=<key>`` (or ``table=all``): the figures as an Excel file."""
    if request.GET.get("export") != "xlsx":
        raise InvalidInput(_("Export to xlsx only."), field="export")
    wanted = request.GET.get("table", "all")
    if wanted != "all" and wanted not in results.TABLE_KEYS:
        raise InvalidInput(_("There is no such table."), field="table")
    keys = list(results.TABLE_KEYS) if wanted == "all" else [wanted]
    report = results.report(scope, company, filters)
    data = workbook(report, keys)
    with transaction.atomic():
        audit(
            actor=request.user,
            action=AuditAction.EXPORT,
            obj=company,
            company_id=company.pk,
            changes={"survey_results": [None, wanted]}
            | {k: [None, v] for k, v in filters.query().items()},
        )
    name = f"survey-results-{wanted}-{filters.start:%Y%m}-{filters.end:%Y%m}.xlsx"
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
