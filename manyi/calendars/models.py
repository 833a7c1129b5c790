"""The business calendar the SLA clocks run on: working hours, holidays, make-up workdays.

A company has one set of weekly working hours (an outlet may have its own) and one list of day
overrides: public holidays (放假) and make-up workdays (调休上班) on what would be a weekend.
The overrides are seeded from a maintained library and editable, because the libraries only know
a year once the State Council has published its schedule; :class:`CalendarYear` records which
years a company's calendar knows in full. ``service.py`` computes deadlines on it.
"""

from __future__ import annotations

import re

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.org.models import Unit

# A working segment as stored: ["08:30", "12:00"]; the week is seven lists of them, Monday first.
Segment = tuple[int, int]  # minutes after midnight, start < end <= 1440

# When nothing is configured: Monday to Friday 08:30–12:00 and 13:30–17:30 (lunch not counted).
DEFAULT_DAY = [["08:30", "12:00"], ["13:30", "17:30"]]
DEFAULT_WEEK = [DEFAULT_DAY] * 5 + [[], []]

_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    # A make-up workday (调休上班): a weekend day worked in exchange for a longer holiday.
    WORKDAY = "workday", _("Workday")


class DaySource(models.TextChoices):
    LIBRARY = "library", _("Library")
    MANUAL = "manual", _("Entered by hand")
    IMPORT = "import", _("Imported")


def parse_time(text: str) -> int:
    """ "08:30" → 510 minutes after midnight; "24:00" is the end of the day. ValueError if bad."""
    match = _TIME_RE.match(str(text).strip())
    if not match:
        raise ValueError(text)
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(text)
    return hours * 60 + minutes


def format_minutes(minutes: int) -> str:
    """510 → "08:30"."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def day_segments(raw: list) -> tuple[Segment, ...]:
    """One stored day (a list of [start, end] pairs) as minute segments, validated.

    ValueError unless every segment starts before it ends, lies within the day, and the segments
    are in order without overlapping.
    """
    segments: list[Segment] = []
    for pair in raw or ():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError(pair)
        start, end = parse_time(pair[0]), parse_time(pair[1])
        if start >= end:
            raise ValueError(pair)
        if segments and start < segments[-1][1]:
            raise ValueError(pair)
        segments.append((start, end))
    return tuple(segments)


def week_segments(raw: list) -> tuple[tuple[Segment, ...], ...]:
    """A stored week (seven days, Monday first) as minute segments; ValueError if malformed."""
    if not isinstance(raw, list | tuple) or len(raw) != 7:
        raise ValueError(raw)
    return tuple(day_segments(day) for day in raw)


class WorkingHours(models.Model):
    """The weekly working hours of a company (``outlet`` empty) or of one outlet that differs."""

    company = models.ForeignKey(
        Unit, verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    # Empty: the company's default; set: this outlet's own hours instead.
    outlet = models.ForeignKey(
        Unit,
        verbose_name=_("outlet"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # Seven lists (Monday first) of ["HH:MM", "HH:MM"] segments; an empty list is a day off.
    week = models.JSONField(_("working hours"), default=list)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["company", "outlet"]
        constraints = [
            models.UniqueConstraint(
                fields=["company"],
                condition=models.Q(outlet__isnull=True),
                name="workinghours_one_default_per_company",
            ),
            models.UniqueConstraint(
                fields=["outlet"],
                condition=models.Q(outlet__isnull=False),
                name="workinghours_one_per_outlet",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Working hours"))

    def segments(self) -> tuple[tuple[Segment, ...], ...]:
        """The week as minute segments (the default week if the stored one is unreadable)."""
        try:
            return week_segments(self.week)
        except ValueError:
            return week_segments(DEFAULT_WEEK)


class DayOverride(models.Model):
    """One date that differs from the weekly hours: a holiday, or a make-up workday (调休)."""

    company = models.ForeignKey(
        Unit, verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True, default="")
    source = models.CharField(
        _("source"), max_length=10, choices=DaySource.choices, default=DaySource.MANUAL
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("special day")
        verbose_name_plural = _("special days")
        ordering = ["date"]
        constraints = [
            # Also the index of the calendar's one query per load: company and a date range.
            models.UniqueConstraint(
                fields=["company", "date"], name="dayoverride_unique_per_company"
            ),
        ]

    def __str__(self) -> str:
        label = f"{self.date:%Y-%m-%d} {self.get_kind_display()}"
        return f"{label} {self.name}" if self.name else label


class CalendarYear(models.Model):
    """What a company's calendar knows of one year: seeded when, from what, and whether the
    official schedule (holidays and make-up workdays) is in it in full."""

    company = models.ForeignKey(
        Unit, verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    # True once the State Council's schedule of the year is loaded: from the library, imported,
    # or confirmed by an administrator. Until then deadlines in the year carry a warning.
    fully_known = models.BooleanField(_("official schedule known"), default=False)
    # The library and version the year was seeded from, e.g. "chinese-calendar 1.11.0".
    seeded_with = models.CharField(_("seeded from"), max_length=60, blank=True, default="")
    seeded_at = models.DateTimeField(_("seeded at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["company", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "year"], name="calendaryear_unique_per_company"
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)
