"""Writes of the complaint settings: the policy, the cause taxonomy, routing rules and approval
limits. Only administrators and department heads change them, for their own company; every
change is audited. Causes are never deleted (complaints point at them): they are deactivated.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.complaints.models import CauseCategory, CauseSide, CompensationLimit, RoutingRule
from manyi.complaints.policy import policy_for_company
from manyi.errors import InvalidInput, NotFound, OutOfScope
from manyi.org.actions import audit, diff
from manyi.org.models import AuditAction, Role, Staff, Unit, UnitKind
from manyi.org.scopes import Scope, scope_for

SETTINGS_ROLES = (Role.ADMIN, Role.DEPARTMENT_HEAD)


def settings_scope(actor) -> Scope:
    """The actor's scope if they may change complaint settings (company-wide admins and heads)."""
    scope = scope_for(actor)
    if scope.everything or (scope.role in SETTINGS_ROLES and scope.is_company_wide):
        return scope
    raise OutOfScope()


def _company_of(scope: Scope, company: Unit | None) -> Unit:
    if company is None:
        if scope.company_id is None:
            raise InvalidInput(_("Choose a company."), field="company")
        return Unit.objects.get(pk=scope.company_id)
    if not scope.everything and company.pk != scope.company_id:
        raise NotFound()
    return company


def _unit_for_rule(scope: Scope, unit: Unit) -> Unit:
    if unit.kind not in (UnitKind.OUTLET, UnitKind.REGION):
        raise InvalidInput(_("Choose an outlet or a region."), field="unit")
    if not scope.everything and unit.company_id != scope.company_id:
        raise InvalidInput(_("Choose an outlet or a region."), field="unit")
    return unit


# Bounds that keep the policy meaningful (a field outside them is refused, nothing saved).
_POSITIVE_HOURS = ("first_contact_hours", "major_first_contact_hours")
_SHARES = ("kept_when_solved", "kept_when_solved_fast")
_AT_LEAST_ONE = ("repeat_count", "repeat_window_days", "fast_days")


@transaction.atomic
def update_policy(*, actor, values: dict[str, Any], company: Unit | None = None):
    """Change the company's deadlines, thresholds, limit and estimate coefficients."""
    scope = settings_scope(actor)
    company = _company_of(scope, company)
    policy = policy_for_company(company.pk)
    errors = []
    for name in _POSITIVE_HOURS:
        if name in values and not Decimal(0) < Decimal(values[name]) <= Decimal(200):
            errors.append((name, _("Enter a number of hours above 0 and at most 200.")))
    for name in _SHARES:
        if name in values and not Decimal(0) <= Decimal(values[name]) <= Decimal(1):
            errors.append((name, _("Enter a share between 0 and 1.")))
    for name in _AT_LEAST_ONE:
        if name in values and int(values[name]) < 1:
            errors.append((name, _("Enter at least 1.")))
    for name, value in values.items():
        if name not in (*_POSITIVE_HOURS, *_SHARES, *_AT_LEAST_ONE) and Decimal(value) < 0:
            errors.append((name, _("Enter a number of at least 0.")))
    # The estimate coefficients have one set of checks, the analytics' (one writer's rules).
    from manyi.complaints.estimates import COEFFICIENT_FIELDS, clean_coefficients

    coefficients = {k: v for k, v in values.items() if k in COEFFICIENT_FIELDS}
    if coefficients:
        try:
            values = {**values, **clean_coefficients(policy, coefficients)}
        except InvalidInput as exc:
            errors += exc.field_errors()
    if errors:
        raise InvalidInput(errors=errors)
    allowed = {f.name for f in policy._meta.concrete_fields} - {"id", "company"}
    values = {k: v for k, v in values.items() if k in allowed}
    changes = diff(policy, values)
    for name, value in values.items():
        setattr(policy, name, value)
    policy.save()
    if changes:
        audit(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=policy,
            company_id=company.pk,
            changes=changes,
        )
    return policy


