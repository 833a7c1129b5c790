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
