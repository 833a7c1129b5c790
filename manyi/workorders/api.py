"""API of work orders (002 第三章): intake from a sale, the first visit, visits, the signed record.

Stage changes — dispatch, contacted, hand in, submit, acceptance (accept / rework), archive and
the return visit (close) — go through ``POST /cases/{id}/moves``; its description lists the
payload each move needs. Intake is not idempotent yet: a retried ``POST /work-orders`` opens a
second case (an ``Idempotency-Key`` header is a later issue).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from manyi.cases.api import CaseDetail, EventOut, case_detail, event_out, get_case
from manyi.cases.models import Case
from manyi.customers.models import Customer
from manyi.customers.queries import visible_customers
from manyi.errors import InvalidInput, NotFound
from manyi.org.scopes import Perm, Scope, scope_for
from manyi.workorders import actions
from manyi.workorders.models import WorkOrder
from manyi.workorders.scripts import scripts_for
from manyi.workorders.workflow import KIND

router = Router(tags=["work orders"])


class WorkOrderIn(Schema):
    customer_id: int = Field(..., ge=1, lt=2**63)
    site_address: str = Field("", max_length=200, description="default: the customer's address")
    installer_name: str = Field("", max_length=50)
    installer_phone: str = Field("", max_length=30)
    planned_start: dt.date | None = None
    products: str = Field("", max_length=2000, description="products and batches bought")
    priority: str = Field("normal", max_length=10, description="low, normal, high or urgent")
    title: str = Field("", max_length=200)


class WorkOrderOut(Schema):
    site_address: str
    installer_name: str
    installer_phone: str
    planned_start: dt.date | None
    products: str
    first_visit_at: dt.datetime | None
    evaluation: str
    signed_by: str
    signed_at: dt.datetime | None
    signature_sha256: str | None
    signed_hash: str
    signoff_method: str
    inspection: dict[str, Any]
    return_visit_outcome: str


class ScriptOut(Schema):
    step: str
    title: str
    body: str


class WorkOrderDetail(Schema):
    case: CaseDetail
    work_order: WorkOrderOut
    scripts: list[ScriptOut] = Field(..., description="the standard words for this stage (话术)")


class FirstVisitIn(Schema):
    at: dt.datetime


class VisitIn(Schema):
    step: str = Field(..., max_length=100, description="the process step served (e.g. 底漆)")
    products: str = Field("", max_length=200)
    mix_ratio: str = Field("", max_length=100)
    notes: str = Field("", max_length=2000)
    customer_informed: bool = False


class SignIn(Schema):
    signer_name: str = Field(..., max_length=50)
    evaluation: str = Field(
        ..., max_length=20, description="very_satisfied, satisfied, neutral or dissatisfied"
    )
    signature: str = Field(
        "",
        max_length=2_000_000,
        description="the drawn signature: a PNG data URL (or leave empty and send `code`)",
    )
    code: str = Field(
        "",
        max_length=6,
        description="instead of a drawing: the six-digit code texted to the customer "
        "(POST …/sign-off-code first)",
    )


class CodeSentOut(Schema):
    sent_to: str


def _order_out(order: WorkOrder) -> dict[str, Any]:
    return {
        **{
            name: getattr(order, name)
            for name in WorkOrderOut.model_fields
            if name != "signature_sha256"
        },
        "signature_sha256": order.signature.sha256 if order.signature_id else None,
    }


def _case(request: HttpRequest, case_id: int) -> Case:
    """A work order's case the user may read (404 for other kinds and out of scope)."""
    case = get_case(request, case_id)
    if case.kind != KIND:
        raise NotFound()
    return case


def _detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    scope = scope_for(request.user)
    case = _case(request, case_id)
    order = WorkOrder.objects.select_related("signature").filter(case=case).first()
    if order is None:
        raise NotFound()
    return _response(scope, case, order)


def _response(scope: Scope, case: Case, order: WorkOrder) -> dict[str, Any]:
    return {
        "case": case_detail(case, scope),
        "work_order": _order_out(order),
        "scripts": scripts_for(case.company_id, case.stage),
    }


@router.post(
    "/work-orders",
    response={201: WorkOrderDetail},
    summary="Intake (接单): a work order from a sale",
    description="Not idempotent yet: a retry opens a second work order.",
)
def create_work_order(request: HttpRequest, body: WorkOrderIn):
    scope = scope_for(request.user)
    scope.require(Perm.OPEN_CASES)
    try:
        # Intake needs the customer and their outlet, not their tags and purchases.
        customer = visible_customers(scope).select_related("home_outlet").get(pk=body.customer_id)
    except (Customer.DoesNotExist, OverflowError) as exc:
        raise InvalidInput(NotFound.default_message, field="customer_id") from exc
    try:
        case = actions.take_order(
            actor=request.user, customer=customer, **body.dict(exclude={"customer_id"})
        )
    except InvalidInput as exc:
        exc.errors = [("customer_id" if f == "unit" else f, m) for f, m in exc.field_errors()]
        raise
    # The new case already holds its customer, outlet and work order: no need to read it back.
    return Status(201, _response(scope, case, case.workorder))


@router.get("/work-orders/{case_id}", response=WorkOrderDetail)
def get_work_order(request: HttpRequest, case_id: int):
    return _detail(request, case_id)


@router.post(
    "/work-orders/{case_id}/first-visit",
    response=WorkOrderDetail,
    summary="The first visit agreed with the customer (联系)",
)
def set_first_visit(request: HttpRequest, case_id: int, body: FirstVisitIn):
    actions.set_first_visit(actor=request.user, case=_case(request, case_id), at=body.at)
    return _detail(request, case_id)


@router.post(
    "/work-orders/{case_id}/visits",
    response={201: EventOut},
    summary="One line of the tracking card (客户服务跟踪卡)",
)
def log_visit(request: HttpRequest, case_id: int, body: VisitIn):
    event = actions.log_visit(actor=request.user, case=_case(request, case_id), **body.dict())
    return Status(201, event_out(event, []))


@router.post(
    "/work-orders/{case_id}/sign-off-code",
    response=CodeSentOut,
    summary="Text the customer a one-time code to confirm the service record",
)
def send_signoff_code(request: HttpRequest, case_id: int):
    return {"sent_to": actions.send_signoff_code(actor=request.user, case=_case(request, case_id))}


@router.post(
    "/work-orders/{case_id}/sign",
    response=WorkOrderDetail,
    summary="The customer signs the service record; it is then frozen",
)
def sign(request: HttpRequest, case_id: int, body: SignIn):
    try:
        actions.sign_record(
            actor=request.user,
            case=_case(request, case_id),
            signer_name=body.signer_name,
            evaluation=body.evaluation,
            signature=body.signature or None,
            code=body.code,
        )
    except InvalidInput as exc:
        # The image check speaks of a "file"; here the image is the signature.
        exc.errors = [("signature" if f == "file" else f, m) for f, m in exc.field_errors()]
        raise
    return _detail(request, case_id)
