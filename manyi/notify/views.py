"""A person's notifications and preferences; the company's delivery log and channel settings."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from manyi.errors import InvalidInput, NotFound
from manyi.notify import actions, queries
from manyi.notify.actions import PERSON_CHANNELS, default_policy
from manyi.notify.models import Channel, MessageStatus, Robot
from manyi.org.models import Unit
from manyi.org.scopes import Perm, scope_for


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The inbox, newest first."""
    page = queries.inbox(request.user, after=request.GET.get("after"))
    return render(request, "notify/notification_list.html", {"page": page})


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark read and follow the notification's link."""
    notification = actions.mark_read(actor=request.user, notification_id=pk)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notify:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    """Mark everything read."""
    actions.mark_all_read(actor=request.user)
    return redirect("notify:list")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Which kinds reach me on which channels, my language, quiet hours."""
    if request.method == "POST":
        from manyi.notify.kinds import KINDS

        chosen = {
            kind: [c for c in request.POST.getlist(f"ch-{kind}") if c in PERSON_CHANNELS]
            for kind in KINDS
        }
        actions.save_preferences(
            actor=request.user,
            channels=chosen,
            language=request.POST.get("language", ""),
            quiet_hours=request.POST.get("quiet_hours") == "on",
        )
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notify:preferences")
    pref, rows = queries.preferences_of(request.user)
    staff = getattr(request.user, "staff", None)
    policy = default_policy(staff.company_id if staff else None)
    return render(
        request,
        "notify/preferences.html",
        {
            "pref": pref,
            "rows": rows,
            "channels": [(c, Channel(c).label) for c in PERSON_CHANNELS],
            "languages": settings.LANGUAGES,
            "policy": policy,
            "has_email": bool(request.user.email),
            "has_phone": bool(staff and staff.phone),
        },
    )


def _admin_company(request: HttpRequest) -> Unit:
    scope = scope_for(request.user)
    scope.require(Perm.MANAGE_STAFF)
    if scope.company_id is None:
        raise NotFound()
    return Unit.objects.get(pk=scope.company_id)


@login_required
def delivery_log(request: HttpRequest) -> HttpResponse:
    """The company's outbound messages with their status; quiet hours and group robots."""
    company = _admin_company(request)
    status = request.GET.get("status", "")
    page = queries.delivery_log(request.user, status=status, after=request.GET.get("after"))
    robots = {r.unit_id: r for r in Robot.objects.filter(company=company)}
    units = list(Unit.objects.filter(company=company, is_active=True).order_by("path"))
    return render(
        request,
        "notify/message_list.html",
        {
            "company": company,
            "page": page,
            "status": status,
            "statuses": MessageStatus.choices,
            "policy": default_policy(company.pk),
            "units": [(u, robots.get(u.pk)) for u in units],
        },
    )


def _time(raw: str | None, field: str) -> dt.time | None:
    if not raw:
        return None
    try:
        return dt.time.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(_("Enter a time such as 21:00."), field=field) from exc


@login_required
@require_POST
def quiet_hours(request: HttpRequest) -> HttpResponse:
    """Set the company's quiet hours."""
    actions.set_quiet_hours(
        actor=request.user,
        start=_time(request.POST.get("quiet_start"), "quiet_start"),
        end=_time(request.POST.get("quiet_end"), "quiet_end"),
    )
    messages.success(request, _("The quiet hours were saved."))
    return redirect("notify:messages")


@login_required
@require_POST
def robot(request: HttpRequest, unit_id: int) -> HttpResponse:
    """Set or remove a unit's WeCom group robot."""
    company = _admin_company(request)
    unit = Unit.objects.filter(pk=unit_id, company=company).first()
    if unit is None:
        raise NotFound()
    actions.set_robot(
        actor=request.user,
        unit=unit,
        name=request.POST.get("name", ""),
        webhook_url=request.POST.get("webhook_url", ""),
    )
    messages.success(request, _("The group robot was saved."))
    return redirect("notify:messages")


@login_required
@require_POST
def message_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a failed message again."""
    actions.retry_message(actor=request.user, message_id=pk)
    messages.success(request, _("The message was queued again."))
    return redirect("notify:messages")
