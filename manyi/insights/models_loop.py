"""The weekly reports sent (see ``manyi.insights.weekly``).

Loop closure itself needs no table: its signals are read from the sources at query time
(``manyi.insights.loop``). The weekly report does: a unit's report for a week is built and sent
once, and this row is what makes a second run of the task (a ticker restart, two tickers) a
no-op.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi import clock


class WeeklyReport(models.Model):
    """One unit's summary of one week (Monday to Sunday): its PDF and Excel files, and when its
    manager was told."""

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+"
    )
    week = models.DateField(_("week starting"))
    pdf = models.CharField(_("PDF file"), max_length=200, blank=True, default="")
    xlsx = models.CharField(_("Excel file"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    recipients = models.PositiveSmallIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("weekly report")
        verbose_name_plural = _("weekly reports")
        ordering = ["-week", "unit"]
        constraints = [
            # Never twice for a unit and week: the task claims the row before building.
            models.UniqueConstraint(fields=["unit", "week"], name="weekly_report_unit_week"),
        ]
        indexes = [
            # The reports page: a company's reports, newest week first.
            models.Index(fields=["company", "-week"], name="weekly_report_company_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.week:%Y-%m-%d}"
