"""The analyses' API under /api/v1/insights/: loop closure (and the signals behind it), service
gap, word of mouth, voice of the customer, weekly reports — the same functions as the pages.

Periods are whole months (``from``/``to`` as YYYY-MM, ``unit`` a region or outlet id), as on the
complaint analytics API. Shares are fractions (0.6667 = 66.67 %); estimates decimal strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from manyi.complaints import analytics as complaint_analytics
from manyi.complaints.analytics import Filters, Table
from manyi.complaints.estimates import can_edit_coefficients
from manyi.errors import InvalidInput
from manyi.insights import estimates, gap, loop, tables_analysis, voice
from manyi.insights.models_loop import WeeklyReport
from manyi.org.models import Staff, Unit
from manyi.org.scopes import Perm, Scope, scope_for

router = Router(tags=["insights"])


class PeriodQuery(Schema):
    from_: str | None = Field(
        None, alias="from", max_length=7, description="first month, YYYY-MM (default: a year)"
    )
    to: str | None = Field(None, max_length=7, description="last month, YYYY-MM (default: this)")
    unit: int | None = Field(None, description="a region or outlet id (default: all in view)")
    company: int | None = Field(None, description="installation superusers only: the company")

    def params(self) -> dict[str, Any]:
        return {"from": self.from_, "to": self.to, "unit": self.unit}


class ColumnOut(Schema):
    key: str
    label: str
    kind: str


class TableOut(Schema):
    key: str
    title: str
    note: str | None
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]


class ClosureOut(Schema):
    signals: int
    owner_in_time: int
    finished: int
    closed: int
    open: int
    share: Decimal | None = Field(..., description="closed ÷ signals")
    median_days: Decimal | None = Field(..., description="signal to finished action, days")


class LoopOut(Schema):
    start: str
    end: str
    audit_owner_days: int
    total: ClosureOut
    by_kind: TableOut
    by_unit: TableOut
    by_person: TableOut


class SignalOut(Schema):
    kind: str
    ref: int
    unit_id: int
    person_id: int | None
    occurred_at: Any
    owner_due: Any
    owner_at: Any
    finished_at: Any
    owner_in_time: bool
    finished: bool
    closed: bool
    link: str


class SignalsQuery(PeriodQuery):
    state: str = Field("open", description="open, late, closed or all")
    kind: str | None = Field(None, description="survey, return_visit, complaint or audit")
    outlet: int | None = Field(None, description="one outlet or region (overrides unit)")
    person: str | None = Field(None, description="a staff id, or 'none' for no owner")


class GapRowOut(Schema):
    code: str
    name: str
    expectation: float | None
    perception: float | None
    gap: float | None
    expectation_n: int
    perception_n: int


class GapOut(Schema):
    instrument_id: int | None
    instruments: list[dict[str, Any]]
    rows: list[GapRowOut]


class LineOut(Schema):
    key: str
    label: str
    formula: str
    value: Decimal
    source: str


class WordOfMouthOut(Schema):
    counts: dict[str, int]
    lines: list[LineOut]
    coefficients: TableOut
    can_edit: bool
    edit_url: str = Field(..., description="where the coefficients are changed (one set)")


class ThemeOut(Schema):
    word: str
    total: int
    total_before: int
    change: int
    trend: str = Field(..., description="new, up, down or steady")
    surveys: int
    complaints: int
    surveys_url: str
    complaints_url: str


class WeeklyOut(Schema):
    id: int
    unit_id: int
    unit: str
    week: Any
    sent_at: Any
    pdf_url: str
    xlsx_url: str


def _setup(request: HttpRequest, query: PeriodQuery) -> tuple[Scope, Unit, Filters]:
    scope = scope_for(request.user)
    company = complaint_analytics.analytics_company(scope, query.company)
    return scope, company, complaint_analytics.parse_filters(scope, company, query.params())


def table_out(table: Table) -> dict[str, Any]:
    return {
        "key": table.key,
        "title": str(table.title),
        "note": str(table.note) if table.note else None,
        "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in table.columns],
        "rows": table.rows,
    }


def _closure(c: loop.Closure) -> dict[str, Any]:
    return {
        "signals": c.signals,
        "owner_in_time": c.owner_in_time,
        "finished": c.finished,
        "closed": c.closed,
        "open": c.open,
        "share": c.share,
        "median_days": c.median_days,
    }


@router.get("/loop-closure", response=LoopOut, summary="Loop closure of a period")
def get_loop(request: HttpRequest, query: Query[PeriodQuery]):
    """Negative signals of the period, the share that got an owner in time and a finished
    action, and the median days to that action — in all, per kind, outlet and person. Each
    row's ``*_href`` links to its signals."""
    scope, company, filters = _setup(request, query)
    period = tables_analysis.period_of(company, filters)
    report = loop.report(scope, period)
    tables = tables_analysis.loop_tables(report, filters)
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "audit_owner_days": loop.AUDIT_OWNER_DAYS,
        "total": _closure(report.total),
        **{key: table_out(t) for key, t in tables.items()},
    }


