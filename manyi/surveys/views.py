"""Survey pages for managers (``Perm.MANAGE_SURVEYS``): campaigns, invitations, outlet QR
posters, trigger settings and the closed-loop rule, follow-ups, one response.

Each page fetches through a scoped query, parses a form, calls one action and shows a refusal
next to the fields. The follow-up case kind's panel on the case page (the unhappy answer) is
registered here too. Results and analytics have their own pages (``views_results``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.cases.views import Panel, register_panel
from manyi.errors import DomainError, NotFound, OutOfScope
from manyi.forms import add_domain_error
from manyi.instruments.queries import usable_versions
from manyi.org.models import UnitKind
from manyi.org.scopes import Perm, Scope, scope_for
from manyi.surveys import actions, answering, queries, settings_actions
from manyi.surveys import workflow as followup_workflow
from manyi.surveys.forms import (
    CampaignForm,
    OutcomeForm,
    PolicyForm,
    PraiseForm,
    TriggerForm,
    WalkInForm,
)
from manyi.surveys.models import CampaignStatus, SurveyChannel


def _scope(request: HttpRequest) -> Scope:
    scope = scope_for(request.user)
    scope.require(Perm.MANAGE_SURVEYS)
    return scope


def _versions(scope: Scope) -> list:
    return list(usable_versions(scope)[:200])


# -- campaigns -------------------------------------------------------------------------------------


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    """The campaigns of the user's subtree, newest first, with their counts."""
    scope = _scope(request)
    page = queries.campaign_page(scope, after=request.GET.get("after"))
    for campaign in page.items:
        campaign.rate = campaign.answered * 100.0 / campaign.sent if campaign.sent else None
    return render(request, "surveys/campaign_list.html", {"page": page, "query": {}})


def _campaign_form(scope: Scope, data=None, initial=None) -> CampaignForm:
    units = list(scope.units().filter(is_active=True).order_by("path")[:500])
    return CampaignForm(
        data,
        initial=initial,
        units=units,
        versions=_versions(scope),
        outlets=[u for u in units if u.kind == UnitKind.OUTLET],
    )


