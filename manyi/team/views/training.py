"""Training and certification pages (002 第七章) and the training evaluation (003 P-055/056)."""

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
from manyi.org.scopes import scope_for
from manyi.pagination import parse_cursor
from manyi.team.actions import training as actions
from manyi.team.actions.common import pick_version, team_staff, today
from manyi.team.builtin import TRAINING_CODE
from manyi.team.forms import (
    CourseForm,
    EvaluationSessionForm,
    ParticipantsForm,
    ResultForm,
    RevokeForm,
    SessionForm,
)
from manyi.team.models import Enrolment
from manyi.team.queries import training as queries
from manyi.team.views.common import managed_units, unit_from


def _read(request: HttpRequest):
    scope = scope_for(request.user)
    if not queries.can_read(scope):
        raise OutOfScope()
    return scope


@login_required
def training_home(request: HttpRequest) -> HttpResponse:
    """Courses of the company, with links to certificates and expiring licences."""
    scope = _read(request)
    context = {
        "courses": queries.courses(scope),
        "runs": queries.runs_training(scope),
        "expiring": len(queries.expiring_licences(scope, today())),
    }
    return render(request, "team/training.html", context)


def _course_initial(course=None) -> dict:
    if course is None:
        minimums = actions.DEFAULT_STAR_MINIMUMS
        return {f"star_{n}": m for n, m in zip((2, 3, 4, 5), minimums, strict=True)}
    initial = {
        field: getattr(course, field)
        for field in (
            "code",
            "name",
            "description",
            "theory_weight",
            "theory_pass",
            "practical_pass",
            "valid_months",
            "grants_licence",
            "is_active",
        )
    }
    for n, m in zip((2, 3, 4, 5), course.star_minimums, strict=True):
        initial[f"star_{n}"] = m
    return initial


@login_required
def course_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add or change a course and its pass rules."""
    scope = actions.training_scope(request.user)
    course = queries.get_course(scope, pk) if pk else None
    form = CourseForm(request.POST or None, initial=_course_initial(course))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if course is None:
                    course = actions.create_course(actor=request.user, data=form.data_for_action())
                else:
                    actions.update_course(
                        actor=request.user, course=course, data=form.data_for_action()
                    )
            except (NotFound, OutOfScope):
                raise
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The course was saved."))
                return redirect("team:course", pk=course.pk)
    return render(request, "team/course_form.html", {"form": form, "course": course}, status=status)


@login_required
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A course: its rules, sessions, and what its evaluations say."""
    scope = _read(request)
    course = queries.get_course(scope, pk)
    context = {
        "course": course,
        "sessions": queries.sessions_of(course, scope),
        "summary": queries.evaluation_summary(course),
        "evaluations": queries.evaluations_of(course)[:10],
        "runs": queries.runs_training(scope),
    }
    return render(request, "team/course_detail.html", context)


@login_required
def session_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Schedule a session of a course (htmx reloads the participants when the unit changes)."""
    scope = actions.training_scope(request.user)
    course = queries.get_course(scope, pk)
    units = list(managed_units(scope))
    data = request.POST if request.method == "POST" else None
    unit = unit_from(scope, (data or request.GET).get("unit")) or (units[0] if units else None)
    staff = list(team_staff(scope, unit)) if unit else []
    form = SessionForm(data, units=units, staff=staff, initial={"unit": unit.pk if unit else None})
    if request.htmx and request.method == "GET":
        return render(request, "team/_session_participants.html", {"form": form})
    status = 200
    if data is not None:
        status = 400
        if form.is_valid():
            try:
                session = actions.schedule_session(
                    actor=request.user,
                    course=course,
                    unit=unit,
                    starts_on=form.cleaned_data["starts_on"],
                    ends_on=form.cleaned_data["ends_on"],
                    place=form.cleaned_data["place"],
                    trainer=form.cleaned_data["trainer"],
                    participants=form.cleaned_data["participants"],
                )
            except (NotFound, OutOfScope):
                raise
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The session was scheduled."))
                return redirect("team:session", pk=session.pk)
    return render(
        request, "team/session_form.html", {"form": form, "course": course}, status=status
    )


def _session_context(request, scope, session, forms=None) -> dict:
    enrolments = queries.enrolments_of(session)
    enrolled = {e.staff_id for e in enrolments}
    runs = queries.runs_training(scope)
    candidates = (
        [s for s in team_staff(scope, session.unit) if s.pk not in enrolled] if runs else []
    )
    forms = forms or {}
    return {
        "session": session,
        "rows": [(e, forms.get(e.pk) or _result_form(e)) for e in enrolments],
        "runs": runs,
        "add_form": ParticipantsForm(staff=candidates) if candidates else None,
    }


def _result_form(enrolment: Enrolment, data=None) -> ResultForm:
    initial = {
        "attended": "1" if enrolment.attended is not False else "0",
        "theory_score": enrolment.theory_score,
        "practical_score": enrolment.practical_score,
    }
    return ResultForm(data, initial=initial, prefix=f"e{enrolment.pk}")


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A session's participants: attendance and exam results, pass, star grade, certificate."""
    scope = _read(request)
    session = queries.get_session(scope, pk)
    return render(request, "team/session_detail.html", _session_context(request, scope, session))


