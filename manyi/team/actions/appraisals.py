"""Performance appraisal (003 P-080..084): prepare, discuss, commit, follow up.

The stages follow the seed's checklist: the discussion is recorded only once every preparation
item is ticked (P-081 comes before the meeting); the cycle is followed up only with the record
of plans and commitments given to the employee (P-083) and the appraiser's four questions about
their own conduct of the meeting answered (P-084).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.errors import Conflict, InvalidInput, NotFound, OutOfScope, interpolate
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Staff
from manyi.org.scopes import Perm, Scope, scope_for
from manyi.team.actions.common import team_staff, today
from manyi.team.models import (
    DISCUSSION_ITEMS,
    PREPARATION_ITEMS,
    SELF_REVIEW_ITEMS,
    Appraisal,
    AppraisalStage,
    Commitment,
    CommitmentOwner,
)

MAX_TEXT = 5000


def _text(value: Any, field: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None or len(value) > limit:
        raise InvalidInput(
            interpolate(_("Enter text (at most %(n)d characters)."), {"n": limit}), field=field
        )
    if required and not value:
        raise InvalidInput(_("This is needed."), field=field)
    return value


def _checks(raw: Mapping[str, Any] | None, items, field: str) -> dict[str, bool]:
    raw = raw or {}
    if not isinstance(raw, Mapping) or set(raw) - {key for key, _label in items}:
        raise InvalidInput(_("Not one of the available choices."), field=field)
    return {key: bool(raw.get(key)) for key, _label in items}


def _locked(actor, appraisal: Appraisal | int) -> tuple[Scope, Appraisal]:
    """The appraisal, locked, if the actor runs it (its appraiser or a team manager over the
    person)."""
    scope = scope_for(actor)
    pk = appraisal.pk if isinstance(appraisal, Appraisal) else appraisal
    try:
        locked = (
            Appraisal.objects.select_for_update(of=("self",))
            .select_related("staff__unit")
            .get(pk=pk, company_id=scope.company_id)
        )
    except (Appraisal.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    if locked.appraiser_id != scope.staff_id:
        scope.require_unit(locked.staff.unit, Perm.MANAGE_TEAM)
    return scope, locked


def _log(actor, appraisal: Appraisal, changes: dict[str, Any]) -> None:
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=appraisal,
        company_id=appraisal.company_id,
        changes=changes,
    )


@transaction.atomic
def open_appraisal(
    *,
    actor,
    staff: Staff | int,
    period_start: dt.date,
    period_end: dt.date,
    meeting_at: dt.datetime | None = None,
) -> Appraisal:
    """Start an appraisal of a person of the actor's team, for a period of their work."""
    scope = scope_for(actor)
    scope.require(Perm.MANAGE_TEAM)
    pk = staff.pk if isinstance(staff, Staff) else staff
    person = team_staff(scope).filter(pk=pk).first()
    if person is None:
        raise InvalidInput(_("Choose someone of your team."), field="staff")
    if person.pk == scope.staff_id or scope.staff_id is None:
        raise InvalidInput(_("An appraisal is held by someone else."), field="staff")
    if period_end < period_start:
        raise InvalidInput(_("The last day is before the first."), field="period_end")
    if period_end - period_start > dt.timedelta(days=731):
        raise InvalidInput(_("A period of at most two years."), field="period_end")
    appraisal = Appraisal.objects.create(
        company_id=person.company_id,
        staff=person,
        appraiser_id=scope.staff_id,
        period_start=period_start,
        period_end=period_end,
        meeting_at=meeting_at,
        preparation=dict.fromkeys((k for k, _l in PREPARATION_ITEMS), False),
        created_at=clock.now(),
    )
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=appraisal,
        company_id=appraisal.company_id,
        changes={"staff": [None, person.name]},
    )
    return appraisal


@transaction.atomic
def prepare(
    *,
    actor,
    appraisal: Appraisal | int,
    checks: Mapping[str, Any],
    notes: str = "",
    meeting_at: dt.datetime | None = None,
) -> Appraisal:
    """Tick the P-081 preparation items, note what to raise, set the meeting."""
    _scope, appraisal = _locked(actor, appraisal)
    if appraisal.stage != AppraisalStage.PREPARING:
        raise Conflict(_("The discussion has been held: preparation is closed."))
    appraisal.preparation = _checks(checks, PREPARATION_ITEMS, "preparation")
    appraisal.preparation_notes = _text(notes, "preparation_notes")
    if meeting_at is not None:
        appraisal.meeting_at = meeting_at
    appraisal.save(update_fields=["preparation", "preparation_notes", "meeting_at"])
    done = sum(appraisal.preparation.values())
    _log(actor, appraisal, {"preparation": [None, f"{done}/{len(PREPARATION_ITEMS)}"]})
    return appraisal


