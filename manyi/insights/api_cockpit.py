"""The cockpit API under /api/v1/insights/: the figures of the cockpit page as JSON, through the
same query (:func:`manyi.insights.queries.cockpit`).

Percentages are 0–100 (SLA compliance 87.5 = 87.5 %), the complaint rate is per 1,000
purchases, the five-star level 0–5; ``null`` where there is nothing to compute. Months are the
first day of the month; the trend lists twelve values, the oldest first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from manyi.insights import queries
from manyi.insights.queries import Cockpit
from manyi.org.scopes import Perm, scope_for

router = Router(tags=["insights"])


class CockpitQuery(Schema):
    period: str | None = Field(
        None, max_length=10, description="month (default), quarter, year or custom"
    )
    at: str | None = Field(
        None, max_length=7, description="a month of the period, YYYY-MM (default: this month)"
    )
    from_: str | None = Field(None, alias="from", max_length=10, description="custom: YYYY-MM-DD")
    to: str | None = Field(None, max_length=10, description="custom: YYYY-MM-DD, inclusive")
    unit: int | None = Field(None, description="a company, region or outlet id (default: yours)")
    person: int | None = Field(None, description="a staff member's id (instead of a unit)")

    def params(self) -> dict[str, Any]:
        return {"period": self.period, "at": self.at, "from": self.from_, "to": self.to}


class IndicatorOut(Schema):
    code: str
    label: str
    format: str = Field(..., description="index, score, percent, rate, stars or count")
    higher_is_better: bool
    value: float | None
    previous: float | None
    change: float | None
    trend: list[float | None]
    detail: str


class ChildOut(Schema):
    level: str = Field(..., description="unit or person")
    id: int
    name: str
    kind: str
    values: dict[str, float | None]
    counts: dict[str, int]


class StageOut(Schema):
    workflow: str
    workflow_label: str
    stage: str
    stage_label: str
    completions: int
    on_time: int
    rate: float | None
    previous_rate: float | None


class CasesOut(Schema):
    workflow: str
    workflow_label: str
    opened: int
    closed: int


class UnitRef(Schema):
    id: int
    name: str
    kind: str


class CockpitOut(Schema):
    unit: UnitRef
    person: UnitRef | None
    start: dt.date
    end: dt.date
    previous_start: dt.date
    previous_end: dt.date
    months: list[dt.date]
    indicators: list[IndicatorOut]
    child_level: str = Field(..., description="region, outlet, person or empty")
    children: list[ChildOut]
    stages: list[StageOut]
    cases: list[CasesOut]


def cockpit_out(result: Cockpit) -> dict[str, Any]:
    """The cockpit as the API's JSON (also the page's chart data)."""
    person = result.person
    return {
        "unit": {"id": result.unit.pk, "name": result.unit.name, "kind": result.unit.kind},
        "person": ({"id": person.pk, "name": person.name, "kind": person.role} if person else None),
        "start": result.period.start,
        "end": result.period.end,
        "previous_start": result.previous.start,
        "previous_end": result.previous.end,
        "months": result.months,
        "indicators": [
            {
                "code": i.code,
                "label": str(i.label),
                "format": i.fmt,
                "higher_is_better": i.higher_is_better,
                "value": i.value,
                "previous": i.previous,
                "change": i.change,
                "trend": i.trend,
                "detail": i.detail,
            }
            for i in result.indicators
        ],
        "child_level": result.child_level,
        "children": [
            {
                "level": c.level,
                "id": c.pk,
                "name": c.name,
                "kind": str(c.kind),
                "values": c.values,
                "counts": c.counts,
            }
            for c in result.children
        ],
        "stages": [
            {
                "workflow": s.kind,
                "workflow_label": s.workflow,
                "stage": s.stage,
                "stage_label": s.label,
                "completions": s.completions,
                "on_time": s.on_time,
                "rate": s.rate,
                "previous_rate": s.previous,
            }
            for s in result.stages
        ],
        "cases": [
            {
                "workflow": c.kind,
                "workflow_label": c.workflow,
                "opened": c.opened,
                "closed": c.closed,
            }
            for c in result.cases
        ],
    }


@router.get("/cockpit", response=CockpitOut, summary="The cockpit of a unit or a person")
def get_cockpit(request: HttpRequest, query: Query[CockpitQuery]):
    """Every indicator (CSI, NPS, CSAT, complaint rate, SLA compliance, return visits, audit
    score, five-star level, open actions) of a unit or person in the caller's scope, with the
    previous period, the change, a twelve-month trend, the children to drill into, SLA
    compliance per workflow stage and cases opened/closed. A unit or person outside the
    caller's scope is 404; bad dates are a 422 problem naming the field."""
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_REPORTS)
    period = queries.parse_period(query.params())
    result = queries.cockpit(
        scope, unit=query.unit, person=query.person, start=period.start, end=period.end
    )
    return cockpit_out(result)
