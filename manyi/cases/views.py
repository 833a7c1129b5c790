"""Case pages: the department queue, a technician's day, the case page and its generic forms.

A workflow that needs more than the generic forms (the work order's visits, signature, checklist)
registers a :class:`Panel` for its kind, the same way it registers its workflow with the engine:
the case page includes the panel's template and asks it which generic forms a stage shows. The
dependency still points downward (``workorders`` → ``cases``); ``cases`` never names a kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi import clock
from manyi.cases import actions, queries
from manyi.cases.forms import (
    AssignForm,
    BulkReassignForm,
    CallForm,
    MoveForm,
    NoteForm,
    PauseForm,
    PhotoForm,
    ResumeForm,
)
from manyi.cases.models import Attachment, CallOutcome, Case, CaseEvent, EventKind
from manyi.cases.sla import calendar_warnings
from manyi.cases.workflow import workflows
from manyi.customers.queries import visible_customers
from manyi.errors import DomainError, NotFound, OutOfScope, StaleVersion
from manyi.forms import add_domain_error
from manyi.org.models import Role, Staff, UnitKind
from manyi.org.scopes import Perm, Scope, scope_for

# A deadline this close counts as "due soon" on the queue and the technician's list.
DUE_SOON = dt.timedelta(hours=24)
PAGE_SIZE = 25
GENERIC_FORMS = frozenset({"assign", "call", "note", "photo", "pause"})


@dataclass(frozen=True)
class Panel:
    """What a kind of case adds to the case page."""

    # Rendered inside the case page with the page's context (facts and stage forms).
    template: str
    # Extra context: (request, case, scope, bound forms) → dict.
    context: Callable[[HttpRequest, Case, Scope, dict], dict[str, Any]]
    # Moves the panel renders with its own forms (e.g. a checklist), not as plain buttons.
    own_moves: frozenset[str] = frozenset()
    # The generic forms shown at a stage.
    generic_forms: Callable[[str], frozenset[str]] = lambda stage: GENERIC_FORMS
    # Related rows loaded with the case (one-to-one records of the kind).
    related: tuple[str, ...] = ()
    # Phone numbers a technician taps to call: (label, number).
    contacts: Callable[[Case], list[tuple[str, str]]] = lambda case: []
    # Where the job is (shown on the technician's list).
    address: Callable[[Case], str] = lambda case: ""
    # Extra words for a timeline entry of the kind's own (e.g. the customer's evaluation).
    describe: Callable[[CaseEvent], list[str]] = lambda event: []
    extra: dict[str, Any] = field(default_factory=dict)


_PANELS: dict[str, Panel] = {}
_DEFAULT_PANEL = Panel(template="cases/_no_panel.html", context=lambda *a: {})


def register_panel(kind: str, panel: Panel) -> Panel:
    """Make a kind's case-page panel known (called at import of the kind's views)."""
    _PANELS[kind] = panel
    return panel


def panel_for(kind: str) -> Panel:
    return _PANELS.get(kind, _DEFAULT_PANEL)


def _related() -> list[str]:
    return sorted({name for panel in _PANELS.values() for name in panel.related})


# -- reading ----------------------------------------------------------------------------------


def get_case(scope: Scope, pk: Any) -> Case:
    """One case the scope may see, with its kind's records loaded, or NotFound."""
    case = queries.case_detail(scope, pk)
    prefetch_related_objects([case], *_related())
    return case


def assignable_staff(scope: Scope, case: Case | None = None) -> list[Staff]:
    """Licensed technicians of the scope (or of the case's outlet) who can log in."""
    qs = Staff.objects.filter(
        role=Role.TECHNICIAN, work_licence=True, user__is_active=True
    ).select_related("unit")
    if not scope.everything:
        qs = qs.filter(company_id=scope.company_id, unit__in=scope.units())
    today = timezone.localdate()
    staff = [s for s in qs.order_by("name") if s.has_valid_licence(today)]
    if case is not None:
        staff = [s for s in staff if s.unit.contains(case.unit)]
    return staff


def _due_state(case: Case, now: dt.datetime) -> str:
    if case.closed_at is not None or case.due_at is None:
        return ""
    if case.paused_at is not None:
        return "paused"
    if case.due_at < now:
        return "overdue"
    if case.due_at < now + DUE_SOON:
        return "soon"
    return ""


def _query(params: Any) -> dict[str, str]:
    """The queue's filters as they stand in the URL (kept across pages and after a bulk move)."""
    keys = ("stage", "outlet", "assignee", "due")
    return {k: str(params.get(k)) for k in keys if params.get(k)}


def _auto(name: str) -> str:
    """Field ids of one form on a page that shows many (``id_call-note``, …)."""
    return f"id_{name.replace(':', '-')}-%s"


