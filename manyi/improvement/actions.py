"""Every write to problems, their action plans and measures (sessions: ``session_actions``).

Who may do what (``manyi.org.scopes``): staff with ``RAISE_PROBLEMS`` raise problems in their
unit's subtree; ``MANAGE_IMPROVEMENT`` (outlet managers, the department head, administrators)
own problems and plan, reschedule and cancel actions, attach measures and close problems in
their subtree; an action's owner starts it and marks it done with evidence.

The closure rule (003 P-101: a problem is solved when the change shows in the results): a
problem closes only when it has actions, every one not cancelled is done, and a measure has its
result recorded (the next audit score, the next survey score, …).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.errors import Conflict, InvalidInput, InvalidMove, NotFound, OutOfScope, interpolate
from manyi.improvement import queries
from manyi.improvement.models import (
    ACTIVE_PROBLEM,
    PENDING_ACTION,
    ActionItem,
    ActionStatus,
    Idea,
    Measure,
    MeasureKind,
    Problem,
    ProblemStatus,
)
from manyi.improvement.sources import SourceRef, resolve
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Staff, Unit
from manyi.org.scopes import Perm, Scope, scope_for

MAX_TEXT = 5000
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
# Evidence: a photo of the new poster or shelf, a scanned sheet, a PDF, a Word or Excel file.
_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"%PDF-", "application/pdf"),
]
_OFFICE = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_KEEP: Any = object()


# -- shared checks -----------------------------------------------------------------------------


def _clean_text(value: Any, field: str, *, required: bool, limit: int) -> str:
    text = (value or "").strip().replace("\r\n", "\n") if isinstance(value, str | None) else ""
    if required and not text:
        raise InvalidInput(_("This field is required."), field=field)
    if len(text) > limit:
        raise InvalidInput(
            interpolate(_("At most %(limit)s characters."), {"limit": limit}), field=field
        )
    return text


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _locked_problem(actor: Any, problem: Problem | int) -> tuple[Scope, Problem]:
    """The problem, locked, if the actor may see it."""
    scope = scope_for(actor)
    try:
        locked = queries.visible_problems(scope).select_for_update().get(pk=_pk(problem))
    except (Problem.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    return scope, locked


def _managed_problem(actor: Any, problem: Problem | int, *, active: bool = True):
    """The problem, locked, if the actor manages improvement in its unit (and it is active)."""
    scope, locked = _locked_problem(actor, problem)
    scope.require_unit(Unit.objects.get(pk=locked.unit_id), Perm.MANAGE_IMPROVEMENT)
    if active and not locked.is_active:
        raise InvalidMove(_("The problem is closed or dropped; reopen it first."))
    return scope, locked


def _staff_of(user: Any) -> Staff | None:
    return getattr(user, "staff", None) if getattr(user, "pk", None) else None


def _site_language(message: Any) -> str:
    # Notifications are stored text: written in the site's language, not the actor's.
    with translation.override(settings.LANGUAGE_CODE):
        return str(message)


def _problem_url(problem: Problem) -> str:
    return f"/improvement/problems/{problem.pk}/"


def _notify(users: list[Any], kind: str, title: Any, url: str, actor: Any = None) -> None:
    """Tell ``users`` (not the actor) through notify; ``title`` is lazy, so each reads it in
    their own language."""
    from manyi.notify.actions import notify

    actor_pk = getattr(actor, "pk", None)
    notify(
        kind=kind,
        users=[u for u in users if u is not None and u.pk != actor_pk],
        title=title,
        url=url,
    )


def _owner(unit: Unit, owner: Staff | int | None, *, managers_only: bool, field: str) -> Staff:
    try:
        return (
            queries.eligible_owners(unit, managers_only=managers_only)
            .select_related("user")
            .get(pk=_pk(owner))
        )
    except (Staff.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise InvalidInput(
            _("Choose someone who works in or above this unit and may take part in improvement."),
            field=field,
        ) from exc


def _nearest_managers(unit: Unit) -> list[Any]:
    """The managers closest above ``unit`` (its own, else the region's, else the department
    heads): told of a new problem nobody owns yet."""
    above = [
        m
        for m in queries.eligible_owners(unit, managers_only=True).select_related("user")
        if m.unit.contains(unit)
    ]
    if not above:
        return []
    deepest = max(m.unit.depth for m in above)
    return [m.user for m in above if m.unit.depth == deepest]


# -- problems ----------------------------------------------------------------------------------


@transaction.atomic
def raise_problem(
    *,
    actor: Any,
    title: str,
    description: str = "",
    unit: Unit | int | None = None,
    source: SourceRef | None = None,
    owner: Staff | int | None = None,
) -> Problem:
    """Raise a problem, by hand or from a source (a complaint, an audit finding, …).

    The unit defaults to the source's unit, else the actor's home unit. A manager who raises a
    problem owns it unless they name another owner; otherwise the managers nearest the unit are
    told. A second active problem from the same source is refused.
    """
    scope = scope_for(actor)
    scope.require(Perm.RAISE_PROBLEMS)
    title = _clean_text(title, "title", required=True, limit=200)
    description = _clean_text(description, "description", required=False, limit=MAX_TEXT)
    described = resolve(scope, source) if source is not None else None
    if unit is None and described is not None and described.unit_id:
        candidates = [described.unit_id]
    elif unit is None:
        candidates = [scope.unit_id] if scope.unit_id else []
    else:
        candidates = [_pk(unit)]
    try:
        chosen = queries.units_for_problems(scope).get(pk__in=candidates[:1] or [0])
    except (Unit.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise InvalidInput(
            _("Choose a unit in your part of the organisation."), field="unit"
        ) from exc
    if source is not None:
        clash = Problem.objects.filter(
            company_id=chosen.company_id,
            source_kind=source.kind,
            source_id=str(source.id).strip(),
            status__in=ACTIVE_PROBLEM,
        ).first()
        if clash is not None:
            raise Conflict(
                interpolate(
                    _("A problem from this source is already being worked on: %(title)s"),
                    {"title": clash.title},
                )
            )
    owner_staff = None
    if owner is not None:
        scope.require(Perm.MANAGE_IMPROVEMENT)
        owner_staff = _owner(chosen, owner, managers_only=True, field="owner")
    elif scope.can(Perm.MANAGE_IMPROVEMENT) and scope.staff_id:
        owner_staff = (
            queries.eligible_owners(chosen, managers_only=True).filter(pk=scope.staff_id).first()
        )
    problem = Problem.objects.create(
        company_id=chosen.company_id,
        unit=chosen,
        title=title,
        description=description,
        source_kind=source.kind if source else "",
        source_id=str(source.id).strip() if source else "",
        source_label=described.label if described else "",
        source_url=described.url if described else "",
        owner=owner_staff,
        raised_by=actor if getattr(actor, "pk", None) else None,
        created_at=clock.now(),
    )
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=problem,
        company_id=problem.company_id,
        changes={"title": [None, title], "source": [None, problem.source_label or None]},
    )
    if owner_staff is not None:
        recipients = [owner_staff.user] if owner_staff.pk != scope.staff_id else []
    else:
        recipients = _nearest_managers(chosen)
    _notify(
        recipients,
        "problem_raised",
        interpolate(_("New problem to solve: %(title)s"), {"title": title}),
        _problem_url(problem),
        actor,
    )
    return problem


@transaction.atomic
def update_problem(*, actor: Any, problem: Problem | int, title: str, description: str) -> Problem:
    """Reword an active problem."""
    _scope, problem = _managed_problem(actor, problem)
    title = _clean_text(title, "title", required=True, limit=200)
    description = _clean_text(description, "description", required=False, limit=MAX_TEXT)
    changes = {
        f: [getattr(problem, f), v]
        for f, v in (("title", title), ("description", description))
        if getattr(problem, f) != v
    }
    if changes:
        problem.title, problem.description = title, description
        problem.save(update_fields=["title", "description"])
        if "description" in changes:
            changes["description"] = [len(changes["description"][0]), len(description)]
        audit(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=problem,
            company_id=problem.company_id,
            changes=changes,
        )
    return problem


@transaction.atomic
def assign_problem_owner(*, actor: Any, problem: Problem | int, owner: Staff | int) -> Problem:
    """Make a manager of the unit (or above it) the problem's owner; they are told."""
    scope, problem = _managed_problem(actor, problem)
    unit = Unit.objects.get(pk=problem.unit_id)
    new = _owner(unit, owner, managers_only=True, field="owner")
    if new.pk == problem.owner_id:
        return problem
    old = problem.owner_id
    problem.owner = new
    problem.save(update_fields=["owner"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=problem,
        company_id=problem.company_id,
        changes={"owner": [old, new.pk]},
    )
    _notify(
        [new.user],
        "problem_owner",
        interpolate(_("You own the problem: %(title)s"), {"title": problem.title}),
        _problem_url(problem),
        actor,
    )
    return problem


def closure_blockers(problem: Problem) -> list[Any]:
    """What still stands between the problem and its closure (empty: it may close)."""
    reasons: list[Any] = []
    counts = dict(problem.actions.values_list("status").annotate(n=Count("pk")).order_by())
    live = sum(n for status, n in counts.items() if status != ActionStatus.CANCELLED)
    pending = sum(counts.get(s, 0) for s in PENDING_ACTION)
    if live == 0:
        reasons.append(_("The problem has no actions yet: plan at least one and carry it out."))
    elif pending:
        reasons.append(interpolate(_("%(n)s action(s) are not done yet."), {"n": pending}))
    if not problem.measures.filter(result__isnull=False).exists():
        reasons.append(
            _(
                "Attach a measure with its result (for example the next audit or survey "
                "score) to show the change worked."
            )
        )
    return reasons


@transaction.atomic
def close_problem(*, actor: Any, problem: Problem | int, note: str = "") -> Problem:
    """Close a solved problem: all its actions done (cancelled ones aside) and a measured
    result attached."""
    _scope, problem = _managed_problem(actor, problem)
    note = _clean_text(note, "note", required=False, limit=MAX_TEXT)
    blockers = closure_blockers(problem)
    if blockers:
        raise Conflict(blockers[0])
    problem.status = ProblemStatus.CLOSED
    problem.closed_at = clock.now()
    problem.closed_by = actor if getattr(actor, "pk", None) else None
    problem.closing_note = note
    problem.save(update_fields=["status", "closed_at", "closed_by", "closing_note"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=problem,
        company_id=problem.company_id,
        changes={"status": ["in_progress", "closed"]},
    )
    return problem


@transaction.atomic
def reopen_problem(*, actor: Any, problem: Problem | int, reason: str) -> Problem:
    """Reopen a closed or dropped problem (the measure fell back, the problem came back)."""
    _scope, problem = _managed_problem(actor, problem, active=False)
    if problem.is_active:
        raise InvalidMove(_("The problem is open already."))
    reason = _clean_text(reason, "reason", required=True, limit=500)
    old = problem.status
    problem.status = ProblemStatus.IN_PROGRESS
    problem.closed_at = None
    problem.closed_by = None
    problem.closing_note = ""
    problem.save(update_fields=["status", "closed_at", "closed_by", "closing_note"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=problem,
        company_id=problem.company_id,
        changes={"status": [old, problem.status], "reason": [None, reason]},
    )
    return problem


@transaction.atomic
def drop_problem(*, actor: Any, problem: Problem | int, reason: str) -> Problem:
    """Drop a problem that will not be worked on (a duplicate, not ours); its open actions
    must be cancelled first."""
    _scope, problem = _managed_problem(actor, problem)
    reason = _clean_text(reason, "reason", required=True, limit=500)
    if problem.actions.filter(status__in=PENDING_ACTION).exists():
        raise Conflict(_("Cancel the problem's open actions before dropping it."))
    old = problem.status
    problem.status = ProblemStatus.DROPPED
    problem.closed_at = clock.now()
    problem.closed_by = actor if getattr(actor, "pk", None) else None
    problem.closing_note = reason
    problem.save(update_fields=["status", "closed_at", "closed_by", "closing_note"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=problem,
        company_id=problem.company_id,
        changes={"status": [old, problem.status], "reason": [None, reason]},
    )
    return problem


def _start_work(problem: Problem) -> None:
    """A problem with a session or an action is being solved."""
    if problem.status == ProblemStatus.OPEN:
        problem.status = ProblemStatus.IN_PROGRESS
        problem.save(update_fields=["status"])


# -- measures ----------------------------------------------------------------------------------


def _decimal(value: Any, field: str, *, required: bool) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(_("This field is required."), field=field)
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(_("Enter a number."), field=field) from exc
    if not number.is_finite() or abs(number) >= Decimal("100000000"):
        raise InvalidInput(_("Enter a number."), field=field)
    return number.quantize(Decimal("0.01"))


@transaction.atomic
def add_measure(
    *,
    actor: Any,
    problem: Problem | int,
    kind: str,
    description: str,
    target: Any,
    baseline: Any = None,
    lower_is_better: bool | None = None,
) -> Measure:
    """Say how the team will know the change worked: what is measured, from what, to what."""
    _scope, problem = _managed_problem(actor, problem)
    if kind not in MeasureKind.values:
        raise InvalidInput(_("Not one of the available choices."), field="kind")
    description = _clean_text(description, "description", required=True, limit=200)
    measure = Measure.objects.create(
        problem=problem,
        kind=kind,
        description=description,
        baseline=_decimal(baseline, "baseline", required=False),
        target=_decimal(target, "target", required=True),
        lower_is_better=(
            kind == MeasureKind.COMPLAINT_COUNT if lower_is_better is None else lower_is_better
        ),
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=clock.now(),
    )
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=measure,
        company_id=problem.company_id,
        changes={"problem": [None, problem.pk], "target": [None, str(measure.target)]},
    )
    return measure


@transaction.atomic
def record_measure_result(
    *, actor: Any, measure: Measure | int, result: Any, measured_at: dt.datetime | None = None
) -> Measure:
    """Record what the measure came to (the next audit's score, the next survey's)."""
    scope = scope_for(actor)
    try:
        measure = (
            Measure.objects.select_for_update()
            .filter(problem__in=queries.visible_problems(scope))
            .get(pk=_pk(measure))
        )
    except (Measure.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    _scope, problem = _managed_problem(actor, measure.problem_id)
    now = clock.now()
    when = measured_at or now
    if when > now:
        raise InvalidInput(_("The measurement cannot be in the future."), field="measured_at")
    old = str(measure.result) if measure.result is not None else None
    measure.result = _decimal(result, "result", required=True)
    measure.measured_at = when
    measure.save(update_fields=["result", "measured_at"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=measure,
        company_id=problem.company_id,
        changes={"result": [old, str(measure.result)]},
    )
    return measure


# -- actions of the plan -----------------------------------------------------------------------


def _clean_due(value: Any) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise InvalidInput(_("Enter a valid date."), field="due_on")
    if value < timezone.localdate(clock.now()):
        raise InvalidInput(_("The due date cannot be in the past."), field="due_on")
    return value


def _standard(scope: Scope, standard: SourceRef | None) -> tuple[str, str, str]:
    if standard is None or not str(standard.id or "").strip():
        return "", "", ""
    described = resolve(scope, standard, field="standard", problem_source=False)
    return str(standard.id).strip(), described.label, described.url


@transaction.atomic
def add_action(
    *,
    actor: Any,
    problem: Problem | int,
    title: str,
    owner: Staff | int,
    due_on: dt.date,
    description: str = "",
    idea: Idea | int | None = None,
    standard: SourceRef | None = None,
) -> ActionItem:
    """Add an action to the problem's plan; its owner is told."""
    scope, problem = _managed_problem(actor, problem)
    title = _clean_text(title, "title", required=True, limit=200)
    description = _clean_text(description, "description", required=False, limit=MAX_TEXT)
    unit = Unit.objects.get(pk=problem.unit_id)
    owner_staff = _owner(unit, owner, managers_only=False, field="owner")
    due_on = _clean_due(due_on)
    idea_row = None
    if idea is not None:
        idea_row = Idea.objects.filter(pk=_pk(idea), session__problem=problem).first()
        if idea_row is None:
            raise InvalidInput(_("The idea is not from this problem's sessions."), field="idea")
    standard_id, standard_label, standard_url = _standard(scope, standard)
    action = ActionItem.objects.create(
        problem=problem,
        company_id=problem.company_id,
        unit_id=problem.unit_id,
        title=title,
        description=description,
        owner=owner_staff,
        due_on=due_on,
        idea=idea_row,
        standard_id=standard_id,
        standard_label=standard_label,
        standard_url=standard_url,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=clock.now(),
    )
    _start_work(problem)
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=action,
        company_id=problem.company_id,
        changes={
            "problem": [None, problem.pk],
            "owner": [None, owner_staff.pk],
            "due_on": [None, due_on.isoformat()],
        },
    )
    _notify(
        [owner_staff.user],
        "action_assigned",
        interpolate(
            _("New action for you, due %(due)s: %(title)s"),
            {"due": due_on.isoformat(), "title": title},
        ),
        f"/improvement/actions/{action.pk}/",
        actor,
    )
    return action


def _locked_action(actor: Any, action: ActionItem | int) -> tuple[Scope, ActionItem]:
    scope = scope_for(actor)
    try:
        locked = queries.visible_actions(scope).select_for_update().get(pk=_pk(action))
    except (ActionItem.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    return scope, locked


def _manages(scope: Scope, action: ActionItem) -> bool:
    return scope.can(Perm.MANAGE_IMPROVEMENT) and scope.covers(Unit.objects.get(pk=action.unit_id))


def _owner_or_manager(scope: Scope, action: ActionItem) -> None:
    if action.owner_id == scope.staff_id and scope.staff_id is not None:
        return
    if not _manages(scope, action):
        raise OutOfScope(_("Only the action's owner or a manager of the unit may do this."))


def _require_manager(scope: Scope, action: ActionItem) -> None:
    if not _manages(scope, action):
        raise OutOfScope()


def _active_problem_of(action: ActionItem) -> Problem:
    problem = Problem.objects.get(pk=action.problem_id)
    if not problem.is_active:
        raise InvalidMove(_("The problem is closed or dropped; reopen it first."))
    return problem


def _require_pending(action: ActionItem) -> None:
    if not action.is_pending:
        raise InvalidMove(_("The action is done or cancelled already."))


@transaction.atomic
def update_action(
    *,
    actor: Any,
    action: ActionItem | int,
    title: Any = _KEEP,
    description: Any = _KEEP,
    owner: Any = _KEEP,
    due_on: Any = _KEEP,
    standard: Any = _KEEP,
) -> ActionItem:
    """Change a pending action: reword, hand to someone else, move the due date (the overdue
    notice may then come again), or link the standard it changes."""
    scope, action = _locked_action(actor, action)
    _require_manager(scope, action)
    _require_pending(action)
    problem = _active_problem_of(action)
    changes: dict[str, list[Any]] = {}
    fields: list[str] = []
    if title is not _KEEP:
        title = _clean_text(title, "title", required=True, limit=200)
        if title != action.title:
            changes["title"] = [action.title, title]
            action.title = title
            fields.append("title")
    if description is not _KEEP:
        description = _clean_text(description, "description", required=False, limit=MAX_TEXT)
        if description != action.description:
            changes["description"] = [len(action.description), len(description)]
            action.description = description
            fields.append("description")
    new_owner = None
    if owner is not _KEEP and _pk(owner) != action.owner_id:
        new_owner = _owner(
            Unit.objects.get(pk=problem.unit_id), owner, managers_only=False, field="owner"
        )
        changes["owner"] = [action.owner_id, new_owner.pk]
        action.owner = new_owner
        fields.append("owner")
    if due_on is not _KEEP and due_on != action.due_on:
        due_on = _clean_due(due_on)
        changes["due_on"] = [action.due_on.isoformat(), due_on.isoformat()]
        action.due_on = due_on
        action.overdue_notified_at = None
        fields += ["due_on", "overdue_notified_at"]
    if standard is not _KEEP:
        standard_id, label, url = _standard(scope, standard)
        if standard_id != action.standard_id or label != action.standard_label:
            changes["standard"] = [action.standard_label or None, label or None]
            action.standard_id, action.standard_label, action.standard_url = standard_id, label, url
            fields += ["standard_id", "standard_label", "standard_url"]
    if not fields:
        return action
    action.save(update_fields=fields)
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=action,
        company_id=action.company_id,
        changes=changes,
    )
    if new_owner is not None:
        _notify(
            [new_owner.user],
            "action_assigned",
            interpolate(
                _("New action for you, due %(due)s: %(title)s"),
                {"due": action.due_on.isoformat(), "title": action.title},
            ),
            f"/improvement/actions/{action.pk}/",
            actor,
        )
    return action


@transaction.atomic
def start_action(*, actor: Any, action: ActionItem | int) -> ActionItem:
    """The owner has started on the action."""
    scope, action = _locked_action(actor, action)
    _owner_or_manager(scope, action)
    _active_problem_of(action)
    if action.status != ActionStatus.OPEN:
        raise InvalidMove(_("Only an open action can be started."))
    action.status = ActionStatus.IN_PROGRESS
    action.started_at = clock.now()
    action.save(update_fields=["status", "started_at"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=action,
        company_id=action.company_id,
        changes={"status": ["open", "in_progress"]},
    )
    return action


def _sniff(name: str, data: bytes) -> str:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return content_type
    if data.startswith(b"PK\x03\x04") and extension in _OFFICE:
        return _OFFICE[extension]
    raise InvalidInput(
        _("Upload a photo (JPEG, PNG), a PDF, or a Word, Excel or PowerPoint file."),
        field="file",
    )


def _store_evidence(action: ActionItem, name: str, data: bytes) -> None:
    if not data or len(data) > MAX_EVIDENCE_BYTES:
        raise InvalidInput(_("The file is empty or larger than 10 MB."), field="file")
    content_type = _sniff(name or "", data)
    safe = "".join(ch for ch in (name or "evidence") if ch.isalnum() or ch in "._-")[-80:]
    digest = hashlib.sha256(data).hexdigest()
    if action.evidence_file:
        action.evidence_file.delete(save=False)
    action.evidence_file.save(f"{digest[:16]}-{safe or 'evidence'}", ContentFile(data), save=False)
    action.evidence_name = (name or "evidence")[-120:]
    action.evidence_type = content_type


@transaction.atomic
def attach_evidence(*, actor: Any, action: ActionItem | int, name: str, data: bytes) -> ActionItem:
    """Keep a file that shows the action was carried out (replaces an earlier one)."""
    scope, action = _locked_action(actor, action)
    _owner_or_manager(scope, action)
    _require_pending(action)
    _active_problem_of(action)
    _store_evidence(action, name, data)
    action.save(update_fields=["evidence_file", "evidence_name", "evidence_type"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=action,
        company_id=action.company_id,
        changes={"evidence_file": [None, action.evidence_name]},
    )
    return action


@transaction.atomic
def complete_action(
    *,
    actor: Any,
    action: ActionItem | int,
    evidence_text: str = "",
    file: tuple[str, bytes] | None = None,
) -> ActionItem:
    """Mark the action done, with its evidence: a note of what was done and/or a file."""
    scope, action = _locked_action(actor, action)
    _owner_or_manager(scope, action)
    _require_pending(action)
    _active_problem_of(action)
    text = _clean_text(evidence_text, "evidence_text", required=False, limit=MAX_TEXT)
    if text:
        action.evidence_text = text
    if file is not None:
        _store_evidence(action, file[0], file[1])
    if not action.has_evidence:
        raise InvalidInput(
            _("Say what was done or attach a file as evidence."), field="evidence_text"
        )
    old = action.status
    action.status = ActionStatus.DONE
    action.done_at = clock.now()
    action.save(
        update_fields=[
            "status",
            "done_at",
            "evidence_text",
            "evidence_file",
            "evidence_name",
            "evidence_type",
        ]
    )
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=action,
        company_id=action.company_id,
        changes={"status": [old, "done"]},
    )
    problem = Problem.objects.select_related("owner__user").get(pk=action.problem_id)
    if problem.owner_id:
        _notify(
            [problem.owner.user],
            "action_done",
            interpolate(_("Action done: %(title)s"), {"title": action.title}),
            _problem_url(problem),
            actor,
        )
    return action


@transaction.atomic
def cancel_action(*, actor: Any, action: ActionItem | int, reason: str) -> ActionItem:
    """Cancel an action that will not be carried out (a manager, with the reason)."""
    scope, action = _locked_action(actor, action)
    _require_manager(scope, action)
    _require_pending(action)
    _active_problem_of(action)
    reason = _clean_text(reason, "reason", required=True, limit=200)
    old = action.status
    action.status = ActionStatus.CANCELLED
    action.cancelled_at = clock.now()
    action.cancel_reason = reason
    action.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=action,
        company_id=action.company_id,
        changes={"status": [old, "cancelled"], "reason": [None, reason]},
    )
    return action


@transaction.atomic
def reopen_action(*, actor: Any, action: ActionItem | int) -> ActionItem:
    """Put a done or cancelled action back in progress (a manager; the problem still open)."""
    scope, action = _locked_action(actor, action)
    _require_manager(scope, action)
    _active_problem_of(action)
    if action.is_pending:
        raise InvalidMove(_("The action is still to do."))
    old = action.status
    action.status = ActionStatus.IN_PROGRESS
    action.done_at = None
    action.cancelled_at = None
    action.cancel_reason = ""
    action.overdue_notified_at = None
    action.save(
        update_fields=["status", "done_at", "cancelled_at", "cancel_reason", "overdue_notified_at"]
    )
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=action,
        company_id=action.company_id,
        changes={"status": [old, "in_progress"]},
    )
    return action


# -- the overdue sweep -------------------------------------------------------------------------


def sweep_overdue_actions(now: dt.datetime | None = None) -> int:
    """Tell the owner of each action past its due date, and the problem's owner, once.

    The task worker runs this (``manyi.periodic``). An action is overdue from the day after its
    due date. A conditional update is the lock: when two sweeps race, only the one that set
    ``overdue_notified_at`` notifies. Moving the due date clears it, so a new date that passes
    is reported again.
    """
    now = now or clock.now()
    today = timezone.localdate(now)
    due = list(
        ActionItem.objects.filter(
            status__in=PENDING_ACTION, overdue_notified_at__isnull=True, due_on__lt=today
        )
        .order_by("due_on", "id")
        .values_list("pk", flat=True)[:1000]
    )
    reported = 0
    for pk in due:
        with transaction.atomic():
            changed = ActionItem.objects.filter(
                Q(pk=pk),
                Q(status__in=PENDING_ACTION),
                Q(overdue_notified_at__isnull=True),
                Q(due_on__lt=today),
            ).update(overdue_notified_at=now)
            if not changed:
                continue
            action = ActionItem.objects.select_related("owner__user", "problem__owner__user").get(
                pk=pk
            )
            problem_owner = action.problem.owner.user if action.problem.owner_id else None
            _notify(
                [action.owner.user, problem_owner],
                "action_overdue",
                interpolate(
                    _("Action overdue since %(due)s: %(title)s (%(owner)s)"),
                    {
                        "due": action.due_on.isoformat(),
                        "title": action.title,
                        "owner": action.owner.name,
                    },
                ),
                f"/improvement/actions/{action.pk}/",
            )
            reported += 1
    return reported
