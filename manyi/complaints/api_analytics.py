"""Complaint analytics under /api/v1/complaint-analytics/: the figures of the analytics page as
JSON (the same query functions, :mod:`manyi.complaints.analytics`), and the iceberg's
coefficients (read by report readers, changed by administrators and department heads).

Money and estimated figures are decimal strings ("4000.50"), exact as computed; shares are
fractions (0.6667 = 66.67 %); months are the first day of the month.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from manyi.complaints import analytics
from manyi.complaints.analytics import Report, Table, TimeStats
from manyi.complaints.estimates import (
    COEFFICIENTS,
    can_edit_coefficients,
    policy_for,
    update_coefficients,
)
from manyi.errors import InvalidInput, interpolate
from manyi.org.models import Unit
from manyi.org.scopes import scope_for

router = Router(tags=["complaint analytics"])


class PeriodQuery(Schema):
    from_: str | None = Field(
        None,
        alias="from",
        max_length=7,
        description="first month, YYYY-MM (default: 11 months before this one)",
    )
    to: str | None = Field(None, max_length=7, description="last month, YYYY-MM (default: this)")
    unit: int | None = Field(None, description="a region or outlet id (default: all in view)")
    company: int | None = Field(None, description="installation superusers only: the company")

    def params(self) -> dict[str, Any]:
        return {"from": self.from_, "to": self.to, "unit": self.unit}


class ColumnOut(Schema):
    key: str
    label: str
    kind: str = Field(..., description="text, int, money, number, percent or month")


class TableOut(Schema):
    key: str
    title: str
    note: str | None
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]


class TimeOut(Schema):
    measure: str = Field(..., description="first_contact or resolution")
    unit: str = Field(..., description="business_hours (first contact) or days (resolution)")
    target: Decimal
    major_target: Decimal | None = Field(None, description="first contact of a major complaint")
    done: int
    median: Decimal | None
    p90: Decimal | None
    within: int
    late: int
    open_overdue: int
    open_in_time: int
    share_within: Decimal | None = Field(..., description="within ÷ (within + late + open_overdue)")


class IcebergOut(Schema):
    complaints: int
    solved_fast: int
    solved_slow: int
    unsolved: int
    unhappy: Decimal
    silent: Decimal
    told: Decimal
    kept: Decimal
    lost: Decimal
    kept_tell: Decimal
    fast_days: int
    new_customer_cost_factor: Decimal


class CoefficientOut(Schema):
    field: str
    label: str
    value: Decimal
    default: Decimal
    minimum: Decimal
    maximum: Decimal
    source: str = Field(..., description="the seed that states the default (DOMAIN §4)")


class CoefficientsOut(Schema):
    company_id: int
    can_edit: bool
    coefficients: list[CoefficientOut]


class CoefficientsIn(Schema):
    """Only the coefficients sent are changed."""

    unhappy_per_complaint: Decimal | None = None
    unhappy_tells: Decimal | None = None
    satisfied_tells: Decimal | None = None
    kept_when_solved: Decimal | None = None
    kept_when_solved_fast: Decimal | None = None
    fast_days: int | None = None
    new_customer_cost_factor: Decimal | None = None


class TotalsOut(Schema):
    complaints: int
    major: int
    solved: int
    purchases: int
    per_1000: Decimal | None
    repeat_customers: int
    amount: Decimal
    cost: Decimal


class ReportOut(Schema):
    company_id: int
    period: dict[str, Any]
    totals: TotalsOut
    first_contact: TimeOut
    resolution: TimeOut
    iceberg: IcebergOut
    coefficients: list[CoefficientOut]
    tables: dict[str, TableOut]


def _company(request: HttpRequest, company_id: int | None) -> tuple[Any, Unit]:
    scope = scope_for(request.user)
    return scope, analytics.analytics_company(scope, company_id)


def _report(request: HttpRequest, query: PeriodQuery) -> Report:
    scope, company = _company(request, query.company)
    filters = analytics.parse_filters(scope, company, query.params())
    return analytics.report(scope, company, filters)


def table_out(table: Table) -> dict[str, Any]:
    return {
        "key": table.key,
        "title": str(table.title),
        "note": str(table.note) if table.note else None,
        "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in table.columns],
        "rows": table.rows,
    }


def _time_out(stats: TimeStats) -> dict[str, Any]:
    return {
        "measure": stats.measure,
        "unit": stats.unit,
        "target": stats.target,
        "major_target": stats.major_target,
        "done": stats.done,
        "median": stats.median,
        "p90": stats.p90,
        "within": stats.within,
        "late": stats.late,
        "open_overdue": stats.open_overdue,
        "open_in_time": stats.open_in_time,
        "share_within": stats.share_within,
    }


def _coefficients(policy) -> list[dict[str, Any]]:
    def fixed(value: Any, places: int) -> Decimal:
        return Decimal(value).quantize(Decimal(1).scaleb(-places))

    return [
        {
            "field": c.field,
            "label": str(c.label),
            "value": fixed(getattr(policy, c.field), c.places),
            "default": fixed(c.default, c.places),
            "minimum": fixed(c.minimum, c.places),
            "maximum": fixed(c.maximum, c.places),
            "source": str(c.source),
        }
        for c in COEFFICIENTS
    ]


@router.get("/complaint-analytics/", response=ReportOut, summary="All the figures of a period")
def get_report(request: HttpRequest, query: Query[PeriodQuery]):
    """Complaints received in the period (merged duplicates once) in the caller's scope: counts
    per dimension, times against targets, costs, the iceberg, and every table of the page."""
    report = _report(request, query)
    berg = report.iceberg
    f = report.filters
    return {
        "company_id": report.company.pk,
        "period": {"from": f.start, "to": f.end, "unit_id": f.unit.pk if f.unit else None},
        "totals": {
            "complaints": report.total,
            "major": report.major,
            "solved": report.solved,
            "purchases": report.purchases,
            "per_1000": report.per_1000,
            "repeat_customers": report.repeat_customers,
            "amount": report.amount,
            "cost": report.cost,
        },
        "first_contact": _time_out(report.first_contact),
        "resolution": _time_out(report.resolution),
        "iceberg": {
            name: getattr(berg, name)
            for name in IcebergOut.model_fields  # the dataclass holds every figure
        },
        "coefficients": _coefficients(report.policy),
        "tables": {key: table_out(table) for key, table in report.tables.items()},
    }


@router.get(
    "/complaint-analytics/tables/{key}", response=TableOut, summary="One table of the figures"
)
def get_table(request: HttpRequest, key: str, query: Query[PeriodQuery]):
    """One table (``by_cause``, ``by_outlet``, ``trend``, …: see ``tables`` of the report)."""
    scope, company = _company(request, query.company)
    if key not in analytics.TABLE_KEYS:
        message = interpolate(
            _("Choose one of: %(keys)s."), {"keys": ", ".join(analytics.TABLE_KEYS)}
        )
        raise InvalidInput(message, field="key")
    filters = analytics.parse_filters(scope, company, query.params())
    return table_out(analytics.report(scope, company, filters).tables[key])


@router.get("/complaint-analytics/coefficients", response=CoefficientsOut)
def get_coefficients(request: HttpRequest, company: int | None = None):
    """The company's estimate coefficients with their defaults and sources."""
    scope, unit = _company(request, company)
    return {
        "company_id": unit.pk,
        "can_edit": can_edit_coefficients(scope, unit),
        "coefficients": _coefficients(policy_for(unit)),
    }


@router.put("/complaint-analytics/coefficients", response=CoefficientsOut)
def put_coefficients(request: HttpRequest, payload: CoefficientsIn, company: int | None = None):
    """Change coefficients (administrators and department heads); one bad value changes
    nothing."""
    scope, unit = _company(request, company)
    values = payload.model_dump(exclude_unset=True)
    policy = update_coefficients(actor=request.user, company=unit, values=values)
    return {
        "company_id": unit.pk,
        "can_edit": True,
        "coefficients": _coefficients(policy),
    }