@router.get("/loop-closure/signals", response=list[SignalOut], summary="The signals behind")
def get_signals(request: HttpRequest, query: Query[SignalsQuery]):
    """The signals of the period in a state (``open``: no finished action yet)."""
    scope, company, filters = _setup(request, query)
    errors: list[tuple[str, Any]] = []
    if query.state not in loop.STATES:
        errors.append(("state", _("Not one of the available choices.")))
    if query.kind is not None and query.kind not in loop.SOURCES:
        errors.append(("kind", _("Not one of the available choices.")))
    unit = filters.unit
    if query.outlet is not None:
        unit = complaint_analytics._unit_in_scope(scope, company, query.outlet)
        if unit is None:
            errors.append(("outlet", _("Choose a region or outlet you can see.")))
    person = None
    if query.person not in (None, "", "none"):
        person = Staff.objects.filter(
            company=company, pk=int(query.person) if str(query.person).isdigit() else -1
        ).first()
        if person is None:
            errors.append(("person", _("Choose a person of the company.")))
    if errors:
        raise InvalidInput(_("Some filters are not valid."), errors=errors)
    base = tables_analysis.period_of(company, filters)
    period = loop.Period(company, base.start, base.end, unit=unit, person=person)
    found = loop.open_signals(scope, period, kind=query.kind, state=query.state)
    if query.person == "none":
        found = [s for s in found if s.person_id is None]
    return [
        {
            "kind": s.kind,
            "ref": s.ref,
            "unit_id": s.unit_id,
            "person_id": s.person_id,
            "occurred_at": s.occurred_at,
            "owner_due": s.owner_due,
            "owner_at": s.owner_at,
            "finished_at": s.finished_at,
            "owner_in_time": s.owner_in_time,
            "finished": s.finished,
            "closed": s.closed,
            "link": s.link,
        }
        for s in found
    ]


@router.get("/service-gap", response=GapOut, summary="Expectation against perception")
def get_gap(request: HttpRequest, query: Query[PeriodQuery], instrument: int | None = None):
    """Per factor of a questionnaire that asks importance: expectation, perception, the gap."""
    scope, company, filters = _setup(request, query)
    report = gap.gap_report(scope, company, filters, instrument)
    return {
        "instrument_id": report.instrument.pk if report.instrument else None,
        "instruments": [{"id": i.pk, "name": i.name} for i in report.instruments],
        "rows": [
            {
                "code": r.code,
                "name": r.name,
                "expectation": r.expectation,
                "perception": r.perception,
                "gap": r.gap,
                "expectation_n": r.expectation_n,
                "perception_n": r.perception_n,
            }
            for r in report.rows
        ],
    }


@router.get("/word-of-mouth", response=WordOfMouthOut, summary="Word of mouth and retention")
def get_word_of_mouth(request: HttpRequest, query: Query[PeriodQuery]):
    """People told and customers kept and lost, with each coefficient and its seed."""
    scope, company, filters = _setup(request, query)
    result = estimates.word_of_mouth(scope, company, filters)
    c = result.counts
    return {
        "counts": {
            "survey_satisfied": c.survey_satisfied,
            "survey_unhappy": c.survey_unhappy,
            "visit_satisfied": c.visit_satisfied,
            "visit_unhappy": c.visit_unhappy,
            "satisfied": c.satisfied,
            "unhappy": c.unhappy,
            "complaints": c.complaints,
            "solved_fast": c.solved_fast,
            "solved_slow": c.solved_slow,
        },
        "lines": [line.__dict__ for line in result.lines],
        "coefficients": table_out(tables_analysis.word_of_mouth_tables(result)["coefficients"]),
        "can_edit": can_edit_coefficients(scope, company),
        "edit_url": "/api/v1/complaint-analytics/coefficients",
    }


@router.get("/voice", response=list[ThemeOut], summary="Voice of the customer: themes")
def get_voice(request: HttpRequest, query: Query[PeriodQuery]):
    """Keyword themes of complaints and survey comments, against the period before."""
    scope, company, filters = _setup(request, query)
    table = tables_analysis.voice_table(voice.themes(scope, company, filters), filters)
    return [
        {
            "word": r["word"],
            "total": r["total"],
            "total_before": r["total_before"],
            "change": r["change"],
            "trend": r["trend_key"],
            "surveys": r["surveys"],
            "complaints": r["complaints"],
            "surveys_url": r["surveys_href"],
            "complaints_url": r["complaints_href"],
        }
        for r in table.rows
    ]


@router.get("/weekly-reports", response=list[WeeklyOut], summary="Weekly reports")
def get_weekly(request: HttpRequest):
    """The weekly reports of the units the caller sees, newest week first (the latest 200)."""
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_REPORTS)
    qs = scope.filter(
        WeeklyReport.objects.select_related("unit").order_by("-week", "unit__path"),
        unit_field="unit",
        perm=Perm.VIEW_REPORTS,
    )
    return [
        {
            "id": r.pk,
            "unit_id": r.unit_id,
            "unit": r.unit.name,
            "week": r.week,
            "sent_at": r.sent_at,
            "pdf_url": reverse("insights:weekly-file", args=[r.pk, "pdf"]),
            "xlsx_url": reverse("insights:weekly-file", args=[r.pk, "xlsx"]),
        }
        for r in qs[:200]
    ]
