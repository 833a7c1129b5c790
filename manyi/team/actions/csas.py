"""CSAS rounds (003 P-092..096): open a round for a team, members answer anonymously, close.

Anonymity is kept by what is *not* written: the answer set has no person and no time, the
member's row only a flag, and no audit line is written per answer (see ``team.models``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.errors import Conflict, InvalidInput, NotFound, OutOfScope, interpolate
from manyi.instruments.models import InstrumentKind, InstrumentVersion
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Staff, Unit
from manyi.org.scopes import Perm, scope_for
from manyi.team.actions.common import pick_version, save_rows, scored, team_staff, today
from manyi.team.builtin import CSAS_CODE
from manyi.team.models import (
    MIN_ANSWERS,
    AssessmentAnswer,
    AssessmentResponse,
    AssessmentRound,
    RoundMember,
    RoundStatus,
)


@transaction.atomic
def open_round(
    *,
    actor,
    unit: Unit,
    name: str = "",
    members: Iterable[Staff | int] | None = None,
    version: InstrumentVersion | int | None = None,
    closes_on: dt.date | None = None,
) -> AssessmentRound:
    """Open a CSAS round for a team: the unit's own staff, or the members chosen.

    At least :data:`MIN_ANSWERS` members: with fewer, no result could ever be shown.
    """
    scope = scope_for(actor)
    scope.require_unit(unit, Perm.MANAGE_TEAM)
    version = pick_version(scope, InstrumentKind.TEAM_ASSESSMENT, CSAS_CODE, version)
    candidates = team_staff(scope, unit)
    if members is None:
        chosen = list(candidates.filter(unit=unit))
    else:
        ids = {m.pk if isinstance(m, Staff) else m for m in members}
        chosen = list(candidates.filter(pk__in=ids))
        if len(chosen) != len(ids):
            raise InvalidInput(
                _("Choose members among the active staff of this team."), field="members"
            )
    if len(chosen) < MIN_ANSWERS:
        raise InvalidInput(
            interpolate(
                _("A round needs at least %(n)d members, so that answers stay anonymous."),
                {"n": MIN_ANSWERS},
            ),
            field="members",
        )
    if closes_on is not None and closes_on < today():
        raise InvalidInput(_("The last day cannot be in the past."), field="closes_on")
    name = (name or "").strip() or f"{unit.name} {today():%Y-%m-%d}"
    if len(name) > 100:
        raise InvalidInput(_("The name is too long (at most 100 characters)."), field="name")
    round_ = AssessmentRound.objects.create(
        company_id=unit.company_id,
        unit=unit,
        name=name,
        version=version,
        closes_on=closes_on,
        member_count=len(chosen),
        opened_at=clock.now(),
        opened_by=actor,
    )
    RoundMember.objects.bulk_create(RoundMember(round=round_, staff=s) for s in chosen)
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=round_,
        company_id=round_.company_id,
        changes={"members": [None, len(chosen)], "version": [None, str(version)]},
    )
    return round_


@transaction.atomic
def answer_round(
    *, actor, round: AssessmentRound | int, answers: Mapping[str, Any]
) -> AssessmentRound:
    """A member rates their team. Stored without the person; the member is marked as answered."""
    staff = getattr(actor, "staff", None)
    pk = round.pk if isinstance(round, AssessmentRound) else round
    try:
        round_ = AssessmentRound.objects.select_for_update().get(pk=pk)
    except (AssessmentRound.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    member = (
        RoundMember.objects.select_for_update().filter(round=round_, staff=staff).first()
        if staff is not None
        else None
    )
    if member is None:
        raise OutOfScope(_("You are not a member of this round."))
    if member.has_answered:
        raise Conflict(_("You have already answered this round."))
    if not round_.is_open:
        raise Conflict(_("This round is closed."))
    definition, cleaned, result = scored(round_.version, answers)
    response = AssessmentResponse(round=round_, version=round_.version, answers=cleaned)
    response.apply_result(result)
    response.save()
    save_rows(definition, cleaned, result, response, answer_model=AssessmentAnswer, round=round_)
    member.has_answered = True
    member.save(update_fields=["has_answered"])
    AssessmentRound.objects.filter(pk=round_.pk).update(answer_count=F("answer_count") + 1)
    round_.refresh_from_db(fields=["answer_count"])
    return round_


@transaction.atomic
def close_round(*, actor, round: AssessmentRound | int) -> AssessmentRound:
    """Stop taking answers; the results show if enough came in."""
    scope = scope_for(actor)
    pk = round.pk if isinstance(round, AssessmentRound) else round
    try:
        round_ = (
            scope.filter(AssessmentRound.objects.select_for_update(of=("self",)), unit_field="unit")
            .select_related("unit")
            .get(pk=pk)
        )
    except (AssessmentRound.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    scope.require_unit(round_.unit, Perm.MANAGE_TEAM)
    if round_.status == RoundStatus.CLOSED:
        raise Conflict(_("This round is closed."))
    round_.status = RoundStatus.CLOSED
    round_.closed_at = clock.now()
    round_.save(update_fields=["status", "closed_at"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=round_,
        company_id=round_.company_id,
        changes={"status": [RoundStatus.OPEN, RoundStatus.CLOSED]},
    )
    return round_
