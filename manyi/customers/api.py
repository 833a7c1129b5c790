"""API of the customer archive: customers and their purchases, under the same scope rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from manyi.customers import actions, queries
from manyi.customers.models import Customer, Purchase, mask_phone
from manyi.errors import InvalidInput, NotFound
from manyi.org.models import Unit, UnitKind
from manyi.org.scopes import Perm, scope_for
from manyi.pagination import keyset_page

router = Router(tags=["customers"])


class CustomerOut(Schema):
    id: int
    name: str
    phone: str
    home_outlet_id: int
    province: str
    city: str
    district: str
    address_detail: str
    age_band: str
    income_band: str
    education: str
    social_class: str
    relationship_level: str
    tags: list[str]
    contact_consent: bool
    contact_consent_at: dt.datetime | None
    survey_consent: bool
    survey_consent_at: dt.datetime | None
    notes: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_cursor: int | None = Field(None, description="pass as ?after= for the next page")


class CustomerIn(Schema):
    name: str = Field(..., max_length=50)
    phone: str = Field(..., max_length=30)
    home_outlet_id: int
    province: str = Field("", max_length=20)
    city: str = Field("", max_length=30)
    district: str = Field("", max_length=30)
    address_detail: str = Field("", max_length=200)
    age_band: str = ""
    income_band: str = ""
    education: str = ""
    social_class: str = ""
    relationship_level: str = "basic"
    tags: list[str] = Field(default_factory=list, max_length=20)
    contact_consent: bool = False
    survey_consent: bool = False
    notes: str = Field("", max_length=2000)


class CustomerPatch(Schema):
    version: int | None = Field(None, description="the version you read; a stale one gets 409")
    name: str | None = Field(None, max_length=50)
    phone: str | None = Field(None, max_length=30)
    home_outlet_id: int | None = None
    province: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=30)
    district: str | None = Field(None, max_length=30)
    address_detail: str | None = Field(None, max_length=200)
    age_band: str | None = None
    income_band: str | None = None
    education: str | None = None
    social_class: str | None = None
    relationship_level: str | None = None
    tags: list[str] | None = Field(None, max_length=20)
    contact_consent: bool | None = None
    survey_consent: bool | None = None
    notes: str | None = Field(None, max_length=2000)


class CustomerQuery(Schema):
    q: str = Field("", max_length=100, description="name, phone, last 4 digits, or address")
    outlet: int | None = None
    relationship_level: str = ""
    age_band: str = ""
    income_band: str = ""
    education: str = ""
    social_class: str = ""
    tag: str = ""
    after: int | None = Field(None, description="cursor from the previous page")
    limit: int = Field(50, ge=1, le=200)


class PurchaseOut(Schema):
    id: int
    customer_id: int
    outlet_id: int
    product: str
    batch_no: str
    quantity: Decimal
    purchased_on: dt.date
    created_at: dt.datetime


class PurchaseIn(Schema):
    product: str = Field(..., max_length=100)
    batch_no: str = Field("", max_length=50)
    quantity: Decimal = Decimal(1)
    purchased_on: dt.date
    outlet_id: int | None = None


def _out(customer: Customer, scope, shown: set[int] | None = None) -> dict:
    data = {f: getattr(customer, f) for f in CustomerOut.model_fields if f != "tags"}
    data["tags"] = [t.name for t in customer.tags.all()]
    if shown is None:
        shown = queries.phones_shown(scope, [customer])
    if customer.pk not in shown:
        data["phone"] = mask_phone(customer.phone)
    return data


def _customer(request: HttpRequest, customer_id: int) -> Customer:
    return queries.customer_detail(scope_for(request.user), customer_id)


def _outlet(request: HttpRequest, outlet_id: int) -> Unit:
    scope = scope_for(request.user)
    try:
        return scope.units().get(pk=outlet_id, kind=UnitKind.OUTLET)
    except (Unit.DoesNotExist, OverflowError) as exc:
        raise InvalidInput(NotFound.default_message, field="home_outlet_id") from exc


@router.get("/customers", response=CustomerPage, summary="Search and list customers")
def list_customers(request: HttpRequest, params: Query[CustomerQuery]):
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_CUSTOMERS)
    filters = queries.CustomerFilters.from_params(params.dict())
    qs = queries.customer_list(scope, filters).prefetch_related("tags")
    page = keyset_page(qs, after=params.after, size=params.limit)
    shown = queries.phones_shown(scope, page.items)
    return {"items": [_out(c, scope, shown) for c in page.items], "next_cursor": page.next_cursor}


@router.get("/customers/{customer_id}", response=CustomerOut)
def get_customer(request: HttpRequest, customer_id: int):
    return _out(_customer(request, customer_id), scope_for(request.user))


@router.post("/customers", response={201: CustomerOut})
def create_customer(request: HttpRequest, payload: CustomerIn):
    scope = scope_for(request.user)
    scope.require(Perm.EDIT_CUSTOMERS)
    data = payload.dict(exclude={"home_outlet_id"})
    data["home_outlet"] = _outlet(request, payload.home_outlet_id)
    customer = actions.create_customer(actor=request.user, data=data)
    return Status(201, _out(customer, scope))


@router.patch("/customers/{customer_id}", response=CustomerOut)
def update_customer(request: HttpRequest, customer_id: int, payload: CustomerPatch):
    customer = _customer(request, customer_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    if data.get("home_outlet_id") is not None:
        data["home_outlet"] = _outlet(request, data.pop("home_outlet_id"))
    data.pop("home_outlet_id", None)
    for required in ("name", "phone", "relationship_level"):
        if required in data and data[required] is None:
            raise InvalidInput(InvalidInput.default_message, field=required)
    customer = actions.update_customer(
        actor=request.user, customer=customer, data=data, version=version
    )
    return _out(
        queries.customer_detail(scope_for(request.user), customer.pk), scope_for(request.user)
    )


@router.delete("/customers/{customer_id}", response={204: None})
def delete_customer(request: HttpRequest, customer_id: int):
    actions.delete_customer(actor=request.user, customer=_customer(request, customer_id))
    return Status(204, None)


@router.get("/customers/{customer_id}/purchases", response=list[PurchaseOut])
def list_purchases(request: HttpRequest, customer_id: int):
    return list(_customer(request, customer_id).purchases.all())


@router.post("/customers/{customer_id}/purchases", response={201: PurchaseOut})
def add_purchase(request: HttpRequest, customer_id: int, payload: PurchaseIn):
    customer = _customer(request, customer_id)
    data = payload.dict(exclude={"outlet_id"})
    if payload.outlet_id is not None:
        try:
            data["outlet"] = _outlet(request, payload.outlet_id)
        except InvalidInput as exc:
            raise InvalidInput(NotFound.default_message, field="outlet_id") from exc
    return Status(201, actions.add_purchase(actor=request.user, customer=customer, data=data))


@router.delete("/customers/{customer_id}/purchases/{purchase_id}", response={204: None})
def delete_purchase(request: HttpRequest, customer_id: int, purchase_id: int):
    customer = _customer(request, customer_id)
    try:
        purchase = customer.purchases.select_related("customer__home_outlet").get(pk=purchase_id)
    except (Purchase.DoesNotExist, OverflowError) as exc:
        raise NotFound() from exc
    actions.delete_purchase(actor=request.user, purchase=purchase)
    return Status(204, None)
