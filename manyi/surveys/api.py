"""The surveys API under /api/v1/: campaigns and invitations for managers; the public submit.

Managers need ``Perm.MANAGE_SURVEYS`` and see their subtree. The customer's endpoints need no
login — the link's token is the credential — and return nothing of the customer:

* ``GET /survey-answers/{token}`` the questions (the instrument version's content),
* ``PUT /survey-answers/{token}/draft`` keep unfinished answers,
* ``POST /survey-answers/{token}`` submit (201; a repeat returns the first response with 200),
* ``POST /walk-in-answers/{token}`` an outlet QR code's answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from manyi.instruments.queries import content_of
from manyi.org.scopes import Perm, scope_for
from manyi.surveys import actions, answering, queries
from manyi.surveys.models import Campaign, Invitation, SurveyResponse

router = Router(tags=["surveys"])


# -- schemas --------------------------------------------------------------------------------------


class TargetIn(Schema):
    outlets: list[int] = Field(default_factory=list, max_length=500)
    age_band: str = Field("", max_length=16)
    income_band: str = Field("", max_length=16)
    education: str = Field("", max_length=16)
    social_class: str = Field("", max_length=16)
    relationship_level: str = Field("", max_length=16)
    tag: str = Field("", max_length=30)
    purchased_from: dt.date | None = None
    purchased_to: dt.date | None = None
    case_kind: str = Field("", max_length=20, description="closed_cases: workorder or complaint")
    closed_from: dt.date | None = None
    closed_to: dt.date | None = None


class CampaignIn(Schema):
    name: str = Field(..., max_length=100)
    unit_id: int = Field(
        ..., ge=1, lt=2**63, description="whose customers: company, region, outlet"
    )
    version_id: int = Field(..., ge=1, lt=2**63, description="a published instrument version")
    source: str = Field("customers", description="customers or closed_cases")
    target: TargetIn = Field(default_factory=TargetIn)
    channels: list[str] = Field(default_factory=lambda: ["sms"], max_length=2)
    starts_at: dt.datetime | None = Field(None, description="default: now")
    deadline_at: dt.datetime
    reminder_after_hours: int | None = Field(None, ge=1, le=720, description="one reminder at most")
    quiet_start: dt.time | None = Field(None, description="default 21:00")
    quiet_end: dt.time | None = Field(None, description="default 08:00")


class CampaignOut(Schema):
    id: int
    name: str
    status: str
    unit_id: int
    version_id: int
    source: str
    target: dict[str, Any]
    channels: list[str]
    starts_at: dt.datetime
    deadline_at: dt.datetime
    reminder_after_hours: int | None
    quiet_start: dt.time
    quiet_end: dt.time
    created_at: dt.datetime
    launched_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    closed_at: dt.datetime | None
    invited: int
    sent: int
    answered: int
    response_rate: float | None = Field(None, description="answered per sent, in %")


class CampaignPage(Schema):
    items: list[CampaignOut]
    next_cursor: int | None = Field(None, description="pass as ?after= for the next page")


class InvitationOut(Schema):
    id: int
    campaign_id: int | None
    case_id: int | None
    customer_id: int
    unit_id: int
    technician_id: int | None
    version_id: int
    channel: str
    state: str = Field(..., description="pending, open, answered, expired or cancelled")
    send_at: dt.datetime
    sent_at: dt.datetime | None
    reminded_at: dt.datetime | None
    opened_at: dt.datetime | None
    answered_at: dt.datetime | None
    expires_at: dt.datetime


class InvitationPage(Schema):
    items: list[InvitationOut]
    next_cursor: int | None = Field(None, description="pass as ?after= for the next page")


class PageQuery(Schema):
    after: int | None = Field(None, ge=1, lt=2**63)
    limit: int = Field(50, ge=1, le=200)


class InvitationQuery(PageQuery):
    campaign_id: int | None = Field(None, ge=1, lt=2**63)
    triggered: bool = Field(False, description="only the invitations after a closed case")


class QuestionsOut(Schema):
    greeting: str = Field(..., description="the only thing about the customer a link reveals")
    company: str
    outlet: str
    expires_at: dt.datetime
    draft: dict[str, Any] = Field(..., description="answers saved earlier")
    instrument: dict[str, Any] = Field(..., description="the version's content (export format)")


class AnswersIn(Schema):
    answers: dict[str, Any] = Field(..., description="{item code: answer}, see instruments")


class WalkInIn(AnswersIn):
    phone: str = Field("", max_length=30, description="optional: to be called back")
    submit_key: str = Field("", max_length=64, description="a retry with the same key is one")


class SubmittedOut(Schema):
    id: int
    index: float | None
    submitted_at: dt.datetime


# -- campaigns -------------------------------------------------------------------------------------


_COUNTS = ("invited", "sent", "answered", "response_rate")
_CAMPAIGN_FIELDS = [name for name in CampaignOut.model_fields if name not in _COUNTS]


def _campaign_out(campaign: Campaign, counts: Any = None) -> dict[str, Any]:
    counts = counts or queries.counts_of(campaign)
    return {
        **{name: getattr(campaign, name) for name in _CAMPAIGN_FIELDS},
        "invited": counts.invited,
        "sent": counts.sent,
        "answered": counts.answered,
        "response_rate": counts.response_rate,
    }


def _campaign_data(payload: CampaignIn) -> dict[str, Any]:
    data = payload.dict(exclude={"unit_id", "version_id", "target"})
    target = payload.target.dict()
    return {
        **data,
        "unit": payload.unit_id,
        "version": payload.version_id,
        "target": {k: v for k, v in target.items() if v not in (None, "", [])},
    }


@router.get("/survey-campaigns", response=CampaignPage, summary="Campaigns, newest first")
def list_campaigns(request: HttpRequest, params: Query[PageQuery]):
    page = queries.campaign_page(_manager(request), after=params.after, size=params.limit)
    items = []
    for c in page.items:
        counts = queries.CampaignCounts(c.invited, c.sent, 0, 0, c.answered, 0)
        items.append(_campaign_out(c, counts))
    return {"items": items, "next_cursor": page.next_cursor}


@router.post("/survey-campaigns", response={201: CampaignOut}, summary="A draft campaign")
def create_campaign(request: HttpRequest, payload: CampaignIn):
    _manager(request)
    campaign = actions.create_campaign(actor=request.user, data=_campaign_data(payload))
    return Status(201, _campaign_out(campaign))


@router.get("/survey-campaigns/{campaign_id}", response=CampaignOut)
def get_campaign(request: HttpRequest, campaign_id: int):
    return _campaign_out(queries.get_campaign(_manager(request), campaign_id))


@router.put("/survey-campaigns/{campaign_id}", response=CampaignOut, summary="Change a draft")
def update_campaign(request: HttpRequest, campaign_id: int, payload: CampaignIn):
    campaign = queries.get_campaign(_manager(request), campaign_id)
    campaign = actions.update_campaign(
        actor=request.user, campaign=campaign, data=_campaign_data(payload)
    )
    return _campaign_out(campaign)


@router.post(
    "/survey-campaigns/{campaign_id}/launch",
    response=CampaignOut,
    summary="Invite the target (consenting customers only); sending starts at starts_at",
)
def launch_campaign(request: HttpRequest, campaign_id: int):
    campaign = queries.get_campaign(_manager(request), campaign_id)
    return _campaign_out(actions.launch_campaign(actor=request.user, campaign=campaign))


@router.post(
    "/survey-campaigns/{campaign_id}/cancel",
    response=CampaignOut,
    summary="Stop sending; unanswered links stop working",
)
def cancel_campaign(request: HttpRequest, campaign_id: int):
    campaign = queries.get_campaign(_manager(request), campaign_id)
    return _campaign_out(actions.cancel_campaign(actor=request.user, campaign=campaign))


def _manager(request: HttpRequest):
    scope = scope_for(request.user)
    scope.require(Perm.MANAGE_SURVEYS)
    return scope


# -- invitations -----------------------------------------------------------------------------------


def _invitation_out(invitation: Invitation) -> dict[str, Any]:
    return {
        **{
            name: getattr(invitation, name)
            for name in InvitationOut.model_fields
            if name != "state"
        },
        "state": invitation.state(),
    }


@router.get("/survey-invitations", response=InvitationPage, summary="Invitations, newest first")
def list_invitations(request: HttpRequest, params: Query[InvitationQuery]):
    scope = _manager(request)
    campaign = queries.get_campaign(scope, params.campaign_id) if params.campaign_id else None
    page = queries.invitation_page(
        scope,
        campaign=campaign,
        triggered=params.triggered,
        after=params.after,
        size=params.limit,
    )
    return {"items": [_invitation_out(i) for i in page.items], "next_cursor": page.next_cursor}


# -- the customer's side (no login: the token is the credential) -----------------------------------


def _submitted(response: SurveyResponse) -> dict[str, Any]:
    return {"id": response.pk, "index": response.index, "submitted_at": response.submitted_at}


@router.get(
    "/survey-answers/{token}",
    response=QuestionsOut,
    auth=None,
    summary="The questions of a survey link (no login)",
)
def get_questions(request: HttpRequest, token: str):
    invitation = answering.find_invitation(token)
    if invitation.answered_at:
        raise actions.LinkUnusable(_answered_message())
    answering.check_open(invitation)
    answering.mark_opened(invitation)
    return {
        "greeting": invitation.greeting,
        "company": invitation.company.name,
        "outlet": invitation.unit.name,
        "expires_at": invitation.expires_at,
        "draft": invitation.partial,
        "instrument": content_of(invitation.version),
    }


def _answered_message():
    return _("This survey has already been answered. Thank you!")


@router.put(
    "/survey-answers/{token}/draft",
    response={204: None},
    auth=None,
    summary="Keep unfinished answers (no login)",
)
def save_draft(request: HttpRequest, token: str, payload: AnswersIn):
    answering.save_partial(token=token, answers=payload.answers)
    return Status(204, None)


@router.post(
    "/survey-answers/{token}",
    response={200: SubmittedOut, 201: SubmittedOut},
    auth=None,
    summary="Submit the answers of a survey link (no login; a repeat returns the first, 200)",
)
def submit_answers(request: HttpRequest, token: str, payload: AnswersIn):
    response, new = answering.submit_invitation(token=token, answers=payload.answers)
    return Status(201 if new else 200, _submitted(response))


@router.post(
    "/walk-in-answers/{token}",
    response={200: SubmittedOut, 201: SubmittedOut},
    auth=None,
    summary="Submit a walk-in's answers at an outlet's QR code (no login)",
)
def submit_walk_in(request: HttpRequest, token: str, payload: WalkInIn):
    response, new = answering.submit_walk_in(
        token=token, answers=payload.answers, phone=payload.phone, submit_key=payload.submit_key
    )
    return Status(201 if new else 200, _submitted(response))
