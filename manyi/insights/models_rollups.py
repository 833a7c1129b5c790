"""Rollup tables for the cockpit (see the module docstring of ``manyi.insights.rollups``).

One narrow shape serves every figure: a row is (unit, period, person, metric, workflow, stage)
→ ``n`` and ``value``. Adding a figure adds a metric code, not a column or a table.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Metric(models.TextChoices):
    """What a rollup row counts; ``n`` and ``value`` mean, per metric:"""

    # n: cases opened (kind = workflow).
    OPENED = "opened", _("Cases opened")
    # n: cases closed (kind = workflow, stage = the closing stage).
    CLOSED = "closed", _("Cases closed")
    # n: stage completions with a clock, value: those within the deadline (kind, stage).
    STAGE = "stage", _("Stage completions")
    # n: return visits scheduled that day (the case entered the stage), value: those done since.
    RETURN = "return", _("Return visits")
    # n: complaints received (merged duplicates left out).
    COMPLAINTS = "complaints", _("Complaints")
    # n: purchases recorded (the denominator of the complaint rate).
    PURCHASES = "purchases", _("Purchases")
    # n: submitted audits with a score, value: the sum of their index (0–100).
    AUDITS = "audits", _("Audits")


class RollupRow(models.Model):
    """The columns every rollup row has; ``person_key`` 0 is the unit as a whole.

    Outlet rows exist per person (the staff member the fact belongs to) and as the outlet's
    total; region and company rows are totals only, summed from the rows below them, so a
    company view reads company rows and never a person's or an outlet's.
    """

    company = models.ForeignKey(
        "org.Unit",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    # The staff member (their id) or 0 for the unit's total: a unique key over a nullable
    # column would never match a NULL.
    person_key = models.PositiveBigIntegerField(_("person (0: the unit)"), default=0)
    metric = models.CharField(_("metric"), max_length=12, choices=Metric.choices)
    kind = models.CharField(_("workflow"), max_length=20, blank=True, default="")
    stage = models.CharField(_("stage"), max_length=30, blank=True, default="")
    n = models.BigIntegerField(_("count"), default=0)
    value = models.FloatField(_("value"), default=0.0)

    class Meta:
        abstract = True


class DayRollup(RollupRow):
    """Per unit, person and local calendar day (custom date ranges; the month rows' source)."""

    day = models.DateField(_("day"))
    # The day's month (first day), stored: grouping by a truncated date runs in Python per row
    # on SQLite.
    month = models.DateField(_("month"))

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        constraints = [
            # One row per key. Also the index of a slice's recompute (unit, day) and of a
            # unit's range reads (unit, day range, person 0).
            models.UniqueConstraint(
                fields=["unit", "day", "person_key", "metric", "kind", "stage"],
                name="insights_day_rollup_key",
            ),
        ]
        indexes = [
            # A person's page: their rows over a range of days, whatever the outlet.
            models.Index(
                fields=["person_key", "day"],
                name="insights_day_person_idx",
                condition=Q(person_key__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.person_key} {self.day} {self.metric} {self.n}"


class MonthRollup(RollupRow):
    """Per unit, person and month: the sum of the month's day rows (trends, whole months)."""

    month = models.DateField(_("month"))

    class Meta:
        verbose_name = _("monthly rollup")
        verbose_name_plural = _("monthly rollups")
        constraints = [
            # One row per key; also the index of every cockpit read (unit, months, person 0).
            models.UniqueConstraint(
                fields=["unit", "month", "person_key", "metric", "kind", "stage"],
                name="insights_month_rollup_key",
            ),
        ]
        indexes = [
            # A person's page: their rows over a range of months, whatever the outlet.
            models.Index(
                fields=["person_key", "month"],
                name="insights_month_person_idx",
                condition=Q(person_key__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.person_key} {self.month:%Y-%m} {self.metric} {self.n}"