def _open_stages() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for workflow in workflows():
        for stage in workflow.stages:
            if not stage.closed:
                seen.setdefault(stage.code, str(stage.label))
    return list(seen.items())


# -- the queue --------------------------------------------------------------------------------


@login_required
def case_queue(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_CASES)
    filters = queries.QueueFilters.from_params(request.GET)
    page = queries.queue_page(scope, filters, cursor=request.GET.get("after"), size=PAGE_SIZE)
    rows = [(case, _due_state(case, page.now)) for case in page.items]
    can_bulk = scope.can(Perm.ASSIGN_CASES)
    technicians = assignable_staff(scope)
    context = {
        "page": page,
        "rows": rows,
        "filters": filters,
        "query": _query(request.GET),
        "can_bulk": can_bulk,
        "technicians": technicians,
        "bulk_form": BulkReassignForm(staff=technicians) if can_bulk else None,
        "outlets": list(scope.units().filter(kind=UnitKind.OUTLET).order_by("path")),
        "stages": _open_stages(),
        "due_windows": [
            ("overdue", _("Overdue")),
            ("today", _("Due today")),
            ("week", _("Due within 7 days")),
        ],
    }
    if request.htmx and request.htmx.target == "queue-results":
        return render(request, "cases/_case_queue_results.html", context)
    return render(request, "cases/case_queue.html", context)


