"""Notifications: what a person must know, and every message sent out to reach them.

* :class:`Notification` — the in-app inbox: one row per person, shown until read (the unread
  count sits in the header of every page).
* :class:`Message` — one delivery on an outside channel (SMS, e-mail, a WeCom group robot),
  logged with its status: written in the sender's transaction, delivered by a task after
  commit, retried with backoff when the provider fails, held through the quiet hours, and never
  lost (a periodic sweep re-enqueues any whose task went missing).
* :class:`Preference` — per person: which kinds reach them on which channels, their language,
  whether quiet hours apply to them.
* :class:`Policy`, :class:`Robot`, :class:`Template` — per company: the quiet hours, the WeCom
  group robots of its units, and its own wording of a kind's message.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi import clock

# No message to a person's phone or mailbox between these (company local time) by default.
QUIET_START = dt.time(21, 0)
QUIET_END = dt.time(8, 0)


class Notification(models.Model):
    """One message to one person in the in-app inbox."""

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
    """Channels beyond the in-app inbox (which every notification gets)."""

    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    WECOM = "wecom", _("WeCom group")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    # Waiting for the end of the quiet hours (next_attempt_at).
    HELD = "held", _("Held for quiet hours")
    # Claimed by a worker, in the provider's hands right now.
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    # Every attempt failed: visible in the delivery log, retried only by hand.
    FAILED = "failed", _("Failed")


class Message(models.Model):
    """One outbound delivery (an SMS, an e-mail, a WeCom post), logged with its status.

    Written in the sender's transaction, delivered by a task after commit: a rolled-back
    action sends nothing, and a message that could not be delivered stays visible as failed.
    """

    company = models.ForeignKey(
        "org.Unit",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    # The staff member it is for; empty for a customer (an SMS to a phone) or a group post.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    robot = models.ForeignKey(
        "notify.Robot",
        verbose_name=_("WeCom group robot"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=30, blank=True, default="")
    # A phone, an e-mail address, or (WeCom) the mobiles to mention, comma-separated.
    to = models.CharField(_("to"), max_length=254, blank=True, default="")
    subject = models.CharField(_("subject"), max_length=200, blank=True, default="")
    body = models.TextField(_("message"))
    # What the message is about, e.g. a case number, for finding it again.
    ref = models.CharField(_("reference"), max_length=60, blank=True, default="")
    urgent = models.BooleanField(_("urgent"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    # When it is (next) due: now, the end of the quiet hours, or the next retry.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        indexes = [
            # The messages about one record (a case's acknowledgement, its sign-off code).
            models.Index(fields=["ref", "-id"], name="message_ref_idx"),
            # Undelivered messages, oldest first, for a retry sweep.
            models.Index(fields=["status", "id"], name="message_status_idx"),
            # The sweep: queued/held/sending messages whose time has passed.
            models.Index(fields=["status", "next_attempt_at"], name="message_due_idx"),
            # A company's delivery log, newest first (filtered by status).
            models.Index(fields=["company", "status", "-id"], name="message_company_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.to}"


class Preference(models.Model):
    """How one person wants to be told: channels per kind, language, quiet hours."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="notify_preference",
    )
    # Empty: the site's language (Chinese).
    language = models.CharField(
        _("language"), max_length=10, blank=True, default="", choices=settings.LANGUAGES
    )
    quiet_hours = models.BooleanField(
        _("hold messages in the quiet hours"),
        default=True,
        help_text=_("Urgent messages are sent at once anyway."),
    )
    # {kind: ["email", "sms", "wecom"]}; a kind not listed gets the kind's default channels.
    channels = models.JSONField(_("channels"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)


class Policy(models.Model):
    """A company's quiet hours (local time); no row means 21:00–08:00."""

    company = models.OneToOneField(
        "org.Unit",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="notify_policy",
    )
    # Both empty: no quiet hours.
    quiet_start = models.TimeField(
        _("quiet hours from"), null=True, blank=True, default=QUIET_START
    )
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True, default=QUIET_END)

    class Meta:
        verbose_name = _("notification policy")
        verbose_name_plural = _("notification policies")

    def __str__(self) -> str:
        return str(self.company)

    def quiet_until(self, moment: dt.datetime) -> dt.datetime | None:
        """The end of the quiet period ``moment`` falls in, or None when it is not quiet."""
        start, end = self.quiet_start, self.quiet_end
        if start is None or end is None or start == end:
            return None
        local = timezone.localtime(moment)
        now = local.time()
        if start < end:  # e.g. 12:00–14:00, within one day
            quiet, day = start <= now < end, local.date()
        else:  # e.g. 21:00–08:00, across midnight
            quiet = now >= start or now < end
            day = local.date() + dt.timedelta(days=1) if now >= start else local.date()
        if not quiet:
            return None
        return timezone.make_aware(dt.datetime.combine(day, end), local.tzinfo)


class Robot(models.Model):
    """A WeCom group robot (群机器人): a unit's group chat, reached by its webhook address.

    Messages about a unit, and the personal WeCom messages of its staff, go to the robot of the
    nearest unit up the tree that has one.
    """

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="notify_robots"
    )
    name = models.CharField(_("name"), max_length=50)
    # The webhook address holds the robot's key: shown masked, never in the delivery log.
    webhook_url = models.URLField(_("webhook address"), max_length=300)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("WeCom group robot")
        verbose_name_plural = _("WeCom group robots")
        constraints = [
            models.UniqueConstraint(fields=["unit"], name="robot_one_per_unit"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_url(self) -> str:
        """The address without its key."""
        return self.webhook_url.split("?", 1)[0] + ("?key=…" if "?" in self.webhook_url else "")


class Template(models.Model):
    """A company's own wording of one kind of notification, in one language.

    ``%(name)s`` placeholders take the kind's variables; an unknown one renders empty.
    """

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=30)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True, default="")

    class Meta:
        verbose_name = _("notification template")
        verbose_name_plural = _("notification templates")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind", "language"], name="template_one_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.language})"
