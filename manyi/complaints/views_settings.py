"""Complaint settings pages (administrators and the department head): the policy's deadlines,
thresholds and estimate coefficients, the cause taxonomy, routing rules and approval limits."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.complaints import settings_actions as actions
from manyi.complaints.forms import CauseForm, LimitForm, PolicyForm, RoutingRuleForm
from manyi.complaints.models import CauseCategory, CompensationLimit, RoutingRule
from manyi.complaints.policy import causes_for, policy_for_company
from manyi.errors import DomainError, NotFound, OutOfScope
from manyi.forms import add_domain_error
from manyi.org.models import Role, Staff, Unit, UnitKind
from manyi.org.scopes import Scope


def _company(scope: Scope, request: HttpRequest) -> Unit:
    """The company whose settings are shown (an installation administrator picks one)."""
    if scope.company_id is not None:
        return Unit.objects.get(pk=scope.company_id)
    raw = request.GET.get("company") or request.POST.get("company")
    company = Unit.objects.filter(kind=UnitKind.COMPANY, pk=raw if str(raw).isdigit() else 0)
    found = company.first() or Unit.objects.filter(kind=UnitKind.COMPANY).order_by("pk").first()
    if found is None:
        raise NotFound()
    return found


def _units(company: Unit) -> list[Unit]:
    return list(
        Unit.objects.filter(
            company=company, kind__in=(UnitKind.REGION, UnitKind.OUTLET), is_active=True
        ).order_by("path")
    )


def _technicians(company: Unit) -> list[Staff]:
    return list(
        Staff.objects.filter(company=company, role=Role.TECHNICIAN, user__is_active=True)
        .select_related("unit")
        .order_by("unit__path", "name")
    )


def _context(company: Unit, **bound: Any) -> dict[str, Any]:
    policy = policy_for_company(company.pk)
    units = _units(company)
    return {
        "company": company,
        "policy_form": bound.get("policy") or PolicyForm(instance=policy, auto_id="id_policy-%s"),
        "causes": causes_for(company.pk, active_only=False),
        "cause_form": bound.get("cause") or CauseForm(auto_id="id_cause-%s"),
        "rules": list(
            RoutingRule.objects.filter(unit__company=company)
            .select_related("unit", "assignee__unit")
            .order_by("unit__path")
        ),
        "rule_form": bound.get("rule")
        or RoutingRuleForm(units=units, staff=_technicians(company), auto_id="id_rule-%s"),
        "limits": list(
            CompensationLimit.objects.filter(unit__company=company)
            .select_related("unit")
            .order_by("unit__path")
        ),
        "limit_form": bound.get("limit") or LimitForm(units=units, auto_id="id_limit-%s"),
    }


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    scope = actions.settings_scope(request.user)
    return render(request, "complaints/settings.html", _context(_company(scope, request)))


def _refused(request, company, name, form, exc: DomainError) -> HttpResponse:
    add_domain_error(form, exc)
    context = _context(company, **{name: form})
    return render(request, "complaints/settings.html", context, status=exc.status)


@login_required
@require_POST
def policy(request: HttpRequest) -> HttpResponse:
    scope = actions.settings_scope(request.user)
    company = _company(scope, request)
    form = PolicyForm(request.POST, instance=policy_for_company(company.pk), auto_id="id_policy-%s")
    if not form.is_valid():
        return render(
            request, "complaints/settings.html", _context(company, policy=form), status=400
        )
    values = {name: form.cleaned_data[name] for name in form.Meta.fields}
    # The form changed the instance while validating; the action reads the stored row.
    try:
        actions.update_policy(actor=request.user, values=values, company=company)
    except (NotFound, OutOfScope):
        raise
    except DomainError as exc:
        return _refused(request, company, "policy", form, exc)
    messages.success(request, _("The complaint policy was saved."))
    return redirect("complaints:settings")


@login_required
def cause_edit(request: HttpRequest, cause_pk: int | None = None) -> HttpResponse:
    scope = actions.settings_scope(request.user)
    company = _company(scope, request)
    cause = None
    if cause_pk is not None:
        cause = CauseCategory.objects.filter(company=company, pk=cause_pk).first()
        if cause is None:
            raise NotFound()
    form = CauseForm(request.POST or None, instance=cause, auto_id="id_cause-%s")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.save_cause(
                actor=request.user,
                cause=CauseCategory.objects.get(pk=cause.pk) if cause else None,
                company=company,
                name=data["name"],
                side=data["side"],
                position=data["position"],
                active=data["active"],
            )
        except (NotFound, OutOfScope):
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The cause was saved."))
            return redirect("complaints:settings")
    status = 400 if form.errors else 200
    return render(
        request,
        "complaints/cause_form.html",
        {"form": form, "cause": cause},
        status=status,
    )


@login_required
@require_POST
def routing_rule(request: HttpRequest) -> HttpResponse:
    scope = actions.settings_scope(request.user)
    company = _company(scope, request)
    units, staff = _units(company), _technicians(company)
    form = RoutingRuleForm(request.POST, units=units, staff=staff, auto_id="id_rule-%s")
    if not form.is_valid():
        return render(request, "complaints/settings.html", _context(company, rule=form), status=400)
    try:
        actions.set_routing_rule(
            actor=request.user,
            unit=next(u for u in units if u.pk == form.cleaned_data["unit"]),
            assignee=Staff.objects.select_related("unit", "user").get(
                pk=form.cleaned_data["assignee"]
            ),
        )
    except (NotFound, OutOfScope):
        raise
    except DomainError as exc:
        return _refused(request, company, "rule", form, exc)
    messages.success(request, _("The routing rule was saved."))
    return redirect("complaints:settings")


@login_required
@require_POST
def routing_remove(request: HttpRequest, rule_pk: int) -> HttpResponse:
    scope = actions.settings_scope(request.user)
    company = _company(scope, request)
    rule = RoutingRule.objects.filter(unit__company=company, pk=rule_pk).select_related("unit")
    found = rule.first()
    if found is None:
        raise NotFound()
    actions.remove_routing_rule(actor=request.user, rule=found)
    messages.success(request, _("The routing rule was removed."))
    return redirect("complaints:settings")


@login_required
@require_POST
def limit(request: HttpRequest) -> HttpResponse:
    scope = actions.settings_scope(request.user)
    company = _company(scope, request)
    units = _units(company)
    form = LimitForm(request.POST, units=units, auto_id="id_limit-%s")
    if not form.is_valid():
        return render(
            request, "complaints/settings.html", _context(company, limit=form), status=400
        )
    try:
        actions.set_limit(
            actor=request.user,
            unit=next(u for u in units if u.pk == form.cleaned_data["unit"]),
            amount=form.cleaned_data["amount"],
        )
    except (NotFound, OutOfScope):
        raise
    except DomainError as exc:
        return _refused(request, company, "limit", form, exc)
    messages.success(request, _("The approval limit was saved."))
    return redirect("complaints:settings")


@login_required
@require_POST
def limit_remove(request: HttpRequest, limit_pk: int) -> HttpResponse:
    scope = actions.settings_scope(request.user)
    company = _company(scope, request)
    found = (
        CompensationLimit.objects.filter(unit__company=company, pk=limit_pk)
        .select_related("unit")
        .first()
    )
    if found is None:
        raise NotFound()
    actions.remove_limit(actor=request.user, limit=found)
    messages.success(request, _("The approval limit was removed."))
    return redirect("complaints:settings")
