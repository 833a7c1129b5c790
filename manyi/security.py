"""Login throttling helpers (django-axes): the client's address and the lockout page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str:
    """The client's address for login throttling.

    Behind the reverse proxy (``MANYI_BEHIND_PROXY=1``) it is the last ``X-Forwarded-For``
    entry — the one the proxy appended; earlier entries come from the client and could be
    forged to dodge the lockout. Otherwise the socket's address.
    """
    if getattr(settings, "MANYI_BEHIND_PROXY", False):
        forwarded = request.headers.get("X-Forwarded-For", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last[:45]
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 - an address, not a bind


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The page a locked-out login gets: why, and for how long (HTTP 429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    return render(request, "login_locked.html", context, status=429)
