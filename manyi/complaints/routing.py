"""Who takes a complaint, who hears of a major one (002 第五章; 004).

- A complaint goes to the technician of the outlet's routing rule, else of the nearest enclosing
  region's rule, else to the department head (002: the 施工投诉单 goes at once to the area's
  technician).
- A complaint about one of our staff goes to that person's manager — an outlet manager of their
  unit, else the manager-level staff up the tree — never to the person (002 第六章: complaints
  about our technician are thanked and sent to management).
- A major complaint (safety, media, a large amount, or repeated) escalates to the regional
  supervisors — the manager-level staff of the outlet's region, else the department heads —
  who are told at once and kept informed of every step.

Candidates who cannot take the work (inactive login, a technician without a valid work licence,
someone whose unit does not cover the outlet) are passed over for the next one in line.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from manyi.complaints.models import RoutingRule
from manyi.org.models import Role, Staff, Unit

# Roles that manage a unit (an outlet manager may sit at an outlet or run a region).
MANAGER_ROLES = (Role.OUTLET_MANAGER, Role.DEPARTMENT_HEAD, Role.ADMIN)


@dataclass(frozen=True)
class Route:
    """Where routing sent a complaint, and why (shown on the timeline)."""

    assignee: Staff | None
    reason: str


def _can_take(staff: Staff, outlet: Unit, exclude: Staff | None = None) -> bool:
    if exclude is not None and staff.pk == exclude.pk:
        return False
    if not staff.user.is_active or staff.company_id != outlet.company_id:
        return False
    if not staff.unit.contains(outlet):
        return False
    if staff.role == Role.TECHNICIAN and not staff.has_valid_licence(timezone.localdate()):
        return False  # 持证上岗 (002 第七章)
    return True


def department_heads(company_id: int) -> list[Staff]:
    """The company's department heads who can log in, oldest first."""
    return list(
        Staff.objects.filter(
            company_id=company_id,
            role=Role.DEPARTMENT_HEAD,
            unit_id=company_id,
            user__is_active=True,
        )
        .select_related("unit", "user")
        .order_by("pk")
    )


def route_to_area(outlet: Unit, exclude: Staff | None = None) -> Route:
    """The technician of the nearest routing rule on the outlet or a region above it, else the
    department head (two queries)."""
    ids = outlet.ancestor_ids()
    rules = {
        rule.unit_id: rule
        for rule in RoutingRule.objects.filter(unit_id__in=ids).select_related(
            "unit", "assignee__unit", "assignee__user"
        )
    }
    for unit_id in reversed(ids):
        rule = rules.get(unit_id)
        if rule is not None and _can_take(rule.assignee, outlet, exclude):
            return Route(rule.assignee, _routing_reason("rule", rule.unit.name))
    return _to_head(outlet, exclude)


def _to_head(outlet: Unit, exclude: Staff | None) -> Route:
    for head in department_heads(outlet.company_id):
        if _can_take(head, outlet, exclude):
            return Route(head, _routing_reason("head", ""))
    return Route(None, _routing_reason("nobody", ""))


def manager_of(person: Staff, outlet: Unit) -> Route:
    """The manager who takes a complaint about ``person``: a manager of their unit, else of each
    unit above it, else the department head; never ``person``, and one who covers ``outlet``."""
    ids = person.unit.ancestor_ids()
    managers = list(
        Staff.objects.filter(company_id=person.company_id, unit_id__in=ids, role__in=MANAGER_ROLES)
        .select_related("unit", "user")
        .order_by("pk")
    )
    for unit_id in reversed(ids):
        for staff in managers:
            if staff.unit_id == unit_id and _can_take(staff, outlet, exclude=person):
                return Route(staff, _routing_reason("manager", person.name))
    return _to_head(outlet, person)


def route(outlet: Unit, about_staff: Staff | None = None) -> Route:
    """Where a new complaint at ``outlet`` goes."""
    if about_staff is not None:
        return manager_of(about_staff, outlet)
    return route_to_area(outlet)


def regional_supervisors(outlet: Unit) -> list[Staff]:
    """The manager-level staff of the outlet's region, else the department heads."""
    region_ids = outlet.ancestor_ids()[1:-1] if outlet.parent_id else []
    found = list(
        Staff.objects.filter(
            company_id=outlet.company_id,
            unit_id__in=region_ids,
            role__in=MANAGER_ROLES,
            user__is_active=True,
        )
        .select_related("unit", "user")
        .order_by("pk")
    )
    return found or department_heads(outlet.company_id)


def _routing_reason(kind: str, name: str) -> str:
    """The reason as data, written in the site's language."""
    texts = {
        "rule": _("Routed by the rule of %(unit)s"),
        "head": _("No routing rule applies: sent to the department head"),
        "nobody": _("Nobody found to take it: waiting for a dispatcher"),
        "manager": _("About %(name)s: sent to their manager"),
    }
    with translation.override(settings.LANGUAGE_CODE):
        return str(texts[kind]) % {"unit": name, "name": name}


def inform_watchers(case) -> int:
    """Tell the supervisors kept informed of a major complaint where it now stands."""
    from manyi.cases.workflow import Priority
    from manyi.complaints.models import Complaint
    from manyi.notify.actions import notify

    if case.priority != Priority.URGENT:
        return 0  # only a major complaint (urgent) has supervisors to keep informed
    complaint = Complaint.objects.filter(case_id=case.pk).first()
    if complaint is None or complaint.escalated_at is None:
        return 0
    users = [staff.user for staff in complaint.watchers.select_related("user")]
    return notify(
        kind="complaint_major",
        users=users,
        context={"number": case.number, "stage": case.stage_def.label},
        url=f"/cases/{case.pk}/",
        urgent=True,
    )


def not_the_person_complained_about(case, staff):
    """A complaint about one of our staff never goes to that person (an assignment hook)."""
    from manyi.complaints.models import Complaint
    from manyi.complaints.workflow import KIND

    if case.kind != KIND or case.pk is None:
        return None
    about = Complaint.objects.filter(case_id=case.pk).values_list("about_staff_id", flat=True)
    if staff.pk in about:
        return _("The complaint is about this person: give it to someone else.")
    return None
