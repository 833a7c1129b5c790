"""Forms of the organisation pages: they parse input; the actions decide."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.org.models import Industry, Role, UnitKind


class UnitForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=[
            (UnitKind.REGION, UnitKind.REGION.label),
            (UnitKind.OUTLET, UnitKind.OUTLET.label),
        ],
    )
    name = forms.CharField(label=_("name"), max_length=100)
    code = forms.CharField(label=_("code"), max_length=32)
    industry = forms.ChoiceField(
        label=_("industry"), choices=[("", "—"), *Industry.choices], required=False
    )
    phone = forms.CharField(label=_("phone"), max_length=20, required=False)
    address = forms.CharField(label=_("address"), max_length=200, required=False)


class UnitEditForm(UnitForm):
    return_visit_days = forms.IntegerField(
        label=_("return visit within (days)"),
        required=False,
        min_value=0,
        max_value=365,
        help_text=_("Outlets only. Empty or 0: the industry's default (30 days; car service 3)."),
    )
    is_active = forms.BooleanField(label=_("active"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["kind"]


class StaffForm(forms.Form):
    username = forms.CharField(label=_("user name"), max_length=150)
    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=50)
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
    unit = forms.TypedChoiceField(label=_("home unit"), coerce=int)
    password = forms.CharField(label=_("initial password"), widget=forms.PasswordInput)
    phone = forms.CharField(label=_("mobile phone"), max_length=20, required=False)
    employee_no = forms.CharField(label=_("employee number"), max_length=32, required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, f"{'　' * u.depth}{u.name}") for u in units]


class StaffEditForm(StaffForm):
    is_active = forms.BooleanField(label=_("may log in"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["username"]
        del self.fields["password"]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("token name"), max_length=100)


class PasswordForm(forms.Form):
    old_password = forms.CharField(label=_("current password"), widget=forms.PasswordInput)
    new_password = forms.CharField(label=_("new password"), widget=forms.PasswordInput)
    new_password2 = forms.CharField(label=_("new password again"), widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("The two passwords differ."))
        return data
