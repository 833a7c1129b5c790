"""The complaints API under /api/v1/: intake, the list, one complaint, and each step — the same
actions and scope rules as the pages; errors are problem documents.

A complaint is addressed by its case's id. Stage changes without a form of their own —
``contacted``, ``prepared``, ``investigated``, ``resolved``, ``followed_up``, ``dispatch`` — go
through ``POST /cases/{id}/moves`` (each checks the case: calls, the booked visit, the
preparation, the investigation, an executed resolution, the follow-up call). Writes that change
the complaint take the case's ``version`` (a stale one gets 409). Intake is not idempotent yet:
a retried ``POST /complaints`` opens a second complaint (merge it into the first).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from manyi.cases.api import CaseDetail, CaseOut, EventOut, case_detail, case_row, event_out
from manyi.complaints import actions, queries
from manyi.complaints.models import Complaint, Resolution
from manyi.complaints.scripts import scripts_for
from manyi.customers.models import Purchase, mask_phone
from manyi.customers.queries import customer_detail
from manyi.errors import InvalidInput, NotFound
from manyi.org.models import Staff, UnitKind
from manyi.org.scopes import Perm, scope_for

router = Router(tags=["complaints"])

Id = Annotated[int, Field(ge=1, lt=2**63)]
Version = Annotated[int, Field(ge=1, lt=2**31)]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]


# -- schemas ------------------------------------------------------------------------------------


class ComplaintIn(Schema):
    customer_id: Id
    description: str = Field(..., max_length=2000, description="what happened, in their words")
    channel: str = Field("phone", max_length=20, description="phone, store, online, …")
    contact_name: str = Field("", max_length=50, description="default: the customer's name")
    contact_phone: str = Field("", max_length=30, description="default: the customer's phone")
    site_address: str = Field("", max_length=200, description="default: the customer's address")
    product: str = Field("", max_length=100)
    batch_no: str = Field("", max_length=50)
    purchase_id: Id | None = Field(None, description="one of the customer's purchases")
    installer_name: str = Field("", max_length=50)
    installer_phone: str = Field("", max_length=30)
    about_staff_id: Id | None = Field(None, description="a complaint about one of our staff")
    safety: bool = False
    media: bool = False
    amount_claimed: Money | None = None
    source_case_id: Id | None = Field(
        None, description="the case it comes from (a work order's unhappy return visit)"
    )
    source_ref: str = Field("", max_length=60, description="e.g. survey:123")
    outlet_id: Id | None = Field(None, description="default: the source case's or the home outlet")
    title: str = Field("", max_length=200)


class ResolutionOut(Schema):
    id: int
    kind: str
    amount: Decimal
    cost: Decimal
    status: str
    notes: str
    proposed_by: str
    proposed_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None
    executed_at: dt.datetime | None


class ExperimentOut(Schema):
    id: int
    purpose: str
    material: str
    unopened: bool
    procedure: str
    result: str
    performed_at: dt.datetime


class ComplaintOut(Schema):
    channel: str
    contact_name: str
    contact_phone: str
    site_address: str
    product: str
    batch_no: str
    installer_name: str
    installer_phone: str
    about_staff_id: int | None
    source_case_id: int | None
    source_ref: str
    severity: str
    major_reasons: list[str]
    amount_claimed: Decimal | None
    acknowledged_at: dt.datetime | None
    escalated_at: dt.datetime | None
    first_contact_at: dt.datetime | None
    visit_at: dt.datetime | None
    visit_place: str
    likely_cause: str
    tools: list[str]
    investigated_at: dt.datetime | None
    present: list[str]
    findings: str
    responsibility: str
    cause_id: int | None
    cause_name: str | None
    ruled_at: dt.datetime | None
    resolved_at: dt.datetime | None
    follow_up_at: dt.datetime | None
    return_visit_outcome: str
    merged_into_id: int | None = Field(None, description="the case id of the complaint kept")


class ScriptOut(Schema):
    title: str
    lines: list[str]
    source: str


class ComplaintDetail(Schema):
    case: CaseDetail
    complaint: ComplaintOut
    resolutions: list[ResolutionOut]
    experiments: list[ExperimentOut]
    scripts: list[ScriptOut] = Field(..., description="what to say at this stage")


class ComplaintRow(CaseOut):
    channel: str
    severity: str
    batch_no: str
    cause_name: str | None


class ComplaintPage(Schema):
    items: list[ComplaintRow]
    next_cursor: int | None = Field(None, description="pass as ?cursor= for the next page")


class ComplaintQuery(Schema):
    outlet: int | None = None
    stage: str = Field("", max_length=30)
    severity: str = Field("", max_length=10, description="normal or major")
    channel: str = Field("", max_length=20)
    assignee: int | None = None
    overdue: bool = False
    q: str = Field("", max_length=50, description="number, customer, phone digits or batch")
    include_closed: bool = False
    cursor: int | None = Field(None, ge=1, lt=2**63)
    limit: int = Field(50, ge=1, le=200)


class CallIn(Schema):
    party: str = Field("customer", max_length=20, description="customer or installer")
    outcome: str = Field(..., max_length=20, description="reached, no_answer or rescheduled")
    note: str = Field("", max_length=2000)


class VisitIn(Schema):
    at: dt.datetime
    place: str = Field("", max_length=200, description="default: the site address")
    reason: str = Field("", max_length=200, description="needed when the visit is moved")
    version: Version


class PreparationIn(Schema):
    likely_cause: str = Field(..., max_length=2000)
    tools: list[str] = Field(
        default_factory=list, max_length=20, description=", ".join(actions.TOOLS)
    )
    version: Version


class InvestigationIn(Schema):
    present: list[str] = Field(
        ..., max_length=3, description="technician, customer, installer: who was at the site"
    )
    findings: str = Field(..., max_length=4000)
    version: Version


class ExperimentIn(Schema):
    purpose: str = Field(..., max_length=2000)
    material: str = Field(..., max_length=200)
    unopened: bool = False
    procedure: str = Field(..., max_length=4000)
    result: str = Field("", max_length=4000)


class RulingIn(Schema):
    responsibility: str = Field(
        ..., max_length=20, description="ours, installer, customer, shared or undetermined"
    )
    cause_id: Id
    note: str = Field("", max_length=2000)
    version: Version


class ResolutionIn(Schema):
    kind: str = Field(
        ..., max_length=12, description="rework, replace, refund, compensate, explain"
    )
    amount: Money = Decimal(0)
    cost: Money = Decimal(0)
    notes: str = Field("", max_length=2000)
    version: Version


class DecisionIn(Schema):
    version: Version


class RejectIn(Schema):
    reason: str = Field(..., max_length=500)
    version: Version


class ExecuteIn(Schema):
    cost: Money | None = Field(None, description="the final cost; default: as proposed")
    note: str = Field("", max_length=2000)
    version: Version


class FollowUpIn(Schema):
    outcome: str = Field(..., max_length=20, description="reached, no_answer or rescheduled")
    note: str = Field("", max_length=2000)


class ReturnVisitIn(Schema):
    outcome: str = Field(..., max_length=20, description="satisfied or not_satisfied")
    note: str = Field("", max_length=2000)
    version: Version


class ReassignIn(Schema):
    assignee_id: Id
    reason: str = Field(..., max_length=200)
    version: Version


class EscalateIn(Schema):
    reasons: list[str] = Field(..., min_length=1, max_length=4, description="safety, media, …")
    version: Version


class MergeIn(Schema):
    into_id: Id = Field(..., description="the case id of the complaint to keep")
    reason: str = Field("", max_length=500)
    version: Version


class CloseIn(Schema):
    reason: str = Field(..., max_length=2000)
    version: Version


# -- rendering ----------------------------------------------------------------------------------


def _resolution(r: Resolution) -> dict[str, Any]:
    return {
        "id": r.pk,
        "kind": r.kind,
        "amount": r.amount,
        "cost": r.cost,
        "status": r.status,
        "notes": r.notes,
        "proposed_by": r.proposed_by.name,
        "proposed_at": r.proposed_at,
        "approved_by": r.approved_by.name if r.approved_by_id else None,
        "approved_at": r.approved_at,
        "executed_at": r.executed_at,
    }


def _complaint_out(complaint: Complaint, show_phone: bool) -> dict[str, Any]:
    computed = ("cause_name", "merged_into_id")
    values = {n: getattr(complaint, n) for n in ComplaintOut.model_fields if n not in computed}
    values["cause_name"] = complaint.cause.name if complaint.cause_id else None
    values["merged_into_id"] = complaint.merged_into.case_id if complaint.merged_into_id else None
    if not show_phone:
        values["contact_phone"] = mask_phone(complaint.contact_phone)
        values["installer_phone"] = mask_phone(complaint.installer_phone)
    return values


def _detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    scope = scope_for(request.user)
    complaint = queries.complaint_detail(scope, case_id)
    case = complaint.case
    return {
        "case": case_detail(case, scope),
        "complaint": _complaint_out(complaint, scope.can(Perm.VIEW_PHONE)),
        "resolutions": [_resolution(r) for r in queries.resolutions_of(complaint)],
        "experiments": [
            {
                name: getattr(e, "pk" if name == "id" else name)
                for name in ExperimentOut.model_fields
            }
            for e in queries.experiments_of(complaint)
        ],
        "scripts": scripts_for(
            case.stage,
            case.unit.company.name if case.unit.company_id else "",
            about_staff=complaint.about_staff_id is not None,
            installer=bool(complaint.installer_name or complaint.installer_phone),
        ),
    }


def _case_id(request: HttpRequest, case_id: int) -> int:
    """The case id of a complaint the user may read (404 for other kinds and out of scope)."""
    return queries.complaint_detail(scope_for(request.user), case_id).case_id


def _resolution_of(request: HttpRequest, case_id: int, resolution_id: int) -> Resolution:
    _case_id(request, case_id)
    found = Resolution.objects.filter(complaint__case_id=case_id, pk=resolution_id).first()
    if found is None:
        raise NotFound()
    return found


def _renamed(exc: InvalidInput, names: dict[str, str]) -> InvalidInput:
    exc.errors = [(names.get(f, f) if f else f, m) for f, m in exc.field_errors()]
    return exc


# -- intake, list, detail -----------------------------------------------------------------------


@router.post(
    "/complaints",
    response={201: ComplaintDetail},
    summary="Intake (接单): take a complaint; it is routed and acknowledged at once",
    description="Not idempotent yet: a retry opens a second complaint (merge it into the first).",
)
def create_complaint(request: HttpRequest, body: ComplaintIn):
    scope = scope_for(request.user)
    scope.require(Perm.OPEN_CASES)
    try:
        customer = customer_detail(scope, body.customer_id)
    except NotFound as exc:
        raise InvalidInput(NotFound.default_message, field="customer_id") from exc
    data = body.dict(
        exclude={"customer_id", "purchase_id", "about_staff_id", "source_case_id", "outlet_id"}
    )
    related: dict[str, Any] = {}
    if body.purchase_id is not None:
        related["purchase"] = Purchase.objects.filter(
            pk=body.purchase_id, customer=customer
        ).first()
        if related["purchase"] is None:
            raise InvalidInput(NotFound.default_message, field="purchase_id")
    if body.about_staff_id is not None:
        related["about_staff"] = Staff.objects.filter(
            pk=body.about_staff_id, company_id=customer.company_id
        ).first()
        if related["about_staff"] is None:
            raise InvalidInput(NotFound.default_message, field="about_staff_id")
    if body.source_case_id is not None:
        from manyi.cases.actions import visible_cases

        related["source_case"] = (
            visible_cases(scope).select_related("unit").filter(pk=body.source_case_id).first()
        )
        if related["source_case"] is None:
            raise InvalidInput(NotFound.default_message, field="source_case_id")
    if body.outlet_id is not None:
        related["unit"] = scope.units().filter(pk=body.outlet_id, kind=UnitKind.OUTLET).first()
        if related["unit"] is None:
            raise InvalidInput(NotFound.default_message, field="outlet_id")
    try:
        case = actions.open_complaint(actor=request.user, customer=customer, **data, **related)
    except InvalidInput as exc:
        raise _renamed(
            exc,
            {
                "unit": "outlet_id",
                "purchase": "purchase_id",
                "about_staff": "about_staff_id",
                "source_case": "source_case_id",
            },
        ) from None
    return Status(201, _detail(request, case.pk))


@router.get("/complaints", response=ComplaintPage, summary="Complaints, newest first")
def list_complaints(request: HttpRequest, params: Query[ComplaintQuery]):
    """Open complaints in your scope, newest first; a search (``q``), a closed stage or
    ``include_closed`` reach finished ones too. Page with ``cursor``."""
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_CASES)
    filters = queries.ComplaintFilters.from_params(params.dict())
    page = queries.complaint_page(scope, filters, after=params.cursor, size=params.limit)
    return {
        "items": [
            {
                **case_row(c.case),
                "channel": c.channel,
                "severity": c.severity,
                "batch_no": c.batch_no,
                "cause_name": c.cause.name if c.cause_id else None,
            }
            for c in page.items
        ],
        "next_cursor": page.next_cursor,
    }


@router.get("/complaints/{case_id}", response=ComplaintDetail)
def get_complaint(request: HttpRequest, case_id: int):
    return _detail(request, case_id)


# -- steps --------------------------------------------------------------------------------------


@router.post(
    "/complaints/{case_id}/calls",
    response={201: EventOut},
    summary="Log a call to the customer or the installer (the first that reaches the customer "
    "is the first contact)",
)
def log_call(request: HttpRequest, case_id: int, body: CallIn):
    event = actions.log_call(actor=request.user, case=_case_id(request, case_id), **body.dict())
    return Status(201, event_out(event, []))


@router.post(
    "/complaints/{case_id}/visit",
    response=ComplaintDetail,
    summary="Book the joint site visit, or move it (a move needs a reason)",
)
def book_visit(request: HttpRequest, case_id: int, body: VisitIn):
    actions.book_visit(actor=request.user, case=_case_id(request, case_id), **body.dict())
    return _detail(request, case_id)


@router.post(
    "/complaints/{case_id}/preparation",
    response=ComplaintDetail,
    summary="Technical preparation: the likely cause and the tools",
    description="Tools: " + ", ".join(actions.TOOLS),
)
def prepare(request: HttpRequest, case_id: int, body: PreparationIn):
    actions.prepare(actor=request.user, case=_case_id(request, case_id), **body.dict())
    return _detail(request, case_id)


@router.post(
    "/complaints/{case_id}/investigation",
    response=ComplaintDetail,
    summary="Record the site investigation (who was present, the findings)",
)
def investigate(request: HttpRequest, case_id: int, body: InvestigationIn):
    actions.record_investigation(actor=request.user, case=_case_id(request, case_id), **body.dict())
    return _detail(request, case_id)


@router.post(
    "/complaints/{case_id}/experiments",
    response={201: ExperimentOut},
    summary="Record a construction experiment (photos: POST /cases/{id}/photos)",
)
def experiment(request: HttpRequest, case_id: int, body: ExperimentIn):
    found = actions.record_experiment(
        actor=request.user, case=_case_id(request, case_id), **body.dict()
    )
    return Status(
        201,
        {n: getattr(found, "pk" if n == "id" else n) for n in ExperimentOut.model_fields},
    )


@router.post(
    "/complaints/{case_id}/ruling",
    response=ComplaintDetail,
    summary="The responsibility ruling and the root cause (moves on to the resolution)",
)
def ruling(request: HttpRequest, case_id: int, body: RulingIn):
    try:
        actions.rule(
            actor=request.user,
            case=_case_id(request, case_id),
            responsibility=body.responsibility,
            cause=body.cause_id,
            version=body.version,
            note=body.note,
        )
    except InvalidInput as exc:
        raise _renamed(exc, {"cause": "cause_id"}) from None
    return _detail(request, case_id)


@router.post(
    "/complaints/{case_id}/resolutions",
    response={201: ResolutionOut},
    summary="Record a resolution (from the site investigation on; above the limit it waits "
    "for a manager's approval)",
)
def propose(request: HttpRequest, case_id: int, body: ResolutionIn):
    found = actions.propose_resolution(
        actor=request.user, case=_case_id(request, case_id), **body.dict()
    )
    found = Resolution.objects.select_related("proposed_by", "approved_by").get(pk=found.pk)
    return Status(201, _resolution(found))


def _resolution_response(found: Resolution) -> dict[str, Any]:
    found = Resolution.objects.select_related("proposed_by", "approved_by").get(pk=found.pk)
    return _resolution(found)


@router.post(
    "/complaints/{case_id}/resolutions/{resolution_id}/approve",
    response=ResolutionOut,
    summary="A manager approves a resolution above the limit",
)
def approve(request: HttpRequest, case_id: int, resolution_id: int, body: DecisionIn):
    found = _resolution_of(request, case_id, resolution_id)
    return _resolution_response(
        actions.approve_resolution(actor=request.user, resolution=found, version=body.version)
    )


@router.post(
    "/complaints/{case_id}/resolutions/{resolution_id}/reject",
    response=ResolutionOut,
    summary="A manager rejects a resolution above the limit, with the reason",
)
def reject(request: HttpRequest, case_id: int, resolution_id: int, body: RejectIn):
    found = _resolution_of(request, case_id, resolution_id)
    return _resolution_response(
        actions.reject_resolution(
            actor=request.user, resolution=found, reason=body.reason, version=body.version
        )
    )


@router.post(
    "/complaints/{case_id}/resolutions/{resolution_id}/execute",
    response=ResolutionOut,
    summary="The resolution was carried out, with its final cost",
)
def execute(request: HttpRequest, case_id: int, resolution_id: int, body: ExecuteIn):
    found = _resolution_of(request, case_id, resolution_id)
    return _resolution_response(
        actions.execute_resolution(actor=request.user, resolution=found, **body.dict())
    )


@router.post(
    "/complaints/{case_id}/follow-up",
    response={201: EventOut},
    summary="The emotional follow-up call after the resolution",
)
def follow_up(request: HttpRequest, case_id: int, body: FollowUpIn):
    event = actions.log_follow_up(
        actor=request.user, case=_case_id(request, case_id), **body.dict()
    )
    return Status(201, event_out(event, []))


@router.post(
    "/complaints/{case_id}/return-visit",
    response=ComplaintDetail,
    summary="The return visit: is the customer satisfied? It ends the complaint",
)
def return_visit(request: HttpRequest, case_id: int, body: ReturnVisitIn):
    actions.record_return_visit(actor=request.user, case=_case_id(request, case_id), **body.dict())
    return _detail(request, case_id)


@router.post(
    "/complaints/{case_id}/reassign",
    response=ComplaintDetail,
    summary="Change the person responsible, with a reason (never the person complained about)",
)
def reassign(request: HttpRequest, case_id: int, body: ReassignIn):
    pk = _case_id(request, case_id)
    scope = scope_for(request.user)
    scope.require(Perm.ASSIGN_CASES)
    staff = (
        Staff.objects.select_related("unit", "user")
        .filter(pk=body.assignee_id, company_id=scope.company_id)
        .first()
        if not scope.everything
        else Staff.objects.select_related("unit", "user").filter(pk=body.assignee_id).first()
    )
    if staff is None:
        raise InvalidInput(NotFound.default_message, field="assignee_id")
    try:
        actions.reassign(
            actor=request.user, case=pk, assignee=staff, reason=body.reason, version=body.version
        )
    except InvalidInput as exc:
        raise _renamed(exc, {"assignee": "assignee_id"}) from None
    return _detail(request, case_id)


@router.post(
    "/complaints/{case_id}/escalate",
    response=ComplaintDetail,
    summary="Mark the complaint major (safety, media, amount, repeated)",
)
def escalate(request: HttpRequest, case_id: int, body: EscalateIn):
    actions.escalate(actor=request.user, case=_case_id(request, case_id), **body.dict())
    return _detail(request, case_id)


@router.post(
    "/complaints/{case_id}/merge",
    response=ComplaintDetail,
    summary="Merge this duplicate into another open complaint of the same customer",
    description="The duplicate closes pointing to the complaint kept; both timelines stay.",
)
def merge(request: HttpRequest, case_id: int, body: MergeIn):
    try:
        actions.merge(
            actor=request.user,
            case=_case_id(request, case_id),
            into=body.into_id,
            reason=body.reason,
            version=body.version,
        )
    except InvalidInput as exc:
        raise _renamed(exc, {"into": "into_id"}) from None
    return _detail(request, case_id)


@router.post(
    "/complaints/{case_id}/close",
    response=ComplaintDetail,
    summary="Close without a resolution (withdrawn, not a complaint), with the reason",
)
def close(request: HttpRequest, case_id: int, body: CloseIn):
    actions.close(actor=request.user, case=_case_id(request, case_id), **body.dict())
    return _detail(request, case_id)
