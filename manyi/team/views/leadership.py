"""Leadership review pages (003 P-059/060): start, rate, the gap chart self versus others."""

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
from manyi.instruments.queries import definition_for
from manyi.instruments.render import answer_form
from manyi.org.scopes import Perm, scope_for
from manyi.team.actions import leadership as actions
from manyi.team.actions.common import team_staff
from manyi.team.forms import ReviewForm
from manyi.team.models import MIN_ANSWERS
from manyi.team.queries import leadership as queries


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    """Ratings waiting for the user, and the reviews they see."""
    scope = scope_for(request.user)
    context = {
        "waiting": queries.waiting_for(scope.staff_id),
        "reviews": queries.review_list(scope),
        "can_open": scope.can(Perm.MANAGE_TEAM),
    }
    return render(request, "team/review_list.html", context)


@login_required
def review_open(request: HttpRequest) -> HttpResponse:
    """Start a review: the leader (yourself by default) and the people who rate them."""
    scope = scope_for(request.user)
    scope.require(Perm.MANAGE_TEAM)
    staff = list(team_staff(scope))
    form = ReviewForm(request.POST or None, staff=staff, initial={"leader": scope.staff_id})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                review = actions.open_review(
                    actor=request.user,
                    leader=form.cleaned_data["leader"],
                    raters=form.cleaned_data["raters"],
                )
            except (NotFound, OutOfScope):
                raise
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The review is open; the raters can answer now."))
                return redirect("team:review", pk=review.pk)
    return render(
        request,
        "team/review_form.html",
        {"form": form, "min_answers": MIN_ANSWERS},
        status=status,
    )


def _chart(gaps) -> dict:
    return {
        "labels": [g.name for g in gaps],
        "series": [
            {
                "name": _("Self-rating"),
                "data": [round(g.own, 1) if g.own is not None else None for g in gaps],
            },
            {
                "name": _("Others (mean)"),
                "data": [round(g.others, 1) if g.others is not None else None for g in gaps],
            },
        ],
        "y": {"min": 0, "max": 100},
        "horizontal": True,
    }


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress and the gap between the leader's view and the others'."""
    scope = scope_for(request.user)
    review = queries.get_review(scope, pk)
    gaps = queries.gaps(review)
    context = {
        "review": review,
        "manage": queries.may_manage(scope, review),
        "is_leader": review.leader_id == scope.staff_id,
        "raters": queries.raters_of(review),
        "gaps": gaps,
        "chart": _chart(gaps)
        if any(g.own is not None or g.others is not None for g in gaps)
        else None,
        "min_answers": MIN_ANSWERS,
    }
    return render(request, "team/review_detail.html", context)


@login_required
def review_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The questionnaire for the leader (about themselves) or a rater (about the leader)."""
    scope = scope_for(request.user)
    review, rater = queries.get_review_to_answer(scope, pk)
    if rater.has_answered or not review.is_open:
        messages.info(
            request,
            _("You have already answered.") if rater.has_answered else _("This review is closed."),
        )
        return redirect("team:leadership")
    definition = definition_for(review.version)
    answers, errors, status = {}, {}, 200
    if request.method == "POST":
        answers = answers_from_form(definition, request.POST)
        try:
            actions.answer_review(actor=request.user, review=review, answers=answers)
        except InvalidInput as exc:
            errors, status = dict(e for e in exc.field_errors() if e[0]), 400
        except (NotFound, OutOfScope):
            raise
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return redirect("team:leadership")
        else:
            messages.success(request, _("Thank you. Your rating was recorded."))
            if rater.is_self:
                return redirect("team:review", pk=review.pk)
            return redirect("team:leadership")
    context = {
        "review": review,
        "rater": rater,
        "instrument": review.version.instrument,
        "answer_form": answer_form(definition, answers, errors),
        "has_errors": bool(errors),
    }
    return render(request, "team/review_answer.html", context, status=status)


@login_required
@require_POST
def review_close(request: HttpRequest, pk: int) -> HttpResponse:
    actions.close_review(actor=request.user, review=pk)
    messages.success(request, _("The review is closed."))
    return redirect("team:review", pk=pk)
