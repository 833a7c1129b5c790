"""Every write of the case engine: open, move, assign, log, pause and resume, breach sweeps.

Each function is one transaction: it locks the case row, checks the actor's scope, the
workflow and the row's version (a stale edit is refused, never silently overwritten), changes
the case, writes the timeline and the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.cases import hooks
from manyi.cases.models import (
    Attachment,
    AttachmentKind,
    CallOutcome,
    Case,
    CaseCounter,
    CaseEvent,
    EventKind,
)
from manyi.cases.sla import deadline_for, resumed_deadline
from manyi.cases.workflow import Priority, Workflow, get_workflow
from manyi.errors import InvalidInput, InvalidMove, NotFound, OutOfScope, StaleVersion
from manyi.insights import rollups
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Role, Staff, Unit, UnitKind
from manyi.org.scopes import Perm, Scope, scope_for


class SystemActor:
    """The system itself, as the actor of a step no person takes: a survey's closed loop opening
    a follow-up for the outlet manager, at a customer's answer. It may open a case anywhere;
    the timeline and the audit log record it as no one (``pk`` is None)."""

    pk = None
    is_authenticated = False
    is_active = True

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()
_SYSTEM_SCOPE = Scope(None, None, None, None, None, None, frozenset(Perm), everything=True)


def actor_scope(actor) -> Scope:
    """The scope of ``actor``: a person's, or every right for :data:`SYSTEM`."""
    return _SYSTEM_SCOPE if actor is SYSTEM else scope_for(actor)


def visible_cases(scope: Scope):
    """The cases a scope may read: its subtree's, or a technician's own."""
    return scope.filter(
        Case.objects.all(), unit_field="unit", assignee_field="assignee", perm=Perm.VIEW_CASES
    )


def locked_case(actor, case: Case | int, perm: Perm) -> tuple[Scope, Case]:
    """The case, locked for update, if the actor may act on it with ``perm``."""
    scope = scope_for(actor)
    pk = case.pk if isinstance(case, Case) else case
    try:
        locked = visible_cases(scope).select_for_update().get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    scope.require(perm)
    return scope, locked


def _check_version(case: Case, version: int | None) -> None:
    if version is not None and int(version) != case.version:
        raise StaleVersion()


def record_event(case: Case, kind: str, actor, text: str = "", **data: Any) -> CaseEvent:
    """Add a line to the case's timeline (inside the caller's transaction)."""
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        text=text,
        data=data,
    )


def _enter_stage(case: Case, stage_code: str, now) -> None:
    """Put the case in a stage: its clock starts on the outlet's business calendar."""
    stage = case.workflow.stage(stage_code)
    case.stage = stage_code
    case.stage_entered_at = now
    case.paused_at = None
    case.pause_reason = ""
    case.breached_at = None
    sla = stage.sla_for_case(case)
    case.due_at = deadline_for(case.unit, sla, now) if sla else None
    case.closed_at = now if stage.closed else None


@transaction.atomic
def next_number(workflow: Workflow, year: int) -> str:
    """The next case number of a kind and year, e.g. FW-2026-000123 (gapless, never reused)."""
    counter, _created = CaseCounter.objects.select_for_update().get_or_create(
        kind=workflow.kind, year=year
    )
    counter.value += 1
    counter.save(update_fields=["value"])
    return f"{workflow.number_prefix}-{year}-{counter.value:06d}"


