"""Forms of the improvement pages: they parse input; the rules live in the actions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.improvement.models import MeasureKind, Method
from manyi.improvement.sources import problem_kinds
from manyi.org.models import Staff, Unit


class DateInput(forms.DateInput):
    input_type = "date"


def _unit_label(unit: Unit) -> str:
    return "\u3000" * unit.depth + unit.name


class ProblemForm(forms.Form):
    title = forms.CharField(label=_("problem"), max_length=200)
    description = forms.CharField(
        label=_("what happens, where, how often"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    unit = forms.ModelChoiceField(label=_("unit"), queryset=Unit.objects.none())
    source_kind = forms.ChoiceField(label=_("comes from"), required=False)
    source_id = forms.CharField(label=_("record id"), required=False, max_length=64)
    source_label = forms.CharField(
        label=_("source label"),
        required=False,
        max_length=200,
        help_text=_("Only for sources that manyi cannot name by itself."),
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units if units is not None else Unit.objects.none()
        self.fields["unit"].label_from_instance = _unit_label
        self.fields["source_kind"].choices = [("", _("— raised by hand —"))] + [
            (k.code, k.label) for k in problem_kinds()
        ]


class ProblemEditForm(forms.Form):
    title = forms.CharField(label=_("problem"), max_length=200)
    description = forms.CharField(
        label=_("description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def _standard_choice(form: forms.Form, standards: list[tuple[str, str]] | None) -> None:
    """Offer the company's standards as a list when there is one; else ask for id and name."""
    if standards is None:
        return
    form.fields["standard_id"] = forms.ChoiceField(
        label=_("changes the standard"),
        required=False,
        choices=[("", "—"), *standards],
    )
    del form.fields["standard_label"]


def _staff_label(staff: Staff) -> str:
    return f"{staff.name} · {staff.get_role_display()} · {staff.unit.name}"


class OwnerForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("problem owner"), queryset=Staff.objects.none())

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners if owners is not None else Staff.objects.none()
        self.fields["owner"].label_from_instance = _staff_label


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500)


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("what changed (summary)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(label=_("measure"), choices=MeasureKind.choices)
    description = forms.CharField(
        label=_("description"),
        max_length=200,
        help_text=_("For example: score of the 2027 Q1 service audit at this outlet."),
    )
    baseline = forms.DecimalField(
        label=_("baseline value"), required=False, max_digits=10, decimal_places=2
    )
    target = forms.DecimalField(label=_("target"), max_digits=10, decimal_places=2)


class ResultForm(forms.Form):
    result = forms.DecimalField(label=_("result value"), max_digits=10, decimal_places=2)


class ActionForm(forms.Form):
    title = forms.CharField(label=pgettext_lazy("improvement", "action"), max_length=200)
    owner = forms.ModelChoiceField(label=_("owner"), queryset=Staff.objects.none())
    due_on = forms.DateField(label=_("due on"), widget=DateInput)
    description = forms.CharField(
        label=_("details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    idea = forms.TypedChoiceField(
        label=_("from the idea"), required=False, coerce=int, empty_value=None
    )
    standard_id = forms.CharField(
        label=_("changes the standard (id)"), required=False, max_length=64
    )
    standard_label = forms.CharField(label=_("standard (name)"), required=False, max_length=200)

    def __init__(self, *args, owners=None, ideas=(), standards=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners if owners is not None else Staff.objects.none()
        self.fields["owner"].label_from_instance = _staff_label
        _standard_choice(self, standards)
        self.fields["idea"].choices = [("", "—")] + [
            (idea.pk, f"#{idea.number} {idea.text}") for idea in ideas
        ]
        if not ideas:
            del self.fields["idea"]


class ActionEditForm(forms.Form):
    title = forms.CharField(label=pgettext_lazy("improvement", "action"), max_length=200)
    owner = forms.ModelChoiceField(label=_("owner"), queryset=Staff.objects.none())
    due_on = forms.DateField(label=_("due on"), widget=DateInput)
    description = forms.CharField(
        label=_("details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    standard_id = forms.CharField(
        label=_("changes the standard (id)"), required=False, max_length=64
    )
    standard_label = forms.CharField(label=_("standard (name)"), required=False, max_length=200)

    def __init__(self, *args, owners=None, standards=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners if owners is not None else Staff.objects.none()
        self.fields["owner"].label_from_instance = _staff_label
        _standard_choice(self, standards)


class CompleteForm(forms.Form):
    evidence_text = forms.CharField(
        label=pgettext_lazy("evidence", "what was done"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    file = forms.FileField(
        label=_("evidence file (photo, PDF, Word, Excel)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,.pdf,.docx,.xlsx,.pptx"}),
    )


class SessionForm(forms.Form):
    method = forms.ChoiceField(
        label=_("method"), choices=Method.choices, widget=forms.RadioSelect, initial=Method.NGT
    )
    top_n = forms.IntegerField(
        label=_("each member ranks their top"), min_value=1, max_value=10, initial=3
    )


class IdeaForm(forms.Form):
    text = forms.CharField(
        label=_("one possible solution"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 300}),
    )
    builds_on = forms.TypedChoiceField(
        label=_("builds on"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, board=(), **kwargs):
        super().__init__(*args, **kwargs)
        if board:
            self.fields["builds_on"].choices = [("", "—")] + [
                (idea.pk, f"#{idea.number} {idea.text[:40]}") for idea in board
            ]
        else:
            del self.fields["builds_on"]


class StatementForm(forms.Form):
    statement = forms.CharField(
        label=_("problem statement"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class SubgroupForm(forms.Form):
    count = forms.IntegerField(label=_("number of sub-groups"), min_value=1, max_value=10)


class RewordForm(forms.Form):
    text = forms.CharField(label=_("idea"), max_length=300)


class RankingForm(forms.Form):
    """One select per place: the first choice, the second, … (best first)."""

    def __init__(self, *args, ideas=(), size=3, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(idea.pk, f"#{idea.number} {idea.text}") for idea in ideas]
        for place in range(1, size + 1):
            self.fields[f"rank_{place}"] = forms.TypedChoiceField(
                label=_("choice %(n)s") % {"n": place},
                choices=choices,
                coerce=int,
            )

    def ordered(self) -> list[int]:
        return [
            self.cleaned_data[name] for name in sorted(self.cleaned_data, key=lambda n: int(n[5:]))
        ]
