"""Performance appraisals (003 P-080..084) in the API: open, prepare, discuss, commit, follow
up."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema, Status

from manyi.org.scopes import scope_for
from manyi.team.actions import appraisals as actions
from manyi.team.api import router
from manyi.team.queries import appraisals as queries


class AppraisalIn(Schema):
    staff_id: int = Field(..., ge=1, lt=2**63)
    period_start: dt.date
    period_end: dt.date
    meeting_at: dt.datetime | None = None


class CommitmentOut(Schema):
    id: int
    text: str
    owner: str
    due_on: dt.date
    done_at: dt.datetime | None
    note: str


class AppraisalOut(Schema):
    id: int
    staff_id: int
    staff: str
    appraiser_id: int
    period_start: dt.date
    period_end: dt.date
    meeting_at: dt.datetime | None
    stage: str
    preparation: dict[str, bool]
    discussion: dict[str, bool]
    discussion_record: str
    follow_up_record: str
    copy_sent_at: dt.datetime | None
    closed_at: dt.datetime | None
    commitments: list[CommitmentOut]


class PreparationIn(Schema):
    checks: dict[str, bool] = Field(..., description="P-081 items: duties, observed, …")
    notes: str = Field("", max_length=5000)
    meeting_at: dt.datetime | None = None


class DiscussionIn(Schema):
    checks: dict[str, bool] = Field(..., description="P-082 items: open, performance, …")
    record: str = Field(..., max_length=5000)


class CommitmentIn(Schema):
    text: str = Field(..., max_length=300)
    due_on: dt.date
    owner: str = Field("employee", pattern="^(employee|appraiser)$")


class FollowUpIn(Schema):
    record: str = Field(..., max_length=5000)
    copy_given: bool
    self_review: dict[str, str] = Field(
        ..., description="went_well, could_be_better, learned_from_them, learned_about_me"
    )


class DoneIn(Schema):
    note: str = Field("", max_length=300)


def _out(request: HttpRequest, pk: Any) -> dict[str, Any]:
    appraisal = queries.get_appraisal(scope_for(request.user), pk)
    runs = queries.runs(scope_for(request.user), appraisal)
    data = {
        field: getattr(appraisal, field)
        for field in (
            "id", "staff_id", "appraiser_id", "period_start", "period_end", "meeting_at",
            "stage", "discussion", "discussion_record", "follow_up_record", "copy_sent_at",
            "closed_at",
        )
    }  # fmt: skip
    data["staff"] = appraisal.staff.name
    # The appraiser's preparation is theirs; the employee sees the discussion on.
    data["preparation"] = appraisal.preparation if runs else {}
    data["commitments"] = queries.commitments_of(appraisal)
    return data


class AppraisalBrief(Schema):
    id: int
    staff_id: int
    staff: str = Field(..., alias="staff.name")
    appraiser: str = Field(..., alias="appraiser.name")
    period_start: dt.date
    period_end: dt.date
    meeting_at: dt.datetime | None
    stage: str


@router.get("/appraisals", response=list[AppraisalBrief], summary="Performance appraisals")
def list_appraisals(request: HttpRequest):
    """The latest appraisals you hold, of your subtree, or your own once discussed."""
    return queries.appraisal_list(scope_for(request.user))


@router.post("/appraisals", response={201: AppraisalOut}, summary="Start an appraisal")
def open_appraisal(request: HttpRequest, body: AppraisalIn):
    appraisal = actions.open_appraisal(
        actor=request.user,
        staff=body.staff_id,
        period_start=body.period_start,
        period_end=body.period_end,
        meeting_at=body.meeting_at,
    )
    return Status(201, _out(request, appraisal.pk))


@router.get("/appraisals/{appraisal_id}", response=AppraisalOut)
def get_appraisal(request: HttpRequest, appraisal_id: int):
    return _out(request, appraisal_id)


@router.post("/appraisals/{appraisal_id}/preparation", response=AppraisalOut)
def prepare(request: HttpRequest, appraisal_id: int, body: PreparationIn):
    actions.prepare(
        actor=request.user,
        appraisal=appraisal_id,
        checks=body.checks,
        notes=body.notes,
        meeting_at=body.meeting_at,
    )
    return _out(request, appraisal_id)


@router.post("/appraisals/{appraisal_id}/discussion", response=AppraisalOut)
def discuss(request: HttpRequest, appraisal_id: int, body: DiscussionIn):
    actions.record_discussion(
        actor=request.user, appraisal=appraisal_id, checks=body.checks, record=body.record
    )
    return _out(request, appraisal_id)


@router.post("/appraisals/{appraisal_id}/commitments", response={201: AppraisalOut})
def commit(request: HttpRequest, appraisal_id: int, body: CommitmentIn):
    actions.add_commitment(
        actor=request.user,
        appraisal=appraisal_id,
        text=body.text,
        due_on=body.due_on,
        owner=body.owner,
    )
    return Status(201, _out(request, appraisal_id))


@router.post("/commitments/{commitment_id}/done", response=AppraisalOut)
def done(request: HttpRequest, commitment_id: int, body: DoneIn):
    commitment = actions.complete_commitment(
        actor=request.user, commitment=commitment_id, note=body.note
    )
    return _out(request, commitment.appraisal_id)


@router.post("/appraisals/{appraisal_id}/follow-up", response=AppraisalOut)
def follow_up(request: HttpRequest, appraisal_id: int, body: FollowUpIn):
    actions.follow_up(
        actor=request.user,
        appraisal=appraisal_id,
        record=body.record,
        copy_given=body.copy_given,
        self_review=body.self_review,
    )
    return _out(request, appraisal_id)