@transaction.atomic
def open_case(
    *,
    actor,
    kind: str,
    customer,
    title: str,
    description: str = "",
    priority: str = Priority.NORMAL,
    unit: Unit | None = None,
    assignee: Staff | None = None,
    stage: str | None = None,
) -> Case:
    """Open a case for a customer at an outlet (default: the customer's home outlet).

    A workflow whose intake routes the case by rule (a complaint goes at once to the area's
    technician) names the ``assignee`` and the ``stage`` to start in; the person is checked as
    an assignment would be, but the actor needs no right to assign: the rule chose, not them.
    The actor may be :data:`SYSTEM` when no person opens it (a survey's closed loop).
    """
    scope = actor_scope(actor)
    scope.require(Perm.OPEN_CASES)
    workflow = get_workflow(kind)
    unit = unit or customer.home_outlet
    if unit.kind != UnitKind.OUTLET or unit.company_id != customer.company_id:
        raise InvalidInput(_("Choose an outlet of the customer's company."), field="unit")
    scope.require_unit(unit, Perm.OPEN_CASES)
    scope.require_unit(customer.home_outlet, Perm.VIEW_CUSTOMERS)
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise InvalidInput(_("Enter a title (at most 200 characters)."), field="title")
    if priority not in Priority.values:
        raise InvalidInput(_("Not one of the available choices."), field="priority")
    start = workflow.initial if stage is None else workflow.stage(stage)
    if start.closed:
        raise InvalidMove()
    now = clock.now()
    case = Case(
        kind=kind,
        number=next_number(workflow, timezone.localtime(now).year),
        company_id=unit.company_id,
        unit=unit,
        customer=customer,
        title=title,
        description=(description or "").strip(),
        priority=priority,
        opened_at=now,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    if assignee is not None:
        staff = Staff.objects.select_related("unit", "user").get(pk=assignee.pk)
        _check_assignee(case, staff)
        case.assignee = staff
    _enter_stage(case, start.code, now)
    case.save()
    record_event(case, EventKind.OPENED, actor, stage=case.stage)
    rollups.touch(case.unit_id, now)  # the cockpit's rollups of the outlet-day
    if case.assignee_id:
        record_event(case, EventKind.ASSIGN, actor, assignee=case.assignee.name, previous=None)
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=case,
        company_id=case.company_id,
        changes={"stage": [None, case.stage]},
    )
    return case


@transaction.atomic
def move(
    *,
    actor,
    case: Case | int,
    move: str,
    version: int | None,
    payload: Mapping[str, Any] | None = None,
    note: str = "",
) -> Case:
    """Move a case along its workflow, if the stage, the role and the requirements allow it."""
    scope, case = locked_case(actor, case, Perm.WORK_CASES)
    _check_version(case, version)
    workflow = case.workflow
    step = workflow.move(move)
    if step is None or case.stage not in step.sources:
        raise InvalidMove()
    if scope.role not in step.roles and not scope.everything:
        raise OutOfScope(_("Your role may not take this step."))
    if (
        step.assignee_only
        and case.assignee_id != scope.staff_id
        and scope.role not in workflow.manager_roles
        and not scope.everything
    ):
        raise OutOfScope(_("Only the person responsible for the case may take this step."))
    payload = payload or {}
    errors = [error for check in step.requires if (error := check(case, payload))]
    if errors:
        raise InvalidInput(errors=errors)
    now = clock.now()
    source = case.stage
    # Whether the stage ended within its deadline (a paused clock stopped at the pause); the
    # cockpit's SLA compliance per stage counts these. No key: the stage had no clock.
    timing = {} if case.due_at is None else {"on_time": (case.paused_at or now) <= case.due_at}
    entered_at = case.stage_entered_at
    if step.counter:
        case.counters = {**case.counters, step.counter: case.counters.get(step.counter, 0) + 1}
    _enter_stage(case, step.target, now)
    case.version += 1
    case.save()
    if step.after is not None:
        step.after(case, actor, payload)
    record_event(
        case,
        EventKind.MOVE,
        actor,
        text=(note or "").strip()[:2000],
        move=move,
        source=source,
        target=step.target,
        **timing,
    )
    rollups.touch(case.unit_id, now, entered_at)
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=case,
        company_id=case.company_id,
        changes={"stage": [source, step.target]},
    )
    if case.closed_at is not None:
        hooks.closed(case, actor, source=source, move=move)
    return case


def _check_assignee(case: Case, staff: Staff, field_work: bool = True) -> None:
    if staff.company_id != case.company_id or not staff.unit.contains(case.unit):
        raise InvalidInput(_("Choose someone who works for this outlet."), field="assignee")
    if not staff.user.is_active:
        raise InvalidInput(_("This person can no longer log in."), field="assignee")
    if field_work and staff.role == Role.TECHNICIAN and not staff.has_valid_licence():
        # 持证上岗: only licensed technicians go on site (002 第七章).
        raise InvalidInput(
            _("This technician has no valid work licence and may not be sent on site."),
            field="assignee",
        )
    refusal = hooks.refused_assignee(case, staff)
    if refusal is not None:
        raise InvalidInput(refusal, field="assignee")


