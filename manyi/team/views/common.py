"""Helpers of the team pages."""

from __future__ import annotations

from django.db.models import QuerySet

from manyi.org.models import Unit
from manyi.org.scopes import Perm, Scope


def managed_units(scope: Scope, perm: Perm = Perm.MANAGE_TEAM) -> QuerySet[Unit]:
    """Active units of the scope's subtree, if its role has ``perm`` (tree order)."""
    if not scope.can(perm):
        return Unit.objects.none()
    return scope.units().filter(is_active=True).order_by("path")


def unit_from(scope: Scope, raw, perm: Perm = Perm.MANAGE_TEAM) -> Unit | None:
    """The unit named by a query parameter, if the scope covers it; else None."""
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    return managed_units(scope, perm).filter(pk=pk).first()
