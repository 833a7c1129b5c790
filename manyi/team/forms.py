"""Forms of the team pages: they parse input; the actions decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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


class CourseForm(forms.Form):
    code = forms.SlugField(label=_("code"), max_length=20)
    name = forms.CharField(label=_("name"), max_length=100)
    description = forms.CharField(
        label=_("content"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    theory_weight = forms.IntegerField(
        label=_("theory weight (%)"),
        min_value=0,
        max_value=100,
        initial=30,
        help_text=_("Practice has the rest (002: practice first, theory second)."),
    )
    theory_pass = forms.IntegerField(
        label=_("theory pass mark"), min_value=0, max_value=100, initial=60
    )
    practical_pass = forms.IntegerField(
        label=_("practical pass mark"), min_value=0, max_value=100, initial=60
    )
    star_2 = forms.IntegerField(label=_("overall score for ★★"), min_value=0, max_value=100)
    star_3 = forms.IntegerField(label=_("overall score for ★★★"), min_value=0, max_value=100)
    star_4 = forms.IntegerField(label=_("overall score for ★★★★"), min_value=0, max_value=100)
    star_5 = forms.IntegerField(label=_("overall score for ★★★★★"), min_value=0, max_value=100)
    valid_months = forms.IntegerField(
        label=_("certificate valid for (months)"), min_value=1, max_value=120, initial=24
    )
    grants_licence = forms.BooleanField(
        label=_("grants the work licence"), required=False, initial=True
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def data_for_action(self) -> dict:
        data = dict(self.cleaned_data)
        data["star_minimums"] = [data.pop(f"star_{n}") for n in (2, 3, 4, 5)]
        return data


class SessionForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("for"), coerce=int)
    starts_on = forms.DateField(label=pgettext_lazy("session", "from"), widget=DateInput)
    ends_on = forms.DateField(
        label=pgettext_lazy("session", "until"), widget=DateInput, required=False
    )
    place = forms.CharField(label=_("place"), max_length=100, required=False)
    trainer = forms.CharField(label=_("trainer"), max_length=50, required=False)
    participants = forms.TypedMultipleChoiceField(
        label=_("participants"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, units=(), staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices(units)
        self.fields["participants"].choices = [
            (s.pk, f"{s.name} · {s.get_role_display()} · {s.unit.name}") for s in staff
        ]


class ParticipantsForm(forms.Form):
    participants = forms.TypedMultipleChoiceField(
        label=_("add participants"), coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].choices = [
            (s.pk, f"{s.name} · {s.get_role_display()}") for s in staff
        ]


class ResultForm(forms.Form):
    attended = forms.TypedChoiceField(
        label=_("attended"),
        choices=[("1", _("Yes")), ("0", _("No"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    theory_score = forms.IntegerField(
        label=_("theory score"), min_value=0, max_value=100, required=False
    )
    practical_score = forms.IntegerField(
        label=_("practical score"), min_value=0, max_value=100, required=False
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200)


class EvaluationSessionForm(forms.Form):
    session = forms.TypedChoiceField(label=_("session"), coerce=int, required=False)

    def __init__(self, *args, sessions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [("", "—")] + [
            (s.pk, f"{s.starts_on:%Y-%m-%d} {s.unit.name}") for s in sessions
        ]


class ReviewForm(forms.Form):
    leader = forms.TypedChoiceField(label=_("leader"), coerce=int)
    raters = forms.TypedMultipleChoiceField(
        label=_("raters"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("People who know the leader's customer-service work (at least three)."),
    )

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(s.pk, f"{s.name} · {s.get_role_display()} · {s.unit.name}") for s in staff]
        self.fields["leader"].choices = choices
        self.fields["raters"].choices = choices


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value):
        if hasattr(value, "strftime"):
            from django.utils import timezone

            if timezone.is_aware(value):
                value = timezone.localtime(value)
            return value.strftime("%Y-%m-%dT%H:%M")
        return value


class AppraisalForm(forms.Form):
    staff = forms.TypedChoiceField(label=_("appraised"), coerce=int)
    period_start = forms.DateField(label=_("period from"), widget=DateInput)
    period_end = forms.DateField(label=_("period until"), widget=DateInput)
    meeting_at = forms.DateTimeField(
        label=_("meeting at"),
        required=False,
        widget=DateTimeInput,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].choices = [
            (s.pk, f"{s.name} · {s.get_role_display()} · {s.unit.name}") for s in staff
        ]


def _checklist(items) -> dict:
    return {f"check_{key}": forms.BooleanField(label=label, required=False) for key, label in items}


class PreparationForm(forms.Form):
    notes = forms.CharField(
        label=_("preparation notes"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    meeting_at = forms.DateTimeField(
        label=_("meeting at"),
        required=False,
        widget=DateTimeInput,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {**_checklist(items), **self.fields}

    def checks(self) -> dict[str, bool]:
        return {
            name.removeprefix("check_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("check_")
        }


class DiscussionForm(PreparationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["meeting_at"]
        self.fields["notes"] = forms.CharField(
            label=_("discussion record"),
            max_length=5000,
            widget=forms.Textarea(attrs={"rows": 5}),
        )


class CommitmentForm(forms.Form):
    text = forms.CharField(label=_("commitment"), max_length=300)
    owner = forms.ChoiceField(label=_("who"))
    due_on = forms.DateField(label=pgettext_lazy("deadline", "by"), widget=DateInput)

    def __init__(self, *args, **kwargs):
        from manyi.team.models import CommitmentOwner

        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = CommitmentOwner.choices


class FollowUpForm(forms.Form):
    record = forms.CharField(
        label=_("follow-up record"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The plans made, the points to follow up, the commitments."),
    )
    copy_given = forms.BooleanField(
        label=_("A copy of the record was given to the employee."), required=False
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in items:
            self.fields[f"review_{key}"] = forms.CharField(
                label=label, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
            )

    def self_review(self) -> dict[str, str]:
        return {
            name.removeprefix("review_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("review_")
        }
