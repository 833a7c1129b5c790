"""API of the case engine: the queue, one case, its timeline, moves, assignment, calls, notes,
photos, and the clock's pause and resume — the same actions and scope rules as the pages.

Every write takes the case's ``version`` where the action checks it (a stale one gets 409).
Create endpoints are not idempotent yet: a retried POST logs twice (an ``Idempotency-Key`` is a
later issue).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from manyi.cases import actions, queries
from manyi.cases.models import Attachment, Case, CaseEvent
from manyi.cases.sla import calendar_warnings
from manyi.customers.models import mask_phone
from manyi.errors import InvalidInput, NotFound, both_languages
from manyi.org.models import Staff
from manyi.org.scopes import Perm, Scope, scope_for

router = Router(tags=["cases"])

CaseId = Annotated[int, Field(ge=1, lt=2**63)]


class BothLanguages(Schema):
    zh: str
    en: str


class CaseOut(Schema):
    id: int
    kind: str
    number: str
    title: str
    stage: str
    stage_label: str
    priority: str
    unit_id: int
    unit_name: str
    customer_id: int
    customer_name: str
    assignee_id: int | None
    assignee_name: str | None
    opened_at: dt.datetime
    due_at: dt.datetime | None
    is_overdue: bool
    paused_at: dt.datetime | None
    closed_at: dt.datetime | None
    version: int


class MoveOut(Schema):
    code: str
    label: str
    target: str
    target_label: str


class CaseDetail(CaseOut):
    description: str
    customer_phone: str
    workflow_label: str
    stage_entered_at: dt.datetime
    pause_reason: str
    pausable: bool
    breached_at: dt.datetime | None
    counters: dict[str, int]
    allowed_moves: list[MoveOut] = Field(
        ..., description="moves from the current stage that your role may make"
    )
    calendar_warnings: list[BothLanguages] = Field(
        ..., description="the deadline crosses a year the business calendar does not fully know"
    )


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None = Field(None, description="pass as ?cursor= for the next page")


class MyJobsOut(Schema):
    overdue: list[CaseOut]
    today: list[CaseOut]
    next: list[CaseOut]


class AttachmentOut(Schema):
    id: int
    kind: str
    content_type: str
    size: int
    sha256: str
    created_at: dt.datetime


class EventOut(Schema):
    id: int
    kind: str
    at: dt.datetime
    actor_id: int | None
    actor_name: str | None
    text: str
    data: dict[str, Any]
    attachments: list[AttachmentOut]


class CaseQuery(Schema):
    kind: str = Field("", max_length=20)
    stage: str = Field("", max_length=30)
    outlet: int | None = Field(None, description="an outlet's id")
    assignee: int | None = Field(None, description="the responsible staff member's id")
    due: Literal["overdue", "today", "week"] | None = Field(
        None, description="overdue; due by the end of today; due within 7 days"
    )
    within_days: int | None = Field(
        None, ge=0, le=366, description="due by the end of the day N days from today"
    )
    q: str = Field("", max_length=24, description="the case number or part of it")
    include_closed: bool = False
    cursor: str | None = Field(None, max_length=80, description="from the previous page")
    limit: int = Field(50, ge=1, le=200)


class MoveIn(Schema):
    move: str = Field(..., max_length=30)
    version: int = Field(..., ge=1, lt=2**31)
    payload: dict[str, Any] = Field(default_factory=dict)
    note: str = Field("", max_length=2000)


class AssignIn(Schema):
    assignee_id: CaseId
    version: int = Field(..., ge=1, lt=2**31)


class BulkReassignIn(Schema):
    case_ids: list[CaseId] = Field(..., min_length=1, max_length=200)
    assignee_id: CaseId
    reason: str = Field(..., max_length=200)


class BulkReassignOut(Schema):
    changed: int


class CallIn(Schema):
    outcome: str = Field(..., max_length=20, description="reached, no_answer or rescheduled")
    party: str = Field("customer", max_length=20, description="customer or installer")
    note: str = Field("", max_length=2000)


class NoteIn(Schema):
    text: str = Field(..., max_length=2000)


class PauseIn(Schema):
    reason: str = Field(..., max_length=200)
    version: int = Field(..., ge=1, lt=2**31)


class ResumeIn(Schema):
    version: int = Field(..., ge=1, lt=2**31)


# -- rendering ------------------------------------------------------------------------------


def case_row(case: Case, now: dt.datetime | None = None) -> dict[str, Any]:
    """A case as a list row (customer, unit and assignee must be loaded)."""
    return {
        "id": case.pk,
        "kind": case.kind,
        "number": case.number,
        "title": case.title,
        "stage": case.stage,
        "stage_label": case.get_stage_display(),
        "priority": case.priority,
        "unit_id": case.unit_id,
        "unit_name": case.unit.name,
        "customer_id": case.customer_id,
        "customer_name": case.customer.name,
        "assignee_id": case.assignee_id,
        "assignee_name": case.assignee.name if case.assignee_id else None,
        "opened_at": case.opened_at,
        "due_at": case.due_at,
        "is_overdue": case.is_overdue(now),
        "paused_at": case.paused_at,
        "closed_at": case.closed_at,
        "version": case.version,
    }


def case_detail(case: Case, scope: Scope) -> dict[str, Any]:
    """A case with what a client needs to act on it."""
    stage = case.stage_def
    workflow = case.workflow
    phone = case.customer.phone
    return {
        **case_row(case),
        "description": case.description,
        "customer_phone": phone if scope.can(Perm.VIEW_PHONE) else mask_phone(phone),
        "workflow_label": str(workflow.label),
        "stage_entered_at": case.stage_entered_at,
        "pause_reason": case.pause_reason,
        "pausable": stage.pausable and case.due_at is not None,
        "breached_at": case.breached_at,
        "counters": case.counters,
        "allowed_moves": [
            {
                "code": step.code,
                "label": str(step.label),
                "target": step.target,
                "target_label": str(workflow.stage(step.target).label),
            }
            for step in queries.allowed_moves(case, scope)
        ],
        "calendar_warnings": [
            both_languages(w)
            for w in calendar_warnings(case.unit, case.stage_entered_at, case.due_at)
        ],
    }


def _attachment(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "kind": attachment.kind,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "created_at": attachment.created_at,
    }


def event_out(event: CaseEvent, attachments: list[Attachment] | None = None) -> dict[str, Any]:
    """A timeline entry (its attachments prefetched, or given)."""
    actor = event.actor
    staff = getattr(actor, "staff", None) if actor is not None else None
    if attachments is None:
        attachments = list(event.attachments.all())
    return {
        "id": event.pk,
        "kind": event.kind,
        "at": event.at,
        "actor_id": event.actor_id,
        "actor_name": (staff.name if staff else actor.username) if actor is not None else None,
        "text": event.text,
        "data": event.data,
        "attachments": [_attachment(a) for a in attachments],
    }


# -- getters --------------------------------------------------------------------------------


def get_case(request: HttpRequest, case_id: int) -> Case:
    """The case if the user may read it; 404 otherwise (its existence does not leak)."""
    return queries.case_detail(scope_for(request.user), case_id)


def detail_response(request: HttpRequest, case_id: int) -> dict[str, Any]:
    scope = scope_for(request.user)
    return case_detail(queries.case_detail(scope, case_id), scope)


def _assignee(request: HttpRequest, staff_id: int, field: str = "assignee_id") -> Staff:
    """A staff member of the user's company (the action checks they serve the case's outlet)."""
    scope = scope_for(request.user)
    qs = Staff.objects.select_related("unit", "user")
    if not scope.everything:
        qs = qs.filter(company_id=scope.company_id)
    try:
        return qs.get(pk=staff_id)
    except Staff.DoesNotExist as exc:
        raise InvalidInput(NotFound.default_message, field=field) from exc


def _renamed(exc: InvalidInput, names: dict[str, str]) -> InvalidInput:
    exc.errors = [(names.get(f, f) if f else f, m) for f, m in exc.field_errors()]
    return exc


# -- reads ----------------------------------------------------------------------------------


@router.get("/cases", response=CasePage, summary="The queue: open cases, overdue first")
def list_cases(request: HttpRequest, params: Query[CaseQuery]):
    """Open cases in your scope (add ``include_closed=true`` for finished ones), overdue first,
    then by deadline; page with ``cursor`` (a keyset on the sort order: stable while you page)."""
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_CASES)
    filters = queries.QueueFilters.from_params(params.dict())
    page = queries.queue_page(scope, filters, cursor=params.cursor, size=params.limit)
    return {
        "items": [case_row(c, page.now) for c in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get("/cases/mine", response=MyJobsOut, summary="My jobs: overdue, due today, next")
def my_jobs(request: HttpRequest):
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_CASES)
    jobs = queries.my_jobs(scope)
    return {
        name: [case_row(c, jobs.now) for c in getattr(jobs, name)]
        for name in ("overdue", "today", "next")
    }


@router.post(
    "/cases/bulk-reassign",
    response=BulkReassignOut,
    summary="Hand a set of cases to someone else",
    description="All or nothing: a case you may not see makes the whole request 404.",
)
def bulk_reassign(request: HttpRequest, body: BulkReassignIn):
    scope_for(request.user).require(Perm.ASSIGN_CASES)
    staff = _assignee(request, body.assignee_id)
    try:
        changed = actions.bulk_reassign(
            actor=request.user, cases=body.case_ids, assignee=staff, reason=body.reason
        )
    except InvalidInput as exc:
        raise _renamed(exc, {"assignee": "assignee_id"}) from None
    return {"changed": changed}


@router.get("/cases/{case_id}", response=CaseDetail)
def get_case_detail(request: HttpRequest, case_id: int):
    return detail_response(request, case_id)


@router.get("/cases/{case_id}/events", response=list[EventOut], summary="The timeline")
def list_events(request: HttpRequest, case_id: int):
    return [event_out(e) for e in queries.case_timeline(get_case(request, case_id))]


# -- writes ---------------------------------------------------------------------------------


@router.post(
    "/cases/{case_id}/moves",
    response=CaseDetail,
    summary="Move the case along its workflow",
    description=(
        "Send the `version` you read (a stale one gets 409 `stale-version`); a move not "
        "possible from the current stage gets 409 `invalid-move`, a role that may not take it "
        "403, and a missing requirement 422 naming the field.\n\n"
        "Payloads of the work order's moves:\n"
        '- `accept` (inspector): `{"checklist": {"edges": "pass", "surface": "pass", '
        '"finish": "pass", "touch": "pass"}, "method": 1–5, "attitude": 1–5, '
        '"notes": "…"}`\n'
        '- `rework` (inspector): `{"notes": "what to rework", "method": 1–5, '
        '"attitude": 1–5}`\n'
        '- `close` (return visit done): `{"outcome": "satisfied" | "not_satisfied"}`\n'
        '- `cancel`: `{"reason": "…"}`\n'
        "- `dispatch`, `contacted`, `hand_in`, `submit`, `archive`: no payload; they check the "
        "case itself (an assignee, a reached call and the first visit, a visit, the signed "
        "record)."
    ),
)
def move_case(request: HttpRequest, case_id: int, body: MoveIn):
    case = get_case(request, case_id)
    actions.move(
        actor=request.user,
        case=case,
        move=body.move,
        version=body.version,
        payload=body.payload,
        note=body.note,
    )
    return detail_response(request, case_id)


@router.post("/cases/{case_id}/assign", response=CaseDetail, summary="Make someone responsible")
def assign_case(request: HttpRequest, case_id: int, body: AssignIn):
    case = get_case(request, case_id)
    scope_for(request.user).require(Perm.ASSIGN_CASES)
    staff = _assignee(request, body.assignee_id)
    try:
        actions.assign(actor=request.user, case=case, assignee=staff, version=body.version)
    except InvalidInput as exc:
        raise _renamed(exc, {"assignee": "assignee_id"}) from None
    return detail_response(request, case_id)


@router.post("/cases/{case_id}/calls", response={201: EventOut}, summary="Log a phone call")
def log_call(request: HttpRequest, case_id: int, body: CallIn):
    event = actions.log_call(
        actor=request.user,
        case=get_case(request, case_id),
        outcome=body.outcome,
        party=body.party,
        note=body.note,
    )
    return Status(201, event_out(event, []))


@router.post("/cases/{case_id}/notes", response={201: EventOut}, summary="Add a note")
def add_note(request: HttpRequest, case_id: int, body: NoteIn):
    event = actions.add_note(actor=request.user, case=get_case(request, case_id), text=body.text)
    return Status(201, event_out(event, []))


@router.post(
    "/cases/{case_id}/photos",
    response={201: EventOut},
    summary="Upload a site photo (JPEG or PNG, at most 10 MB)",
)
def add_photo(
    request: HttpRequest,
    case_id: int,
    file: File[UploadedFile],
    caption: Form[str] = "",
):
    case = get_case(request, case_id)
    if file.size is not None and file.size > actions.MAX_ATTACHMENT_BYTES:
        raise InvalidInput(_("The image is empty or larger than 10 MB."), field="file")
    data = file.read(actions.MAX_ATTACHMENT_BYTES + 1)
    attachment = actions.add_photo(
        actor=request.user, case=case, data=data, caption=(caption or "")[:200]
    )
    event = attachment.event
    return Status(201, event_out(event, [attachment]))


@router.post("/cases/{case_id}/pause", response=CaseDetail, summary="Pause the stage's clock")
def pause(request: HttpRequest, case_id: int, body: PauseIn):
    actions.pause_clock(
        actor=request.user,
        case=get_case(request, case_id),
        reason=body.reason,
        version=body.version,
    )
    return detail_response(request, case_id)


@router.post("/cases/{case_id}/resume", response=CaseDetail, summary="Restart a paused clock")
def resume(request: HttpRequest, case_id: int, body: ResumeIn):
    actions.resume_clock(actor=request.user, case=get_case(request, case_id), version=body.version)
    return detail_response(request, case_id)
