"""Leadership reviews (003 P-059/060): the leader rates themselves, others rate the leader
anonymously, the gap between the two shows where to improve."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.errors import Conflict, InvalidInput, NotFound, OutOfScope, interpolate
from manyi.instruments.models import InstrumentKind, InstrumentVersion
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Staff
from manyi.org.scopes import Perm, scope_for
from manyi.team.actions.common import pick_version, save_rows, scored, team_staff
from manyi.team.builtin import LEADERSHIP_CODE
from manyi.team.models import (
    MIN_ANSWERS,
    LeadershipFactorScore,
    LeadershipRater,
    LeadershipResponse,
    LeadershipReview,
    RoundStatus,
)


@transaction.atomic
def open_review(
    *,
    actor,
    leader: Staff | int,
    raters: Iterable[Staff | int],
    version: InstrumentVersion | int | None = None,
) -> LeadershipReview:
    """Start a review of a leader (themselves, or someone whose team the actor manages) with
    at least :data:`MIN_ANSWERS` other raters from the actor's part of the organisation."""
    scope = scope_for(actor)
    scope.require(Perm.MANAGE_TEAM)
    candidates = team_staff(scope)
    leader_pk = leader.pk if isinstance(leader, Staff) else leader
    leader = candidates.filter(pk=leader_pk).first()
    if leader is None:
        raise InvalidInput(_("Choose a leader in your part of the organisation."), field="leader")
    ids = {r.pk if isinstance(r, Staff) else r for r in raters} - {leader.pk}
    others = list(candidates.filter(pk__in=ids))
    if len(others) != len(ids):
        raise InvalidInput(_("Choose raters among the active staff you manage."), field="raters")
    if len(others) < MIN_ANSWERS:
        raise InvalidInput(
            interpolate(
                _("Invite at least %(n)d people besides the leader: answers stay anonymous."),
                {"n": MIN_ANSWERS},
            ),
            field="raters",
        )
    version = pick_version(scope, InstrumentKind.QUESTIONNAIRE, LEADERSHIP_CODE, version)
    review = LeadershipReview.objects.create(
        company_id=leader.company_id,
        leader=leader,
        version=version,
        rater_count=len(others),
        opened_at=clock.now(),
        opened_by=actor,
    )
    LeadershipRater.objects.bulk_create(
        [LeadershipRater(review=review, staff=leader, is_self=True)]
        + [LeadershipRater(review=review, staff=s) for s in others]
    )
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=review,
        company_id=review.company_id,
        changes={"leader": [None, leader.name], "raters": [None, len(others)]},
    )
    return review


@transaction.atomic
def answer_review(
    *, actor, review: LeadershipReview | int, answers: Mapping[str, Any]
) -> LeadershipReview:
    """The leader's self-rating, or an invited rater's (stored without the person)."""
    staff = getattr(actor, "staff", None)
    pk = review.pk if isinstance(review, LeadershipReview) else review
    try:
        review = LeadershipReview.objects.select_for_update().get(pk=pk)
    except (LeadershipReview.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    rater = (
        LeadershipRater.objects.select_for_update().filter(review=review, staff=staff).first()
        if staff is not None
        else None
    )
    if rater is None:
        raise OutOfScope(_("You are not asked to rate this leader."))
    if rater.has_answered:
        raise Conflict(_("You have already answered."))
    if not review.is_open:
        raise Conflict(_("This review is closed."))
    definition, cleaned, result = scored(review.version, answers)
    response = LeadershipResponse(
        review=review, is_self=rater.is_self, version=review.version, answers=cleaned
    )
    response.apply_result(result)
    response.save()
    save_rows(
        definition,
        cleaned,
        result,
        response,
        factor_model=LeadershipFactorScore,
        review=review,
        is_self=rater.is_self,
    )
    rater.has_answered = True
    rater.save(update_fields=["has_answered"])
    if rater.is_self:
        LeadershipReview.objects.filter(pk=review.pk).update(self_answered=True)
    else:
        LeadershipReview.objects.filter(pk=review.pk).update(answer_count=F("answer_count") + 1)
    review.refresh_from_db(fields=["answer_count", "self_answered"])
    return review


@transaction.atomic
def close_review(*, actor, review: LeadershipReview | int) -> LeadershipReview:
    """Stop taking ratings; the others' side shows if enough came in."""
    scope = scope_for(actor)
    pk = review.pk if isinstance(review, LeadershipReview) else review
    try:
        review = (
            LeadershipReview.objects.select_for_update(of=("self",))
            .select_related("leader__unit")
            .get(pk=pk, company_id=scope.company_id)
        )
    except (LeadershipReview.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    if review.leader_id != scope.staff_id:
        scope.require_unit(review.leader.unit, Perm.MANAGE_TEAM)
    if not review.is_open:
        raise Conflict(_("This review is closed."))
    review.status = RoundStatus.CLOSED
    review.closed_at = clock.now()
    review.save(update_fields=["status", "closed_at"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=review,
        company_id=review.company_id,
        changes={"status": [RoundStatus.OPEN, RoundStatus.CLOSED]},
    )
    return review
