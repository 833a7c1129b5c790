"""A person's notifications."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from manyi.notify import actions
from manyi.notify.models import Notification
from manyi.pagination import keyset_page


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = keyset_page(
        Notification.objects.filter(user=request.user), after=request.GET.get("after")
    )
    return render(request, "notify/notification_list.html", {"page": page})


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = actions.mark_read(actor=request.user, notification_id=pk)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notify:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    actions.mark_all_read(actor=request.user)
    return redirect("notify:list")
