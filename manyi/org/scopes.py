"""The one place that answers "what may this user see and do".

A user's scope is their role (what they may do) and their home unit (where): they see the
records of that unit's subtree. A technician sees the cases assigned to them; an analyst only
reads. Every list, page and API query filters through :meth:`Scope.filter`, and every write
checks :meth:`Scope.require` / :meth:`Scope.require_unit` before it changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Model, QuerySet

from manyi.errors import NotFound, OutOfScope
from manyi.org.models import Role, Unit


class Perm(StrEnum):
    VIEW_ORG = "view_org"
    MANAGE_UNITS = "manage_units"
    MANAGE_STAFF = "manage_staff"
    VIEW_CUSTOMERS = "view_customers"
    EDIT_CUSTOMERS = "edit_customers"
    IMPORT_CUSTOMERS = "import_customers"
    EXPORT_CUSTOMERS = "export_customers"
    ERASE_CUSTOMERS = "erase_customers"
    VIEW_PHONE = "view_phone"
    VIEW_AUDIT = "view_audit"
    # Working hours, holidays and make-up workdays of the business calendar (SLA clocks).
    MANAGE_CALENDAR = "manage_calendar"
    VIEW_CASES = "view_cases"
    OPEN_CASES = "open_cases"
    WORK_CASES = "work_cases"
    ASSIGN_CASES = "assign_cases"
    # Analytics and results pages (complaint analytics, survey results, later the cockpit).
    VIEW_REPORTS = "view_reports"
    # Questionnaires as data: build, publish, import/export instruments.
    MANAGE_INSTRUMENTS = "manage_instruments"
    # Survey campaigns, invitations, outlet QR posters.
    MANAGE_SURVEYS = "manage_surveys"
    # Quality (003): write and rank service standards, plan audits, run mystery shopping.
    MANAGE_QUALITY = "manage_quality"
    # Carry out audits (full and walk-around) and read audit results.
    AUDIT_OUTLETS = "audit_outlets"
    # Mystery shoppers: their own assignments only — no customers, no cases, no other visits.
    SHOP = "shop"
    # Team (003/002): team assessments, training, certification, appraisals.
    MANAGE_TEAM = "manage_team"
    # Improvement: raise problems and take part in problem-solving sessions.
    RAISE_PROBLEMS = "raise_problems"
    # Improvement: run sessions, own problems and action plans.
    MANAGE_IMPROVEMENT = "manage_improvement"


# SHOP belongs to shoppers alone: a department head does not fill mystery-shopping visits.
_ALL = frozenset(Perm) - {Perm.SHOP}
_READ = frozenset({Perm.VIEW_ORG, Perm.VIEW_CUSTOMERS, Perm.VIEW_CASES})
_CUSTOMER_WORK = _READ | {Perm.EDIT_CUSTOMERS, Perm.VIEW_PHONE}
# Cases: intake opens them, field staff work them, dispatchers assign them; each workflow's
# moves narrow this further to the roles of that step.
_CASE_INTAKE = frozenset({Perm.OPEN_CASES})
_CASE_WORK = frozenset({Perm.WORK_CASES})
_CASE_DISPATCH = frozenset({Perm.OPEN_CASES, Perm.WORK_CASES, Perm.ASSIGN_CASES})

# The role matrix. Tests walk it as role × action × (inside / outside the unit's subtree).
ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: _ALL,
    Role.DEPARTMENT_HEAD: _ALL,
    Role.OUTLET_MANAGER: _CUSTOMER_WORK
    | _CASE_DISPATCH
    | {
        Perm.MANAGE_STAFF,
        Perm.IMPORT_CUSTOMERS,
        Perm.EXPORT_CUSTOMERS,
        Perm.ERASE_CUSTOMERS,
        Perm.VIEW_AUDIT,
        Perm.VIEW_REPORTS,
        Perm.MANAGE_SURVEYS,
        Perm.AUDIT_OUTLETS,  # walk-around audits of their own outlet (003 P-063)
        Perm.MANAGE_TEAM,
        Perm.RAISE_PROBLEMS,
        Perm.MANAGE_IMPROVEMENT,
    },
    Role.SERVICE_REP: _CUSTOMER_WORK
    | _CASE_DISPATCH
    | {Perm.IMPORT_CUSTOMERS, Perm.VIEW_AUDIT, Perm.RAISE_PROBLEMS},
    Role.TECHNICIAN: _CUSTOMER_WORK | _CASE_WORK | {Perm.RAISE_PROBLEMS},
    Role.INSPECTOR: _READ | _CASE_WORK | {Perm.VIEW_PHONE, Perm.RAISE_PROBLEMS},
    Role.FRONTLINE: _CUSTOMER_WORK | _CASE_INTAKE | {Perm.RAISE_PROBLEMS},
    # Auditors check outlets against standards; they have no business with customer data.
    Role.AUDITOR: frozenset({Perm.VIEW_ORG, Perm.AUDIT_OUTLETS, Perm.RAISE_PROBLEMS}),
    # Analysts read everything in their subtree, with phone numbers masked (PIPL).
    Role.ANALYST: _READ | {Perm.VIEW_AUDIT, Perm.VIEW_REPORTS},
    # External mystery shoppers (003 P-015): their own visits, nothing else, not even the org.
    Role.SHOPPER: frozenset({Perm.SHOP}),
}


@dataclass(frozen=True)
class Scope:
    """What one user may see and do."""

    user_id: int | None
    staff_id: int | None
    role: str | None
    company_id: int | None
    unit_id: int | None
    unit_path: str | None
    perms: frozenset[Perm]
    # A superuser without a staff record sees every company (installation administrator).
    everything: bool = False

    # -- what ---------------------------------------------------------------------------------
    def can(self, perm: Perm) -> bool:
        """Whether the role allows ``perm`` at all."""
        return perm in self.perms

    def require(self, perm: Perm) -> None:
        """Refuse unless the role allows ``perm``."""
        if not self.can(perm):
            raise OutOfScope()

    # -- where --------------------------------------------------------------------------------
    def covers(self, unit: Unit) -> bool:
        """Whether ``unit`` lies in this user's subtree."""
        if self.everything:
            return True
        if self.unit_path is None:
            return False
        return unit.path.startswith(self.unit_path)

    def require_unit(self, unit: Unit, perm: Perm) -> None:
        """Refuse unless the role allows ``perm`` and ``unit`` is inside the subtree."""
        self.require(perm)
        if not self.covers(unit):
            raise OutOfScope()

    @property
    def is_company_wide(self) -> bool:
        return self.everything or (self.unit_id is not None and self.unit_id == self.company_id)

    def units(self) -> QuerySet[Unit]:
        """The units this user sees: their home unit's subtree."""
        if self.everything:
            return Unit.objects.all()
        if self.unit_path is None:
            return Unit.objects.none()
        return Unit.objects.filter(path__startswith=self.unit_path)

    def filter(
        self,
        qs: QuerySet,
        *,
        unit_field: str,
        company_field: str = "company",
        assignee_field: str | None = None,
        perm: Perm | None = None,
    ) -> QuerySet:
        """Restrict ``qs`` to the rows this user may see.

        ``unit_field`` names the row's unit; company-wide users are filtered on
        ``company_field`` alone (one indexed equality). A technician sees only rows whose
        ``assignee_field`` is them, where the model has one.
        """
        if perm is not None and not self.can(perm):
            return qs.none()
        if self.everything:
            return qs
        if self.unit_path is None or not self.perms:
            return qs.none()
        if self.role == Role.TECHNICIAN and assignee_field:
            return qs.filter(**{assignee_field: self.staff_id})
        if self.is_company_wide:
            return qs.filter(**{company_field: self.company_id})
        sub = Unit.objects.filter(path__startswith=self.unit_path).values("pk")
        return qs.filter(**{company_field: self.company_id, f"{unit_field}__in": sub})

    def get(self, qs: QuerySet, pk: object, **filter_kwargs) -> Model:
        """One row by primary key from ``qs`` restricted to this scope, or :class:`NotFound`.

        Rows outside the scope are reported as not found, so their existence does not leak.
        """
        try:
            return self.filter(qs, **filter_kwargs).get(pk=pk)
        except (qs.model.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
            raise NotFound() from exc


NO_ACCESS = Scope(None, None, None, None, None, None, frozenset())


def scope_for(user) -> Scope:
    """The scope of ``user`` (cached on the user object for the request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_ACCESS
    cached = getattr(user, "_manyi_scope", None)
    if cached is not None:
        return cached
    staff = getattr(user, "staff", None)
    if staff is None:
        if user.is_superuser:
            scope = Scope(user.pk, None, Role.ADMIN, None, None, None, ROLE_PERMS[Role.ADMIN], True)
        else:
            scope = Scope(user.pk, None, None, None, None, None, frozenset())
    else:
        unit = staff.unit
        scope = Scope(
            user_id=user.pk,
            staff_id=staff.pk,
            role=staff.role,
            company_id=staff.company_id,
            unit_id=unit.pk,
            unit_path=unit.path if unit.is_active else None,
            perms=ROLE_PERMS.get(staff.role, frozenset()),
        )
    user._manyi_scope = scope
    return scope