@login_required
@require_POST
def session_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Enrol more participants."""
    scope = actions.training_scope(request.user)
    session = queries.get_session(scope, pk)
    form = ParticipantsForm(request.POST, staff=team_staff(scope, session.unit))
    if form.is_valid():
        actions.add_participants(
            actor=request.user, session=session, participants=form.cleaned_data["participants"]
        )
        messages.success(request, _("The participants were added."))
    else:
        messages.error(request, _("Choose at least one participant."))
    return redirect("team:session", pk=session.pk)


@login_required
@require_POST
def result_record(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    """One participant's result (htmx: only their row comes back)."""
    scope = actions.training_scope(request.user)
    session = queries.get_session(scope, pk)
    enrolment = Enrolment.objects.filter(pk=enrolment_pk, session=session).first()
    if enrolment is None:
        raise NotFound()
    form = _result_form(enrolment, request.POST)
    status = 400
    if form.is_valid():
        try:
            enrolment = actions.record_result(
                actor=request.user, enrolment=enrolment, **form.cleaned_data
            )
        except (NotFound, OutOfScope):
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            status = 200
            if not request.htmx:
                messages.success(request, _("The result was recorded."))
                return redirect("team:session", pk=session.pk)
            enrolment = next(e for e in queries.enrolments_of(session) if e.pk == enrolment.pk)
            form = _result_form(enrolment)
    if request.htmx:
        context = {"e": enrolment, "form": form, "runs": True, "session": session}
        return render(request, "team/_enrolment_row.html", context, status=status)
    return render(
        request,
        "team/session_detail.html",
        _session_context(request, scope, session, {enrolment.pk: form}),
        status=status,
    )


@login_required
def certificate_list(request: HttpRequest) -> HttpResponse:
    """Certificates of the staff in view (a person's own always), newest first."""
    scope = scope_for(request.user)
    state = request.GET.get("state", "")
    state = state if state in ("valid", "expired", "revoked") else ""
    page = queries.certificate_list(
        scope, state=state, on=today(), after=parse_cursor(request.GET.get("after"))
    )
    context = {"page": page, "state": state, "today": today()}
    template = "team/_certificate_rows.html" if request.htmx else "team/certificate_list.html"
    return render(request, template, context)


@login_required
def certificate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A certificate, and the form to revoke it (company training managers)."""
    scope = scope_for(request.user)
    certificate = queries.get_certificate(scope, pk)
    form = RevokeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                actions.revoke_certificate(
                    actor=request.user, certificate=certificate, reason=form.cleaned_data["reason"]
                )
            except (NotFound, OutOfScope):
                raise
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The certificate was revoked."))
                return redirect("team:certificate", pk=pk)
    context = {
        "certificate": certificate,
        "valid": certificate.is_valid(today()),
        "form": form if queries.runs_training(scope) and certificate.revoked_at is None else None,
    }
    return render(request, "team/certificate_detail.html", context, status=status)


@login_required
def licences_expiring(request: HttpRequest) -> HttpResponse:
    """Work licences ending within 30 days: book retakes in time."""
    scope = scope_for(request.user)
    day = today()
    context = {
        "certificates": queries.expiring_licences(scope, day),
        "today": day,
        "days": actions.EXPIRY_NOTICE_DAYS,
    }
    return render(request, "team/licences_expiring.html", context)


@login_required
def course_evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    """The training evaluation form (003 P-055/056) for a course or one of its sessions."""
    scope = scope_for(request.user)
    course, sessions = queries.evaluable(scope, pk)
    version = pick_version(scope, InstrumentKind.TRAINING_EVALUATION, TRAINING_CODE, None)
    definition = definition_for(version)
    picker = EvaluationSessionForm(request.POST or None, sessions=sessions)
    answers, errors, status = {}, {}, 200
    if request.method == "POST":
        answers = answers_from_form(definition, request.POST)
        session = request.POST.get("session") or None
        try:
            evaluation = actions.evaluate_training(
                actor=request.user, course=course, session=session, answers=answers
            )
        except InvalidInput as exc:
            errors, status = dict(e for e in exc.field_errors() if e[0]), 400
            if not errors or "session" in errors:
                messages.error(request, str(exc.message))
        else:
            messages.success(request, _("The evaluation was recorded."))
            return redirect("team:evaluation", pk=evaluation.pk)
    context = {
        "course": course,
        "picker": picker,
        "instrument": version.instrument,
        "answer_form": answer_form(definition, answers, errors),
        "has_errors": bool(errors),
    }
    return render(request, "team/evaluation_form.html", context, status=status)


@login_required
def evaluation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One evaluation: total, grade, the items answered low."""
    scope = scope_for(request.user)
    evaluation = queries.get_evaluation(scope, pk)
    definition = definition_for(evaluation.version)
    low = [
        (item.number, item.text, evaluation.answers.get(item.code))
        for item in definition.items
        if isinstance(evaluation.answers.get(item.code), int) and evaluation.answers[item.code] <= 2
    ]
    context = {"evaluation": evaluation, "low": low, "bands": definition.bands}
    return render(request, "team/evaluation_detail.html", context)
