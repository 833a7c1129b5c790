"""Script pages (话术): the company's standard words by step; managers add, edit and reorder."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from manyi.errors import DomainError, NotFound
from manyi.forms import add_domain_error
from manyi.org.models import Unit
from manyi.org.scopes import Perm, scope_for
from manyi.workorders import script_actions as actions
from manyi.workorders.models import Script, ScriptStep
from manyi.workorders.seed_scripts import COMPANY_PLACEHOLDER, fill_company


class ScriptForm(forms.Form):
    """Parses the script form; the rules live in script_actions."""

    step = forms.ChoiceField(label=gettext_lazy("step"), choices=ScriptStep.choices)
    title = forms.CharField(label=gettext_lazy("title"), max_length=100)
    body = forms.CharField(
        label=gettext_lazy("words"),
        max_length=actions.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy("Write {公司} where the company's name should appear."),
    )


def _company_name(scope) -> str:
    if scope.company_id is None:
        return ""
    return Unit.objects.filter(pk=scope.company_id).values_list("name", flat=True).first() or ""


@login_required
def script_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_CASES)
    company_name = _company_name(scope)
    by_step: dict[str, list[Script]] = {step: [] for step in ScriptStep.values}
    for script in actions.company_scripts(scope):
        script.filled = fill_company(script.body, company_name)
        by_step[script.step].append(script)
    groups = [(value, label, by_step[value]) for value, label in ScriptStep.choices]
    can_manage = scope.can(Perm.MANAGE_UNITS) and scope.is_company_wide and scope.company_id
    context = {
        "groups": groups,
        "can_manage": bool(can_manage),
        "empty": not any(by_step.values()),
        "placeholder": COMPANY_PLACEHOLDER,
    }
    return render(request, "workorders/script_list.html", context)


@login_required
def script_create(request: HttpRequest) -> HttpResponse:
    actions.manager_scope(request.user)
    initial = {"step": request.GET.get("step") or ScriptStep.FIRST_CALL}
    form = ScriptForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.create_script(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The script was added."))
            return redirect("scripts:list")
    return render(request, "workorders/script_form.html", {"form": form, "script": None})


def _script(request: HttpRequest, pk: int) -> Script:
    scope = actions.manager_scope(request.user)
    script = actions.company_scripts(scope).filter(pk=pk).first()
    if script is None:
        raise NotFound()
    return script


@login_required
def script_edit(request: HttpRequest, pk: int) -> HttpResponse:
    script = _script(request, pk)
    initial = {"step": script.step, "title": script.title, "body": script.body}
    form = ScriptForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_script(actor=request.user, script=script, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The script was saved."))
            return redirect("scripts:list")
    return render(request, "workorders/script_form.html", {"form": form, "script": script})


@login_required
@require_POST
def script_delete(request: HttpRequest, pk: int) -> HttpResponse:
    script = _script(request, pk)
    actions.delete_script(actor=request.user, script=script)
    messages.success(request, _("The script was deleted."))
    return redirect("scripts:list")


@login_required
@require_POST
def script_move(request: HttpRequest, pk: int) -> HttpResponse:
    script = _script(request, pk)
    actions.move_script(actor=request.user, script=script, direction=request.POST.get("direction"))
    return redirect(f"{reverse('scripts:list')}#step-{script.step}")


@login_required
@require_POST
def script_seed(request: HttpRequest) -> HttpResponse:
    created = actions.restore_seed_scripts(actor=request.user)
    if created:
        messages.success(request, _("The standard scripts were added."))
    else:
        messages.info(request, _("The company already has scripts; nothing was added."))
    return redirect("scripts:list")