@transaction.atomic
def assign(*, actor, case: Case | int, assignee: Staff, version: int | None) -> Case:
    """Make someone of the case's outlet responsible for it."""
    scope, case = locked_case(actor, case, Perm.ASSIGN_CASES)
    scope.require_unit(case.unit, Perm.ASSIGN_CASES)
    _check_version(case, version)
    staff = Staff.objects.select_related("unit", "user").get(pk=assignee.pk)
    _check_assignee(case, staff)
    if case.assignee_id == staff.pk:
        return case
    previous = case.assignee.name if case.assignee_id else None
    case.assignee = staff
    case.version += 1
    case.save(update_fields=["assignee", "version"])
    record_event(case, EventKind.ASSIGN, actor, assignee=staff.name, previous=previous)
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=case,
        company_id=case.company_id,
        changes={"assignee": [previous, staff.name]},
    )
    _notify_assignee(case, staff, actor)
    return case


def _notify_assignee(case: Case, staff: Staff, actor) -> None:
    """Tell the new responsible person (not when they took it themselves)."""
    from manyi.notify.actions import notify

    if staff.user_id != getattr(actor, "pk", None):
        notify(
            kind="case_assigned",
            users=[staff.user],
            unit=case.unit,
            context={"number": case.number, "title": case.title},
            url=f"/cases/{case.pk}/",
        )


@transaction.atomic
def bulk_reassign(*, actor, cases: list[int], assignee: Staff, reason: str) -> int:
    """A manager hands a set of cases to someone else (e.g. a technician on leave)."""
    scope = scope_for(actor)
    scope.require(Perm.ASSIGN_CASES)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for the reassignment."), field="reason")
    staff = Staff.objects.select_related("unit", "user").get(pk=assignee.pk)
    locked = list(
        visible_cases(scope).select_for_update().filter(pk__in=cases).select_related("unit")
    )
    if len(locked) != len(set(cases)):
        raise NotFound()
    changed = 0
    for case in locked:
        scope.require_unit(case.unit, Perm.ASSIGN_CASES)
        _check_assignee(case, staff)
        if case.assignee_id == staff.pk:
            continue
        case.assignee = staff
        case.version += 1
        case.save(update_fields=["assignee", "version"])
        record_event(case, EventKind.ASSIGN, actor, text=reason, assignee=staff.name)
        _notify_assignee(case, staff, actor)
        audit(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=case,
            company_id=case.company_id,
            changes={"assignee": [None, staff.name], "reason": [None, reason]},
        )
        changed += 1
    return changed


@transaction.atomic
def log_call(
    *, actor, case: Case | int, outcome: str, party: str = "customer", note: str = ""
) -> CaseEvent:
    """Record a phone call with the customer or the installer, and how it went."""
    _scope, case = locked_case(actor, case, Perm.WORK_CASES)
    if outcome not in CallOutcome.values:
        raise InvalidInput(_("Not one of the available choices."), field="outcome")
    if party not in ("customer", "installer"):
        raise InvalidInput(_("Not one of the available choices."), field="party")
    return record_event(
        case, EventKind.CALL, actor, text=(note or "").strip()[:2000], outcome=outcome, party=party
    )


@transaction.atomic
def add_note(*, actor, case: Case | int, text: str) -> CaseEvent:
    """Add a note to the timeline."""
    _scope, case = locked_case(actor, case, Perm.WORK_CASES)
    text = (text or "").strip()
    if not text or len(text) > 2000:
        raise InvalidInput(_("Write a note of at most 2000 characters."), field="text")
    return record_event(case, EventKind.NOTE, actor, text=text)


@transaction.atomic
def pause_clock(*, actor, case: Case | int, reason: str, version: int | None) -> Case:
    """Stop the stage's clock (e.g. waiting for the customer), where the workflow allows it."""
    _scope, case = locked_case(actor, case, Perm.WORK_CASES)
    _check_version(case, version)
    if not case.stage_def.pausable or case.due_at is None:
        raise InvalidMove(_("The clock of this stage cannot be paused."))
    if case.paused_at is not None:
        raise InvalidMove(_("The clock is already paused."))
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise InvalidInput(_("Give a reason (at most 200 characters)."), field="reason")
    case.paused_at = clock.now()
    case.pause_reason = reason
    case.version += 1
    case.save(update_fields=["paused_at", "pause_reason", "version"])
    record_event(case, EventKind.PAUSE, actor, text=reason, due_at=case.due_at.isoformat())
    return case


