"""Resolutions: recorded from the site investigation on, approved above a unit's limit,
executed with their cost."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.cases.models import Case
from manyi.complaints.actions.common import (
    _any_head,
    _audit,
    _check_version,
    _in_site_language,
    _locked,
    _money,
    _note,
    _require_role,
    _require_stage,
    _text,
    _touch,
)
from manyi.complaints.actions.intake import _escalate
from manyi.complaints.models import (
    MONEY_KINDS,
    MajorReason,
    Resolution,
    ResolutionKind,
    ResolutionStatus,
)
from manyi.complaints.policy import compensation_limit_for, policy_for_company
from manyi.complaints.workflow import FIELD, MANAGERS, RESOLUTION_STAGES
from manyi.errors import Conflict, InvalidInput, InvalidMove, NotFound, OutOfScope
from manyi.org.models import Role, Staff
from manyi.org.scopes import Perm

# -- resolutions --------------------------------------------------------------------------------


def _approvers(case: Case) -> list:
    """Who is told that a resolution waits for approval: the outlet's managers, else the heads."""
    staff = Staff.objects.filter(
        company_id=case.company_id,
        role__in=(Role.OUTLET_MANAGER, Role.DEPARTMENT_HEAD),
        user__is_active=True,
    ).select_related("unit", "user")
    managers = [s for s in staff if s.unit.contains(case.unit)]
    local = [s for s in managers if s.role == Role.OUTLET_MANAGER]
    return [s.user for s in (local or managers)]


@transaction.atomic
def propose_resolution(
    *,
    actor,
    case: Case | int,
    kind: str,
    amount: Any = 0,
    cost: Any = 0,
    notes: str = "",
    version: int | None = None,
) -> Resolution:
    """Record a remedy agreed with the customer. Compensation, refund or replacement cannot be
    recorded before the site investigation (002 第五章); above the unit's limit it waits for a
    manager's approval (004: act within your authority, promise nothing beyond it)."""
    from manyi.notify.actions import notify

    scope, case, complaint = _locked(actor, case)
    _require_role(scope, case, FIELD, assignee_only=True)
    _check_version(case, version)
    if kind not in ResolutionKind.values:
        raise InvalidInput(_("Not one of the available choices."), field="kind")
    if case.stage not in RESOLUTION_STAGES:
        if kind in MONEY_KINDS:
            raise InvalidMove(
                _(
                    "Compensation, refund or replacement cannot be recorded before the site "
                    "investigation."
                )
            )
        raise InvalidMove(_("Resolutions are recorded from the site investigation on."))
    amount = _money(
        amount, "amount", positive=kind in (ResolutionKind.REFUND, ResolutionKind.COMPENSATE)
    )
    cost = _money(cost, "cost")
    notes = _text(notes, "notes", 2000)
    limit, _limit_unit = compensation_limit_for(case.unit)
    needs_approval = kind in MONEY_KINDS and amount > limit
    now = clock.now()
    proposer = Staff.objects.get(pk=scope.staff_id) if scope.staff_id else _any_head(case)
    resolution = Resolution.objects.create(
        complaint=complaint,
        kind=kind,
        amount=amount,
        cost=cost,
        notes=notes,
        proposed_by=proposer,
        proposed_at=now,
        status=ResolutionStatus.PROPOSED if needs_approval else ResolutionStatus.APPROVED,
        approved_at=None if needs_approval else now,
    )
    label = _in_site_language(ResolutionKind(kind).label)
    if needs_approval:
        text = _(
            "Proposed: %(kind)s, %(amount)s yuan — above the limit of %(limit)s yuan, "
            "waiting for a manager's approval"
        ) % {"kind": label, "amount": amount, "limit": limit}
        notify(
            kind="complaint_approval",
            users=_approvers(case),
            unit=case.unit,
            context={"number": case.number, "kind": ResolutionKind(kind).label, "amount": amount},
            url=f"/cases/{case.pk}/",
        )
    else:
        text = _("Agreed: %(kind)s, %(amount)s yuan") % {"kind": label, "amount": amount}
    _note(case, actor, text, resolution=resolution.pk, status=resolution.status)
    policy = policy_for_company(case.company_id)
    if kind in MONEY_KINDS and amount > policy.major_amount:
        _escalate(case, complaint, [MajorReason.AMOUNT.value], actor, now)
    _touch(case)
    _audit(actor, complaint, {"resolution": [None, f"{kind} {amount}"]})
    return resolution


