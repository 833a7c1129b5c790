"""Survey results under /api/v1/survey-results: the figures of the results page as JSON (the
same query functions, :mod:`manyi.surveys.results`), and the comments behind a theme.

Readers need ``Perm.VIEW_REPORTS`` and see their subtree. Scores are 0–100, NPS −100…100,
shares and rates in % (50.0 = half); ``None`` where nothing was counted. Months are the first
day of the month.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from manyi.org.scopes import scope_for
from manyi.surveys import results
from manyi.surveys.results import FactorFigure, ItemFigure, Report, Sums, Table

router = Router(tags=["survey results"])


class ResultsQuery(Schema):
    instrument: int | None = Field(
        None, ge=1, lt=2**63, description="default: the most answered instrument in view"
    )
    version: int | None = Field(None, ge=1, lt=2**63, description="default: all versions")
    from_: str | None = Field(
        None, alias="from", max_length=7, description="first month, YYYY-MM (default: 11 before)"
    )
    to: str | None = Field(None, max_length=7, description="last month, YYYY-MM (default: this)")
    unit: int | None = Field(None, ge=1, lt=2**63, description="a region or outlet in view")
    technician: int | None = Field(None, ge=1, lt=2**63, description="a technician in view")
    campaign: int | None = Field(None, ge=1, lt=2**63, description="a campaign in view")
    company: int | None = Field(None, description="installation superusers only: the company")

    def params(self) -> dict[str, Any]:
        values = {
            "instrument": self.instrument,
            "version": self.version,
            "from": self.from_,
            "to": self.to,
            "unit": self.unit,
            "technician": self.technician,
            "campaign": self.campaign,
        }
        return {k: v for k, v in values.items() if v not in (None, "")}


class CommentsQuery(ResultsQuery):
    item: str = Field(..., max_length=20, description="the code of a free-text question")
    word: str = Field("", max_length=40, description="a keyword (a theme); empty: every comment")
    after: int | None = Field(None, ge=1, lt=2**63, description="next_cursor of the last page")


class FiguresOut(Schema):
    responses: int
    sent: int = Field(..., description="invitations sent in the period")
    answered: int = Field(..., description="of those, answered so far")
    response_rate: float | None = Field(..., description="answered ÷ sent, in %")
    indexed: int
    index: float | None = Field(..., description="mean index, 0–100")
    promoters: int
    passives: int
    detractors: int
    nps: float | None = Field(..., description="% promoters − % detractors")
    csat_answered: int
    csat_top2: int
    csat: float | None = Field(..., description="% of 4 or 5 on the 5-point question")
    unhappy: int
    unhappy_share: float | None


class FactorOut(Schema):
    code: str
    name: str
    weight: float
    responses: int
    mean: float | None


class ShareOut(Schema):
    value: str
    label: str
    count: int
    share: float = Field(..., description="% of the question's answers")


class ThemeOut(Schema):
    word: str
    count: int = Field(..., description="answers using the keyword")


class ItemOut(Schema):
    code: str
    number: int
    text: str
    type: str
    factor: str | None
    answers: int
    mean: float | None = Field(..., description="mean score 0–100 (None: not scored)")
    distribution: list[ShareOut]
    themes: list[ThemeOut] = Field(..., description="free-text questions: the top keywords")


class ColumnOut(Schema):
    key: str
    label: str
    kind: str = Field(..., description="text, int, number, signed, percent or month")


class TableOut(Schema):
    key: str
    title: str
    note: str | None
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]


class FiltersOut(Schema):
    instrument_id: int | None
    instrument: str | None
    versions: list[int]
    version_id: int | None
    from_: dt.date = Field(..., alias="from")
    to: dt.date
    unit_id: int | None
    technician_id: int | None
    campaign_id: int | None


class ResultsOut(Schema):
    company_id: int
    filters: FiltersOut
    totals: FiguresOut
    previous: FiguresOut = Field(..., description="the period of the same length just before")
    factors: list[FactorOut]
    items: list[ItemOut]
    strengths: list[str] = Field(..., description="codes of the best questions")
    weaknesses: list[str] = Field(..., description="codes of the worst questions")
    strong_factors: list[str]
    weak_factors: list[str]
    tables: list[TableOut]


class CommentOut(Schema):
    id: int
    response_id: int
    outlet: str
    text: str
    submitted_at: dt.datetime
    index: float | None
    nps_value: int | None


class CommentPageOut(Schema):
    items: list[CommentOut]
    next_cursor: int | None = Field(None, description="pass as ?after= for the next page")


def _figures(sums: Sums) -> dict[str, Any]:
    return sums.figures()


def _factor(fig: FactorFigure) -> dict[str, Any]:
    return {
        "code": fig.code,
        "name": fig.name,
        "weight": fig.weight,
        "responses": fig.n,
        "mean": fig.mean,
    }


def _item(item: ItemFigure) -> dict[str, Any]:
    text = item.type == "text"
    return {
        "code": item.code,
        "number": item.number,
        "text": item.text,
        "type": item.type,
        "factor": item.factor,
        "answers": item.answers,
        "mean": item.mean,
        "distribution": [] if text else item.distribution(),
        "themes": [{"word": w, "count": n} for w, n in item.themes()] if text else [],
    }


def _table(table: Table) -> dict[str, Any]:
    return {
        "key": table.key,
        "title": str(table.title),
        "note": str(table.note) if table.note else None,
        "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in table.columns],
        "rows": table.rows,
    }


def results_out(report: Report) -> dict[str, Any]:
    """The report as the API returns it."""
    f = report.filters
    return {
        "company_id": report.company.pk,
        "filters": {
            "instrument_id": f.instrument.pk if f.instrument else None,
            "instrument": f.instrument.name if f.instrument else None,
            "versions": list(f.versions),
            "version_id": f.version.pk if f.version else None,
            "from": f.start,
            "to": f.end,
            "unit_id": f.unit.pk if f.unit else None,
            "technician_id": f.technician.pk if f.technician else None,
            "campaign_id": f.campaign.pk if f.campaign else None,
        },
        "totals": _figures(report.totals),
        "previous": _figures(report.previous),
        "factors": [_factor(fig) for fig in report.factors],
        "items": [_item(i) for i in report.items],
        "strengths": [i.code for i in report.strengths],
        "weaknesses": [i.code for i in report.weaknesses],
        "strong_factors": [fig.code for fig in report.strong_factors],
        "weak_factors": [fig.code for fig in report.weak_factors],
        "tables": [_table(t) for t in report.tables.values()],
    }


@router.get(
    "/survey-results",
    response=ResultsOut,
    by_alias=True,
    summary="The figures of the results page for an instrument, a period and a selection",
)
def get_results(request: HttpRequest, params: Query[ResultsQuery]):
    scope = scope_for(request.user)
    company = results.results_company(scope, params.company)
    filters = results.parse_filters(scope, company, params.params())
    return results_out(results.report(scope, company, filters))


@router.get(
    "/survey-results/comments",
    response=CommentPageOut,
    summary="The free-text answers to a question, with a keyword, newest first",
)
def get_comments(request: HttpRequest, params: Query[CommentsQuery]):
    scope = scope_for(request.user)
    company = results.results_company(scope, params.company)
    filters = results.parse_filters(scope, company, params.params())
    page = results.comment_page(
        scope, company, filters, item=params.item, word=params.word, after=params.after
    )
    return {
        "items": [
            {
                "id": a.pk,
                "response_id": a.response.pk,
                "outlet": a.unit.name,
                "text": a.text,
                "submitted_at": a.response.submitted_at,
                "index": a.response.index,
                "nps_value": a.response.nps_value,
            }
            for a in page.items
        ],
        "next_cursor": page.next_cursor,
    }
