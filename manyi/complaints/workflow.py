"""The complaint workflow (投诉处理工作程序, 002 第五章), declared as data for the case engine.

接单 intake → 联系 first contact → 技术准备 preparation → 现场考察 investigation → 责任认定
ruling → 处理执行 resolution → 感情维护 follow-up → 回访 return visit → done; a complaint may
also end merged into another (a duplicate) or closed early with a reason. Nothing is deleted.

A complaint is routed when it is taken (``actions.open_complaint``) and starts in first contact;
it waits in intake only when routing found nobody, until a dispatcher assigns it. The first
contact's clock is the company's policy (2 business hours by default, 1 for a major complaint);
the requirements below are the seed's rules, read from the case's timeline and its complaint.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from manyi.cases.models import CallOutcome, EventKind
from manyi.cases.workflow import Move, Priority, Sla, SlaKind, Stage, Workflow, register
from manyi.org.models import Role

KIND = "complaint"
MANAGERS = frozenset({Role.ADMIN, Role.DEPARTMENT_HEAD, Role.OUTLET_MANAGER})
DISPATCH = MANAGERS | {Role.SERVICE_REP}
FIELD = MANAGERS | {Role.TECHNICIAN}
# The stages at which a complaint is still being worked (merge and early close leave from here).
OPEN_STAGES = (
    "intake",
    "first_contact",
    "preparation",
    "investigation",
    "ruling",
    "resolution",
    "follow_up",
    "return_visit",
)
# Resolutions are recorded from the site investigation on: no word on compensation or blame
# before the site visit (002 第五章 二、注).
RESOLUTION_STAGES = ("investigation", "ruling", "resolution")
# Who may be present at the site investigation (三方: us, the customer, the installer).
PARTIES = {
    "technician": _("Our technician"),
    "customer": _("Customer"),
    "installer": _("Installer"),
}


def is_major(case: Any) -> bool:
    """A major complaint runs at urgent priority (set at intake or on escalation)."""
    return case.priority == Priority.URGENT


def _first_contact_sla(case: Any) -> Sla:
    """The company's first-contact deadline in business hours; tighter for a major complaint."""
    from manyi.complaints.policy import policy_for_company

    policy = policy_for_company(case.company_id)
    hours = policy.major_first_contact_hours if is_major(case) else policy.first_contact_hours
    return Sla(SlaKind.BUSINESS_HOURS, Decimal(hours))


def _return_visit_sla(case: Any) -> Sla:
    """The return visit is scheduled like a work order's (回访期限 of the outlet or industry)."""
    from manyi.workorders.workflow import RETURN_VISIT, RETURN_VISIT_DEFAULT

    days = case.unit.return_visit_days
    if days:
        return Sla(SlaKind.CALENDAR_DAYS, Decimal(days))
    return RETURN_VISIT.get(case.unit.industry, RETURN_VISIT_DEFAULT)


def _complaint(case: Any):
    from manyi.complaints.models import Complaint

    return Complaint.objects.get(case_id=case.pk)


def _since_stage(case: Any, kind: str):
    return case.events.filter(kind=kind, at__gte=case.stage_entered_at)


def needs_assignee(case: Any, payload: Mapping[str, Any]):
    if case.assignee_id is None:
        return ("assignee", _("Assign someone responsible first."))
    return None


def needs_contact(case: Any, payload: Mapping[str, Any]):
    """第一时间: the customer reached by phone, the installer called, a joint visit booked."""
    calls = case.events.filter(kind=EventKind.CALL)
    if not calls.filter(data__party="customer", data__outcome=CallOutcome.REACHED).exists():
        return ("call", _("Log a call in which you reached the customer."))
    complaint = _complaint(case)
    has_installer = bool(complaint.installer_name or complaint.installer_phone)
    if has_installer and not calls.filter(data__party="installer").exists():
        return ("installer_call", _("Call the installer as well."))
    if complaint.visit_at is None:
        return ("visit_at", _("Book the joint site visit with the customer and the installer."))
    return None


def needs_preparation(case: Any, payload: Mapping[str, Any]):
    if not _complaint(case).likely_cause.strip():
        return ("likely_cause", _("Note the likely cause before the site visit."))
    return None


