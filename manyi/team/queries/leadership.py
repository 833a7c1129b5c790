"""Read side of leadership reviews: who sees a review, the gap between self and others."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Q, QuerySet

from manyi.errors import NotFound
from manyi.instruments.queries import definition_for
from manyi.org.scopes import Perm, Scope
from manyi.team.models import LeadershipFactorScore, LeadershipRater, LeadershipReview


def visible_reviews(scope: Scope) -> QuerySet[LeadershipReview]:
    """The leader's own reviews and those of leaders in a manager's subtree (raters see only
    the answer page, not the results)."""
    own = Q(leader_id=scope.staff_id) if scope.staff_id else Q(pk__in=[])
    if scope.can(Perm.MANAGE_TEAM) or scope.can(Perm.VIEW_REPORTS):
        managed = scope.filter(LeadershipReview.objects.all(), unit_field="leader__unit")
        return LeadershipReview.objects.filter(Q(pk__in=managed.values("pk")) | own)
    return LeadershipReview.objects.filter(own)


def review_list(scope: Scope) -> list[LeadershipReview]:
    """The latest reviews the user sees."""
    return list(visible_reviews(scope).select_related("leader__unit").order_by("-id")[:100])


def get_review(scope: Scope, pk: Any) -> LeadershipReview:
    """One review the user sees, or NotFound."""
    try:
        return (
            visible_reviews(scope).select_related("leader__unit", "version__instrument").get(pk=pk)
        )
    except (LeadershipReview.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def get_review_to_answer(scope: Scope, pk: Any) -> tuple[LeadershipReview, LeadershipRater]:
    """A review the user is asked to rate, and their rater row; NotFound otherwise."""
    rater = (
        LeadershipRater.objects.filter(review_id=pk, staff_id=scope.staff_id)
        .select_related("review__leader", "review__version__instrument")
        .first()
        if scope.staff_id
        else None
    )
    if rater is None:
        raise NotFound()
    return rater.review, rater


def waiting_for(staff_id: int | None) -> list[LeadershipRater]:
    """Open reviews waiting for this person's rating."""
    if staff_id is None:
        return []
    return list(
        LeadershipRater.objects.filter(staff_id=staff_id, has_answered=False, review__status="open")
        .select_related("review__leader")
        .order_by("-review_id")[:20]
    )


def may_manage(scope: Scope, review: LeadershipReview) -> bool:
    """The leader or a team manager over them may close the review."""
    return review.leader_id == scope.staff_id or (
        scope.can(Perm.MANAGE_TEAM) and scope.covers(review.leader.unit)
    )


@dataclass
class Gap:
    """One principle: the leader's own score, the others' mean (0–100), the difference."""

    code: str
    name: str
    own: float | None
    others: float | None

    @property
    def gap(self) -> float | None:
        if self.own is None or self.others is None:
            return None
        return self.own - self.others


def gaps(review: LeadershipReview) -> list[Gap]:
    """Self versus others per principle (one grouped query); the others' side only when
    ``others_visible``."""
    definition = definition_for(review.version)
    rows = (
        LeadershipFactorScore.objects.filter(review=review)
        .values("factor_id", "is_self")
        .annotate(mean=Avg("score"))
    )
    means = {(r["factor_id"], r["is_self"]): r["mean"] for r in rows}
    show_others = review.others_visible
    return [
        Gap(
            code=f.code,
            name=f.name,
            own=means.get((f.id, True)),
            others=means.get((f.id, False)) if show_others else None,
        )
        for f in definition.factors
        if not f.importance_of
    ]


def raters_of(review: LeadershipReview) -> list[LeadershipRater]:
    """The people asked and whether they answered (the leader's progress view)."""
    return list(
        LeadershipRater.objects.filter(review=review)
        .select_related("staff")
        .order_by("-is_self", "has_answered", "staff__name")
    )