def _locked_resolution(actor, resolution: Resolution | int):
    pk = resolution.pk if isinstance(resolution, Resolution) else resolution
    try:
        case_id = Resolution.objects.values_list("complaint__case_id", flat=True).get(pk=pk)
    except (Resolution.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    scope, case, complaint = _locked(actor, case_id)
    found = Resolution.objects.select_for_update().get(pk=pk)
    return scope, case, complaint, found


@transaction.atomic
def approve_resolution(*, actor, resolution: Resolution | int, version: int | None) -> Resolution:
    """A manager of the outlet (or above) approves a remedy above the limit; not the proposer."""
    from manyi.notify.actions import notify

    scope, case, complaint, resolution = _locked_resolution(actor, resolution)
    _require_role(scope, case, MANAGERS, assignee_only=False)
    scope.require_unit(case.unit, Perm.ASSIGN_CASES)
    _check_version(case, version)
    if resolution.status != ResolutionStatus.PROPOSED:
        raise Conflict(_("This resolution does not wait for approval."))
    if resolution.proposed_by_id == scope.staff_id:
        raise OutOfScope(_("Someone other than the proposer must approve it."))
    resolution.status = ResolutionStatus.APPROVED
    resolution.approved_by_id = scope.staff_id
    resolution.approved_at = clock.now()
    resolution.save(update_fields=["status", "approved_by", "approved_at"])
    label = _in_site_language(resolution.get_kind_display())
    _note(
        case,
        actor,
        _("Approved: %(kind)s, %(amount)s yuan") % {"kind": label, "amount": resolution.amount},
        resolution=resolution.pk,
        status=resolution.status,
    )
    if case.assignee_id:
        notify(
            kind="complaint_approved",
            users=[case.assignee.user],
            unit=case.unit,
            context={"number": case.number},
            url=f"/cases/{case.pk}/",
        )
    _touch(case)
    _audit(actor, complaint, {"resolution": [ResolutionStatus.PROPOSED, resolution.status]})
    return resolution


@transaction.atomic
def reject_resolution(
    *, actor, resolution: Resolution | int, reason: str, version: int | None
) -> Resolution:
    """A manager refuses a remedy above the limit, with the reason."""
    scope, case, complaint, resolution = _locked_resolution(actor, resolution)
    _require_role(scope, case, MANAGERS, assignee_only=False)
    scope.require_unit(case.unit, Perm.ASSIGN_CASES)
    _check_version(case, version)
    if resolution.status != ResolutionStatus.PROPOSED:
        raise Conflict(_("This resolution does not wait for approval."))
    reason = _text(reason, "reason", 500, required=True, message=_("Give a reason."))
    resolution.status = ResolutionStatus.REJECTED
    resolution.notes = f"{resolution.notes}\n{reason}".strip()[:2000]
    resolution.save(update_fields=["status", "notes"])
    label = _in_site_language(resolution.get_kind_display())
    _note(
        case,
        actor,
        _("Rejected: %(kind)s, %(amount)s yuan — %(reason)s")
        % {"kind": label, "amount": resolution.amount, "reason": reason},
        resolution=resolution.pk,
        status=resolution.status,
    )
    _touch(case)
    _audit(actor, complaint, {"resolution": [ResolutionStatus.PROPOSED, resolution.status]})
    return resolution


@transaction.atomic
def execute_resolution(
    *,
    actor,
    resolution: Resolution | int,
    cost: Any = None,
    note: str = "",
    version: int | None = None,
) -> Resolution:
    """The remedy is carried out (settle and execute fast), with what it finally cost."""
    scope, case, complaint, resolution = _locked_resolution(actor, resolution)
    _require_role(scope, case, FIELD, assignee_only=True)
    _check_version(case, version)
    _require_stage(
        case, ("resolution",), _("Resolutions are executed after the responsibility ruling.")
    )
    if resolution.status == ResolutionStatus.PROPOSED:
        raise InvalidMove(_("This amount is above the limit: a manager must approve it first."))
    if resolution.status != ResolutionStatus.APPROVED:
        raise Conflict(_("Only an approved resolution can be executed."))
    if cost not in (None, ""):
        resolution.cost = _money(cost, "cost")
    now = clock.now()
    resolution.status = ResolutionStatus.EXECUTED
    resolution.executed_at = now
    resolution.save(update_fields=["status", "executed_at", "cost"])
    complaint.resolved_at = now
    complaint.save(update_fields=["resolved_at"])
    label = _in_site_language(resolution.get_kind_display())
    _note(
        case,
        actor,
        _("Executed: %(kind)s, %(amount)s yuan, cost %(cost)s yuan")
        % {"kind": label, "amount": resolution.amount, "cost": resolution.cost},
        resolution=resolution.pk,
        status=resolution.status,
        note=_text(note, "note", 2000),
    )
    _touch(case)
    _audit(actor, complaint, {"resolution": [ResolutionStatus.APPROVED, resolution.status]})
    return resolution