@transaction.atomic
def resume_clock(*, actor, case: Case | int, version: int | None) -> Case:
    """Restart a paused clock: the deadline moves on by the time it stood still."""
    _scope, case = locked_case(actor, case, Perm.WORK_CASES)
    _check_version(case, version)
    if case.paused_at is None:
        raise InvalidMove(_("The clock is not paused."))
    now = clock.now()
    sla = case.stage_def.sla_for_case(case)
    old_due = case.due_at
    case.due_at = resumed_deadline(case.unit, sla, case.due_at, case.paused_at, now)
    case.paused_at = None
    case.pause_reason = ""
    case.version += 1
    case.save(update_fields=["due_at", "paused_at", "pause_reason", "version"])
    record_event(
        case,
        EventKind.RESUME,
        actor,
        previous_due_at=old_due.isoformat(),
        due_at=case.due_at.isoformat(),
    )
    return case


def sweep_breaches(now=None) -> int:
    """Record each running clock that passed its deadline, once (the task worker runs this).

    A conditional update is the lock: when two sweeps race, only the one whose update changed
    the row writes the timeline entry and notifies, so a breach is never reported twice. The
    responsible person and the managers of the outlet (or the department heads) are told.
    """
    now = now or clock.now()
    due = list(
        Case.objects.filter(
            closed_at__isnull=True,
            paused_at__isnull=True,
            breached_at__isnull=True,
            due_at__lt=now,
        ).values_list("pk", "stage", "due_at")[:1000]
    )
    reported = 0
    for pk, stage, due_at in due:
        with transaction.atomic():
            changed = Case.objects.filter(
                pk=pk, stage=stage, breached_at__isnull=True, due_at=due_at
            ).update(breached_at=now)
            if changed:
                case = Case.objects.select_related("unit", "assignee__user").get(pk=pk)
                record_event(case, EventKind.BREACH, None, stage=stage, due_at=due_at.isoformat())
                _notify_breach(case)
                reported += 1
    return reported


def _notify_breach(case: Case) -> None:
    """Tell the responsible person and their managers (each in their language); a breach of
    an urgent case (a major complaint) skips the quiet hours."""
    from manyi.notify.actions import notify

    managers = [
        s.user
        for s in Staff.objects.filter(company_id=case.company_id, user__is_active=True)
        .filter(role__in=(Role.OUTLET_MANAGER, Role.DEPARTMENT_HEAD))
        .select_related("unit", "user")
        if s.unit.contains(case.unit)
    ]
    # The outlet's own managers when there are some; otherwise those above them.
    local = [u for u in managers if u.staff.role == Role.OUTLET_MANAGER]
    recipients = [case.assignee.user if case.assignee_id else None, *(local or managers)]
    notify(
        kind="case_breach",
        users=recipients,
        unit=case.unit,
        context={"number": case.number, "stage": case.stage_def.label},
        url=f"/cases/{case.pk}/",
        urgent=case.priority == Priority.URGENT,
    )


# Photos from a phone camera and signature images; anything else is refused.
IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def _sniff_image(data: bytes) -> str:
    for magic, content_type in IMAGE_TYPES.items():
        if data.startswith(magic):
            return content_type
    raise InvalidInput(_("Upload a JPEG or PNG image."), field="file")


def store_attachment(
    *, actor, case: Case, data: bytes, kind: str, name: str, event: CaseEvent | None = None
) -> Attachment:
    """Keep an image on the case (inside the caller's transaction)."""
    import hashlib

    from django.core.files.base import ContentFile

    if not data or len(data) > MAX_ATTACHMENT_BYTES:
        raise InvalidInput(_("The image is empty or larger than 10 MB."), field="file")
    content_type = _sniff_image(data)
    extension = "png" if content_type == "image/png" else "jpg"
    digest = hashlib.sha256(data).hexdigest()
    attachment = Attachment(
        case=case,
        event=event,
        kind=kind,
        content_type=content_type,
        size=len(data),
        sha256=digest,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    attachment.file.save(f"{kind}-{digest[:16]}.{extension}", ContentFile(data), save=False)
    attachment.save()
    return attachment


@transaction.atomic
def add_photo(*, actor, case: Case | int, data: bytes, caption: str = "") -> Attachment:
    """A photo of the site, on the timeline."""
    _scope, case = locked_case(actor, case, Perm.WORK_CASES)
    event = record_event(case, EventKind.PHOTO, actor, text=(caption or "").strip()[:200])
    return store_attachment(
        actor=actor, case=case, data=data, kind=AttachmentKind.PHOTO, name="photo", event=event
    )
