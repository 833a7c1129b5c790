"""Sending and reading notifications."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from manyi import clock
from manyi.errors import NotFound
from manyi.notify.models import Notification


def send(*, users: Iterable, kind: str, title: str, body: str = "", url: str = "") -> int:
    """Notify each user once (inside the caller's transaction); returns how many were sent."""
    recipients = {user.pk: user for user in users if user is not None and user.is_active}
    Notification.objects.bulk_create(
        Notification(user_id=pk, kind=kind, title=title[:200], body=body, url=url[:300])
        for pk in recipients
    )
    return len(recipients)


@transaction.atomic
def mark_read(*, actor, notification_id: int) -> Notification:
    """The recipient has read one notification."""
    try:
        notification = Notification.objects.select_for_update().get(pk=notification_id, user=actor)
    except (Notification.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    if notification.read_at is None:
        notification.read_at = clock.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def mark_all_read(*, actor) -> int:
    """The recipient has read everything."""
    return Notification.objects.filter(user=actor, read_at__isnull=True).update(read_at=clock.now())
