"""A customer's personal data in the API: the export (JSON) and the erasure."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from manyi.privacy import actions

router = Router(tags=["personal data"])


class EraseIn(Schema):
    confirm: str = Field(..., max_length=10, description="the last four digits of the phone")


class ErasedOut(Schema):
    id: int
    erased_at: Any


@router.get(
    "/customers/{customer_id}/personal-data",
    response=dict[str, list[dict[str, Any]]],
    summary="Everything held about one customer (access request; logged)",
)
def export_personal_data(request: HttpRequest, customer_id: int):
    return actions.export_customer_data(actor=request.user, customer_id=customer_id, fmt="api")


@router.post(
    "/customers/{customer_id}/erase",
    response={200: ErasedOut},
    summary="Erase a customer's personal data (anonymise; numbers kept; logged)",
)
def erase(request: HttpRequest, customer_id: int, payload: EraseIn):
    customer = actions.erase_customer(
        actor=request.user, customer_id=customer_id, confirm=payload.confirm
    )
    return Status(200, {"id": customer.pk, "erased_at": customer.erased_at})
