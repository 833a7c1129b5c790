"""Sending and reading notifications."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from manyi import clock
from manyi.errors import NotFound
from manyi.notify import sms
from manyi.notify.models import Channel, Message, MessageStatus, Notification


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


def send_sms(*, to: str, body: str, ref: str = "") -> Message:
    """Queue a text message to a phone (inside the caller's transaction); sent after commit."""
    message = Message.objects.create(
        channel=Channel.SMS, to=to.strip()[:100], body=body, ref=ref[:60]
    )

    def enqueue() -> None:
        from manyi.notify.tasks import deliver_message as task

        task.enqueue(message.pk)

    transaction.on_commit(enqueue)
    return message


@transaction.atomic
def deliver_message(message_id: int) -> str:
    """Hand a queued message to the provider once; record sent or failed with the error."""
    message = Message.objects.select_for_update().filter(pk=message_id).first()
    if message is None or message.status == MessageStatus.SENT:
        return message.status if message else "missing"
    message.attempts += 1
    try:
        sms.deliver(message.to, message.body)
    except sms.SmsError as exc:
        message.status = MessageStatus.FAILED
        message.last_error = str(exc)[:300]
    else:
        message.status = MessageStatus.SENT
        message.sent_at = clock.now()
        message.last_error = ""
    message.save(update_fields=["attempts", "status", "last_error", "sent_at"])
    return message.status
