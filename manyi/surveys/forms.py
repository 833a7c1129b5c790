"""Forms of the survey pages: they parse input; the actions decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from manyi.customers.models import AgeBand, Education, IncomeBand, RelationshipLevel, SocialClass
from manyi.org.models import Industry
from manyi.surveys.models import CaseKind, FollowUpAs, SurveyChannel, TargetSource

_DT = {
    "input_formats": ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    "widget": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
}
_DATE = forms.DateInput(attrs={"type": "date"})
_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
CHANNEL_CHOICES = [(SurveyChannel.SMS, _("SMS")), (SurveyChannel.EMAIL, _("E-mail"))]


def _blank(choices) -> list[tuple[str, str]]:
    return [("", "—"), *choices]


class CampaignForm(forms.Form):
    """A campaign: whom (a unit's customers, filtered), which survey, when, how."""

    name = forms.CharField(label=_("name"), max_length=100)
    unit = forms.TypedChoiceField(label=_("customers of"), coerce=int)
    version = forms.TypedChoiceField(label=_("survey"), coerce=int)
    source = forms.ChoiceField(label=_("whom to ask"), choices=TargetSource.choices)
    outlets = forms.TypedMultipleChoiceField(
        label=_("only these outlets"), coerce=int, required=False
    )
    age_band = forms.ChoiceField(
        label=_("age band"), choices=_blank(AgeBand.choices), required=False
    )
    income_band = forms.ChoiceField(
        label=_("income band"), choices=_blank(IncomeBand.choices), required=False
    )
    education = forms.ChoiceField(
        label=_("education"), choices=_blank(Education.choices), required=False
    )
    social_class = forms.ChoiceField(
        label=_("social class"), choices=_blank(SocialClass.choices), required=False
    )
    relationship_level = forms.ChoiceField(
        label=_("relationship level"), choices=_blank(RelationshipLevel.choices), required=False
    )
    tag = forms.CharField(label=_("tag"), max_length=30, required=False)
    purchased_from = forms.DateField(label=_("bought from"), required=False, widget=_DATE)
    purchased_to = forms.DateField(label=_("bought until"), required=False, widget=_DATE)
    case_kind = forms.ChoiceField(
        label=_("cases of kind"), choices=_blank(CaseKind.choices), required=False
    )
    closed_from = forms.DateField(label=_("closed from"), required=False, widget=_DATE)
    closed_to = forms.DateField(label=_("closed until"), required=False, widget=_DATE)
    channels = forms.MultipleChoiceField(
        label=_("channels"),
        choices=CHANNEL_CHOICES,
        initial=[SurveyChannel.SMS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("E-mail goes to customers who have an address; SMS to the others."),
    )
    starts_at = forms.DateTimeField(label=_("send from"), **_DT)
    deadline_at = forms.DateTimeField(label=_("response deadline"), **_DT)
    reminder_after_hours = forms.IntegerField(
        label=_("remind once after (hours)"),
        required=False,
        min_value=1,
        max_value=720,
        help_text=_("Leave empty for no reminder. There is never more than one."),
    )
    quiet_start = forms.TimeField(label=_("quiet hours from"), required=False, widget=_TIME)
    quiet_end = forms.TimeField(label=_("quiet hours until"), required=False, widget=_TIME)

    TARGET_FIELDS = (
        "outlets",
        "age_band",
        "income_band",
        "education",
        "social_class",
        "relationship_level",
        "tag",
        "purchased_from",
        "purchased_to",
        "case_kind",
        "closed_from",
        "closed_to",
    )

    def __init__(self, *args, units=(), versions=(), outlets=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, str(u)) for u in units]
        self.fields["version"].choices = [
            (v.pk, f"{v.instrument.name} v{v.number}") for v in versions
        ]
        self.fields["outlets"].choices = [(u.pk, str(u)) for u in outlets]

    def action_data(self) -> dict:
        """The cleaned values as ``actions.create_campaign`` takes them."""
        data = dict(self.cleaned_data)
        target = {k: data.pop(k) for k in self.TARGET_FIELDS}
        return {**data, "target": {k: v for k, v in target.items() if v not in (None, "", [])}}

    @classmethod
    def initial_from(cls, campaign) -> dict:
        """The form's initial values for an existing campaign."""
        return {
            "name": campaign.name,
            "unit": campaign.unit_id,
            "version": campaign.version_id,
            "source": campaign.source,
            "channels": campaign.channels,
            "starts_at": campaign.starts_at,
            "deadline_at": campaign.deadline_at,
            "reminder_after_hours": campaign.reminder_after_hours,
            "quiet_start": campaign.quiet_start,
            "quiet_end": campaign.quiet_end,
            **(campaign.target or {}),
        }


class TriggerForm(forms.Form):
    """Which survey closing a case of a kind sends, for an industry or all."""

    case_kind = forms.ChoiceField(label=_("when closing"), choices=CaseKind.choices)
    industry = forms.ChoiceField(
        label=_("industry"),
        choices=[("", _("every industry (default)")), *Industry.choices],
        required=False,
    )
    version = forms.TypedChoiceField(label=_("survey"), coerce=int)
    delay_hours = forms.IntegerField(
        label=_("send after (hours)"),
        required=False,
        min_value=0,
        max_value=720,
        help_text=_("Empty: 24 hours for car service (within three days, 004), 72 otherwise."),
    )
    valid_days = forms.IntegerField(
        label=_("link valid for (days)"), min_value=1, max_value=90, initial=14
    )
    channels = forms.MultipleChoiceField(
        label=_("channels"),
        choices=CHANNEL_CHOICES,
        initial=[SurveyChannel.SMS],
        widget=forms.CheckboxSelectMultiple,
    )
    enabled = forms.BooleanField(label=_("enabled"), required=False, initial=True)

    def __init__(self, *args, versions=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = [
            (v.pk, f"{v.instrument.name} v{v.number}") for v in versions
        ]


class PolicyForm(forms.Form):
    """The closed-loop rule."""

    low_index = forms.FloatField(
        label=_("follow up when the index is below"), min_value=0, max_value=100
    )
    follow_up_as = forms.ChoiceField(label=_("an unhappy answer opens"), choices=FollowUpAs.choices)
    follow_up_days = forms.IntegerField(
        label=_("call back within (business days)"), min_value=1, max_value=30
    )


class WalkInForm(forms.Form):
    """An outlet's walk-in QR code: which survey it asks."""

    version = forms.TypedChoiceField(label=_("survey"), coerce=int)
    ask_phone = forms.BooleanField(label=_("ask for a phone number"), required=False, initial=True)
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args, versions=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = [
            (v.pk, f"{v.instrument.name} v{v.number}") for v in versions
        ]


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        label=_("what was done"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class PraiseForm(forms.Form):
    text = forms.CharField(
        label=_("words of praise"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
