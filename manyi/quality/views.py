"""Quality pages: the overview, the standards library, the ranking exercise, audit templates
and plans. Each form calls one action; a refusal is shown next to the fields it names."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.errors import InvalidInput, OutOfScope
from manyi.forms import add_domain_error
from manyi.instruments.queries import current_version, definition_for
from manyi.org.models import Industry
from manyi.org.scopes import Perm, scope_for
from manyi.quality import queries
from manyi.quality.access import AUDITOR_ROLES, outlet_units, read_scope
from manyi.quality.actions import audits, standards
from manyi.quality.actions.audits import standard_id_of
from manyi.quality.forms import (
    ApproveForm,
    GenerateTemplateForm,
    PlanForm,
    StandardForm,
    staff_choices,
)
from manyi.quality.library import LIBRARIES
from manyi.quality.models import (
    Area,
    Side,
    StandardStatus,
)
from manyi.quality.weights import weigh


def _can_manage(scope) -> bool:
    return scope.can(Perm.MANAGE_QUALITY) and scope.is_company_wide and scope.company_id


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The quality overview: what is due, what is in progress, where to go next. A mystery
    shopper goes straight to their own visits."""
    scope = scope_for(request.user)
    if scope.can(Perm.SHOP):
        return redirect("quality:my-visits")
    read_scope(request.user)
    manage = _can_manage(scope)
    context = {
        "manage": manage,
        "due": queries.due_audits(scope),
        "drafts": queries.drafts_of(scope),
        "overview": queries.due_audits(scope, everyone=True, horizon=0) if manage else [],
        "outlets": list(outlet_units(scope).filter(company_id=scope.company_id)),
        "can_audit": scope.can(Perm.AUDIT_OUTLETS),
    }
    return render(request, "quality/index.html", context)


# -- standards ------------------------------------------------------------------------------------


@login_required
def standard_list(request: HttpRequest) -> HttpResponse:
    """The standards library, filtered by status, side, area, industry or words."""
    scope = read_scope(request.user)
    filters = {
        key: request.GET.get(key, "").strip()[:40] for key in ("status", "side", "area", "q")
    }
    industry = request.GET.get("industry")
    rows = list(
        queries.standards_for(
            scope,
            status=filters["status"] if filters["status"] in StandardStatus.values else "",
            side=filters["side"] if filters["side"] in Side.values else "",
            area=filters["area"] if filters["area"] in Area.values else "",
            industry=industry if industry not in (None, "all") else None,
            q=filters["q"],
        )
    )
    return render(
        request,
        "quality/standard_list.html",
        {
            "standards": rows,
            "filters": filters,
            "industry": industry or "all",
            "manage": _can_manage(scope),
            "statuses": StandardStatus.choices,
            "sides": Side.choices,
            "areas": Area.choices,
            "not_observable": sum(1 for s in rows if not s.is_observable),
            "industries": [(v, label) for v, label in Industry.choices if v in LIBRARIES],
        },
    )


