"""Forms of the case pages: they parse input; the actions decide.

Every form that changes a case carries the case's ``version`` (hidden) so a page opened before
someone else's change gets the conflict message instead of overwriting it.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from manyi.cases.models import CallOutcome


class CaseForm(forms.Form):
    """Base: the version of the case the page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AssignForm(CaseForm):
    assignee = forms.TypedChoiceField(label=_("responsible"), coerce=int)

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "—")] + [(s.pk, s.name) for s in staff]


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
        label=_("notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(CaseForm):
    text = forms.CharField(
        label=_("note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class PhotoForm(CaseForm):
    file = forms.FileField(
        label=_("photo"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    caption = forms.CharField(label=_("caption"), required=False, max_length=200)


class PauseForm(CaseForm):
    reason = forms.CharField(label=_("reason for pausing"), max_length=200)


class ResumeForm(CaseForm):
    pass


class MoveForm(CaseForm):
    """A move without a form of its own; the note doubles as the reason where one is needed."""

    note = forms.CharField(
        label=_("reason or note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class BulkReassignForm(forms.Form):
    cases = forms.TypedMultipleChoiceField(label=_("cases"), coerce=int)
    assignee = forms.TypedChoiceField(label=_("hand over to"), coerce=int)
    reason = forms.CharField(label=_("reason"), max_length=200)

    def __init__(self, *args, staff=(), case_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "—")] + [(s.pk, s.name) for s in staff]
        self.fields["cases"].choices = [(pk, pk) for pk in case_ids]
