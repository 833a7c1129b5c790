"""In-app notifications: what a person must know, shown until they have read it.

The first channel of ``notify``; e-mail, SMS and WeCom backends come with the insights issue.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi import clock


class Notification(models.Model):
    """One message to one person."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=30)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True, default="")
    url = models.CharField(_("link"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        indexes = [
            # A person's unread count on every page, and their list newest first.
            models.Index(fields=["user", "read_at", "-id"], name="notification_user_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class Channel(models.TextChoices):
    """Channels of outbound messages to people outside the system (customers)."""

    SMS = "sms", _("SMS")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    """One outbound message (an SMS to a customer), logged with its delivery status.

    Written in the sender's transaction, delivered by a task after commit: a rolled-back
    action sends nothing, and a message that could not be delivered stays visible as failed.
    """

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    to = models.CharField(_("to"), max_length=100)
    body = models.TextField(_("message"))
    # What the message is about, e.g. a case number, for finding it again.
    ref = models.CharField(_("reference"), max_length=60, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        indexes = [
            # The messages about one record (a case's acknowledgement, its sign-off code).
            models.Index(fields=["ref", "-id"], name="message_ref_idx"),
            # Undelivered messages, oldest first, for a retry sweep.
            models.Index(fields=["status", "id"], name="message_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.to}"
