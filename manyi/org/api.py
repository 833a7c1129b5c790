"""API of the organisation: units, staff, the current user, personal API tokens."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from manyi.errors import InvalidInput, NotFound
from manyi.org import actions
from manyi.org.models import ApiToken, Staff, Unit
from manyi.org.scopes import Perm, scope_for

router = Router(tags=["organisation"])


class UnitOut(Schema):
    id: int
    kind: str
    name: str
    code: str
    parent_id: int | None
    company_id: int | None
    industry: str
    phone: str
    address: str
    return_visit_days: int | None
    is_active: bool


class UnitIn(Schema):
    parent_id: int
    kind: str = Field(..., description="region or outlet")
    name: str = Field(..., max_length=100)
    code: str = Field(..., max_length=32)
    industry: str = ""
    phone: str = Field("", max_length=20)
    address: str = Field("", max_length=200)


class UnitPatch(Schema):
    name: str | None = Field(None, max_length=100)
    code: str | None = Field(None, max_length=32)
    industry: str | None = None
    phone: str | None = Field(None, max_length=20)
    address: str | None = Field(None, max_length=200)
    is_active: bool | None = None
    return_visit_days: int | None = Field(None, ge=0, le=365)


class StaffOut(Schema):
    id: int
    username: str = Field(..., alias="user.username")
    name: str
    role: str
    unit_id: int
    company_id: int
    phone: str
    employee_no: str
    is_active: bool = Field(..., alias="user.is_active")
    # Read-only: set by certification (manyi.team), not by a staff edit.
    work_licence: bool
    licence_expires_on: dt.date | None


class StaffIn(Schema):
    unit_id: int
    username: str = Field(..., max_length=150)
    name: str = Field(..., max_length=50)
    role: str
    password: str = Field(..., max_length=128)
    phone: str = Field("", max_length=20)
    employee_no: str = Field("", max_length=32)
    email: str = Field("", max_length=254)


class StaffPatch(Schema):
    name: str | None = Field(None, max_length=50)
    role: str | None = None
    unit_id: int | None = None
    phone: str | None = Field(None, max_length=20)
    employee_no: str | None = Field(None, max_length=32)
    is_active: bool | None = None


class MeOut(Schema):
    username: str
    name: str
    role: str | None
    unit_id: int | None
    company_id: int | None
    permissions: list[str]


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenIn(Schema):
    name: str = Field(..., max_length=100)


class TokenCreated(TokenOut):
    token: str


def _unit(request: HttpRequest, unit_id: int, perm: Perm = Perm.VIEW_ORG) -> Unit:
    scope = scope_for(request.user)
    scope.require(perm)
    try:
        return scope.units().get(pk=unit_id)
    except (Unit.DoesNotExist, OverflowError) as exc:
        raise NotFound() from exc


def _unit_field(request: HttpRequest, unit_id: int, perm: Perm, field: str) -> Unit:
    try:
        return _unit(request, unit_id, perm)
    except NotFound as exc:
        raise InvalidInput(NotFound.default_message, field=field) from exc


@router.get("/me", response=MeOut, summary="The current user and their permissions")
def me(request: HttpRequest):
    scope = scope_for(request.user)
    staff = getattr(request.user, "staff", None)
    return {
        "username": request.user.username,
        "name": staff.name if staff else request.user.get_full_name(),
        "role": scope.role,
        "unit_id": scope.unit_id,
        "company_id": scope.company_id,
        "permissions": sorted(scope.perms),
    }


@router.get("/units", response=list[UnitOut], summary="Units in your scope")
def list_units(request: HttpRequest, kind: str = ""):
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_ORG)
    qs = scope.units()
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("path")[:2000])


@router.get("/units/{unit_id}", response=UnitOut)
def get_unit(request: HttpRequest, unit_id: int):
    return _unit(request, unit_id)


@router.post("/units", response={201: UnitOut})
def create_unit(request: HttpRequest, payload: UnitIn):
    parent = _unit_field(request, payload.parent_id, Perm.MANAGE_UNITS, "parent_id")
    try:
        unit = actions.create_unit(
            actor=request.user, parent=parent, **payload.dict(exclude={"parent_id"})
        )
    except InvalidInput as exc:
        exc.errors = [("parent_id" if f == "parent" else f, m) for f, m in exc.errors]
        raise
    return Status(201, unit)


@router.patch("/units/{unit_id}", response=UnitOut)
def update_unit(request: HttpRequest, unit_id: int, payload: UnitPatch):
    unit = _unit(request, unit_id)
    return actions.update_unit(actor=request.user, unit=unit, **payload.dict(exclude_unset=True))


@router.delete("/units/{unit_id}", response={204: None}, summary="Delete an empty unit")
def delete_unit(request: HttpRequest, unit_id: int):
    actions.delete_unit(actor=request.user, unit=_unit(request, unit_id))
    return Status(204, None)


def _staff_qs(request: HttpRequest):
    scope = scope_for(request.user)
    return scope.filter(Staff.objects.select_related("user"), unit_field="unit", perm=Perm.VIEW_ORG)


@router.get("/staff", response=list[StaffOut], summary="Staff in your scope")
def list_staff(request: HttpRequest, unit_id: int | None = None, role: str = ""):
    qs = _staff_qs(request)
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if role:
        qs = qs.filter(role=role)
    return list(qs.order_by("id")[:2000])


@router.get("/staff/{staff_id}", response=StaffOut)
def get_staff(request: HttpRequest, staff_id: int):
    try:
        return _staff_qs(request).get(pk=staff_id)
    except (Staff.DoesNotExist, OverflowError) as exc:
        raise NotFound() from exc


@router.post("/staff", response={201: StaffOut})
def create_staff(request: HttpRequest, payload: StaffIn):
    unit = _unit_field(request, payload.unit_id, Perm.MANAGE_STAFF, "unit_id")
    staff = actions.create_staff(actor=request.user, unit=unit, **payload.dict(exclude={"unit_id"}))
    return Status(201, staff)


@router.patch("/staff/{staff_id}", response=StaffOut)
def update_staff(request: HttpRequest, staff_id: int, payload: StaffPatch):
    staff = get_staff(request, staff_id)
    values = payload.dict(exclude_unset=True)
    if values.get("unit_id") is not None:
        values["unit"] = _unit_field(request, values.pop("unit_id"), Perm.MANAGE_STAFF, "unit_id")
    else:
        values.pop("unit_id", None)
    return actions.update_staff(actor=request.user, staff=staff, **values)


@router.delete("/staff/{staff_id}", response={204: None}, summary="Disable a staff login")
def disable_staff(request: HttpRequest, staff_id: int):
    """Staff are never deleted (their name stays on records and in the log): the login is
    disabled."""
    actions.update_staff(actor=request.user, staff=get_staff(request, staff_id), is_active=False)
    return Status(204, None)


@router.get("/tokens", response=list[TokenOut], summary="Your personal API tokens")
def list_tokens(request: HttpRequest):
    return list(ApiToken.objects.filter(user=request.user)[:100])


@router.post("/tokens", response={201: TokenCreated}, summary="Create a personal API token")
def create_token(request: HttpRequest, payload: TokenIn):
    token, raw = actions.create_api_token(user=request.user, name=payload.name)
    return Status(201, {**TokenOut.from_orm(token).dict(), "token": raw})


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke a token")
def revoke_token(request: HttpRequest, token_id: int):
    actions.revoke_api_token(user=request.user, token_id=token_id)
    return Status(204, None)
