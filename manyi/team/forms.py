"""Forms of the team pages: they parse input; the actions decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


def unit_choices(units) -> list[tuple[int, str]]:
    """Units indented by depth, for a select."""
    return [(u.pk, f"{'　' * u.depth}{u.name}") for u in units]


def version_choices(versions) -> list[tuple[int, str]]:
    """Published instrument versions, named with their version number."""
    return [(v.pk, f"{v.instrument.name} v{v.number}") for v in versions]


class DateInput(forms.DateInput):
    input_type = "date"


class OpenRoundForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("team"), coerce=int)
    name = forms.CharField(label=_("name"), max_length=100, required=False)
    version = forms.TypedChoiceField(label=_("questionnaire"), coerce=int)
    closes_on = forms.DateField(
        label=_("answers until"),
        required=False,
        widget=DateInput,
        help_text=_("Empty: until you close the round."),
    )
    members = forms.TypedMultipleChoiceField(
        label=_("members"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: the staff whose home unit is the team."),
    )

    def __init__(self, *args, units=(), versions=(), staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices(units)
        self.fields["version"].choices = version_choices(versions)
        self.fields["members"].choices = [
            (s.pk, f"{s.name} · {s.get_role_display()}") for s in staff
        ]
