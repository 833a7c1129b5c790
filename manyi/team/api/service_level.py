"""Five-star service level (000) in the API: assess a unit, its history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema, Status

from manyi.errors import InvalidInput, NotFound
from manyi.org.scopes import scope_for
from manyi.team.actions import service_level as actions
from manyi.team.api import router
from manyi.team.queries import service_level as queries


class LevelIn(Schema):
    unit_id: int = Field(..., ge=1, lt=2**63)
    answers: dict[str, Any] = Field(..., description="{item code: 1–5}")
    notes: str = Field("", max_length=2000)


class LevelOut(Schema):
    id: int
    unit_id: int
    stars: int = Field(..., description="levels reached in a row from the first (0–5)")
    index: float | None
    assessed_on: dt.date
    notes: str


@router.post(
    "/service-levels", response={201: LevelOut}, summary="Five-star self-assessment of a unit"
)
def assess(request: HttpRequest, body: LevelIn):
    scope = scope_for(request.user)
    unit = scope.units().filter(pk=body.unit_id).first()
    if unit is None:
        raise InvalidInput(NotFound.default_message, field="unit_id")
    return Status(
        201,
        actions.assess_service_level(
            actor=request.user, unit=unit, answers=body.answers, notes=body.notes
        ),
    )


@router.get("/service-levels/units/{unit_id}", response=list[LevelOut], summary="A unit's history")
def history(request: HttpRequest, unit_id: int):
    unit = queries.get_unit(scope_for(request.user), unit_id)
    return queries.history(unit)


@router.get("/service-levels/{assessment_id}", response=LevelOut)
def get_level(request: HttpRequest, assessment_id: int):
    return queries.get_assessment(scope_for(request.user), assessment_id)
