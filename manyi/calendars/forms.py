"""Forms of the calendar pages: they parse input; the actions decide."""

from __future__ import annotations

import re

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from manyi.calendars.models import DayKind
from manyi.calendars.service import SlaUnit

# "08:30-12:00, 13:30-17:30" as people type it: any dash or 至/到 between the times, commas,
# semicolons, 、 or spaces between the periods, full-width colons.
_DASHES = re.compile(r"\s*(?:-|–|—|~|～|至|到)\s*")
_SEPARATORS = re.compile(r"[,，;；、\s]+")


def parse_day_text(text: str) -> list[list[str]]:
    """ "08:30-12:00, 13:30-17:30" → [["08:30", "12:00"], ["13:30", "17:30"]]; "" → []."""
    text = (text or "").replace("：", ":").strip()
    if text in ("", "-", "—", "休", "休息"):
        return []
    pairs = []
    for part in _SEPARATORS.split(_DASHES.sub("-", text)):
        if not part:
            continue
        bounds = part.split("-")
        if len(bounds) != 2:
            raise forms.ValidationError(_("Enter times like 08:30-12:00, 13:30-17:30."))
        pairs.append(bounds)
    return pairs


class DayForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=DayKind.choices)
    name = forms.CharField(
        label=_("name"),
        max_length=50,
        required=False,
        help_text=_("e.g. 春节, 国庆节, 公司年会"),
    )


class HoursForm(forms.Form):
    """One line per weekday; empty is a day off."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for index, label in WEEKDAYS.items():
            self.fields[f"day_{index}"] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"placeholder": _("day off")}),
            )

    def clean(self):
        data = super().clean()
        for index in range(7):
            name = f"day_{index}"
            if name in data:
                try:
                    data[name] = parse_day_text(data[name])
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        return data

    def week(self) -> list[list[list[str]]]:
        return [self.cleaned_data[f"day_{index}"] for index in range(7)]


class ScheduleImportForm(forms.Form):
    file = forms.FileField(label=_("schedule (.xlsx)"))
    complete = forms.BooleanField(
        label=_("This is the complete official schedule of the year"),
        required=False,
        initial=True,
        help_text=_(
            "Days of the year from the library or an earlier import that the file does not list "
            "are removed, and the year is marked as fully known. Days entered by hand stay."
        ),
    )


class DeadlineForm(forms.Form):
    """Try the calendar: when does a limit started at a given time run out?"""

    start = forms.DateTimeField(
        label=_("start"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    unit = forms.TypedChoiceField(label=_("unit"), coerce=int)
    rule = forms.ChoiceField(label=_("limit"), choices=SlaUnit.choices)
    amount = forms.DecimalField(
        label=_("amount"), min_value=0, max_value=10000, max_digits=7, decimal_places=2
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, f"{'　' * u.depth}{u.name}") for u in units]

    def clean(self):
        data = super().clean()
        amount, rule = data.get("amount"), data.get("rule")
        if amount is not None and rule != SlaUnit.BUSINESS_HOURS and amount != int(amount):
            self.add_error("amount", _("Days are counted in whole numbers."))
        return data
