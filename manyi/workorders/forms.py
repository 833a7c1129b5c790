"""Forms of the work-order pages: they parse input; the actions decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from manyi.cases.forms import CaseForm
from manyi.cases.workflow import Priority
from manyi.workorders.models import Evaluation, ReturnVisitOutcome
from manyi.workorders.workflow import CHECKPOINTS


class IntakeForm(forms.Form):
    """The construction contact form (客户施工联系单) filled at the sale."""

    customer = forms.IntegerField(widget=forms.HiddenInput)
    site_address = forms.CharField(
        label=_("site address"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the customer's address."),
    )
    installer_name = forms.CharField(label=_("installer"), max_length=50, required=False)
    installer_phone = forms.CharField(
        label=_("installer's phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    planned_start = forms.DateField(
        label=_("planned start"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    priority = forms.ChoiceField(
        label=_("priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    products = forms.CharField(
        label=_("products and batches bought"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "华彩净味墙面漆 HC20260213-01 ×5"}),
    )


class FirstVisitForm(CaseForm):
    at = forms.DateTimeField(
        label=_("first visit at"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class VisitForm(CaseForm):
    """One line of the tracking card (客户服务跟踪卡), with a site photo from the camera."""

    step = forms.CharField(
        label=_("process step served"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. primer, first coat")}),
    )
    products = forms.CharField(label=_("products used"), max_length=200, required=False)
    mix_ratio = forms.CharField(label=_("mix ratio"), max_length=100, required=False)
    notes = forms.CharField(
        label=_("notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    photo = forms.FileField(
        label=_("photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    customer_informed = forms.BooleanField(
        label=_("the customer was told what was done"), required=False
    )


class SignForm(CaseForm):
    """The service record form (客户服务记录表), signed by the customer on the phone."""

    signer_name = forms.CharField(label=_("name of the person signing"), max_length=50)
    evaluation = forms.ChoiceField(
        label=_("customer's overall evaluation"),
        choices=Evaluation.choices,
        widget=forms.RadioSelect,
    )
    signature = forms.CharField(required=False, widget=forms.HiddenInput)
    # Or the one-time code texted to the customer's phone (instead of drawing).
    code = forms.CharField(
        label=_("code from the customer's SMS"),
        required=False,
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


_PASS_REWORK = [("pass", _("Pass")), ("rework", _("Rework"))]
_SCORES = [(str(n), str(n)) for n in range(1, 6)]


class InspectionForm(CaseForm):
    """The inspector's acceptance checklist (验收) and ratings of the technician."""

    method = forms.ChoiceField(
        label=_("technician's working method (1–5)"), choices=_SCORES, widget=forms.RadioSelect
    )
    attitude = forms.ChoiceField(
        label=_("technician's attitude (1–5)"), choices=_SCORES, widget=forms.RadioSelect
    )
    notes = forms.CharField(
        label=_("notes (what must be reworked)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        checks = {
            name: forms.ChoiceField(
                label=label, choices=_PASS_REWORK, widget=forms.RadioSelect, required=False
            )
            for name, label in CHECKPOINTS.items()
        }
        self.fields = {
            **{"version": self.fields["version"]},
            **checks,
            **{k: v for k, v in self.fields.items() if k != "version"},
        }

    def checklist(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in CHECKPOINTS}


class ReturnVisitForm(CaseForm):
    outcome = forms.ChoiceField(
        label=_("is the customer satisfied?"),
        choices=ReturnVisitOutcome.choices,
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label=_("notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
