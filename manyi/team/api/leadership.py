"""Leadership reviews (003 P-059/060) in the API: start, rate, close, the gap per principle."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema, Status

from manyi.org.scopes import scope_for
from manyi.team.actions import leadership as actions
from manyi.team.api import router
from manyi.team.queries import leadership as queries


class ReviewIn(Schema):
    leader_id: int = Field(..., ge=1, lt=2**63)
    rater_ids: list[int] = Field(
        ..., max_length=200, description="at least three besides the leader"
    )
    version_id: int | None = None


class GapOut(Schema):
    code: str
    name: str
    own: float | None
    others: float | None = Field(..., description="from 3 answers, once the review is finished")
    gap: float | None


class ReviewOut(Schema):
    id: int
    leader_id: int
    leader: str = Field(..., alias="leader.name")
    status: str
    rater_count: int
    answer_count: int
    self_answered: bool
    others_visible: bool
    opened_at: dt.datetime
    closed_at: dt.datetime | None


class ReviewDetail(Schema):
    review: ReviewOut
    gaps: list[GapOut]


class AnswersIn(Schema):
    answers: dict[str, Any] = Field(..., description="{item code: 1–5}")


def _detail(request: HttpRequest, pk: Any) -> dict[str, Any]:
    review = queries.get_review(scope_for(request.user), pk)
    return {"review": review, "gaps": queries.gaps(review)}


@router.get("/leadership-reviews", response=list[ReviewOut], summary="Leadership reviews")
def list_reviews(request: HttpRequest):
    """Your own reviews and those of the leaders in your subtree."""
    return queries.review_list(scope_for(request.user))


@router.post("/leadership-reviews", response={201: ReviewDetail}, summary="Start a review")
def open_review(request: HttpRequest, body: ReviewIn):
    review = actions.open_review(
        actor=request.user, leader=body.leader_id, raters=body.rater_ids, version=body.version_id
    )
    return Status(201, _detail(request, review.pk))


@router.get("/leadership-reviews/{review_id}", response=ReviewDetail)
def get_review(request: HttpRequest, review_id: int):
    return _detail(request, review_id)


@router.post(
    "/leadership-reviews/{review_id}/answers",
    response={201: dict[str, int]},
    summary="Rate (the leader: yourself; a rater: anonymously)",
)
def answer_review(request: HttpRequest, review_id: int, body: AnswersIn):
    queries.get_review_to_answer(scope_for(request.user), review_id)
    review = actions.answer_review(actor=request.user, review=review_id, answers=body.answers)
    return Status(201, {"review_id": review.pk, "answer_count": review.answer_count})


@router.post("/leadership-reviews/{review_id}/close", response=ReviewDetail)
def close_review(request: HttpRequest, review_id: int):
    actions.close_review(actor=request.user, review=review_id)
    return _detail(request, review_id)