@login_required
def campaign_create(request: HttpRequest) -> HttpResponse:
    """A new draft campaign."""
    scope = _scope(request)
    form = _campaign_form(
        scope,
        request.POST or None,
        initial={
            "channels": [SurveyChannel.SMS],
            "unit": scope.unit_id,
            "reminder_after_hours": 48,
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                campaign = actions.create_campaign(actor=request.user, data=form.action_data())
            except (NotFound, OutOfScope):
                raise
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Campaign saved as a draft: check it, then launch it."))
                return redirect("surveys:campaign", pk=campaign.pk)
    return render(request, "surveys/campaign_form.html", {"form": form}, status=status)


@login_required
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft campaign."""
    scope = _scope(request)
    campaign = queries.get_campaign(scope, pk)
    form = _campaign_form(scope, request.POST or None, initial=CampaignForm.initial_from(campaign))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                actions.update_campaign(
                    actor=request.user, campaign=campaign, data=form.action_data()
                )
            except (NotFound, OutOfScope):
                raise
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Campaign saved."))
                return redirect("surveys:campaign", pk=campaign.pk)
    context = {"form": form, "campaign": campaign}
    return render(request, "surveys/campaign_form.html", context, status=status)


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A campaign: its settings, how it is going, its invitations."""
    scope = _scope(request)
    campaign = queries.get_campaign(scope, pk)
    page = queries.invitation_page(scope, campaign=campaign, after=request.GET.get("after"))
    context = {
        "campaign": campaign,
        "counts": queries.counts_of(campaign),
        "page": page,
        "query": {},
        "can_launch": campaign.status == CampaignStatus.DRAFT,
        "can_cancel": campaign.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED),
        "show_phone": scope.can(Perm.VIEW_PHONE),
    }
    return render(request, "surveys/campaign_detail.html", context)


def _campaign_step(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    scope = _scope(request)
    campaign = queries.get_campaign(scope, pk)
    try:
        action(actor=request.user, campaign=campaign)
    except (NotFound, OutOfScope):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("surveys:campaign", pk=campaign.pk)


@login_required
@require_POST
def campaign_launch(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_step(
        request, pk, actions.launch_campaign, _("Campaign launched: invitations are on their way.")
    )


@login_required
@require_POST
def campaign_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_step(
        request, pk, actions.cancel_campaign, _("Campaign cancelled: its links no longer open.")
    )


@login_required
def invitation_list(request: HttpRequest) -> HttpResponse:
    """Every invitation of the user's outlets, or the triggered ones (after a case)."""
    scope = _scope(request)
    triggered = request.GET.get("triggered") == "1"
    page = queries.invitation_page(scope, triggered=triggered, after=request.GET.get("after"))
    context = {
        "page": page,
        "triggered": triggered,
        "query": {"triggered": "1"} if triggered else {},
        "show_phone": scope.can(Perm.VIEW_PHONE),
    }
    return render(request, "surveys/invitation_list.html", context)


# -- walk-in QR codes ------------------------------------------------------------------------------


@login_required
def walk_in_list(request: HttpRequest) -> HttpResponse:
    """The outlets of the user's subtree and their walk-in QR codes."""
    scope = _scope(request)
    versions = _versions(scope)
    rows = [
        {
            "outlet": outlet,
            "point": point,
            "link": actions.walk_in_link(point.token) if point else "",
            "form": WalkInForm(
                versions=versions,
                auto_id=f"w{outlet.pk}_%s",
                initial={"version": point.version_id, "ask_phone": point.ask_phone}
                if point
                else None,
            ),
        }
        for outlet, point in queries.outlets_with_points(scope)
    ]
    return render(request, "surveys/walkin_list.html", {"rows": rows})


@login_required
@require_POST
def walk_in_save(request: HttpRequest, unit_pk: int) -> HttpResponse:
    """Give an outlet its QR code, or change which survey it asks."""
    scope = _scope(request)
    form = WalkInForm(request.POST, versions=_versions(scope))
    if not form.is_valid():
        messages.error(request, _("Choose a published survey."))
        return redirect("surveys:walk-in")
    try:
        settings_actions.save_walk_in_point(actor=request.user, unit=unit_pk, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("QR code saved."))
    return redirect("surveys:walk-in")


@login_required
def walk_in_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The outlet's QR code as SVG (shown on the page; printable)."""
    from manyi.surveys.posters import qr_svg

    point = queries.get_walk_in_point(_scope(request), pk)
    return HttpResponse(qr_svg(actions.walk_in_link(point.token)), content_type="image/svg+xml")


@login_required
def walk_in_poster(request: HttpRequest, pk: int) -> HttpResponse:
    """The outlet's printable A4 poster with its QR code (PDF)."""
    from manyi.surveys.posters import poster_pdf

    point = queries.get_walk_in_point(_scope(request), pk)
    response = HttpResponse(poster_pdf(point, actions.walk_in_link(point.token)), "application/pdf")
    response["Content-Disposition"] = f'inline; filename="survey-qr-{point.unit.code}.pdf"'
    return response


# -- settings --------------------------------------------------------------------------------------


def _settings_page(
    request: HttpRequest, scope: Scope, *, trigger_form=None, policy_form=None, status: int = 200
) -> HttpResponse:
    versions = _versions(scope)
    policy = queries.policy_of(scope)
    context = {
        "triggers": queries.triggers_of(scope),
        "trigger_form": trigger_form or TriggerForm(versions=versions),
        "policy_form": policy_form
        or PolicyForm(
            initial={
                "low_index": policy.low_index if policy else 60,
                "follow_up_as": policy.follow_up_as if policy else "follow_up",
                "follow_up_days": policy.follow_up_days if policy else 1,
            }
        ),
        "editable": scope.is_company_wide,
    }
    return render(request, "surveys/survey_settings.html", context, status=status)


@login_required
def survey_settings(request: HttpRequest) -> HttpResponse:
    """Which survey closing a case sends; what an unhappy answer opens."""
    return _settings_page(request, _scope(request))


@login_required
@require_POST
def trigger_save(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    form = TriggerForm(request.POST, versions=_versions(scope))
    if form.is_valid():
        try:
            settings_actions.save_trigger(actor=request.user, **form.cleaned_data)
        except (NotFound, OutOfScope):
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Survey trigger saved."))
            return redirect("surveys:settings")
    return _settings_page(request, scope, trigger_form=form, status=400)


@login_required
@require_POST
def trigger_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _scope(request)
    settings_actions.delete_trigger(actor=request.user, trigger=pk)
    messages.success(request, _("Survey trigger removed."))
    return redirect("surveys:settings")


@login_required
@require_POST
def policy_save(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    form = PolicyForm(request.POST)
    if form.is_valid():
        try:
            settings_actions.save_policy(actor=request.user, **form.cleaned_data)
        except (NotFound, OutOfScope):
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Follow-up rule saved."))
            return redirect("surveys:settings")
    return _settings_page(request, scope, policy_form=form, status=400)


# -- follow-ups and responses ----------------------------------------------------------------------


@login_required
def follow_up_list(request: HttpRequest) -> HttpResponse:
    """The closed loop: unhappy answers and what became of them (open ones first by filter)."""
    scope = _scope(request)
    open_only = request.GET.get("open") == "1"
    page = queries.follow_up_page(scope, open_only=open_only, after=request.GET.get("after"))
    context = {
        "page": page,
        "open_only": open_only,
        "query": {"open": "1"} if open_only else {},
        "outcome_form": OutcomeForm(),
        "show_phone": scope.can(Perm.VIEW_PHONE),
    }
    return render(request, "surveys/followup_list.html", context)


@login_required
@require_POST
def follow_up_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close the follow-up of an anonymous answer."""
    scope = _scope(request)
    follow_up = queries.get_follow_up(scope, pk)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write down what was done."))
    else:
        try:
            answering.close_follow_up(
                actor=request.user, follow_up=follow_up, outcome=form.cleaned_data["outcome"]
            )
        except (NotFound, OutOfScope):
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Follow-up closed."))
    return redirect("surveys:follow-ups")


def _answer_lines(response) -> list[dict[str, Any]]:
    definition = actions.definition_of(response.version)
    return [
        {"number": item.number, "text": item.text, "answer": answering.display(item, value)}
        for item in definition.items
        if (value := response.answers.get(item.code)) is not None
    ]


@login_required
def response_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One response: its figures and answers (no more of the customer than the scope allows)."""
    scope = _scope(request)
    response = queries.get_response(scope, pk)
    context = {
        "response": response,
        "lines": _answer_lines(response),
        "praise_form": PraiseForm(),
        "has_praise": hasattr(response, "praise"),
        "show_phone": scope.can(Perm.VIEW_PHONE),
    }
    return render(request, "surveys/response_detail.html", context)


@login_required
@require_POST
def response_praise(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a promoter's answer as praise for the technician."""
    scope = _scope(request)
    response = queries.get_response(scope, pk)
    form = PraiseForm(request.POST)
    if form.is_valid():
        try:
            answering.record_praise(
                actor=request.user, response=response, text=form.cleaned_data["text"]
            )
        except (NotFound, OutOfScope):
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Praise recorded for the technician."))
    return redirect("surveys:response", pk=response.pk)


# -- the follow-up case's panel on the case page ---------------------------------------------------


def _panel_context(request: HttpRequest, case, scope: Scope, bound: dict) -> dict[str, Any]:
    follow_up = queries.find_follow_up_for_case(case.pk)
    if follow_up is None:
        return {"follow_up": None}
    return {"follow_up": follow_up, "answer_lines": _answer_lines(follow_up.response)}


register_panel(
    followup_workflow.KIND,
    Panel(
        template="surveys/_followup_panel.html",
        context=_panel_context,
        generic_forms=lambda stage: frozenset({"assign", "call", "note", "pause"}),
    ),
)
