"""Forms of the quality pages: they parse input; the actions decide what is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from manyi.org.models import Industry, Role, Staff
from manyi.quality.models import (
    WRITING_TESTS,
    Area,
    LearnArea,
    Period,
    VisitPhotoKind,
)

INDUSTRY_CHOICES = [("", _("All industries"))] + [
    (v, label) for v, label in Industry.choices if v != Industry.OTHER
]


def staff_choices(company_id: int, *, roles=None) -> list[tuple[str, str]]:
    """(id, "name · role · unit") of the company's active staff, shoppers left out."""
    qs = Staff.objects.filter(company_id=company_id, user__is_active=True).select_related("unit")
    qs = qs.filter(role__in=roles) if roles else qs.exclude(role=Role.SHOPPER)
    return [("", "—")] + [
        (str(s.pk), f"{s.name} · {s.get_role_display()} · {s.unit.name}")
        for s in qs.order_by("unit__path", "name")
    ]


class StandardForm(forms.Form):
    code = forms.CharField(
        label=_("code"),
        max_length=20,
        required=False,
        help_text=_("Left empty: the next free code (S-001 …)."),
    )
    area = forms.ChoiceField(
        label=_("area"),
        choices=[
            (_("Procedural"), [(a.value, a.label) for a in Area][:7]),
            (_("Personal"), [(a.value, a.label) for a in Area][7:]),
        ],
    )
    statement = forms.CharField(
        label=_("standard"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
    criterion = forms.CharField(
        label=_("measurable criterion"),
        max_length=300,
        required=False,
        help_text=_(
            "What an auditor sees or measures, e.g. “greeted within 30 seconds”. Without it the "
            "standard is not observable."
        ),
    )
    criterion_value = forms.DecimalField(
        label=_("criterion value"), required=False, max_digits=10, decimal_places=2
    )
    criterion_unit = forms.CharField(label=_("unit"), max_length=20, required=False)
    industry = forms.ChoiceField(label=_("industry"), choices=INDUSTRY_CHOICES, required=False)
    owner = forms.ChoiceField(label=_("owner"), required=False)
    effective_on = forms.DateField(
        label=_("effective from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    review_on = forms.DateField(
        label=_("review by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    change_note = forms.CharField(
        label=_("reason for the change"),
        max_length=300,
        required=False,
        help_text=_("Changing an approved standard's content makes a new version to approve."),
    )

    def __init__(self, *args, company_id: int, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = staff_choices(company_id)
        if not editing:
            del self.fields["change_note"]


class ApproveForm(forms.Form):
    checks = forms.MultipleChoiceField(
        label=_("The four tests (003 P-040)"),
        choices=WRITING_TESTS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class GenerateTemplateForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    walkaround = forms.BooleanField(
        label=_("Walk-around: a quick audit of 5 to 10 standards"), required=False
    )
    unit = forms.ChoiceField(label=_("weights from the ranking of"), required=False)
    standards = forms.MultipleChoiceField(label=_("standards"), widget=forms.CheckboxSelectMultiple)


class PlanForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    template = forms.ChoiceField(label=_("audit template"))
    outlets = forms.MultipleChoiceField(label=_("outlets"), widget=forms.CheckboxSelectMultiple)
    every = forms.IntegerField(label=_("every"), min_value=1, max_value=52, initial=1)
    period = forms.ChoiceField(label=_("period"), choices=Period.choices, initial=Period.MONTH)
    auditor = forms.ChoiceField(label=_("auditor"), required=False)
    starts_on = forms.DateField(
        label=_("first audit due"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class StartAuditForm(forms.Form):
    outlet = forms.ChoiceField(label=_("outlet"))
    template = forms.ChoiceField(label=_("audit template"))


class ActionItemForm(forms.Form):
    description = forms.CharField(label=_("action"), max_length=300)
    owner = forms.ChoiceField(label=_("owner"))
    due_on = forms.DateField(label=_("due on"), widget=forms.DateInput(attrs={"type": "date"}))


class ObjectivesForm(forms.Form):
    objectives = forms.CharField(
        label=_("objectives"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    learn_areas = forms.MultipleChoiceField(
        label=_("what to learn"), choices=LearnArea.choices, widget=forms.CheckboxSelectMultiple
    )
    focus = forms.CharField(
        label=_("facilities, key services and variables"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Steps 7–9: the facilities to look at, the services to stress, and what "
            "varies between visits (day, time, staff)."
        ),
    )


class CompetitorForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    brand = forms.CharField(label=_("brand"), max_length=100, required=False)
    industry = forms.ChoiceField(label=_("industry"), choices=INDUSTRY_CHOICES, required=False)
    address = forms.CharField(label=_("address"), max_length=200, required=False)


class ScenarioForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=100)
    script = forms.CharField(
        label=_("shopper's script"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What to say and ask, what to look at, what to remember and write down."),
    )


class ScheduleForm(forms.Form):
    target = forms.ChoiceField(label=_("outlet"))
    shopper = forms.ChoiceField(label=_("shopper"))
    scenario = forms.ChoiceField(label=_("scenario"))
    planned_on = forms.DateField(
        label=_("planned for"), widget=forms.DateInput(attrs={"type": "date"})
    )
    planned_window = forms.CharField(label=_("time of day"), max_length=40, required=False)


class TextForm(forms.Form):
    text = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))


class VisitForm(forms.Form):
    visited_at = forms.DateTimeField(
        label=_("visited at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    duration_minutes = forms.IntegerField(
        label=_("duration (minutes)"), required=False, min_value=1, max_value=600
    )
    narrative = forms.CharField(
        label=_("what happened"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    receipt = forms.FileField(
        label=_("receipt"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    photo = forms.FileField(
        label=_("photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )

    PHOTO_KINDS = {"receipt": VisitPhotoKind.RECEIPT, "photo": VisitPhotoKind.PHOTO}
