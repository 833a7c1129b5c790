"""Forms of the complaint pages: they parse input; the actions decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from manyi.cases.forms import CaseForm
from manyi.cases.models import CallOutcome
from manyi.complaints.actions import TOOLS
from manyi.complaints.models import (
    CauseCategory,
    CauseSide,
    Channel,
    ComplaintPolicy,
    MajorReason,
    ResolutionKind,
    Responsibility,
)
from manyi.complaints.workflow import PARTIES
from manyi.workorders.models import ReturnVisitOutcome

_DATETIME = {
    "input_formats": ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    "widget": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
}
_TEL = forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})
_MONEY = forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"})


class IntakeForm(forms.Form):
    """The complaint form (施工投诉单): who, where, how to reach them, what happened — no
    technical questions (002 第五章)."""

    customer = forms.IntegerField(widget=forms.HiddenInput)
    source = forms.IntegerField(widget=forms.HiddenInput, required=False)
    description = forms.CharField(
        label=_("what happened"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("In the customer's own words")}),
    )
    channel = forms.ChoiceField(
        label=_("received by"), choices=Channel.choices, widget=forms.RadioSelect
    )
    contact_name = forms.CharField(label=_("contact name"), max_length=50, required=False)
    contact_phone = forms.CharField(
        label=_("contact phone"),
        max_length=30,
        required=False,
        widget=_TEL,
        help_text=_("Leave empty to use the customer's phone; the reference number goes here."),
    )
    site_address = forms.CharField(
        label=_("site address"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the customer's address."),
    )
    purchase = forms.TypedChoiceField(
        label=_("what they bought"), coerce=int, required=False, empty_value=None
    )
    product = forms.CharField(label=_("product (if known)"), max_length=100, required=False)
    batch_no = forms.CharField(label=_("batch number (if known)"), max_length=50, required=False)
    installer_name = forms.CharField(label=_("installer"), max_length=50, required=False)
    installer_phone = forms.CharField(
        label=_("installer's phone"), max_length=30, required=False, widget=_TEL
    )
    about_staff = forms.TypedChoiceField(
        label=_("about one of our staff"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("It goes to their manager, not to them."),
    )
    amount_claimed = forms.DecimalField(
        label=_("amount the customer asks for (yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=_MONEY,
    )
    safety = forms.BooleanField(label=_("a safety risk"), required=False)
    media = forms.BooleanField(label=_("the media or social media are involved"), required=False)

    def __init__(self, *args, purchases=(), staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purchase"].choices = [("", "—")] + [
            (p.pk, f"{p.product} {p.batch_no} · {p.purchased_on:%Y-%m-%d}") for p in purchases
        ]
        self.fields["about_staff"].choices = [("", "—")] + [
            (s.pk, f"{s.name} · {s.get_role_display()} · {s.unit.name}") for s in staff
        ]


class CallForm(CaseForm):
    party = forms.ChoiceField(
        label=_("called"),
        choices=[("customer", _("Customer")), ("installer", _("Installer"))],
        widget=forms.RadioSelect,
        initial="customer",
    )
    outcome = forms.ChoiceField(
        label=_("outcome"), choices=CallOutcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("what was said"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VisitForm(CaseForm):
    """The joint site visit; changing place or time needs a reason (004)."""

    at = forms.DateTimeField(label=_("joint site visit at"), **_DATETIME)
    place = forms.CharField(
        label=_("place"),
        max_length=200,
        required=False,
        help_text=_("Leave empty for the site address."),
    )
    reason = forms.CharField(label=_("reason for a change"), max_length=200, required=False)


class PrepareForm(CaseForm):
    likely_cause = forms.CharField(
        label=_("likely cause"),
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("From the sales records, batch and what you heard")}
        ),
    )
    tools = forms.MultipleChoiceField(
        label=_("tools to bring"),
        choices=list(TOOLS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class InvestigationForm(CaseForm):
    present = forms.MultipleChoiceField(
        label=_("present at the site"),
        choices=list(PARTIES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    findings = forms.CharField(
        label=_("findings: the solution, then the cause"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ExperimentForm(CaseForm):
    purpose = forms.CharField(
        label=_("purpose (agreed with customer and installer)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    material = forms.CharField(label=_("material (product and batch)"), max_length=200)
    unopened = forms.BooleanField(label=_("from an unopened can"), required=False)
    procedure = forms.CharField(
        label=_("procedure"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    result = forms.CharField(
        label=_("result"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    photo = forms.FileField(
        label=_("photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )


class RulingForm(CaseForm):
    responsibility = forms.ChoiceField(
        label=_("responsibility"), choices=Responsibility.choices, widget=forms.RadioSelect
    )
    cause = forms.TypedChoiceField(label=_("root cause"), coerce=int)
    note = forms.CharField(
        label=_("notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, causes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cause"].choices = [("", "—")] + [(c.pk, c.name) for c in causes]


class ResolutionForm(CaseForm):
    kind = forms.ChoiceField(
        label=_("remedy"), choices=ResolutionKind.choices, widget=forms.RadioSelect
    )
    amount = forms.DecimalField(
        label=_("amount to the customer (yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=_MONEY,
    )
    cost = forms.DecimalField(
        label=_("cost to us (yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=_MONEY,
    )
    notes = forms.CharField(
        label=_("notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(CaseForm):
    """A manager's decision on a remedy above the limit."""

    resolution = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("reason (when rejecting)"), max_length=500, required=False)