def needs_investigation(case: Any, payload: Mapping[str, Any]):
    complaint = _complaint(case)
    if complaint.investigated_at is None or not complaint.findings.strip():
        return ("findings", _("Record the site investigation and its findings."))
    return None


def needs_ruling(case: Any, payload: Mapping[str, Any]):
    from manyi.complaints.models import CauseCategory, Responsibility

    if payload.get("responsibility") not in Responsibility.values:
        return ("responsibility", _("Rule on the responsibility."))
    cause = payload.get("cause")
    try:
        found = CauseCategory.objects.filter(
            pk=int(cause), company_id=case.company_id, active=True
        ).exists()
    except (TypeError, ValueError, OverflowError):
        found = False
    if not found:
        return ("cause", _("Choose the root cause."))
    return None


def needs_executed_resolution(case: Any, payload: Mapping[str, Any]):
    from manyi.complaints.models import ResolutionStatus

    resolutions = _complaint(case).resolutions.all()
    if not resolutions.filter(status=ResolutionStatus.EXECUTED).exists():
        return ("resolution", _("Execute at least one resolution first."))
    if resolutions.filter(
        status__in=(ResolutionStatus.PROPOSED, ResolutionStatus.APPROVED)
    ).exists():
        return ("resolution", _("Execute or reject every resolution still open."))
    return None


def needs_follow_up_call(case: Any, payload: Mapping[str, Any]):
    # 002 第五章 七: the emotional follow-up after the problem is solved.
    calls = _since_stage(case, EventKind.CALL).filter(
        data__party="customer", data__outcome=CallOutcome.REACHED
    )
    if not calls.exists():
        return ("follow_up", _("Make the emotional follow-up call to the customer first."))
    return None


def needs_return_visit_outcome(case: Any, payload: Mapping[str, Any]):
    if payload.get("outcome") not in ("satisfied", "not_satisfied"):
        return ("outcome", _("Record whether the customer is satisfied."))
    return None


def needs_reason(case: Any, payload: Mapping[str, Any]):
    if not str(payload.get("reason") or "").strip():
        return ("reason", _("Give a reason."))
    return None


def needs_merge_target(case: Any, payload: Mapping[str, Any]):
    # Only the merge action (which names the surviving complaint) takes this move.
    if _complaint(case).merged_into_id is None:
        return ("into", _("Merge through the merge form, naming the complaint to keep."))
    return None


# -- what a move keeps and who hears of it -------------------------------------------------------


def _first_contact(case: Any, actor: Any, payload: Mapping[str, Any]) -> None:
    """Time to first contact: the first call that reached the customer (if not yet kept)."""
    from manyi.complaints.models import Complaint

    first = (
        case.events.filter(
            kind=EventKind.CALL, data__party="customer", data__outcome=CallOutcome.REACHED
        )
        .order_by("at", "id")
        .values_list("at", flat=True)
        .first()
    )
    Complaint.objects.filter(case_id=case.pk, first_contact_at__isnull=True).update(
        first_contact_at=first
    )


def _keep_ruling(case: Any, actor: Any, payload: Mapping[str, Any]) -> None:
    from manyi import clock
    from manyi.complaints.models import Complaint

    Complaint.objects.filter(case_id=case.pk).update(
        responsibility=payload["responsibility"],
        cause_id=int(payload["cause"]),
        ruled_at=clock.now(),
    )


def _keep_follow_up(case: Any, actor: Any, payload: Mapping[str, Any]) -> None:
    from manyi.complaints.models import Complaint

    last = (
        case.events.filter(
            kind=EventKind.CALL, data__party="customer", data__outcome=CallOutcome.REACHED
        )
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )
    Complaint.objects.filter(case_id=case.pk, follow_up_at__isnull=True).update(follow_up_at=last)


def _keep_outcome(case: Any, actor: Any, payload: Mapping[str, Any]) -> None:
    from manyi.complaints.models import Complaint

    Complaint.objects.filter(case_id=case.pk).update(return_visit_outcome=payload["outcome"])


def _informing(*steps):
    """Run ``steps`` after a move, then tell the supervisors of a major complaint."""

    def after(case: Any, actor: Any, payload: Mapping[str, Any]) -> None:
        from manyi.complaints.routing import inform_watchers

        for step in steps:
            step(case, actor, payload)
        inform_watchers(case)

    return after


