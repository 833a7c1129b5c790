"""Every write to the organisation: units, staff, API tokens, and the audit log itself."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.errors import Conflict, InvalidInput, NotFound, OutOfScope
from manyi.org.models import (
    ALLOWED_PARENT,
    ApiToken,
    AuditAction,
    AuditEntry,
    Industry,
    Role,
    Staff,
    Unit,
    UnitKind,
    token_digest,
)
from manyi.org.scopes import Perm, scope_for

User = get_user_model()

TOKEN_PREFIX = "manyi_"  # noqa: S105 - a public marker, not a secret


def audit(
    *,
    actor,
    action: str,
    obj: models.Model,
    company_id: int | None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one line to the audit log (called inside the action's transaction)."""
    return AuditEntry.objects.create(
        at=clock.now(),
        company_id=company_id,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes or {},
    )


def diff(obj: models.Model, values: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields of ``values`` that differ from ``obj``, as {field: [old, new]} (JSON-safe)."""
    changed = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changed[field] = [_jsonable(old), _jsonable(new)]
    return changed


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


# -- units ------------------------------------------------------------------------------------


@transaction.atomic
def create_company(*, name: str, code: str, actor=None) -> Unit:
    """Create a new company: the root of an organisation tree (installation set-up)."""
    if actor is not None and not scope_for(actor).everything:
        raise OutOfScope()
    name, code = _clean_name(name), _clean_code(code)
    if Unit.objects.filter(kind=UnitKind.COMPANY, code=code).exists():
        raise InvalidInput(_("This code is already used by another unit."), field="code")
    unit = Unit.objects.create(kind=UnitKind.COMPANY, name=name, code=code, path="")
    unit.company = unit
    unit.path = f"/{unit.pk}/"
    unit.save(update_fields=["company", "path"])
    audit(actor=actor, action=AuditAction.CREATE, obj=unit, company_id=unit.pk)
    return unit


@transaction.atomic
def create_unit(
    *,
    actor,
    parent: Unit,
    kind: str,
    name: str,
    code: str,
    industry: str = "",
    phone: str = "",
    address: str = "",
) -> Unit:
    """Add a region under the company or an outlet under a region."""
    scope = scope_for(actor)
    scope.require_unit(parent, Perm.MANAGE_UNITS)
    if kind not in UnitKind.values or kind == UnitKind.COMPANY:
        raise InvalidInput(_("Choose region or outlet."), field="kind")
    if ALLOWED_PARENT[UnitKind(kind)] != parent.kind:
        raise InvalidInput(
            _("A region belongs to the company and an outlet to a region."), field="parent"
        )
    industry = _clean_industry(kind, industry)
    name, code = _clean_name(name), _clean_code(code)
    if Unit.objects.filter(company_id=parent.company_id, code=code).exists():
        raise InvalidInput(_("This code is already used by another unit."), field="code")
    unit = Unit.objects.create(
        kind=kind,
        name=name,
        code=code,
        parent=parent,
        company_id=parent.company_id,
        industry=industry,
        phone=phone.strip()[:20],
        address=address.strip()[:200],
        path="",
    )
    unit.path = f"{parent.path}{unit.pk}/"
    unit.save(update_fields=["path"])
    audit(actor=actor, action=AuditAction.CREATE, obj=unit, company_id=unit.company_id)
    return unit


@transaction.atomic
def update_unit(
    *,
    actor,
    unit: Unit,
    name: str | None = None,
    code: str | None = None,
    industry: str | None = None,
    phone: str | None = None,
    address: str | None = None,
    is_active: bool | None = None,
    return_visit_days: int | None = None,
) -> Unit:
    """Change a unit's details (its place in the tree is fixed).

    ``return_visit_days`` 0 clears an outlet's own return-visit period (the industry default
    applies again).
    """
    scope = scope_for(actor)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    scope.require_unit(unit, Perm.MANAGE_UNITS)
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = _clean_name(name)
    if code is not None:
        values["code"] = _clean_code(code)
        clash = Unit.objects.filter(company_id=unit.company_id, code=values["code"])
        if clash.exclude(pk=unit.pk).exists():
            raise InvalidInput(_("This code is already used by another unit."), field="code")
    if industry is not None:
        values["industry"] = _clean_industry(unit.kind, industry)
    if phone is not None:
        values["phone"] = phone.strip()[:20]
    if address is not None:
        values["address"] = address.strip()[:200]
    if return_visit_days is not None:
        if unit.kind != UnitKind.OUTLET:
            raise InvalidInput(
                _("Only an outlet has a return-visit period."), field="return_visit_days"
            )
        if not 0 <= return_visit_days <= 365:
            raise InvalidInput(
                _("Enter a number of days from 1 to 365 (0: the default)."),
                field="return_visit_days",
            )
        values["return_visit_days"] = return_visit_days or None
    if is_active is not None:
        if unit.kind == UnitKind.COMPANY and not is_active:
            raise InvalidInput(_("The company itself cannot be deactivated."), field="is_active")
        values["is_active"] = is_active
    changes = diff(unit, values)
    if changes:
        for field, value in values.items():
            setattr(unit, field, value)
        unit.save(update_fields=list(values))
        audit(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=unit,
            company_id=unit.company_id,
            changes=changes,
        )
    return unit


@transaction.atomic
def delete_unit(*, actor, unit: Unit) -> None:
    """Remove a unit created by mistake; a unit with anything in it is deactivated instead."""
    scope = scope_for(actor)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    scope.require_unit(unit, Perm.MANAGE_UNITS)
    if unit.kind == UnitKind.COMPANY:
        raise Conflict(_("The company itself cannot be deleted."))
    if unit.children.exists() or unit.staff.exists() or _holds_records(unit):
        raise Conflict(_("This unit still has units, staff or customers; deactivate it instead."))
    audit(actor=actor, action=AuditAction.DELETE, obj=unit, company_id=unit.company_id)
    unit.delete()


def _holds_records(unit: Unit) -> bool:
    """Whether any row of another module points at the unit (PROTECT would refuse anyway)."""
    for relation in unit._meta.related_objects:
        if relation.one_to_many and relation.related_model is not Unit:
            accessor = relation.get_accessor_name()
            if accessor and accessor != "+" and getattr(unit, accessor).exists():
                return True
    return False


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Enter a name."), field="name")
    if len(name) > 100:
        raise InvalidInput(_("The name is too long (at most 100 characters)."), field="name")
    return name


def _clean_code(code: str) -> str:
    code = (code or "").strip()
    if not code:
        raise InvalidInput(_("Enter a code."), field="code")
    if len(code) > 32:
        raise InvalidInput(_("The code is too long (at most 32 characters)."), field="code")
    return code


def _clean_industry(kind: str, industry: str) -> str:
    if kind != UnitKind.OUTLET:
        return ""
    if industry not in Industry.values:
        raise InvalidInput(_("Choose the outlet's industry."), field="industry")
    return industry


# -- staff ------------------------------------------------------------------------------------


@transaction.atomic
def create_staff(
    *,
    actor,
    unit: Unit,
    username: str,
    name: str,
    role: str,
    password: str,
    phone: str = "",
    employee_no: str = "",
    email: str = "",
) -> Staff:
    """Create a login for a member of staff, with a role and a home unit."""
    scope = scope_for(actor)
    scope.require_unit(unit, Perm.MANAGE_STAFF)
    _check_role_grant(scope, role)
    username = (username or "").strip()
    if not username or len(username) > 150:
        raise InvalidInput(_("Enter a user name of at most 150 characters."), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(_("This user name is taken."), field="username")
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise InvalidInput(_("Enter the person's name (at most 50 characters)."), field="name")
    user = User(username=username, email=email.strip(), first_name=name[:150])
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise InvalidInput(_("This user name is taken."), field="username") from exc
    staff = Staff.objects.create(
        user=user,
        company_id=unit.company_id,
        unit=unit,
        role=role,
        name=name,
        phone=phone.strip()[:20],
        employee_no=employee_no.strip()[:32],
    )
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=staff,
        company_id=staff.company_id,
        changes={"role": [None, role], "unit": [None, unit.name]},
    )
    return staff


@transaction.atomic
def update_staff(
    *,
    actor,
    staff: Staff,
    name: str | None = None,
    role: str | None = None,
    unit: Unit | None = None,
    phone: str | None = None,
    employee_no: str | None = None,
    is_active: bool | None = None,
) -> Staff:
    """Change a staff member's details, role, home unit or whether they may log in."""
    scope = scope_for(actor)
    staff = Staff.objects.select_for_update().select_related("unit", "user").get(pk=staff.pk)
    scope.require_unit(staff.unit, Perm.MANAGE_STAFF)
    values: dict[str, Any] = {}
    if name is not None:
        name = name.strip()
        if not name or len(name) > 50:
            raise InvalidInput(_("Enter the person's name (at most 50 characters)."), field="name")
        values["name"] = name
    if role is not None:
        _check_role_grant(scope, role)
        values["role"] = role
    if unit is not None:
        scope.require_unit(unit, Perm.MANAGE_STAFF)
        if unit.company_id != staff.company_id:
            raise InvalidInput(_("The unit belongs to another company."), field="unit")
        values["unit"] = unit
    if phone is not None:
        values["phone"] = phone.strip()[:20]
    if employee_no is not None:
        values["employee_no"] = employee_no.strip()[:32]
    changes = diff(staff, values)
    if is_active is not None and is_active != staff.user.is_active:
        if staff.user_id == getattr(actor, "pk", None) and not is_active:
            raise InvalidInput(_("You cannot deactivate yourself."), field="is_active")
        changes["is_active"] = [staff.user.is_active, is_active]
        staff.user.is_active = is_active
        staff.user.save(update_fields=["is_active"])
    if values:
        for field, value in values.items():
            setattr(staff, field, value)
        staff.save(update_fields=list(values))
    if changes:
        audit(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=staff,
            company_id=staff.company_id,
            changes=changes,
        )
    return staff


