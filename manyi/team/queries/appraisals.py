"""Read side of appraisals: who sees which, and what the appraiser has at hand while preparing
(the standards that apply to the person, their scoreboard over the period, their certificates,
the commitments of their last appraisal)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from manyi.errors import NotFound
from manyi.org.scopes import Perm, Scope
from manyi.quality.models import Standard, StandardStatus
from manyi.team.models import Appraisal, AppraisalStage, Commitment
from manyi.team.queries import scoreboard


def visible_appraisals(scope: Scope) -> QuerySet[Appraisal]:
    """Managers: their subtree's; an appraiser: the ones they hold; the employee: their own
    once discussed (the copy of the record, P-083)."""
    mine = Q(appraiser_id=scope.staff_id) | Q(
        staff_id=scope.staff_id, stage__in=(AppraisalStage.DISCUSSED, AppraisalStage.CLOSED)
    )
    if scope.staff_id is None:
        mine = Q(pk__in=[])
    if scope.can(Perm.MANAGE_TEAM) or scope.can(Perm.VIEW_REPORTS):
        managed = scope.filter(Appraisal.objects.all(), unit_field="staff__unit")
        return Appraisal.objects.filter(Q(pk__in=managed.values("pk")) | mine)
    return Appraisal.objects.filter(mine)


def appraisal_list(scope: Scope) -> list[Appraisal]:
    """The latest appraisals the user sees."""
    return list(
        visible_appraisals(scope).select_related("staff__unit", "appraiser").order_by("-id")[:100]
    )


def get_appraisal(scope: Scope, pk: Any) -> Appraisal:
    """One appraisal the user sees, or NotFound."""
    try:
        return visible_appraisals(scope).select_related("staff__unit", "appraiser").get(pk=pk)
    except (Appraisal.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def runs(scope: Scope, appraisal: Appraisal) -> bool:
    """Whether the user holds the appraisal (its appraiser, or a team manager over the
    person)."""
    return appraisal.appraiser_id == scope.staff_id or (
        scope.can(Perm.MANAGE_TEAM) and scope.covers(appraisal.staff.unit)
    )


def commitments_of(appraisal: Appraisal) -> list[Commitment]:
    return list(appraisal.commitments.order_by("due_on", "id"))


def standards_for(appraisal: Appraisal) -> list[Standard]:
    """The approved service standards that apply at the person's outlet (its industry's and
    the general ones), personal side first — what the person is measured against."""
    industry = appraisal.staff.unit.industry
    return list(
        Standard.objects.filter(company_id=appraisal.company_id, status=StandardStatus.APPROVED)
        .filter(Q(industry="") | Q(industry=industry))
        .order_by("side", "code")[:100]
    )


def scoreboard_for(appraisal: Appraisal) -> scoreboard.Row:
    """The person's scoreboard over the appraisal period (whole months)."""
    period = scoreboard.period_of(appraisal.period_start, appraisal.period_end)
    return scoreboard.person_row(appraisal.staff, period)


def previous_commitments(appraisal: Appraisal) -> list[Commitment]:
    """The commitments of the person's previous appraisal (were they kept?)."""
    return list(
        Commitment.objects.filter(
            appraisal__staff_id=appraisal.staff_id, appraisal_id__lt=appraisal.pk
        )
        .select_related("appraisal")
        .order_by("-appraisal_id", "due_on")[:20]
    )
