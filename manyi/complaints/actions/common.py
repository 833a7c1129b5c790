"""What every complaint action shares: input checks, the lock, the role rule, notes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from manyi.cases import actions as cases
from manyi.cases.models import Case, EventKind
from manyi.complaints import routing
from manyi.complaints.models import Complaint
from manyi.complaints.workflow import MANAGERS
from manyi.errors import InvalidInput, InvalidMove, NotFound, OutOfScope, interpolate
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Staff
from manyi.org.scopes import Perm, Scope

# The technical-preparation tools (002 第五章 三: 毛刷、砂纸、滤布 …, and a lab imitation).
TOOLS = {
    "brush": _("Brushes"),
    "sandpaper": _("Sandpaper"),
    "filter": _("Filter cloth"),
    "panel": _("Test panels"),
    "cup": _("Mixing cup"),
    "unopened": _("Unopened material of the same product"),
    "lab": _("Imitation test done at the company"),
}
MAX_AMOUNT = Decimal("9999999999.99")


# -- helpers ------------------------------------------------------------------------------------


def _in_site_language(message: Any) -> str:
    """Text stored as data (timeline notes, messages) is written in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message)


def _text(value: Any, field: str, limit: int, *, required: bool = False, message=None) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise InvalidInput(message or _("This field is required."), field=field)
    if len(text) > limit:
        raise InvalidInput(
            interpolate(_("Too long (at most %(n)d characters)."), {"n": limit}), field=field
        )
    return text


def _money(value: Any, field: str, *, positive: bool = False) -> Decimal:
    """An amount in yuan: a number ≥ 0 (> 0 when ``positive``) with at most two decimals."""
    try:
        amount = Decimal(str(value if value not in (None, "") else "0")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise InvalidInput(_("Enter an amount in yuan."), field=field) from exc
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise InvalidInput(_("Enter an amount in yuan."), field=field)
    if positive and amount == 0:
        raise InvalidInput(_("Enter the amount the customer receives."), field=field)
    return amount


def _locked(actor, case: Case | int, perm: Perm = Perm.WORK_CASES):
    """The complaint's case (locked) and the complaint (locked), if the actor may act on it."""
    scope, locked = cases.locked_case(actor, case, perm)
    complaint = Complaint.objects.select_for_update().filter(case=locked).first()
    if complaint is None:
        raise NotFound()
    complaint.case = locked
    return scope, locked, complaint


def _require_role(scope: Scope, case: Case, roles: Iterable[str], *, assignee_only: bool) -> None:
    """The same rule as a workflow move: the role takes this step; the responsible person, or a
    manager, unless anyone of the role may."""
    if scope.everything:
        return
    if scope.role not in roles:
        raise OutOfScope(_("Your role may not take this step."))
    if assignee_only and case.assignee_id != scope.staff_id and scope.role not in MANAGERS:
        raise OutOfScope(_("Only the person responsible for the case may take this step."))


def _check_version(case: Case, version: int | None) -> None:
    from manyi.errors import StaleVersion

    if version is not None and int(version) != case.version:
        raise StaleVersion()


def _touch(case: Case) -> None:
    """A change to the complaint bumps the case's version: pages opened before it are stale."""
    case.version += 1
    case.save(update_fields=["version"])


def _require_stage(case: Case, stages: Iterable[str], message: Any) -> None:
    if case.stage not in stages:
        raise InvalidMove(message)


def _note(case: Case, actor, text: Any, **data: Any):
    return cases.record_event(case, EventKind.NOTE, actor, text=_in_site_language(text), **data)


def _audit(actor, complaint: Complaint, changes: dict[str, Any]) -> None:
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=complaint,
        company_id=complaint.company_id,
        changes=changes,
    )


def _local_month(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date().replace(day=1)


def _any_head(case: Case) -> Staff:
    heads = routing.department_heads(case.company_id)
    if not heads:
        raise OutOfScope()
    return heads[0]
