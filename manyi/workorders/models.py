"""The technical-service work order (002 第三章): what the case engine does not know."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Evaluation(models.TextChoices):
    """The customer's overall evaluation on the service record form (客户服务记录表)."""

    VERY_SATISFIED = "very_satisfied", _("Very satisfied")
    SATISFIED = "satisfied", _("Satisfied")
    NEUTRAL = "neutral", _("Neutral")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class ReturnVisitOutcome(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    NOT_SATISFIED = "not_satisfied", _("Not satisfied")


class SignoffMethod(models.TextChoices):
    """How the customer confirmed the service record."""

    CANVAS = "canvas", _("Signed on the screen")
    SMS_CODE = "sms_code", _("Confirmed with a code sent by SMS")


class WorkOrder(models.Model):
    """The construction contact form (客户施工联系单) and the forms that follow it."""

    case = models.OneToOneField(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="workorder"
    )
    site_address = models.CharField(_("site address"), max_length=200)
    installer_name = models.CharField(_("installer"), max_length=50, blank=True, default="")
    installer_phone = models.CharField(
        _("installer's phone"), max_length=20, blank=True, default=""
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    products = models.TextField(_("products and batches bought"), blank=True, default="")
    first_visit_at = models.DateTimeField(_("first visit at"), null=True, blank=True)
    # The service record form: signed by the customer (manager level or above for a business).
    evaluation = models.CharField(
        _("customer's overall evaluation"),
        max_length=20,
        choices=Evaluation.choices,
        blank=True,
        default="",
    )
    signed_by = models.CharField(_("signed by"), max_length=50, blank=True, default="")
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signature = models.ForeignKey(
        "cases.Attachment",
        verbose_name=_("signature"),
        # The image goes only with its case (RESTRICT allows that cascade, nothing else).
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="+",
    )
    signoff_method = models.CharField(
        _("sign-off method"), max_length=10, choices=SignoffMethod.choices, blank=True, default=""
    )
    # The one-time code sent to the customer's phone, kept only as an HMAC; attempts are
    # counted so that six digits cannot be guessed.
    signoff_code_hash = models.CharField(max_length=64, blank=True, default="")
    signoff_code_sent_at = models.DateTimeField(null=True, blank=True)
    signoff_code_attempts = models.PositiveSmallIntegerField(default=0)
    # SHA-256 of the record's content at signing (see actions.record_content): a signed record
    # is frozen, and the hash shows it was not changed afterwards.
    signed_hash = models.CharField(_("content hash"), max_length=64, blank=True, default="")
    # Acceptance (验收): the inspector's checklist and ratings of the technician.
    inspection = models.JSONField(_("inspection"), default=dict, blank=True)
    return_visit_outcome = models.CharField(
        _("return visit outcome"),
        max_length=20,
        choices=ReturnVisitOutcome.choices,
        blank=True,
        default="",
    )

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")

    def __str__(self) -> str:
        return str(self.case)


class ScriptStep(models.TextChoices):
    """Where a script is shown (002 第四章: the standard words for each step)."""

    FIRST_CALL = "first_call", _("First call")
    LATER_CALL = "later_call", _("Later calls")
    LAST_CALL = "last_call", _("Last call")
    FIRST_VISIT = "first_visit", _("First visit")
    ACCEPTANCE = "acceptance", _("Acceptance")
    OBJECTIONS = "objections", _("Handling objections")
    RETURN_VISIT = "return_visit", _("Return visit")


class Script(models.Model):
    """Standard words (话术) for a step, shown beside the form of that step; admins edit them."""

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    step = models.CharField(_("step"), max_length=20, choices=ScriptStep.choices)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("words"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    source = models.CharField(_("source"), max_length=100, blank=True, default="")

    class Meta:
        verbose_name = _("script")
        verbose_name_plural = _("scripts")
        ordering = ["step", "position", "id"]
        indexes = [models.Index(fields=["company", "step"], name="script_company_step_idx")]

    def __str__(self) -> str:
        return self.title
