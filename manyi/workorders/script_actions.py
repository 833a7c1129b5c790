"""Every write to a company's scripts (话术): add, edit, delete, reorder, restore the seed.

Scripts belong to the whole company, so only company-wide managers (Perm.MANAGE_UNITS: the
department head and the administrator) change them.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from manyi.errors import InvalidInput, NotFound, OutOfScope
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Unit
from manyi.org.scopes import Perm, Scope, scope_for
from manyi.workorders.models import Script, ScriptStep
from manyi.workorders.seed_scripts import seed_scripts

MAX_BODY = 5000


def manager_scope(actor: Any) -> Scope:
    """The actor's scope if they may manage their company's scripts; else OutOfScope."""
    scope = scope_for(actor)
    scope.require(Perm.MANAGE_UNITS)
    if scope.company_id is None or not scope.is_company_wide:
        raise OutOfScope()
    return scope


def company_scripts(scope: Scope):
    """The scripts of the scope's company, in display order."""
    if scope.company_id is None:
        return Script.objects.none()
    return Script.objects.filter(company_id=scope.company_id).order_by("step", "position", "id")


def _get(scope: Scope, script: Script | int, *, lock: bool = False) -> Script:
    pk = script.pk if isinstance(script, Script) else script
    qs = company_scripts(scope)
    if lock:
        qs = qs.select_for_update()
    try:
        return qs.get(pk=pk)
    except (Script.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def _clean(step: str, title: str, body: str) -> tuple[str, str, str]:
    errors = []
    step = (step or "").strip()
    if step not in ScriptStep.values:
        errors.append(("step", _("Not one of the available choices.")))
    title = (title or "").strip()
    if not title or len(title) > 100:
        errors.append(("title", _("Enter a title (at most 100 characters).")))
    body = (body or "").strip().replace("\r\n", "\n")
    if not body or len(body) > MAX_BODY:
        errors.append(("body", _("Enter the words (at most 5000 characters).")))
    if errors:
        raise InvalidInput(errors=errors)
    return step, title, body


def _next_position(company_id: int, step: str) -> int:
    top = Script.objects.filter(company_id=company_id, step=step).aggregate(m=Max("position"))
    return 0 if top["m"] is None else top["m"] + 1


@transaction.atomic
def create_script(*, actor: Any, step: str, title: str, body: str) -> Script:
    """Add a script at the end of its step."""
    scope = manager_scope(actor)
    step, title, body = _clean(step, title, body)
    script = Script.objects.create(
        company_id=scope.company_id,
        step=step,
        title=title,
        body=body,
        position=_next_position(scope.company_id, step),
    )
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=script,
        company_id=scope.company_id,
        changes={"step": [None, step], "title": [None, title]},
    )
    return script


@transaction.atomic
def update_script(*, actor: Any, script: Script | int, step: str, title: str, body: str) -> Script:
    """Change a script's words; moved to another step, it goes to the end of that step."""
    scope = manager_scope(actor)
    script = _get(scope, script, lock=True)
    step, title, body = _clean(step, title, body)
    changes = {
        field: [getattr(script, field), new]
        for field, new in (("step", step), ("title", title), ("body", body))
        if getattr(script, field) != new
    }
    if not changes:
        return script
    if "step" in changes:
        script.position = _next_position(scope.company_id, step)
    script.step, script.title, script.body = step, title, body
    script.save(update_fields=["step", "title", "body", "position"])
    if "body" in changes:
        # The words can be long: the log keeps their length, not the whole text twice.
        changes["body"] = [len(changes["body"][0]), len(changes["body"][1])]
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=script,
        company_id=scope.company_id,
        changes=changes,
    )
    return script


@transaction.atomic
def delete_script(*, actor: Any, script: Script | int) -> None:
    """Remove a script."""
    scope = manager_scope(actor)
    script = _get(scope, script, lock=True)
    audit(
        actor=actor,
        action=AuditAction.DELETE,
        obj=script,
        company_id=scope.company_id,
        changes={"step": [script.step, None], "title": [script.title, None]},
    )
    script.delete()


@transaction.atomic
def move_script(*, actor: Any, script: Script | int, direction: str) -> Script:
    """Move a script one place up or down within its step (positions renumbered 0…n-1)."""
    scope = manager_scope(actor)
    if direction not in ("up", "down"):
        raise InvalidInput(_("Not one of the available choices."), field="direction")
    script = _get(scope, script)
    # Lock the whole step: two managers reordering at once must not interleave.
    siblings = list(
        company_scripts(scope)
        .filter(step=script.step)
        .select_for_update()
        .order_by("position", "id")
    )
    index = next(i for i, s in enumerate(siblings) if s.pk == script.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        return siblings[index]
    old = siblings[index].position
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position"])
    moved = siblings[other]
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=moved,
        company_id=scope.company_id,
        changes={"position": [old, moved.position]},
    )
    return moved


@transaction.atomic
def restore_seed_scripts(*, actor: Any) -> int:
    """Give the company the standard scripts of 002 第四章 if it has none; how many were added."""
    scope = manager_scope(actor)
    company = Unit.objects.select_for_update().get(pk=scope.company_id)
    created = seed_scripts(company)
    if created:
        audit(
            actor=actor,
            action=AuditAction.CREATE,
            obj=company,
            company_id=company.pk,
            changes={"scripts": [0, created]},
        )
    return created
