"""Improvement pages: the problem list, a problem with its plan, measures and sessions, the
action list ("my actions", overdue first) and one action with its evidence.

Every form calls one action; a refusal is shown next to the fields (or, for the buttons, as a
message by the error middleware). Sessions have their own module (``views_sessions``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from manyi.errors import Conflict, DomainError, InvalidInput, NotFound, OutOfScope
from manyi.forms import add_domain_error
from manyi.improvement import actions, queries
from manyi.improvement import session_actions as sessions
from manyi.improvement.forms import (
    ActionEditForm,
    ActionForm,
    CloseForm,
    CompleteForm,
    MeasureForm,
    OwnerForm,
    ProblemEditForm,
    ProblemForm,
    ReasonForm,
    ResultForm,
    SessionForm,
)
from manyi.improvement.models import ActionItem, Idea, Measure, Problem
from manyi.improvement.sources import SourceRef, get_kind, options_for, resolve
from manyi.org.models import Unit
from manyi.org.scopes import Perm, Scope, scope_for


def _scope(request: HttpRequest) -> Scope:
    scope = scope_for(request.user)
    if not queries.can_view(scope):
        raise OutOfScope()
    return scope


def _manages(scope: Scope, unit: Unit) -> bool:
    return scope.can(Perm.MANAGE_IMPROVEMENT) and scope.covers(unit)


# -- problems --------------------------------------------------------------------------------


@login_required
def problem_list(request: HttpRequest) -> HttpResponse:
    """Problems in the user's units (active by default), newest first; live sessions above."""
    scope = _scope(request)
    filters = queries.ProblemFilters.from_params(request.GET)
    page = queries.problem_page(scope, filters, after=request.GET.get("after"))
    query = QueryDict(mutable=True)
    query.update(filters.as_query())
    context = {
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "statuses": Problem._meta.get_field("status").choices,
    }
    if request.htmx:
        return render(request, "improvement/_problem_list_results.html", context)
    context.update(
        live=queries.live_sessions(scope),
        overdue=queries.overdue_count(scope),
        can_raise=scope.can(Perm.RAISE_PROBLEMS),
    )
    return render(request, "improvement/problem_list.html", context)


def _source_from(data: Any) -> SourceRef | None:
    kind = (data.get("source_kind") or "").strip()
    if not kind:
        return None
    return SourceRef(
        kind=kind,
        id=(data.get("source_id") or "").strip(),
        label=(data.get("source_label") or "").strip(),
    )