@transaction.atomic
def save_cause(
    *,
    actor,
    name: str,
    side: str,
    position: int = 0,
    active: bool = True,
    cause: CauseCategory | None = None,
    company: Unit | None = None,
) -> CauseCategory:
    """Add a root-cause category or change one (rename, reorder, deactivate)."""
    scope = settings_scope(actor)
    company = _company_of(scope, company if cause is None else cause.company)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput(_("Enter a name (at most 100 characters)."), field="name")
    if side not in CauseSide.values:
        raise InvalidInput(_("Not one of the available choices."), field="side")
    taken = CauseCategory.objects.filter(company=company, name=name)
    if cause is not None:
        taken = taken.exclude(pk=cause.pk)
    if taken.exists():
        raise InvalidInput(_("There is already a cause of this name."), field="name")
    values = {"name": name, "side": side, "position": int(position or 0), "active": bool(active)}
    if cause is None:
        base = slugify(name)[:20] or "cause"
        code, n = base, 1
        while CauseCategory.objects.filter(company=company, code=code).exists():
            n += 1
            code = f"{base[:16]}-{n}"
        cause = CauseCategory.objects.create(company=company, code=code, **values)
        audit(actor=actor, action=AuditAction.CREATE, obj=cause, company_id=company.pk)
        return cause
    changes = diff(cause, values)
    for field, value in values.items():
        setattr(cause, field, value)
    cause.save(update_fields=list(values))
    audit(actor=actor, action=AuditAction.UPDATE, obj=cause, company_id=company.pk, changes=changes)
    return cause


@transaction.atomic
def set_routing_rule(*, actor, unit: Unit, assignee: Staff) -> RoutingRule:
    """The technician who takes the complaints of an outlet or a region (the area technician)."""
    scope = settings_scope(actor)
    unit = _unit_for_rule(scope, unit)
    if assignee.company_id != unit.company_id or assignee.role != Role.TECHNICIAN:
        raise InvalidInput(_("Choose a technician of this company."), field="assignee")
    if not assignee.unit.contains(unit):
        raise InvalidInput(
            _("Choose a technician whose unit covers this outlet or region."), field="assignee"
        )
    if not assignee.user.is_active:
        raise InvalidInput(_("This person can no longer log in."), field="assignee")
    rule = RoutingRule.objects.select_for_update().filter(unit=unit).first()
    previous = str(rule.assignee) if rule else None
    if rule is None:
        rule = RoutingRule(unit=unit)
    rule.assignee = assignee
    rule.updated_at = clock.now()
    rule.save()
    audit(
        actor=actor,
        action=AuditAction.UPDATE if previous else AuditAction.CREATE,
        obj=rule,
        company_id=unit.company_id,
        changes={"assignee": [previous, str(assignee)]},
    )
    return rule


@transaction.atomic
def remove_routing_rule(*, actor, rule: RoutingRule) -> None:
    """Remove a rule: the unit's complaints go to the rule above it, or the department head."""
    scope = settings_scope(actor)
    _unit_for_rule(scope, rule.unit)
    audit(actor=actor, action=AuditAction.DELETE, obj=rule, company_id=rule.unit.company_id)
    rule.delete()


@transaction.atomic
def set_limit(*, actor, unit: Unit, amount: Any) -> CompensationLimit:
    """An outlet's or region's own approval limit for compensation, refund and replacement."""
    scope = settings_scope(actor)
    unit = _unit_for_rule(scope, unit)
    try:
        amount = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (ArithmeticError, ValueError) as exc:
        raise InvalidInput(_("Enter an amount in yuan."), field="amount") from exc
    if not amount.is_finite() or amount < 0 or amount >= Decimal(10) ** 10:
        raise InvalidInput(_("Enter an amount in yuan."), field="amount")
    limit = CompensationLimit.objects.select_for_update().filter(unit=unit).first()
    previous = str(limit.amount) if limit else None
    if limit is None:
        limit = CompensationLimit(unit=unit)
    limit.amount = amount
    limit.save()
    audit(
        actor=actor,
        action=AuditAction.UPDATE if previous else AuditAction.CREATE,
        obj=limit,
        company_id=unit.company_id,
        changes={"amount": [previous, str(amount)]},
    )
    return limit


@transaction.atomic
def remove_limit(*, actor, limit: CompensationLimit) -> None:
    """Remove a unit's own limit: the one above it, or the company's, applies again."""
    scope = settings_scope(actor)
    _unit_for_rule(scope, limit.unit)
    audit(actor=actor, action=AuditAction.DELETE, obj=limit, company_id=limit.unit.company_id)
    limit.delete()