def _standard_data(form: StandardForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data.pop("change_note", None)
    return data


@login_required
def standard_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    form = StandardForm(request.POST or None, company_id=scope.company_id)
    if request.method == "POST" and form.is_valid():
        try:
            standard = standards.create_standard(actor=request.user, data=_standard_data(form))
        except InvalidInput as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The standard is saved as a draft."))
            return redirect("quality:standard", standard.pk)
    elif request.method == "GET" and not _can_manage(scope):
        raise OutOfScope()
    return render(request, "quality/standard_form.html", {"form": form, "standard": None})


@login_required
def standard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A standard, its flags, its versions, and the approver's checklist."""
    scope = read_scope(request.user)
    standard = queries.get_standard(scope, pk)
    form = ApproveForm(request.POST or None)
    if request.method == "POST":
        checks = request.POST.getlist("checks")
        try:
            standards.approve_standard(actor=request.user, standard=standard, checks=checks)
        except InvalidInput as exc:
            form.is_valid()
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The standard is approved."))
            return redirect("quality:standard", standard.pk)
    return render(
        request,
        "quality/standard_detail.html",
        {
            "standard": standard,
            "versions": list(standard.versions.all()),
            "approve_form": form,
            "manage": _can_manage(scope),
            "review_due": standard.review_due(),
            "industry_label": Industry(standard.industry).label if standard.industry else "",
        },
    )


@login_required
def standard_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = read_scope(request.user)
    standard = queries.get_standard(scope, pk)
    initial = {
        f: getattr(standard, f)
        for f in (
            "code",
            "area",
            "statement",
            "criterion",
            "criterion_value",
            "criterion_unit",
            "industry",
            "effective_on",
            "review_on",
        )
    }
    initial["owner"] = str(standard.owner_id or "")
    form = StandardForm(
        request.POST or None, company_id=scope.company_id, editing=True, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            standards.update_standard(
                actor=request.user,
                standard=standard,
                data=_standard_data(form),
                change_note=form.cleaned_data.get("change_note", ""),
            )
        except InvalidInput as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The standard is saved."))
            return redirect("quality:standard", standard.pk)
    return render(request, "quality/standard_form.html", {"form": form, "standard": standard})


@login_required
@require_POST
def standard_retire(request: HttpRequest, pk: int) -> HttpResponse:
    standards.retire_standard(actor=request.user, standard=pk)
    messages.success(request, _("The standard is retired."))
    return redirect("quality:standard", pk)


@login_required
@require_POST
def load_library(request: HttpRequest) -> HttpResponse:
    """Load the starter standards of the company's industries (idempotent)."""
    added = standards.load_starter_library(actor=request.user)
    messages.success(request, _("%(n)d standards added from the starter library.") % {"n": added})
    return redirect("quality:standards")


# -- the ranking exercise ------------------------------------------------------------------------


@login_required
def priorities(request: HttpRequest) -> HttpResponse:
    """The ranking exercise (003 P-045) of the company or an outlet: the split and, per side,
    a rank number for each standard (1 = most important; empty = unranked)."""
    scope = read_scope(request.user)
    outlets = list(outlet_units(scope).filter(company_id=scope.company_id))
    unit_id = request.GET.get("unit") or request.POST.get("unit") or ""
    unit = next((o for o in outlets if str(o.pk) == unit_id), None)
    error_fields: dict[str, str] = {}
    posted: dict[str, str] = {}
    if request.method == "POST":
        ranks: dict[str, list[int]] = {}
        for side in Side.values:
            pairs = []
            for key, value in request.POST.items():
                prefix = f"rank-{side}-"
                if key.startswith(prefix) and value.strip():
                    posted[key] = value.strip()
                    try:
                        pairs.append((int(value), int(key[len(prefix) :])))
                    except ValueError:
                        error_fields[side] = _("Ranks are whole numbers.")
            ranks[side] = [pk for _rank, pk in sorted(pairs)]
        posted["share"] = request.POST.get("procedural_share", "")
        if not error_fields:
            try:
                standards.set_priorities(
                    actor=request.user,
                    unit=unit,
                    procedural_share=request.POST.get("procedural_share"),
                    ranks=ranks,
                )
            except InvalidInput as exc:
                error_fields = {f or "": str(m) for f, m in exc.field_errors()}
            else:
                messages.success(request, _("The ranking is saved."))
                suffix = f"?unit={unit.pk}" if unit else ""
                return redirect(f"{request.path}{suffix}")
    ranking = queries.ranking(scope, unit)
    share = posted.get("share") or ranking.procedural_share
    weights = _weights(ranking)
    rows = {
        side: [
            {
                "standard": s,
                "rank": posted.get(f"rank-{side}-{s.pk}", rank or ""),
                "weight": weights.get(s.pk),
            }
            for s, rank in ranking.sides[side]
        ]
        for side in Side.values
    }
    return render(
        request,
        "quality/priorities.html",
        {
            "outlets": outlets,
            "unit": unit,
            "ranking": ranking,
            "share": share,
            "personal_share": 100 - int(share) if str(share).isdigit() else "",
            "rows": rows,
            "errors": error_fields,
            "manage": _can_manage(scope),
        },
    )


def _weights(ranking: queries.Ranking) -> dict[int, float]:
    """Each ranked standard's effective weight in a template holding all the ranked ones."""
    ranked = [(s, rank) for rows in ranking.sides.values() for s, rank in rows if rank]
    return {
        w.standard_id: w.weight
        for w in weigh(
            [(s.pk, s.side, s.code) for s, _rank in ranked],
            procedural_share=ranking.procedural_share,
            ranks={s.pk: rank for s, rank in ranked},
        )
    }


# -- templates and plans -------------------------------------------------------------------------


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    """Audit templates, and the form that generates one from chosen standards."""
    scope = read_scope(request.user)
    manage = _can_manage(scope)
    form = None
    if manage:
        approved = list(queries.standards_for(scope, status=StandardStatus.APPROVED))
        form = GenerateTemplateForm(request.POST or None)
        form.fields["standards"].choices = [
            (str(s.pk), f"{s.code} {s.statement}") for s in approved
        ]
        form.fields["unit"].choices = [("", _("the company"))] + [
            (str(o.pk), o.name) for o in outlet_units(scope).filter(company_id=scope.company_id)
        ]
        if request.method == "POST" and form.is_valid():
            try:
                template = audits.generate_template(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    standards=form.cleaned_data["standards"],
                    walkaround=form.cleaned_data["walkaround"],
                    unit=form.cleaned_data["unit"] or None,
                )
            except InvalidInput as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The audit template is published."))
                return redirect("quality:template", template.pk)
    elif request.method == "POST":
        raise OutOfScope()
    return render(
        request,
        "quality/template_list.html",
        {"templates": queries.templates_for(scope), "form": form, "manage": manage},
    )


@login_required
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A template's current version: each standard with its effective weight."""
    scope = read_scope(request.user)
    template = queries.get_template(scope, pk)
    if request.method == "POST":
        audits.regenerate_template(actor=request.user, template=template)
        messages.success(request, _("A new version of the template is published."))
        return redirect("quality:template", template.pk)
    version = current_version(template.instrument)
    definition = definition_for(version)
    factors = {f.code: f for f in definition.factors}
    total_factor = sum(f.weight for f in definition.factors) or 1
    sums: dict[str, float] = {}
    for item in definition.items:
        sums[item.factor] = sums.get(item.factor, 0) + item.weight
    items = [
        {
            "item": item,
            "standard_id": standard_id_of(item.code),
            "side": factors[item.factor].name,
            "weight": factors[item.factor].weight
            / total_factor
            * 100
            * item.weight
            / sums[item.factor],
        }
        for item in definition.items
    ]
    return render(
        request,
        "quality/template_detail.html",
        {
            "template": template,
            "version": version,
            "factors": definition.factors,
            "items": items,
            "manage": _can_manage(scope),
        },
    )


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    """Audit plans (which outlets, how often, by whom), and a form for a new one."""
    scope = read_scope(request.user)
    manage = _can_manage(scope)
    form = None
    if manage:
        form = PlanForm(request.POST or None)
        form.fields["template"].choices = [
            (str(t.pk), t.name) for t in queries.templates_for(scope, active_only=True)
        ]
        form.fields["outlets"].choices = [
            (str(o.pk), o.name) for o in outlet_units(scope).filter(company_id=scope.company_id)
        ]
        form.fields["auditor"].choices = staff_choices(scope.company_id, roles=AUDITOR_ROLES)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                audits.create_plan(
                    actor=request.user,
                    name=data["name"],
                    template=data["template"],
                    outlets=data["outlets"],
                    every=data["every"],
                    period=data["period"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    auditor=data["auditor"] or None,
                )
            except InvalidInput as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The audit plan is saved."))
                return redirect("quality:plans")
    elif request.method == "POST":
        raise OutOfScope()
    return render(
        request,
        "quality/plan_list.html",
        {"plans": queries.plans_for(scope), "form": form, "manage": manage},
    )


@login_required
@require_POST
def plan_active(request: HttpRequest, pk: int) -> HttpResponse:
    audits.set_plan_active(actor=request.user, plan=pk, active=request.POST.get("active") == "1")
    return redirect("quality:plans")