_clock = {Priority.NORMAL: Sla(SlaKind.BUSINESS_DAYS, Decimal(2))}

WORKFLOW = register(
    Workflow(
        kind=KIND,
        label=_("Complaint"),
        number_prefix="TS",
        manager_roles=MANAGERS,
        stages=(
            # 接单: waits here only when routing found nobody responsible.
            Stage("intake", _("Intake"), sla_rule=_first_contact_sla),
            # 联系: in the first time (第一时间), by the company's deadline.
            Stage("first_contact", _("First contact"), sla_rule=_first_contact_sla),
            # 技术准备: likely cause from the sales records, tools, lab imitation.
            Stage(
                "preparation",
                _("Technical preparation"),
                sla={Priority.NORMAL: Sla(SlaKind.BUSINESS_DAYS, Decimal(3))},
                pausable=True,
            ),
            # 现场考察 (and 施工实验): three parties at the site.
            Stage(
                "investigation",
                _("Site investigation"),
                sla={Priority.NORMAL: Sla(SlaKind.BUSINESS_DAYS, Decimal(5))},
                pausable=True,
            ),
            # 责任认定: ours, the installer's, shared …; and the root cause.
            Stage("ruling", _("Responsibility ruling"), sla=_clock),
            # 技术解决方案的执行: settle and execute fast.
            Stage(
                "resolution",
                _("Resolution"),
                sla={Priority.NORMAL: Sla(SlaKind.BUSINESS_DAYS, Decimal(5))},
                pausable=True,
            ),
            # 投诉处理的结束: the emotional follow-up (004: follow up within 3 days).
            Stage(
                "follow_up",
                _("Follow-up"),
                sla={Priority.NORMAL: Sla(SlaKind.CALENDAR_DAYS, Decimal(3))},
                pausable=True,
            ),
            Stage(
                "return_visit",
                _("Return visit"),
                sla_rule=_return_visit_sla,
                pausable=True,
            ),
            Stage("done", _("Done"), closed=True),
            Stage("merged", _("Merged"), closed=True),
            Stage("closed", _("Closed"), closed=True),
        ),
        moves=(
            Move(
                "dispatch",
                _("Send to the person responsible"),
                ("intake",),
                "first_contact",
                DISPATCH,
                requires=(needs_assignee,),
                after=_informing(),
            ),
            Move(
                "contacted",
                _("First contact made, joint visit booked"),
                ("first_contact",),
                "preparation",
                FIELD,
                requires=(needs_contact,),
                assignee_only=True,
                after=_informing(_first_contact),
            ),
            Move(
                "prepared",
                _("Prepared: go to the site"),
                ("preparation",),
                "investigation",
                FIELD,
                requires=(needs_preparation,),
                assignee_only=True,
                after=_informing(),
            ),
            Move(
                "investigated",
                _("Site investigation done"),
                ("investigation",),
                "ruling",
                FIELD,
                requires=(needs_investigation,),
                assignee_only=True,
                after=_informing(),
            ),
            Move(
                "ruled",
                _("Rule on the responsibility"),
                ("ruling",),
                "resolution",
                FIELD,
                requires=(needs_ruling,),
                assignee_only=True,
                after=_informing(_keep_ruling),
            ),
            Move(
                "resolved",
                _("Resolution executed"),
                ("resolution",),
                "follow_up",
                FIELD,
                requires=(needs_executed_resolution,),
                assignee_only=True,
                after=_informing(),
            ),
            Move(
                "followed_up",
                _("Follow-up call made: schedule the return visit"),
                ("follow_up",),
                "return_visit",
                FIELD,
                requires=(needs_follow_up_call,),
                assignee_only=True,
                after=_informing(_keep_follow_up),
            ),
            Move(
                "visited",
                _("Return visit done"),
                ("return_visit",),
                "done",
                DISPATCH,
                requires=(needs_return_visit_outcome,),
                after=_informing(_keep_outcome),
            ),
            Move(
                "merge",
                _("Merge into another complaint"),
                OPEN_STAGES,
                "merged",
                DISPATCH,
                requires=(needs_merge_target,),
                after=_informing(),
            ),
            Move(
                "close",
                _("Close without a resolution"),
                OPEN_STAGES,
                "closed",
                DISPATCH,
                requires=(needs_reason,),
                after=_informing(),
            ),
        ),
    )
)
