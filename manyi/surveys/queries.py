"""Read side of surveys for managers: campaigns with their counts, invitations, follow-ups,
walk-in QR points, trigger settings, one response. Every query is scoped through
``manyi.org.scopes`` (``Perm.MANAGE_SURVEYS``, the user's subtree); lists are keyset pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from manyi.org.models import Unit, UnitKind
from manyi.org.scopes import Perm, Scope
from manyi.pagination import Page, keyset_page
from manyi.surveys.models import (
    Campaign,
    FollowUp,
    Invitation,
    SurveyPolicy,
    SurveyResponse,
    TriggerSetting,
    WalkInPoint,
)


def visible_campaigns(scope: Scope) -> QuerySet[Campaign]:
    """The campaigns of the scope's subtree (a campaign belongs to the unit it asks)."""
    return scope.filter(Campaign.objects.all(), unit_field="unit", perm=Perm.MANAGE_SURVEYS)


def _counts() -> dict[str, Count]:
    return {
        "invited": Count("invitations"),
        "sent": Count("invitations", filter=Q(invitations__sent_at__isnull=False)),
        "answered": Count("invitations", filter=Q(invitations__answered_at__isnull=False)),
    }


def campaign_page(scope: Scope, *, after: Any = None, size: Any = 50) -> Page:
    """Campaigns newest first, each with invited / sent / answered counts (one query)."""
    qs = (
        visible_campaigns(scope).select_related("unit", "version__instrument").annotate(**_counts())
    )
    return keyset_page(qs, after=after, size=size)


@dataclass
class CampaignCounts:
    """How a campaign is going."""

    invited: int
    sent: int
    reminded: int
    opened: int
    answered: int
    withdrawn: int

    @property
    def response_rate(self) -> float | None:
        """Answered per sent, in % (None before anything was sent)."""
        return self.answered * 100.0 / self.sent if self.sent else None


def counts_of(campaign: Campaign) -> CampaignCounts:
    """The counts of one campaign (one aggregate over its invitations)."""
    row = Invitation.objects.filter(campaign=campaign).aggregate(
        invited=Count("pk"),
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        reminded=Count("pk", filter=Q(reminded_at__isnull=False)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        answered=Count("pk", filter=Q(answered_at__isnull=False)),
        withdrawn=Count("pk", filter=Q(cancelled_at__isnull=False)),
    )
    return CampaignCounts(**row)


def get_campaign(scope: Scope, pk: Any) -> Campaign:
    """One campaign of the scope, or NotFound."""
    return scope.get(
        Campaign.objects.select_related("unit", "version__instrument", "created_by"),
        pk,
        unit_field="unit",
        perm=Perm.MANAGE_SURVEYS,
    )


def visible_invitations(scope: Scope) -> QuerySet[Invitation]:
    """The invitations about the scope's outlets."""
    return scope.filter(Invitation.objects.all(), unit_field="unit", perm=Perm.MANAGE_SURVEYS)


def invitation_page(
    scope: Scope,
    *,
    campaign: Campaign | None = None,
    triggered: bool = False,
    after: Any = None,
    size: Any = 50,
) -> Page:
    """Invitations newest first: a campaign's, the triggered ones (by case), or all."""
    qs = visible_invitations(scope).select_related("customer", "unit", "case", "campaign")
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    elif triggered:
        qs = qs.filter(campaign__isnull=True)
    return keyset_page(qs, after=after, size=size)


def visible_follow_ups(scope: Scope) -> QuerySet[FollowUp]:
    """The follow-ups of the scope's outlets."""
    return scope.filter(FollowUp.objects.all(), unit_field="unit", perm=Perm.MANAGE_SURVEYS)


def follow_up_page(
    scope: Scope, *, open_only: bool = False, after: Any = None, size: Any = 50
) -> Page:
    """Follow-ups newest first, with their case (stage, deadline) and response."""
    qs = visible_follow_ups(scope).select_related("unit", "case", "response")
    if open_only:
        qs = qs.filter(closed_at__isnull=True)
    return keyset_page(qs, after=after, size=size)


def get_follow_up(scope: Scope, pk: Any) -> FollowUp:
    """One follow-up of the scope, or NotFound."""
    return scope.get(
        FollowUp.objects.select_related("unit", "case", "response"),
        pk,
        unit_field="unit",
        perm=Perm.MANAGE_SURVEYS,
    )


def get_response(scope: Scope, pk: Any) -> SurveyResponse:
    """One response of the scope with what its page shows (version, outlet, technician …)."""
    return scope.get(
        SurveyResponse.objects.select_related(
            "version__instrument", "unit", "technician", "customer", "campaign", "case"
        ),
        pk,
        unit_field="unit",
        perm=Perm.MANAGE_SURVEYS,
    )


def outlets_with_points(scope: Scope) -> list[tuple[Unit, WalkInPoint | None]]:
    """The scope's outlets, each with its walk-in QR point if it has one (two queries)."""
    if not scope.can(Perm.MANAGE_SURVEYS):
        return []
    outlets = list(
        scope.units().filter(kind=UnitKind.OUTLET, is_active=True).order_by("path")[:500]
    )
    points = {
        p.unit_id: p
        for p in WalkInPoint.objects.filter(unit__in=outlets).select_related("version__instrument")
    }
    return [(outlet, points.get(outlet.pk)) for outlet in outlets]


def get_walk_in_point(scope: Scope, pk: Any) -> WalkInPoint:
    """One outlet's QR point in the scope, or NotFound."""
    return scope.get(
        WalkInPoint.objects.select_related("unit", "company", "version__instrument"),
        pk,
        unit_field="unit",
        perm=Perm.MANAGE_SURVEYS,
    )


def triggers_of(scope: Scope) -> list[TriggerSetting]:
    """The company's trigger settings."""
    if not scope.can(Perm.MANAGE_SURVEYS) or scope.company_id is None:
        return []
    return list(
        TriggerSetting.objects.filter(company_id=scope.company_id).select_related(
            "version__instrument"
        )
    )


def policy_of(scope: Scope) -> SurveyPolicy | None:
    """The company's closed-loop rule (defaults when none is saved)."""
    if scope.company_id is None:
        return None
    from manyi.surveys.actions import policy_for

    return policy_for(scope.company_id)


def open_follow_up_count(scope: Scope) -> int:
    """Open follow-ups of the scope (a badge on the menu page)."""
    return visible_follow_ups(scope).filter(closed_at__isnull=True).count()


def find_follow_up_for_case(case_id: int) -> FollowUp | None:
    """The follow-up a case carries (the case page's panel)."""
    return (
        FollowUp.objects.select_related("response__version__instrument")
        .filter(case_id=case_id)
        .first()
    )