class ExecuteForm(CaseForm):
    resolution = forms.IntegerField(widget=forms.HiddenInput)
    cost = forms.DecimalField(
        label=_("final cost to us (yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=_MONEY,
    )
    note = forms.CharField(label=_("notes"), required=False, max_length=2000)


class FollowUpForm(CaseForm):
    outcome = forms.ChoiceField(
        label=_("outcome"), choices=CallOutcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("how the customer feels now"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReturnVisitForm(CaseForm):
    outcome = forms.ChoiceField(
        label=_("is the customer satisfied?"),
        choices=ReturnVisitOutcome.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReassignForm(CaseForm):
    assignee = forms.TypedChoiceField(label=_("hand over to"), coerce=int)
    reason = forms.CharField(label=_("reason"), max_length=200)

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "—")] + [
            (s.pk, f"{s.name} · {s.get_role_display()}") for s in staff
        ]


class EscalateForm(CaseForm):
    reasons = forms.MultipleChoiceField(
        label=_("why it is major"),
        choices=MajorReason.choices,
        widget=forms.CheckboxSelectMultiple,
    )


class MergeForm(CaseForm):
    into = forms.TypedChoiceField(label=_("merge into"), coerce=int)
    reason = forms.CharField(label=_("reason"), max_length=500, required=False)

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].choices = [("", "—")] + [
            (c.pk, f"{c.number} · {c.title}") for c in candidates
        ]


# -- settings -----------------------------------------------------------------------------------


class PolicyForm(forms.ModelForm):
    class Meta:
        model = ComplaintPolicy
        fields = [
            "first_contact_hours",
            "major_first_contact_hours",
            "major_amount",
            "repeat_count",
            "repeat_window_days",
            "compensation_limit",
            "unhappy_per_complaint",
            "unhappy_tells",
            "satisfied_tells",
            "kept_when_solved",
            "kept_when_solved_fast",
            "fast_days",
            "new_customer_cost_factor",
        ]


class CauseForm(forms.ModelForm):
    class Meta:
        model = CauseCategory
        fields = ["name", "side", "position", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["side"].choices = CauseSide.choices


class RoutingRuleForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("outlet or region"), coerce=int)
    assignee = forms.TypedChoiceField(label=_("responsible technician"), coerce=int)

    def __init__(self, *args, units=(), staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "—")] + [
            (u.pk, f"{u.name} ({u.get_kind_display()})") for u in units
        ]
        self.fields["assignee"].choices = [("", "—")] + [
            (s.pk, f"{s.name} · {s.unit.name}") for s in staff
        ]


class LimitForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("outlet or region"), coerce=int)
    amount = forms.DecimalField(
        label=_("approval needed above (yuan)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=_MONEY,
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "—")] + [
            (u.pk, f"{u.name} ({u.get_kind_display()})") for u in units
        ]