@login_required
@require_POST
def bulk_reassign(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    scope.require(Perm.ASSIGN_CASES)
    staff = assignable_staff(scope)
    ids = [v for v in request.POST.getlist("cases") if v.isdigit()]
    form = BulkReassignForm(request.POST, staff=staff, case_ids=ids)
    back = request.POST.get("next") or ""
    back = back if back.startswith("/cases/") else "/cases/"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    assignee = next(s for s in staff if s.pk == form.cleaned_data["assignee"])
    try:
        changed = actions.bulk_reassign(
            actor=request.user,
            cases=form.cleaned_data["cases"],
            assignee=assignee,
            reason=form.cleaned_data["reason"],
        )
    except (NotFound, OutOfScope):
        raise
    except DomainError as exc:
        for _field, message in exc.field_errors() or [(None, exc.message)]:
            messages.error(request, message)
        return redirect(back)
    messages.success(
        request, _("%(n)d cases handed over to %(name)s.") % {"n": changed, "name": assignee.name}
    )
    return redirect(back)


# -- the technician's day ---------------------------------------------------------------------


@login_required
def case_mine(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    scope.require(Perm.WORK_CASES)
    jobs = queries.my_jobs(scope)
    every = [*jobs.overdue, *jobs.today, *jobs.next]
    prefetch_related_objects(every, *_related())

    def items(cases: list[Case]) -> list[dict[str, Any]]:
        return [
            {
                "case": case,
                "state": _due_state(case, jobs.now),
                "contacts": panel_for(case.kind).contacts(case),
                "address": panel_for(case.kind).address(case),
                "moves": [
                    (move, _auto(move.code))
                    for move in queries.allowed_moves(case, scope)
                    if move.code not in panel_for(case.kind).own_moves
                    and not case.workflow.stage(move.target).closed
                ],
            }
            for case in cases
        ]

    sections = {
        "overdue": items(jobs.overdue),
        "today": items(jobs.today),
        "next": items(jobs.next),
    }
    context = {
        "sections": [
            ("overdue", _("Overdue"), sections["overdue"]),
            ("today", _("Today"), sections["today"]),
            ("next", _("Next"), sections["next"]),
        ],
        "show_phone": scope.can(Perm.VIEW_PHONE),
        "total": sum(len(v) for v in sections.values()),
    }
    return render(request, "cases/case_mine.html", context)


# -- the case page ----------------------------------------------------------------------------


def _actor_name(event: CaseEvent) -> str:
    actor = event.actor
    if actor is None:
        return ""
    staff = getattr(actor, "staff", None)
    return staff.name if staff else actor.get_username()


def _when(value: str | None) -> str:
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _describe(case: Case, event: CaseEvent, panel: Panel) -> list[str]:
    data = event.data or {}
    workflow = case.workflow

    def stage_label(code: str | None) -> str:
        try:
            return str(workflow.stage(code).label) if code else ""
        except KeyError:
            return code or ""

    lines: list[str] = []
    kind = event.kind
    if kind == EventKind.OPENED:
        lines.append(stage_label(data.get("stage")))
    elif kind == EventKind.MOVE:
        move = workflow.move(data.get("move", ""))
        label = str(move.label) if move else data.get("move", "")
        lines.append(
            f"{label}: {stage_label(data.get('source'))} → {stage_label(data.get('target'))}"
        )
    elif kind == EventKind.ASSIGN:
        previous = data.get("previous")
        name = data.get("assignee", "")
        lines.append(f"{previous} → {name}" if previous else name)
    elif kind == EventKind.CALL:
        party = _("Installer") if data.get("party") == "installer" else _("Customer")
        outcome = dict(CallOutcome.choices).get(data.get("outcome"), data.get("outcome", ""))
        lines.append(f"{party} · {outcome}")
    elif kind == EventKind.VISIT:
        lines.append(_("Step: %(step)s") % {"step": data.get("step", "")})
        if data.get("products"):
            lines.append(_("Products: %(p)s") % {"p": data["products"]})
        if data.get("mix_ratio"):
            lines.append(_("Mix ratio: %(r)s") % {"r": data["mix_ratio"]})
        lines.append(
            _("Customer informed") if data.get("customer_informed") else _("Customer not informed")
        )
    elif kind == EventKind.NOTE and data.get("first_visit_at"):
        lines.append(_when(data["first_visit_at"]))
    elif kind == EventKind.RESUME:
        lines.append(_("New deadline: %(at)s") % {"at": _when(data.get("due_at"))})
    elif kind == EventKind.BREACH:
        lines.append(
            _("%(stage)s was due %(at)s")
            % {"stage": stage_label(data.get("stage")), "at": _when(data.get("due_at"))}
        )
    lines.extend(panel.describe(event))
    return [line for line in lines if line]


def _timeline(case: Case, panel: Panel) -> list[dict[str, Any]]:
    events = queries.case_timeline(case)
    return [
        {
            "event": event,
            "kind": event.kind,
            "title": event.get_kind_display(),
            "lines": _describe(case, event, panel),
            "actor": _actor_name(event),
            "attachments": list(event.attachments.all()),
        }
        for event in events
    ]


def _generic_forms(scope: Scope, case: Case, panel: Panel, bound: dict) -> dict[str, Any]:
    """The generic forms this user gets at this stage (bound ones keep their errors)."""
    if case.closed_at is not None or not scope.can(Perm.WORK_CASES):
        return {}
    # A posted form is shown again (with its errors) even where the stage would not offer it.
    wanted = panel.generic_forms(case.stage) | set(bound)
    initial = {"version": case.version}
    result: dict[str, Any] = {}
    if "assign" in wanted and scope.can(Perm.ASSIGN_CASES) and scope.covers(case.unit):
        result["assign"] = bound.get("assign") or AssignForm(
            auto_id=_auto("assign"),
            staff=assignable_staff(scope, case),
            initial={**initial, "assignee": case.assignee_id},
        )
    if "call" in wanted:
        result["call"] = bound.get("call") or CallForm(auto_id=_auto("call"), initial=initial)
    if "photo" in wanted:
        result["photo"] = bound.get("photo") or PhotoForm(auto_id=_auto("photo"), initial=initial)
    if "note" in wanted:
        result["note"] = bound.get("note") or NoteForm(auto_id=_auto("note"), initial=initial)
    if "pause" in wanted and case.stage_def.pausable and case.due_at is not None:
        if case.paused_at is None:
            result["pause"] = bound.get("pause") or PauseForm(
                auto_id=_auto("pause"), initial=initial
            )
        else:
            result["resume"] = ResumeForm(auto_id=_auto("resume"), initial=initial)
    return result


def render_case_page(
    request: HttpRequest, case: Case, *, bound: dict | None = None, status: int = 200
) -> HttpResponse:
    """The case page; ``bound`` holds submitted forms to show again with their errors."""
    scope = scope_for(request.user)
    bound = bound or {}
    now = clock.now()
    panel = panel_for(case.kind)
    moves = [m for m in queries.allowed_moves(case, scope) if m.code not in panel.own_moves]
    move_forms = [
        (
            m,
            bound.get(f"move:{m.code}")
            or MoveForm(auto_id=_auto(m.code), initial={"version": case.version}),
            case.workflow.stage(m.target).closed,
        )
        for m in moves
    ]
    context = {
        "case": case,
        "state": _due_state(case, now),
        "warnings": calendar_warnings(case.unit, case.stage_entered_at, case.due_at),
        "timeline": _timeline(case, panel),
        "forms": _generic_forms(scope, case, panel, bound),
        "move_forms": move_forms,
        "show_phone": scope.can(Perm.VIEW_PHONE),
        "panel_template": panel.template,
        "scope": scope,
        "stages": [s for s in case.workflow.stages if not s.closed or s.code == case.stage],
    }
    context.update(panel.context(request, case, scope, bound))
    return render(request, "cases/case_detail.html", context, status=status)


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_CASES)
    return render_case_page(request, get_case(scope, pk))


def check_version(case: Case, form: django_forms.Form) -> None:
    """Refuse a form from a page older than the case (the action re-checks under its lock)."""
    if form.cleaned_data.get("version") != case.version:
        raise StaleVersion()


def handle(
    request: HttpRequest,
    pk: int,
    name: str,
    form_class: type[django_forms.Form],
    perform: Callable[[Case, dict], Any],
    success: str,
    *,
    perm: Perm = Perm.WORK_CASES,
    form_kwargs: Callable[[Scope, Case], dict] | None = None,
) -> HttpResponse:
    """The shape of every case form: scoped case, parse, one action, back to the case page.

    A refusal is shown next to the fields on the case page itself (status 400; 409 if stale).
    """
    scope = scope_for(request.user)
    scope.require(perm)
    case = get_case(scope, pk)
    kwargs = form_kwargs(scope, case) if form_kwargs else {}
    form = form_class(request.POST, request.FILES, auto_id=_auto(name.split(":")[-1]), **kwargs)
    status = 400
    if form.is_valid():
        try:
            check_version(case, form)
            perform(case, form.cleaned_data)
        except (NotFound, OutOfScope):
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            messages.success(request, success)
            return redirect("cases:detail", pk=case.pk)
    return render_case_page(request, get_case(scope, pk), bound={name: form}, status=status)


@login_required
@require_POST
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(case: Case, data: dict) -> None:
        staff = {s.pk: s for s in assignable_staff(scope_for(request.user), case)}
        actions.assign(
            actor=request.user, case=case, assignee=staff[data["assignee"]], version=case.version
        )

    return handle(
        request,
        pk,
        "assign",
        AssignForm,
        perform,
        _("Assigned."),
        perm=Perm.ASSIGN_CASES,
        form_kwargs=lambda scope, case: {"staff": assignable_staff(scope, case)},
    )


@login_required
@require_POST
def case_call(request: HttpRequest, pk: int) -> HttpResponse:
    return handle(
        request,
        pk,
        "call",
        CallForm,
        lambda case, data: actions.log_call(
            actor=request.user,
            case=case,
            outcome=data["outcome"],
            party=data["party"],
            note=data["note"],
        ),
        _("The call was logged."),
    )


@login_required
@require_POST
def case_note(request: HttpRequest, pk: int) -> HttpResponse:
    return handle(
        request,
        pk,
        "note",
        NoteForm,
        lambda case, data: actions.add_note(actor=request.user, case=case, text=data["text"]),
        _("The note was added."),
    )


@login_required
@require_POST
def case_photo(request: HttpRequest, pk: int) -> HttpResponse:
    return handle(
        request,
        pk,
        "photo",
        PhotoForm,
        lambda case, data: actions.add_photo(
            actor=request.user, case=case, data=data["file"].read(), caption=data["caption"]
        ),
        _("The photo was added."),
    )


@login_required
@require_POST
def case_pause(request: HttpRequest, pk: int) -> HttpResponse:
    return handle(
        request,
        pk,
        "pause",
        PauseForm,
        lambda case, data: actions.pause_clock(
            actor=request.user, case=case, reason=data["reason"], version=data["version"]
        ),
        _("The clock is paused."),
    )


@login_required
@require_POST
def case_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return handle(
        request,
        pk,
        "resume",
        ResumeForm,
        lambda case, data: actions.resume_clock(
            actor=request.user, case=case, version=data["version"]
        ),
        _("The clock runs again."),
    )


@login_required
@require_POST
def case_move(request: HttpRequest, pk: int, move: str) -> HttpResponse:
    def perform(case: Case, data: dict) -> None:
        note = data.get("note") or ""
        actions.move(
            actor=request.user,
            case=case,
            move=move,
            version=data["version"],
            payload={"reason": note},
            note=note,
        )

    step = get_case(scope_for(request.user), pk).workflow.move(move)
    done = _("%(step)s: done.") % {"step": step.label} if step else ""
    return handle(request, pk, f"move:{move}", MoveForm, perform, done)


# -- files and fragments ----------------------------------------------------------------------


@login_required
def attachment(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """A case's file, only to those who may see the case (never a public media URL)."""
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_CASES)
    case = get_case(scope, pk)
    found = Attachment.objects.filter(case=case, pk=attachment_pk).first()
    if found is None:
        raise NotFound()
    response = FileResponse(found.file.open("rb"), content_type=found.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def for_customer(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """A customer's cases, as a fragment for the customer's page (loaded with htmx)."""
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_CASES)
    try:
        customer = visible_customers(scope).get(pk=customer_pk)
    except Exception as exc:  # DoesNotExist, bad ids
        raise NotFound() from exc
    now = clock.now()
    cases = list(
        actions.visible_cases(scope)
        .filter(customer=customer)
        .select_related("assignee")
        .order_by("-opened_at")[:50]
    )
    rows = [(case, _due_state(case, now)) for case in cases]
    return render(request, "cases/_customer_cases.html", {"rows": rows, "customer": customer})
