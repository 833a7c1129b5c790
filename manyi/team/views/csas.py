"""CSAS pages (003 P-092..096): rounds, opening one, answering, results and trend."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.errors import DomainError, InvalidInput, NotFound, OutOfScope
from manyi.forms import add_domain_error
from manyi.instruments.answers import answers_from_form
from manyi.instruments.models import InstrumentKind
from manyi.instruments.queries import definition_for
from manyi.instruments.render import answer_form
from manyi.org.scopes import Perm, scope_for
from manyi.pagination import parse_cursor
from manyi.team.actions import csas as actions
from manyi.team.actions.common import published_versions, team_staff
from manyi.team.builtin import CSAS_CODE
from manyi.team.forms import OpenRoundForm
from manyi.team.models import MIN_ANSWERS, RoundMember
from manyi.team.queries import csas as queries
from manyi.team.views.common import managed_units, unit_from


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    """The rounds a user sees: their subtree's (managers) and their own."""
    scope = scope_for(request.user)
    page = queries.round_list(scope, after=parse_cursor(request.GET.get("after")))
    context = {
        "page": page,
        "can_open": scope.can(Perm.MANAGE_TEAM),
        "waiting": queries.open_rounds_for(scope.staff_id),
        "min_answers": MIN_ANSWERS,
    }
    return render(request, "team/round_list.html", context)


def _default_version(versions) -> int | None:
    for v in versions:
        if v.instrument.company_id is None and v.instrument.code == CSAS_CODE:
            return v.pk
    return versions[0].pk if versions else None


@login_required
def round_open(request: HttpRequest) -> HttpResponse:
    """Open a round: the team, the questionnaire, the members (htmx reloads the members when
    the team changes)."""
    scope = scope_for(request.user)
    scope.require(Perm.MANAGE_TEAM)
    units = list(managed_units(scope))
    versions = list(published_versions(scope.company_id, InstrumentKind.TEAM_ASSESSMENT))
    data = request.POST if request.method == "POST" else None
    unit = unit_from(scope, (data or request.GET).get("unit")) or (units[0] if units else None)
    staff = list(team_staff(scope, unit)) if unit else []
    form = OpenRoundForm(
        data,
        units=units,
        versions=versions,
        staff=staff,
        initial={
            "unit": unit.pk if unit else None,
            "version": _default_version(versions),
            "members": [s.pk for s in staff if s.unit_id == unit.pk] if unit else [],
        },
    )
    if request.htmx and request.method == "GET":
        return render(request, "team/_round_members.html", {"form": form})
    status = 200
    if data is not None:
        status = 400
        if form.is_valid():
            try:
                round_ = actions.open_round(
                    actor=request.user,
                    unit=unit,
                    name=form.cleaned_data["name"],
                    members=form.cleaned_data["members"] or None,
                    version=form.cleaned_data["version"],
                    closes_on=form.cleaned_data["closes_on"],
                )
            except (NotFound, OutOfScope):
                raise
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The round is open; its members can answer now."))
                return redirect("team:csas-detail", pk=round_.pk)
    context = {"form": form, "min_answers": MIN_ANSWERS}
    return render(request, "team/round_form.html", context, status=status)


def _trend_chart(round_) -> dict:
    rounds = queries.team_trend(round_.unit_id)
    return {
        "labels": [f"{r.opened_at:%Y-%m-%d}" for r in rounds],
        "series": [
            {
                "name": _("Team index (0–100)"),
                "data": [
                    round(r.trend_index, 1) if r.trend_index is not None else None for r in rounds
                ],
            }
        ],
        "y": {"min": 0, "max": 100},
    }


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress, and once visible: items with mean and spread, strengths and weaknesses, the
    trend across the team's rounds."""
    scope = scope_for(request.user)
    round_ = queries.get_round(scope, pk)
    manage = queries.may_manage_round(scope, round_)
    me = RoundMember.objects.filter(round=round_, staff_id=scope.staff_id).first()
    results = queries.round_results(round_)
    context = {
        "round": round_,
        "manage": manage,
        "members": queries.members_of(round_) if manage else [],
        "me": me,
        "results": results,
        "trend": _trend_chart(round_) if results else None,
        "min_answers": MIN_ANSWERS,
    }
    return render(request, "team/round_detail.html", context)


@login_required
def round_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """A member's answer page (the instrument's form); nothing on it names the person."""
    scope = scope_for(request.user)
    round_ = queries.get_round(scope, pk)
    me = RoundMember.objects.filter(round=round_, staff_id=scope.staff_id).first()
    if me is None:
        raise OutOfScope(_("You are not a member of this round."))
    if me.has_answered or not round_.is_open:
        messages.info(
            request,
            _("You have already answered this round.")
            if me.has_answered
            else _("This round is closed."),
        )
        return redirect("team:csas-detail", pk=round_.pk)
    definition = definition_for(round_.version)
    answers, errors, status = {}, {}, 200
    if request.method == "POST":
        answers = answers_from_form(definition, request.POST)
        try:
            actions.answer_round(actor=request.user, round=round_, answers=answers)
        except InvalidInput as exc:
            errors, status = dict(e for e in exc.field_errors() if e[0]), 400
            if not errors:
                messages.error(request, str(exc.message))
        except (NotFound, OutOfScope):
            raise
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return redirect("team:csas-detail", pk=round_.pk)
        else:
            messages.success(request, _("Thank you. Your answers were recorded anonymously."))
            return redirect("team:csas-detail", pk=round_.pk)
    context = {
        "round": round_,
        "answer_form": answer_form(definition, answers, errors),
        "has_errors": bool(errors),
        "instrument": round_.version.instrument,
    }
    return render(request, "team/round_answer.html", context, status=status)


@login_required
@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop taking answers."""
    actions.close_round(actor=request.user, round=pk)
    messages.success(request, _("The round is closed."))
    return redirect("team:csas-detail", pk=pk)