def _check_role_grant(scope, role: str) -> None:
    if role not in Role.values:
        raise InvalidInput(_("Choose a role."), field="role")
    # Only company-wide managers may create administrators or department heads.
    if role in (Role.ADMIN, Role.DEPARTMENT_HEAD) and not (
        scope.is_company_wide and scope.can(Perm.MANAGE_UNITS)
    ):
        raise OutOfScope(_("Only a department head may grant this role."))


@transaction.atomic
def change_password(*, user, old_password: str, new_password: str) -> None:
    """A user changes their own password."""
    if not user.check_password(old_password):
        raise InvalidInput(_("The current password is not correct."), field="old_password")
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="new_password") from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])


# -- API tokens -------------------------------------------------------------------------------


@transaction.atomic
def create_api_token(*, user, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token; returns it with the secret, which is never shown again."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput(_("Name the token (at most 100 characters)."), field="name")
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= 20:
        raise Conflict(_("You already have 20 active tokens; revoke one first."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:12], digest=token_digest(raw))
    company_id = getattr(getattr(user, "staff", None), "company_id", None)
    audit(
        actor=user,
        action=AuditAction.TOKEN,
        obj=token,
        company_id=company_id,
        changes={"created": [None, name]},
    )
    return token, raw


@transaction.atomic
def revoke_api_token(*, user, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens."""
    try:
        token = ApiToken.objects.select_for_update().get(pk=token_id, user=user)
    except (ApiToken.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        company_id = getattr(getattr(user, "staff", None), "company_id", None)
        audit(
            actor=user,
            action=AuditAction.TOKEN,
            obj=token,
            company_id=company_id,
            changes={"revoked": [None, token.name]},
        )
    return token


def user_for_token(raw: str):
    """The active user a bearer token belongs to, or None; notes when it was last used."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__staff__unit")
        .filter(digest=token_digest(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Touch at most once a minute, so a busy client does not write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