@transaction.atomic
def record_discussion(
    *, actor, appraisal: Appraisal | int, checks: Mapping[str, Any], record: str
) -> Appraisal:
    """The meeting was held: its P-082 checklist and the record of what was said."""
    _scope, appraisal = _locked(actor, appraisal)
    if appraisal.stage != AppraisalStage.PREPARING:
        raise Conflict(_("The discussion is already recorded."))
    missing = [key for key, _l in PREPARATION_ITEMS if not appraisal.preparation.get(key)]
    if missing:
        raise InvalidInput(
            _("Finish the preparation checklist before the discussion."), field="preparation"
        )
    appraisal.discussion = _checks(checks, DISCUSSION_ITEMS, "discussion")
    appraisal.discussion_record = _text(record, "discussion_record", required=True)
    appraisal.stage = AppraisalStage.DISCUSSED
    appraisal.discussed_at = clock.now()
    appraisal.save(update_fields=["discussion", "discussion_record", "stage", "discussed_at"])
    _log(actor, appraisal, {"stage": [AppraisalStage.PREPARING, AppraisalStage.DISCUSSED]})
    return appraisal


@transaction.atomic
def add_commitment(
    *,
    actor,
    appraisal: Appraisal | int,
    text: str,
    due_on: dt.date,
    owner: str = CommitmentOwner.EMPLOYEE,
) -> Commitment:
    """A commitment made in the discussion, with its date."""
    _scope, appraisal = _locked(actor, appraisal)
    if appraisal.stage != AppraisalStage.DISCUSSED:
        raise Conflict(_("Commitments are made in the discussion, before the follow-up."))
    if owner not in CommitmentOwner.values:
        raise InvalidInput(_("Not one of the available choices."), field="owner")
    if due_on is None or due_on < today():
        raise InvalidInput(_("Give a date from today on."), field="due_on")
    commitment = Commitment.objects.create(
        appraisal=appraisal,
        text=_text(text, "text", required=True, limit=300),
        owner=owner,
        due_on=due_on,
        created_at=clock.now(),
    )
    _log(actor, appraisal, {"commitment": [None, commitment.text]})
    return commitment


@transaction.atomic
def complete_commitment(*, actor, commitment: Commitment | int, note: str = "") -> Commitment:
    """A commitment was kept: the appraiser or the employee themselves marks it done."""
    scope = scope_for(actor)
    pk = commitment.pk if isinstance(commitment, Commitment) else commitment
    try:
        commitment = (
            Commitment.objects.select_for_update(of=("self",))
            .select_related("appraisal__staff__unit")
            .get(pk=pk, appraisal__company_id=scope.company_id)
        )
    except (Commitment.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    appraisal = commitment.appraisal
    if scope.staff_id not in (appraisal.staff_id, appraisal.appraiser_id):
        if not (scope.can(Perm.MANAGE_TEAM) and scope.covers(appraisal.staff.unit)):
            raise OutOfScope()
    if commitment.done_at is not None:
        raise Conflict(_("This commitment is already marked as done."))
    commitment.done_at = clock.now()
    commitment.note = _text(note, "note", limit=300)
    commitment.save(update_fields=["done_at", "note"])
    _log(actor, appraisal, {"commitment done": [None, commitment.text]})
    return commitment


@transaction.atomic
def follow_up(
    *,
    actor,
    appraisal: Appraisal | int,
    record: str,
    copy_given: bool,
    self_review: Mapping[str, Any],
) -> Appraisal:
    """Close the cycle (P-083/084): the plans, points to follow and commitments written down
    and a copy given to the employee; the appraiser's review of their own conduct."""
    _scope, appraisal = _locked(actor, appraisal)
    if appraisal.stage != AppraisalStage.DISCUSSED:
        raise Conflict(_("Record the discussion first."))
    record = _text(record, "follow_up_record", required=True)
    if not appraisal.commitments.exists():
        raise InvalidInput(_("Write down at least one commitment."), field="commitments")
    if not copy_given:
        raise InvalidInput(_("Give the employee a copy of the record (P-083)."), field="copy_given")
    if not isinstance(self_review, Mapping):
        raise InvalidInput(_("Answer the four questions."), field="self_review")
    answers = {}
    for key, _label in SELF_REVIEW_ITEMS:
        answers[key] = _text(self_review.get(key), f"self_review.{key}", required=True, limit=2000)
    now = clock.now()
    appraisal.follow_up_record = record
    appraisal.copy_sent_at = now
    appraisal.self_review = answers
    appraisal.stage = AppraisalStage.CLOSED
    appraisal.closed_at = now
    appraisal.save(
        update_fields=["follow_up_record", "copy_sent_at", "self_review", "stage", "closed_at"]
    )
    _log(actor, appraisal, {"stage": [AppraisalStage.DISCUSSED, AppraisalStage.CLOSED]})
    return appraisal
