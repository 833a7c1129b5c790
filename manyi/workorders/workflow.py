"""The work-order workflow: 接单 → 联系 → 服务 → 交单 → 验收 → 存档 → 回访 (002 第一章第四节).

Declared as data for the case engine; the requirements below read the case's timeline and its
work order, so the engine itself knows nothing of work orders.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from manyi.cases.models import CallOutcome, EventKind
from manyi.cases.workflow import Move, Priority, Sla, SlaKind, Stage, Workflow, register
from manyi.org.models import Industry, Role

KIND = "workorder"
MANAGERS = frozenset({Role.ADMIN, Role.DEPARTMENT_HEAD, Role.OUTLET_MANAGER})
DISPATCH = MANAGERS | {Role.SERVICE_REP}
FIELD = MANAGERS | {Role.TECHNICIAN}
INSPECT = MANAGERS | {Role.INSPECTOR}

# The acceptance checklist (验收, 002 第三章): 边是否直、面是否平、收口是否精、手感是否滑.
CHECKPOINTS = {
    "edges": _("Edges straight"),
    "surface": _("Surfaces flat"),
    "finish": _("Finishing clean"),
    "touch": _("Touch smooth"),
}
# Return visit (回访): within one month of completion (002); car service within three days
# (004 item 18). Configurable per industry here; per outlet in a later issue.
RETURN_VISIT = {Industry.CAR_DEALER: Sla(SlaKind.CALENDAR_DAYS, Decimal(3))}
RETURN_VISIT_DEFAULT = Sla(SlaKind.CALENDAR_DAYS, Decimal(30))


def _return_visit_sla(case: Any) -> Sla:
    days = case.unit.return_visit_days
    if days:
        return Sla(SlaKind.CALENDAR_DAYS, Decimal(days))
    return RETURN_VISIT.get(case.unit.industry, RETURN_VISIT_DEFAULT)


def _since_stage(case: Any, kind: str):
    return case.events.filter(kind=kind, at__gte=case.stage_entered_at)


def needs_assignee(case: Any, payload: Mapping[str, Any]):
    if case.assignee_id is None:
        return ("assignee", _("Assign a technician first."))
    return None


def needs_reached_customer(case: Any, payload: Mapping[str, Any]):
    # 002 第三章: the technician reaches the customer by phone to fix the first visit.
    calls = _since_stage(case, EventKind.CALL).filter(
        data__party="customer", data__outcome=CallOutcome.REACHED
    )
    if not calls.exists():
        return ("call", _("Log a call in which you reached the customer."))
    return None


def needs_first_visit(case: Any, payload: Mapping[str, Any]):
    if not case.workorder.first_visit_at:
        return ("first_visit_at", _("Agree on the date of the first visit."))
    return None


def needs_visit(case: Any, payload: Mapping[str, Any]):
    if not case.events.filter(kind=EventKind.VISIT).exists():
        return ("visit", _("Log at least one visit on the tracking card."))
    return None


def needs_signed_record(case: Any, payload: Mapping[str, Any]):
    order = case.workorder
    if not order.signed_at or not order.evaluation:
        return ("signature", _("The customer must sign the service record with an evaluation."))
    return None


def needs_passed_checklist(case: Any, payload: Mapping[str, Any]):
    results = payload.get("checklist") or {}
    if (
        not isinstance(results, Mapping)
        or set(results) != set(CHECKPOINTS)
        or any(v != "pass" for v in results.values())
    ):
        return ("checklist", _("Every checkpoint must pass; otherwise send it back for rework."))
    return needs_ratings(case, payload)


def needs_ratings(case: Any, payload: Mapping[str, Any]):
    for name in ("method", "attitude"):
        try:
            value = int(payload.get(name))
        except (TypeError, ValueError, OverflowError):  # e.g. 1e999 in JSON is infinity
            value = 0
        if not 1 <= value <= 5:
            return (name, _("Rate the technician's method and attitude from 1 to 5."))
    return None


def needs_rework_notes(case: Any, payload: Mapping[str, Any]):
    if not str(payload.get("notes") or "").strip():
        return ("notes", _("Describe what must be reworked."))
    return None


def needs_return_visit_outcome(case: Any, payload: Mapping[str, Any]):
    if payload.get("outcome") not in ("satisfied", "not_satisfied"):
        return ("outcome", _("Record whether the customer is satisfied."))
    return None


def needs_reason(case: Any, payload: Mapping[str, Any]):
    if not str(payload.get("reason") or "").strip():
        return ("reason", _("Give a reason."))
    return None


def _keep_inspection(case: Any, actor: Any, payload: Mapping[str, Any]) -> None:
    from manyi.workorders.models import WorkOrder

    inspection = {
        "checklist": dict(payload.get("checklist") or {}),
        "method": int(payload["method"]),
        "attitude": int(payload["attitude"]),
        "notes": str(payload.get("notes") or "")[:2000],
        "result": "pass" if case.stage == "archive" else "rework",
        "round": case.counters.get("rework", 0) + (1 if case.stage == "archive" else 0),
    }
    WorkOrder.objects.filter(case=case).update(inspection=inspection)


def _keep_outcome(case: Any, actor: Any, payload: Mapping[str, Any]) -> None:
    from manyi.workorders.models import WorkOrder

    WorkOrder.objects.filter(case=case).update(return_visit_outcome=payload["outcome"])


WORKFLOW = register(
    Workflow(
        kind=KIND,
        label=_("Work order"),
        number_prefix="FW",
        manager_roles=MANAGERS,
        stages=(
            # Lands in the service department's queue the same day (002 第三章 一、接单).
            Stage(
                "intake",
                _("Intake"),
                sla={
                    Priority.NORMAL: Sla(SlaKind.BUSINESS_HOURS, Decimal(4)),
                    Priority.URGENT: Sla(SlaKind.BUSINESS_HOURS, Decimal(1)),
                },
            ),
            # The technician reaches the customer the next business day (二、联系).
            Stage(
                "contact",
                _("Contact"),
                sla={Priority.NORMAL: Sla(SlaKind.NEXT_BUSINESS_DAY)},
                pausable=True,
            ),
            # Visits, one tracking-card line per process step (三、服务).
            Stage(
                "service",
                _("Service"),
                sla={Priority.NORMAL: Sla(SlaKind.CALENDAR_DAYS, Decimal(60))},
                pausable=True,
            ),
            # The signed service record is handed in (四、交单).
            Stage(
                "record",
                _("Record"),
                sla={Priority.NORMAL: Sla(SlaKind.BUSINESS_DAYS, Decimal(2))},
                pausable=True,
            ),
            Stage(
                "acceptance",
                _("Acceptance"),
                sla={Priority.NORMAL: Sla(SlaKind.BUSINESS_DAYS, Decimal(3))},
                pausable=True,
            ),
            Stage(
                "archive",
                _("Archive"),
                sla={Priority.NORMAL: Sla(SlaKind.BUSINESS_DAYS, Decimal(2))},
            ),
            Stage(
                "return_visit",
                _("Return visit"),
                sla={Priority.NORMAL: RETURN_VISIT_DEFAULT},
                sla_rule=_return_visit_sla,
                pausable=True,
            ),
            Stage("done", _("Done"), closed=True),
            Stage("cancelled", _("Cancelled"), closed=True),
        ),
        moves=(
            Move(
                "dispatch",
                _("Dispatch to the technician"),
                ("intake",),
                "contact",
                DISPATCH,
                requires=(needs_assignee,),
            ),
            Move(
                "contacted",
                _("Customer contacted, first visit agreed"),
                ("contact",),
                "service",
                FIELD,
                requires=(needs_reached_customer, needs_first_visit),
                assignee_only=True,
            ),
            Move(
                "hand_in",
                _("Service finished: hand in the record"),
                ("service",),
                "record",
                FIELD,
                requires=(needs_visit,),
                assignee_only=True,
            ),
            Move(
                "submit",
                _("Signed record submitted for acceptance"),
                ("record",),
                "acceptance",
                FIELD,
                requires=(needs_signed_record,),
                assignee_only=True,
            ),
            Move(
                "accept",
                _("Accepted"),
                ("acceptance",),
                "archive",
                INSPECT,
                requires=(needs_passed_checklist,),
                after=_keep_inspection,
            ),
            Move(
                "rework",
                _("Send back for rework"),
                ("acceptance",),
                "service",
                INSPECT,
                requires=(needs_rework_notes, needs_ratings),
                counter="rework",
                after=_keep_inspection,
            ),
            Move(
                "archive",
                _("Archived: schedule the return visit"),
                ("archive",),
                "return_visit",
                DISPATCH,
            ),
            Move(
                "close",
                _("Return visit done"),
                ("return_visit",),
                "done",
                DISPATCH,
                requires=(needs_return_visit_outcome,),
                after=_keep_outcome,
            ),
            Move(
                "cancel",
                _("Cancel"),
                ("intake", "contact"),
                "cancelled",
                DISPATCH,
                requires=(needs_reason,),
            ),
        ),
    )
)
