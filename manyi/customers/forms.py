"""Forms of the customer pages: they parse input; the actions decide."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.customers.models import (
    AgeBand,
    Education,
    IncomeBand,
    RelationshipLevel,
    SocialClass,
)

_BLANK = [("", "—")]


class CustomerForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=50)
    phone = forms.CharField(
        label=_("mobile phone"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    home_outlet = forms.TypedChoiceField(label=_("home outlet"), coerce=int)
    relationship_level = forms.ChoiceField(
        label=_("relationship level"), choices=RelationshipLevel.choices
    )
    province = forms.CharField(label=_("province"), max_length=20, required=False)
    city = forms.CharField(label=_("city"), max_length=30, required=False)
    district = forms.CharField(label=_("district"), max_length=30, required=False)
    address_detail = forms.CharField(label=_("street address"), max_length=200, required=False)
    age_band = forms.ChoiceField(
        label=_("age band"), choices=_BLANK + AgeBand.choices, required=False
    )
    income_band = forms.ChoiceField(
        label=_("income band"), choices=_BLANK + IncomeBand.choices, required=False
    )
    education = forms.ChoiceField(
        label=_("education"), choices=_BLANK + Education.choices, required=False
    )
    social_class = forms.ChoiceField(
        label=_("social class"), choices=_BLANK + SocialClass.choices, required=False
    )
    tags = forms.CharField(
        label=_("tags"),
        required=False,
        max_length=400,
        help_text=_("Separate tags with commas, e.g. 注重环保, 老客户"),
    )
    contact_consent = forms.BooleanField(label=_("agrees to be contacted"), required=False)
    survey_consent = forms.BooleanField(label=_("agrees to surveys"), required=False)
    notes = forms.CharField(
        label=_("notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, outlets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["home_outlet"].choices = [(o.pk, o.name) for o in outlets]

    def clean_tags(self) -> list[str]:
        text = self.cleaned_data.get("tags") or ""
        for sep in ("，", "、", ";", "；"):
            text = text.replace(sep, ",")
        return [t.strip() for t in text.split(",") if t.strip()]


class PurchaseForm(forms.Form):
    product = forms.CharField(label=_("product"), max_length=100)
    batch_no = forms.CharField(label=_("batch number"), max_length=50, required=False)
    quantity = forms.DecimalField(
        label=_("quantity"), min_value=0.01, max_digits=10, decimal_places=2, initial=1
    )
    purchased_on = forms.DateField(
        label=_("purchase date"), widget=forms.DateInput(attrs={"type": "date"})
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("spreadsheet (.xlsx or .csv)"))
    default_outlet = forms.TypedChoiceField(
        label=_("outlet for rows without one"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, outlets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_outlet"].choices = [("", "—")] + [(o.pk, o.name) for o in outlets]
