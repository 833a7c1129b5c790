"""Read side of the five-star service level: each unit's latest level, a unit's history."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Subquery

from manyi.errors import NotFound, OutOfScope
from manyi.org.models import Unit, UnitKind
from manyi.org.scopes import Perm, Scope
from manyi.team.builtin import STAR_LEVELS
from manyi.team.models import ServiceLevelAssessment, ServiceLevelFactorScore


def can_read(scope: Scope) -> bool:
    return scope.can(Perm.MANAGE_TEAM) or scope.can(Perm.VIEW_REPORTS)


def levels(scope: Scope) -> list[Unit]:
    """The company (if in view) and the outlets in the scope, each with its latest stars and
    date (``latest_stars``, ``latest_on``; None when never assessed) — one query."""
    if not can_read(scope):
        raise OutOfScope()
    latest = ServiceLevelAssessment.objects.filter(unit=OuterRef("pk")).order_by(
        "-assessed_on", "-id"
    )
    return list(
        scope.units()
        .filter(is_active=True, kind__in=(UnitKind.COMPANY, UnitKind.OUTLET))
        .annotate(
            latest_stars=Subquery(latest.values("stars")[:1]),
            latest_on=Subquery(latest.values("assessed_on")[:1]),
        )
        .order_by("path")[:500]
    )


def get_unit(scope: Scope, pk: Any) -> Unit:
    """A unit of the scope, or NotFound."""
    if not can_read(scope):
        raise OutOfScope()
    try:
        return scope.units().get(pk=pk)
    except (Unit.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def history(unit: Unit, limit: int = 24) -> list[ServiceLevelAssessment]:
    """A unit's assessments, oldest first (the last ``limit``)."""
    rows = (
        ServiceLevelAssessment.objects.filter(unit=unit)
        .select_related("assessed_by__staff")
        .order_by("-assessed_on", "-id")[:limit]
    )
    return list(reversed(rows))


def get_assessment(scope: Scope, pk: Any) -> ServiceLevelAssessment:
    """One assessment of a unit in the scope, or NotFound."""
    if not can_read(scope):
        raise OutOfScope()
    try:
        return ServiceLevelAssessment.objects.select_related(
            "unit", "version__instrument", "assessed_by__staff"
        ).get(pk=pk, unit__in=scope.units())
    except (ServiceLevelAssessment.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def level_scores(assessment: ServiceLevelAssessment) -> list[tuple[int, str, str, float | None]]:
    """(stars, name, the seed's description, score) per level of one assessment."""
    scores = dict(
        ServiceLevelFactorScore.objects.filter(response=assessment).values_list(
            "factor__code", "score"
        )
    )
    return [(stars, name, text, scores.get(code)) for code, stars, name, text, _c in STAR_LEVELS]


def describe(stars: int) -> tuple[str, str]:
    """The seed's name and description of a star level (0: not yet one star)."""
    for _code, n, name, text, _c in STAR_LEVELS:
        if n == stars:
            return name, text
    return "", ""
