"""Performance appraisal pages (003 P-080..084): one page per cycle, its form changing with the
stage — preparation (with the standards and the scoreboard), discussion, commitments,
follow-up."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.errors import DomainError, NotFound, OutOfScope
from manyi.forms import add_domain_error
from manyi.org.scopes import Perm, scope_for
from manyi.team.actions import appraisals as actions
from manyi.team.actions.common import team_staff
from manyi.team.forms import (
    AppraisalForm,
    CommitmentForm,
    DiscussionForm,
    FollowUpForm,
    PreparationForm,
)
from manyi.team.models import (
    DISCUSSION_ITEMS,
    PREPARATION_ITEMS,
    SELF_REVIEW_ITEMS,
    AppraisalStage,
)
from manyi.team.queries import appraisals as queries


@login_required
def appraisal_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    context = {
        "appraisals": queries.appraisal_list(scope),
        "can_open": scope.can(Perm.MANAGE_TEAM),
    }
    return render(request, "team/appraisal_list.html", context)


@login_required
def appraisal_open(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    scope.require(Perm.MANAGE_TEAM)
    staff = [s for s in team_staff(scope) if s.pk != scope.staff_id]
    form = AppraisalForm(request.POST or None, staff=staff)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                appraisal = actions.open_appraisal(actor=request.user, **form.cleaned_data)
            except (NotFound, OutOfScope):
                raise
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The appraisal is open: prepare it."))
                return redirect("team:appraisal", pk=appraisal.pk)
    return render(request, "team/appraisal_form.html", {"form": form}, status=status)


def _forms(appraisal, bound: dict) -> dict:
    initial_checks = {f"check_{k}": v for k, v in (appraisal.preparation or {}).items()}
    forms = {}
    if appraisal.stage == AppraisalStage.PREPARING:
        forms["prepare"] = bound.get("prepare") or PreparationForm(
            items=PREPARATION_ITEMS,
            prefix="prep",
            initial={
                **initial_checks,
                "notes": appraisal.preparation_notes,
                "meeting_at": appraisal.meeting_at,
            },
        )
        forms["discuss"] = bound.get("discuss") or DiscussionForm(
            items=DISCUSSION_ITEMS, prefix="disc"
        )
    elif appraisal.stage == AppraisalStage.DISCUSSED:
        forms["commit"] = bound.get("commit") or CommitmentForm(prefix="commit")
        forms["follow_up"] = bound.get("follow_up") or FollowUpForm(
            items=SELF_REVIEW_ITEMS, prefix="follow"
        )
    return forms


def _page(request, scope, appraisal, bound=None, status=200) -> HttpResponse:
    runs = queries.runs(scope, appraisal)
    context = {
        "a": appraisal,
        "runs": runs,
        "forms": _forms(appraisal, bound or {}) if runs else {},
        "commitments": queries.commitments_of(appraisal),
        "preparation": [
            (label, (appraisal.preparation or {}).get(k)) for k, label in PREPARATION_ITEMS
        ],
        "discussion": [
            (label, (appraisal.discussion or {}).get(k)) for k, label in DISCUSSION_ITEMS
        ],
        "self_review": [
            (label, (appraisal.self_review or {}).get(k, "")) for k, label in SELF_REVIEW_ITEMS
        ],
        "is_employee": appraisal.staff_id == scope.staff_id,
    }
    if runs and appraisal.stage == AppraisalStage.PREPARING:
        context.update(
            standards=queries.standards_for(appraisal),
            row=queries.scoreboard_for(appraisal),
            previous=queries.previous_commitments(appraisal),
        )
    return render(request, "team/appraisal_detail.html", context, status=status)


@login_required
def appraisal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    return _page(request, scope, queries.get_appraisal(scope, pk))


def _post(request, pk, name, form, perform, success) -> HttpResponse:
    scope = scope_for(request.user)
    appraisal = queries.get_appraisal(scope, pk)
    status = 400
    if form.is_valid():
        try:
            perform(appraisal, form)
        except (NotFound, OutOfScope):
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            messages.success(request, success)
            return redirect("team:appraisal", pk=appraisal.pk)
    appraisal = queries.get_appraisal(scope, pk)
    return _page(request, scope, appraisal, {name: form}, status)


@login_required
@require_POST
def appraisal_prepare(request: HttpRequest, pk: int) -> HttpResponse:
    form = PreparationForm(request.POST, items=PREPARATION_ITEMS, prefix="prep")
    return _post(
        request,
        pk,
        "prepare",
        form,
        lambda a, f: actions.prepare(
            actor=request.user,
            appraisal=a,
            checks=f.checks(),
            notes=f.cleaned_data["notes"],
            meeting_at=f.cleaned_data["meeting_at"],
        ),
        _("The preparation was saved."),
    )


@login_required
@require_POST
def appraisal_discuss(request: HttpRequest, pk: int) -> HttpResponse:
    form = DiscussionForm(request.POST, items=DISCUSSION_ITEMS, prefix="disc")
    return _post(
        request,
        pk,
        "discuss",
        form,
        lambda a, f: actions.record_discussion(
            actor=request.user, appraisal=a, checks=f.checks(), record=f.cleaned_data["notes"]
        ),
        _("The discussion was recorded."),
    )


@login_required
@require_POST
def appraisal_commit(request: HttpRequest, pk: int) -> HttpResponse:
    form = CommitmentForm(request.POST, prefix="commit")
    return _post(
        request,
        pk,
        "commit",
        form,
        lambda a, f: actions.add_commitment(actor=request.user, appraisal=a, **f.cleaned_data),
        _("The commitment was added."),
    )


@login_required
@require_POST
def appraisal_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    form = FollowUpForm(request.POST, items=SELF_REVIEW_ITEMS, prefix="follow")
    return _post(
        request,
        pk,
        "follow_up",
        form,
        lambda a, f: actions.follow_up(
            actor=request.user,
            appraisal=a,
            record=f.cleaned_data["record"],
            copy_given=f.cleaned_data["copy_given"],
            self_review=f.self_review(),
        ),
        _("The appraisal is followed up."),
    )


@login_required
@require_POST
def commitment_done(request: HttpRequest, pk: int) -> HttpResponse:
    commitment = actions.complete_commitment(
        actor=request.user, commitment=pk, note=request.POST.get("note", "")
    )
    messages.success(request, _("The commitment is marked as done."))
    return redirect("team:appraisal", pk=commitment.appraisal_id)
