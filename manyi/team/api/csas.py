"""CSAS rounds (003 P-092..096) in the API: open, answer anonymously, close, results, trend."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Schema, Status

from manyi.errors import InvalidInput, NotFound
from manyi.org.scopes import Perm, scope_for
from manyi.team.actions import csas as actions
from manyi.team.api import router
from manyi.team.queries import csas as queries
from manyi.team.views.common import unit_from


class RoundOut(Schema):
    id: int
    name: str
    unit_id: int
    unit_name: str = Field(..., alias="unit.name")
    version_id: int
    status: str
    is_open: bool
    closes_on: dt.date | None
    member_count: int
    answer_count: int
    results_visible: bool
    opened_at: dt.datetime
    closed_at: dt.datetime | None


class RoundPage(Schema):
    items: list[RoundOut]
    next_cursor: int | None


class RoundIn(Schema):
    unit_id: int = Field(..., ge=1, lt=2**63)
    name: str = Field("", max_length=100)
    member_ids: list[int] | None = Field(
        None, max_length=500, description="default: the staff whose home unit is the team"
    )
    version_id: int | None = Field(None, description="default: the built-in CSAS")
    closes_on: dt.date | None = None


class MemberOut(Schema):
    staff_id: int
    name: str
    has_answered: bool


class ItemOut(Schema):
    code: str
    number: int
    text: str
    mean: float
    sd: float
    low: float
    high: float
    answered: int
    score: float


class StatementOut(Schema):
    code: str
    text: str
    mean: float


class ResultsOut(Schema):
    answers: int
    index: float | None
    items: list[ItemOut]
    strengths: list[StatementOut]
    weaknesses: list[StatementOut]


class RoundDetail(Schema):
    round: RoundOut
    i_am_member: bool
    i_have_answered: bool
    members: list[MemberOut] | None = Field(None, description="managers of the team only")
    results: ResultsOut | None = Field(
        None, description="from 3 answers, once the round is closed or complete"
    )


class AnswersIn(Schema):
    answers: dict[str, Any] = Field(..., description="{item code: value}; CSAS items 0–5")


class AnsweredOut(Schema):
    round_id: int
    answer_count: int


class TrendPoint(Schema):
    round_id: int
    name: str
    opened_at: dt.datetime
    index: float | None
    answers: int


class ListQuery(Schema):
    cursor: int | None = Field(None, ge=1, lt=2**63)


class TrendQuery(Schema):
    unit_id: int = Field(..., ge=1, lt=2**63)


def _detail(request: HttpRequest, pk: Any) -> dict[str, Any]:
    scope = scope_for(request.user)
    round_ = queries.get_round(scope, pk)
    manage = queries.may_manage_round(scope, round_)
    members = queries.members_of(round_) if manage else []
    me = next((m for m in members if m.staff_id == scope.staff_id), None)
    if me is None and scope.staff_id is not None:
        me = round_.members.filter(staff_id=scope.staff_id).first()
    results = queries.round_results(round_)
    return {
        "round": round_,
        "i_am_member": me is not None,
        "i_have_answered": bool(me and me.has_answered),
        "members": [
            {"staff_id": m.staff_id, "name": m.staff.name, "has_answered": m.has_answered}
            for m in members
        ]
        if manage
        else None,
        "results": None
        if results is None
        else {
            "answers": results.answers,
            "index": results.index,
            "items": results.items,
            "strengths": [
                {"code": r.code, "text": r.strength, "mean": r.mean} for r in results.strengths
            ],
            "weaknesses": [
                {"code": r.code, "text": r.weakness, "mean": r.mean} for r in results.weaknesses
            ],
        },
    }


@router.get("/team-assessments", response=RoundPage, summary="CSAS rounds, newest first")
def list_rounds(request: HttpRequest, params: Query[ListQuery]):
    """Rounds of your subtree (managers) and the rounds you are a member of."""
    page = queries.round_list(scope_for(request.user), after=params.cursor)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/team-assessments", response={201: RoundDetail}, summary="Open a CSAS round")
def open_round(request: HttpRequest, body: RoundIn):
    scope = scope_for(request.user)
    unit = unit_from(scope, body.unit_id)
    if unit is None:
        raise InvalidInput(NotFound.default_message, field="unit_id")
    try:
        round_ = actions.open_round(
            actor=request.user,
            unit=unit,
            name=body.name,
            members=body.member_ids,
            version=body.version_id,
            closes_on=body.closes_on,
        )
    except InvalidInput as exc:
        renamed = {"members": "member_ids", "version": "version_id"}
        raise InvalidInput(
            exc.message, errors=[(renamed.get(f, f), m) for f, m in exc.field_errors()]
        ) from None
    return Status(201, _detail(request, round_.pk))


@router.get("/team-assessments/trend", response=list[TrendPoint], summary="A team's CSAS trend")
def trend(request: HttpRequest, params: Query[TrendQuery]):
    """The team's rounds whose results may show, oldest first, with the mean index."""
    scope = scope_for(request.user)
    unit = unit_from(scope, params.unit_id, Perm.VIEW_REPORTS) or unit_from(scope, params.unit_id)
    if unit is None:
        raise NotFound()
    return [
        {
            "round_id": r.pk,
            "name": r.name,
            "opened_at": r.opened_at,
            "index": r.trend_index,
            "answers": r.answer_count,
        }
        for r in queries.team_trend(unit.pk)
    ]


@router.get("/team-assessments/{round_id}", response=RoundDetail)
def get_round(request: HttpRequest, round_id: int):
    return _detail(request, round_id)


@router.post(
    "/team-assessments/{round_id}/answers",
    response={201: AnsweredOut},
    summary="Answer a round (anonymous)",
)
def answer_round(request: HttpRequest, round_id: int, body: AnswersIn):
    """Your answers to a round you are a member of; stored without your name. Once only."""
    queries.get_round(scope_for(request.user), round_id)
    round_ = actions.answer_round(actor=request.user, round=round_id, answers=body.answers)
    return Status(201, {"round_id": round_.pk, "answer_count": round_.answer_count})


@router.post("/team-assessments/{round_id}/close", response=RoundDetail)
def close_round(request: HttpRequest, round_id: int):
    actions.close_round(actor=request.user, round=round_id)
    return _detail(request, round_id)
