"""The case engine's data: a case, its timeline, and the counter behind its number."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.cases.workflow import Priority, get_workflow


class Case(models.Model):
    """One piece of work for one customer: a work order, a complaint, … (see workflow.py)."""

    kind = models.CharField(_("kind"), max_length=20)
    number = models.CharField(_("number"), max_length=24, unique=True)
    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="cases"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    assignee = models.ForeignKey(
        "org.Staff",
        verbose_name=_("responsible"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    stage = models.CharField(_("stage"), max_length=30)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    # Optimistic locking: every change bumps it; a move made on an older version is refused.
    version = models.PositiveIntegerField(_("version"), default=1)
    opened_at = models.DateTimeField(_("opened at"), default=clock.now)
    stage_entered_at = models.DateTimeField(_("stage entered at"), default=clock.now)
    # The current stage's deadline on the business calendar; None when the stage has no clock.
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("clock paused at"), null=True, blank=True)
    pause_reason = models.CharField(_("pause reason"), max_length=200, blank=True, default="")
    # Set when the current stage's breach was notified: a breach is reported once.
    breached_at = models.DateTimeField(_("deadline missed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    counters = models.JSONField(_("counters"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-id"]
        indexes = [
            # The department queue: a company's open cases by stage, soonest due first.
            models.Index(fields=["company", "stage", "due_at"], name="case_queue_idx"),
            # A technician's list: their open cases, soonest due first.
            models.Index(fields=["assignee", "closed_at", "due_at"], name="case_assignee_idx"),
            # The department queue reads open cases only: without this, PostgreSQL scanned all
            # 1M cases to find the 38k open ones (288 ms → 70 ms per query, bench/README.md).
            models.Index(
                fields=["company", "due_at"],
                name="case_open_queue_idx",
                condition=Q(closed_at__isnull=True),
            ),
            # The queue's last stretch: open cases without a deadline, by id (without it,
            # PostgreSQL walked the primary key through 1M closed cases to find none: 267 ms).
            models.Index(
                fields=["company", "id"],
                name="case_open_undated_idx",
                condition=Q(closed_at__isnull=True, due_at__isnull=True),
            ),
            # Overdue sweeps: running clocks only.
            models.Index(
                fields=["due_at"],
                name="case_running_due_idx",
                condition=Q(closed_at__isnull=True, paused_at__isnull=True),
            ),
            # An outlet's cases, newest first (keyset pages).
            models.Index(fields=["unit", "-id"], name="case_unit_idx"),
            # A customer's cases on their page.
            models.Index(fields=["customer", "-opened_at"], name="case_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def workflow(self):
        return get_workflow(self.kind)

    @property
    def stage_def(self):
        return self.workflow.stage(self.stage)

    def get_stage_display(self) -> str:
        return str(self.stage_def.label)

    def is_overdue(self, now=None) -> bool:
        """Whether the running clock of the current stage has passed its deadline."""
        if self.due_at is None or self.paused_at is not None or self.closed_at is not None:
            return False
        return (now or clock.now()) > self.due_at


class EventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    MOVE = "move", _("Stage change")
    ASSIGN = "assign", _("Assignment")
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    NOTE = "note", _("Note")
    PHOTO = "photo", _("Photo")
    SIGNATURE = "signature", _("Signature")
    PAUSE = "pause", _("Clock paused")
    RESUME = "resume", _("Clock resumed")
    BREACH = "breach", _("Deadline missed")


class CallOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    RESCHEDULED = "rescheduled", _("Rescheduled")


class CaseEvent(models.Model):
    """One line of a case's timeline: what happened, who did it, when."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    at = models.DateTimeField(_("at"), default=clock.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField(_("text"), blank=True, default="")
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]
        indexes = [
            # The timeline of one case, in order.
            models.Index(fields=["case", "at"], name="case_event_case_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class CaseCounter(models.Model):
    """The last number given to a kind of case in a year (FW-2026-000123)."""

    kind = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="case_counter_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.value}"


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    SIGNATURE = "signature", _("Signature")
    DOCUMENT = "document", _("Document")


def _attachment_path(instance: Attachment, filename: str) -> str:
    stamp = timezone.localtime(clock.now())
    return f"cases/{stamp:%Y/%m}/{instance.case_id}/{filename}"


class Attachment(models.Model):
    """A file on a case: a site photo, the customer's signature image, a document.

    Stored through Django's storage API (no local paths), with its SHA-256 so a signed record
    can prove which image it carried.
    """

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="attachments"
    )
    event = models.ForeignKey(
        CaseEvent,
        verbose_name=_("timeline entry"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.file.name}"
