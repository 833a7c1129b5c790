"""Five-star service level pages (000): each unit's level, a unit's history, the self-assessment."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from manyi.errors import InvalidInput
from manyi.instruments.answers import answers_from_form
from manyi.instruments.models import InstrumentKind
from manyi.instruments.queries import definition_for
from manyi.instruments.render import answer_form
from manyi.org.scopes import Perm, scope_for
from manyi.team.actions import service_level as actions
from manyi.team.actions.common import pick_version
from manyi.team.builtin import FIVE_STAR_CODE, STAR_LEVELS, STAR_THRESHOLD
from manyi.team.queries import service_level as queries


@login_required
def level_list(request: HttpRequest) -> HttpResponse:
    """The company's and each outlet's latest star level, and what each level means."""
    scope = scope_for(request.user)
    context = {
        "units": queries.levels(scope),
        "levels": [(stars, name, text) for _c, stars, name, text, _i in STAR_LEVELS],
    }
    return render(request, "team/level_list.html", context)


@login_required
def level_history(request: HttpRequest, unit_pk: int) -> HttpResponse:
    """A unit's assessments over time, as a line of stars and a list."""
    scope = scope_for(request.user)
    unit = queries.get_unit(scope, unit_pk)
    rows = queries.history(unit)
    chart = {
        "labels": [f"{a.assessed_on:%Y-%m-%d}" for a in rows],
        "series": [{"name": _("Stars"), "data": [a.stars for a in rows]}],
        "y": {"min": 0, "max": 5, "interval": 1},
    }
    context = {
        "unit": unit,
        "rows": list(reversed(rows)),
        "chart": chart,
        "can_assess": scope.can(Perm.MANAGE_TEAM),
    }
    return render(request, "team/level_history.html", context)


@login_required
def level_assess(request: HttpRequest, unit_pk: int) -> HttpResponse:
    """The five-star self-assessment of a unit."""
    scope = scope_for(request.user)
    scope.require(Perm.MANAGE_TEAM)
    unit = queries.get_unit(scope, unit_pk)
    version = pick_version(scope, InstrumentKind.SELF_ASSESSMENT, FIVE_STAR_CODE, None)
    definition = definition_for(version)
    answers, errors, status = {}, {}, 200
    notes = ""
    if request.method == "POST":
        answers = answers_from_form(definition, request.POST)
        notes = request.POST.get("notes", "")
        try:
            assessment = actions.assess_service_level(
                actor=request.user, unit=unit, answers=answers, notes=notes
            )
        except InvalidInput as exc:
            errors, status = dict(e for e in exc.field_errors() if e[0]), 400
        else:
            messages.success(request, _("The self-assessment was recorded."))
            return redirect("team:level", pk=assessment.pk)
    context = {
        "unit": unit,
        "instrument": version.instrument,
        "answer_form": answer_form(definition, answers, errors),
        "has_errors": bool(errors),
        "notes": notes,
        "notes_error": errors.get("notes"),
        "threshold": STAR_THRESHOLD,
    }
    return render(request, "team/level_form.html", context, status=status)


@login_required
def level_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One assessment: the star level reached, each level's score and the seed's words."""
    scope = scope_for(request.user)
    assessment = queries.get_assessment(scope, pk)
    name, text = queries.describe(assessment.stars)
    context = {
        "a": assessment,
        "name": name,
        "text": text,
        "scores": queries.level_scores(assessment),
        "threshold": STAR_THRESHOLD,
    }
    return render(request, "team/level_detail.html", context)
