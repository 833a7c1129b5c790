"""The team start page: what waits for the user's answer, and the parts they may use."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from manyi.org.scopes import Perm, scope_for
from manyi.team.actions.common import today
from manyi.team.queries import csas, leadership, training


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """团队: to answer now, and links to each part the role may use."""
    scope = scope_for(request.user)
    day = today()
    readers = training.can_read(scope)
    context = {
        "waiting": csas.open_rounds_for(scope.staff_id),
        "ratings": leadership.waiting_for(scope.staff_id),
        "manage": scope.can(Perm.MANAGE_TEAM),
        "reports": scope.can(Perm.VIEW_REPORTS),
        "is_staff": scope.staff_id is not None,
        "expiring": len(training.expiring_licences(scope, day)) if readers else 0,
        "certificates": training.visible_certificates(scope)
        .filter(revoked_at__isnull=True, valid_until__gte=day)
        .count(),
    }
    return render(request, "team/home.html", context)
