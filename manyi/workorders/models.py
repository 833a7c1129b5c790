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
