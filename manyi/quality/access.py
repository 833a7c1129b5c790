"""Who may do what in quality, in one place (the actions and the queries both ask here).

* Writing standards, priorities, templates, plans and mystery-shopping programmes:
  Perm.MANAGE_QUALITY, company-wide (department head, administrator).
* Auditing: Perm.AUDIT_OUTLETS on an outlet inside the actor's subtree (auditors; outlet
  managers only walk-around audits of their own outlet, 003 P-068 "边走边管").
* Reading audit results: any of MANAGE_QUALITY, AUDIT_OUTLETS, VIEW_REPORTS, on the outlets
  of the actor's subtree.
* Mystery shoppers (Perm.SHOP): their own visits and nothing else.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from manyi.errors import NotFound, OutOfScope
from manyi.org.models import Role, Staff, Unit, UnitKind
from manyi.org.scopes import Perm, Scope, scope_for

READ_PERMS = (Perm.MANAGE_QUALITY, Perm.AUDIT_OUTLETS, Perm.VIEW_REPORTS)
# Roles that may be asked to audit (plans name one of them).
AUDITOR_ROLES = (Role.AUDITOR, Role.OUTLET_MANAGER, Role.DEPARTMENT_HEAD, Role.ADMIN)


def manager_scope(actor: Any) -> Scope:
    """The actor's scope if they manage quality company-wide; else OutOfScope."""
    scope = scope_for(actor)
    scope.require(Perm.MANAGE_QUALITY)
    if scope.company_id is None or not scope.is_company_wide:
        raise OutOfScope()
    return scope


def can_read(scope: Scope) -> bool:
    """Whether the scope may read standards and audit results at all."""
    return scope.company_id is not None and any(scope.can(p) for p in READ_PERMS)


def read_scope(actor: Any) -> Scope:
    """The actor's scope if they may read quality results; else OutOfScope."""
    scope = scope_for(actor)
    if not can_read(scope):
        raise OutOfScope()
    return scope


def auditor_scope(actor: Any) -> Scope:
    """The actor's scope if they may carry out audits; else OutOfScope."""
    scope = scope_for(actor)
    scope.require(Perm.AUDIT_OUTLETS)
    if scope.company_id is None or scope.staff_id is None:
        raise OutOfScope()
    return scope


def shopper_scope(actor: Any) -> Scope:
    """The actor's scope if they are a mystery shopper; else OutOfScope."""
    scope = scope_for(actor)
    scope.require(Perm.SHOP)
    if scope.staff_id is None:
        raise OutOfScope()
    return scope


def pk_of(value: Any) -> Any:
    return value.pk if isinstance(value, Model) else value


def get_row(qs, pk: Any) -> Any:
    """One row of ``qs`` by primary key, or NotFound (also for malformed keys)."""
    try:
        return qs.get(pk=pk_of(pk))
    except (qs.model.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def company_outlet(scope: Scope, outlet: Unit | int, *, field: str = "outlet") -> Unit:
    """An active outlet of the scope's company inside the scope's subtree, or NotFound."""
    try:
        unit = Unit.objects.get(
            pk=pk_of(outlet), company_id=scope.company_id, kind=UnitKind.OUTLET, is_active=True
        )
    except (Unit.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound(field=field) from exc
    if not scope.covers(unit):
        raise NotFound(field=field)
    return unit


def company_staff(scope: Scope, staff: Staff | int, *, field: str) -> Staff:
    """An active member of the scope's company's staff, or NotFound naming ``field``."""
    try:
        return Staff.objects.select_related("unit", "user").get(
            pk=pk_of(staff), company_id=scope.company_id, user__is_active=True
        )
    except (Staff.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound(field=field) from exc


def outlet_units(scope: Scope):
    """The active outlets the scope sees, in tree order."""
    return scope.units().filter(kind=UnitKind.OUTLET, is_active=True).order_by("path")