@login_required
def problem_new(request: HttpRequest) -> HttpResponse:
    """Raise a problem; ``?source_kind=…&source_id=…`` links it to where it came from."""
    scope = scope_for(request.user)
    scope.require(Perm.RAISE_PROBLEMS)
    units = queries.units_for_problems(scope)
    initial: dict[str, Any] = {"unit": scope.unit_id}
    source_preview = None
    if request.method == "GET":
        source = _source_from(request.GET)
        if source is not None:
            initial.update(source_kind=source.kind, source_id=source.id, source_label=source.label)
            try:
                source_preview = resolve(scope, source)
            except DomainError:
                source_preview = None
            else:
                initial["title"] = source_preview.label[:200]
                if source_preview.unit_id:
                    initial["unit"] = source_preview.unit_id
    form = ProblemForm(request.POST or None, initial=initial, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            problem = actions.raise_problem(
                actor=request.user,
                title=data["title"],
                description=data["description"],
                unit=data["unit"],
                source=_source_from(data),
            )
        except (InvalidInput, Conflict) as exc:
            add_domain_error(form, exc)
            if exc.field in ("source",):
                form.add_error("source_id", str(exc.message))
        else:
            messages.success(request, _("The problem was raised."))
            return redirect("improvement:problem", problem.pk)
    return render(
        request,
        "improvement/problem_form.html",
        {"form": form, "source_preview": source_preview},
    )


def _problem_context(request: HttpRequest, problem: Problem, scope: Scope, bound: dict) -> dict:
    unit = problem.unit
    manages = _manages(scope, unit) and problem.is_active
    plan = queries.problem_actions(problem)
    session_list = queries.problem_sessions(problem)
    context: dict[str, Any] = {
        "problem": problem,
        "plan": plan,
        "sessions": session_list,
        "measures": list(problem.measures.all()),
        "manages": manages,
        "can_reopen": _manages(scope, unit) and not problem.is_active,
        "blockers": actions.closure_blockers(problem) if problem.is_active else [],
        "today": queries.clock_today(),
        "source_kind_label": get_kind(problem.source_kind).label
        if get_kind(problem.source_kind)
        else problem.source_kind,
    }
    if manages:
        owners = queries.eligible_owners(unit)
        ideas = list(
            Idea.objects.filter(
                session__problem=problem, number__isnull=False, set_aside=False
            ).order_by("session_id", "number")[:100]
        )
        idea_initial = bound.get("idea_pick")
        context.update(
            owner_form=bound.get("owner")
            or OwnerForm(
                owners=queries.eligible_owners(unit, managers_only=True),
                initial={"owner": problem.owner_id},
            ),
            action_form=bound.get("action")
            or ActionForm(
                owners=owners,
                ideas=ideas,
                standards=options_for("standard", scope),
                initial={"idea": idea_initial, "title": bound.get("idea_title", "")},
            ),
            measure_form=bound.get("measure") or MeasureForm(),
            result_form=ResultForm(),
            session_form=bound.get("session") or SessionForm(),
            close_form=CloseForm(),
            reason_form=ReasonForm(),
            edit_form=bound.get("edit")
            or ProblemEditForm(
                initial={"title": problem.title, "description": problem.description}
            ),
        )
    if context["can_reopen"]:
        context["reason_form"] = ReasonForm()
    return context


def _get_problem(request: HttpRequest, pk: int) -> tuple[Scope, Problem]:
    scope = _scope(request)
    return scope, queries.get_problem(scope, pk)


@login_required
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope, problem = _get_problem(request, pk)
    bound: dict[str, Any] = {}
    idea_pk = request.GET.get("idea")
    if idea_pk:
        idea = Idea.objects.filter(pk=_int(idea_pk), session__problem=problem).first()
        if idea is not None:
            bound = {"idea_pick": idea.pk, "idea_title": idea.text[:200]}
    context = _problem_context(request, problem, scope, bound)
    return render(request, "improvement/problem_detail.html", context)


def _int(raw: Any) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**63 else None


def _redisplay(
    request: HttpRequest, problem: Problem, scope: Scope, key: str, form
) -> HttpResponse:
    context = _problem_context(request, problem, scope, {key: form})
    context["open_form"] = key
    return render(request, "improvement/problem_detail.html", context, status=422)


@login_required
@require_POST
def problem_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope, problem = _get_problem(request, pk)
    form = ProblemEditForm(request.POST)
    if form.is_valid():
        try:
            actions.update_problem(actor=request.user, problem=problem, **form.cleaned_data)
        except InvalidInput as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The problem was saved."))
            return redirect("improvement:problem", problem.pk)
    return _redisplay(request, problem, scope, "edit", form)


@login_required
@require_POST
def problem_owner(request: HttpRequest, pk: int) -> HttpResponse:
    scope, problem = _get_problem(request, pk)
    form = OwnerForm(request.POST, owners=queries.eligible_owners(problem.unit, managers_only=True))
    if form.is_valid():
        try:
            actions.assign_problem_owner(
                actor=request.user, problem=problem, owner=form.cleaned_data["owner"]
            )
        except InvalidInput as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The problem owner was changed."))
            return redirect("improvement:problem", problem.pk)
    return _redisplay(request, problem, scope, "owner", form)


@login_required
@require_POST
def problem_close(request: HttpRequest, pk: int) -> HttpResponse:
    _scope_, problem = _get_problem(request, pk)
    form = CloseForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    actions.close_problem(actor=request.user, problem=problem, note=note)
    messages.success(request, _("The problem was closed."))
    return redirect("improvement:problem", problem.pk)


@login_required
@require_POST
def problem_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    _scope_, problem = _get_problem(request, pk)
    actions.reopen_problem(actor=request.user, problem=problem, reason=request.POST.get("reason"))
    messages.success(request, _("The problem was reopened."))
    return redirect("improvement:problem", problem.pk)


@login_required
@require_POST
def problem_drop(request: HttpRequest, pk: int) -> HttpResponse:
    _scope_, problem = _get_problem(request, pk)
    actions.drop_problem(actor=request.user, problem=problem, reason=request.POST.get("reason"))
    messages.success(request, _("The problem was dropped."))
    return redirect("improvement:problem", problem.pk)


@login_required
@require_POST
def measure_add(request: HttpRequest, pk: int) -> HttpResponse:
    scope, problem = _get_problem(request, pk)
    form = MeasureForm(request.POST)
    if form.is_valid():
        try:
            actions.add_measure(actor=request.user, problem=problem, **form.cleaned_data)
        except InvalidInput as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The measure was added."))
            return redirect(reverse("improvement:problem", args=[problem.pk]) + "#measures")
    return _redisplay(request, problem, scope, "measure", form)


@login_required
@require_POST
def measure_result(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _scope(request)
    measure = (
        Measure.objects.filter(problem__in=queries.visible_problems(scope), pk=pk)
        .select_related("problem")
        .first()
    )
    if measure is None:
        raise NotFound()
    form = ResultForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a number."))
    else:
        actions.record_measure_result(
            actor=request.user, measure=measure, result=form.cleaned_data["result"]
        )
        messages.success(request, pgettext("measure", "The result was recorded."))
    return redirect(reverse("improvement:problem", args=[measure.problem_id]) + "#measures")


def _standard_ref(data: dict) -> SourceRef | None:
    standard_id = (data.get("standard_id") or "").strip()
    if not standard_id:
        return None
    return SourceRef("standard", standard_id, (data.get("standard_label") or "").strip())


@login_required
@require_POST
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    scope, problem = _get_problem(request, pk)
    ideas = list(Idea.objects.filter(session__problem=problem, number__isnull=False)[:100])
    form = ActionForm(
        request.POST,
        owners=queries.eligible_owners(problem.unit),
        ideas=ideas,
        standards=options_for("standard", scope),
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.add_action(
                actor=request.user,
                problem=problem,
                title=data["title"],
                owner=data["owner"],
                due_on=data["due_on"],
                description=data["description"],
                idea=data.get("idea"),
                standard=_standard_ref(data),
            )
        except InvalidInput as exc:
            add_domain_error(form, exc)
            if exc.field == "standard":
                form.add_error("standard_id", str(exc.message))
        else:
            messages.success(request, _("The action was added to the plan."))
            return redirect(reverse("improvement:problem", args=[problem.pk]) + "#plan")
    return _redisplay(request, problem, scope, "action", form)


@login_required
@require_POST
def session_start(request: HttpRequest, pk: int) -> HttpResponse:
    scope, problem = _get_problem(request, pk)
    form = SessionForm(request.POST)
    if form.is_valid():
        try:
            session = sessions.start_session(
                actor=request.user, problem=problem, **form.cleaned_data
            )
        except InvalidInput as exc:
            add_domain_error(form, exc)
        else:
            return redirect("improvement:session", session.pk)
    return _redisplay(request, problem, scope, "session", form)


# -- actions ---------------------------------------------------------------------------------


@login_required
def action_list(request: HttpRequest) -> HttpResponse:
    """My actions, overdue first; managers may look at everyone's in their units."""
    scope = _scope(request)
    everyone = request.GET.get("who") == "all" and scope.can(Perm.MANAGE_IMPROVEMENT)
    board = queries.action_board(scope, everyone=everyone)
    return render(
        request,
        "improvement/action_list.html",
        {
            "board": board,
            "everyone": everyone,
            "can_see_all": scope.can(Perm.MANAGE_IMPROVEMENT),
            "empty": not (board.overdue or board.pending or board.finished),
        },
    )


def _action_context(request: HttpRequest, action: ActionItem, scope: Scope, bound: dict) -> dict:
    unit = action.problem.unit
    manages = _manages(scope, unit) and action.problem.is_active
    is_owner = scope.staff_id is not None and action.owner_id == scope.staff_id
    context: dict[str, Any] = {
        "action": action,
        "problem": action.problem,
        "manages": manages,
        "can_work": (is_owner or manages) and action.is_pending and action.problem.is_active,
        "overdue": action.is_overdue(),
    }
    if context["can_work"]:
        context["complete_form"] = bound.get("complete") or CompleteForm()
    if manages and action.is_pending:
        context["edit_form"] = bound.get("edit") or ActionEditForm(
            owners=queries.eligible_owners(unit),
            standards=options_for("standard", scope),
            initial={
                "title": action.title,
                "owner": action.owner_id,
                "due_on": action.due_on,
                "description": action.description,
                "standard_id": action.standard_id,
                "standard_label": action.standard_label,
            },
        )
        context["cancel_form"] = ReasonForm()
    context["open_form"] = next(iter(bound), "")
    return context


def _get_action(request: HttpRequest, pk: int) -> tuple[Scope, ActionItem]:
    scope = _scope(request)
    return scope, queries.get_action(scope, pk)


@login_required
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope, action = _get_action(request, pk)
    return render(
        request, "improvement/action_detail.html", _action_context(request, action, scope, {})
    )


@login_required
@require_POST
def action_start(request: HttpRequest, pk: int) -> HttpResponse:
    _scope_, action = _get_action(request, pk)
    actions.start_action(actor=request.user, action=action)
    messages.success(request, _("The action is in progress."))
    return redirect(request.POST.get("next") or reverse("improvement:action", args=[pk]))


@login_required
@require_POST
def action_complete(request: HttpRequest, pk: int) -> HttpResponse:
    scope, action = _get_action(request, pk)
    form = CompleteForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data.get("file")
        file = None
        if upload:
            if upload.size > actions.MAX_EVIDENCE_BYTES:
                form.add_error("file", _("The file is empty or larger than 10 MB."))
            else:
                file = (upload.name, upload.read())
        if not form.errors:
            try:
                actions.complete_action(
                    actor=request.user,
                    action=action,
                    evidence_text=form.cleaned_data["evidence_text"],
                    file=file,
                )
            except InvalidInput as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The action is done."))
                return redirect("improvement:action", pk)
    context = _action_context(request, action, scope, {"complete": form})
    return render(request, "improvement/action_detail.html", context, status=422)


@login_required
@require_POST
def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope, action = _get_action(request, pk)
    form = ActionEditForm(
        request.POST,
        owners=queries.eligible_owners(action.problem.unit),
        standards=options_for("standard", scope),
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_action(
                actor=request.user,
                action=action,
                title=data["title"],
                owner=data["owner"],
                due_on=data["due_on"],
                description=data["description"],
                standard=_standard_ref(data),
            )
        except InvalidInput as exc:
            add_domain_error(form, exc)
            if exc.field == "standard":
                form.add_error("standard_id", str(exc.message))
        else:
            messages.success(request, _("The action was saved."))
            return redirect("improvement:action", pk)
    context = _action_context(request, action, scope, {"edit": form})
    return render(request, "improvement/action_detail.html", context, status=422)


@login_required
@require_POST
def action_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    _scope_, action = _get_action(request, pk)
    actions.cancel_action(actor=request.user, action=action, reason=request.POST.get("reason"))
    messages.success(request, _("The action was cancelled."))
    return redirect("improvement:action", pk)


@login_required
@require_POST
def action_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    _scope_, action = _get_action(request, pk)
    actions.reopen_action(actor=request.user, action=action)
    messages.success(request, _("The action is in progress again."))
    return redirect("improvement:action", pk)


@login_required
def action_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """The evidence file, only to those who may see the action (never a public media URL)."""
    _scope_, action = _get_action(request, pk)
    if not action.evidence_file:
        raise NotFound()
    response = FileResponse(
        action.evidence_file.open("rb"),
        content_type=action.evidence_type or "application/octet-stream",
        as_attachment=not action.evidence_is_image,
        filename=action.evidence_name or "evidence",
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
