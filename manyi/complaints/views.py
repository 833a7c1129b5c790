"""Complaint pages: intake (接单) with the emotional-care script, the complaint list, and the
complaint's part of the case page.

The case page itself is the engine's (``cases.views``); this module registers the complaint's
:class:`~manyi.cases.views.Panel` (its facts, the forms of each stage, the words beside them)
and serves those forms. Each form calls one action and, when refused, shows the case page again
with the reason next to the fields.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi import clock
from manyi.cases import actions as cases
from manyi.cases.models import Case, CaseEvent
from manyi.cases.views import Panel, _auto, _due_state, handle, register_panel
from manyi.complaints import actions, queries
from manyi.complaints.forms import (
    CallForm,
    DecisionForm,
    EscalateForm,
    ExecuteForm,
    ExperimentForm,
    FollowUpForm,
    IntakeForm,
    InvestigationForm,
    MergeForm,
    PrepareForm,
    ReassignForm,
    ResolutionForm,
    ReturnVisitForm,
    RulingForm,
    VisitForm,
)
from manyi.complaints.models import (
    Channel,
    Complaint,
    MajorReason,
    ResolutionStatus,
    Severity,
)
from manyi.complaints.policy import causes_for, compensation_limit_for
from manyi.complaints.scripts import intake_care, scripts_for
from manyi.complaints.workflow import (
    DISPATCH,
    FIELD,
    KIND,
    MANAGERS,
    PARTIES,
    RESOLUTION_STAGES,
    WORKFLOW,
)
from manyi.customers import queries as customer_queries
from manyi.errors import DomainError, NotFound, OutOfScope
from manyi.forms import add_domain_error
from manyi.org.models import Role, Staff, Unit, UnitKind
from manyi.org.scopes import Perm, Scope, scope_for

PAGE_SIZE = 25

# -- the panel on the case page -----------------------------------------------------------------

_GENERIC = {
    "intake": {"note"},
    "first_contact": {"note", "pause"},
    "preparation": {"note", "photo", "pause"},
    "investigation": {"note", "photo", "pause"},
    "ruling": {"note", "photo"},
    "resolution": {"note", "photo", "pause"},
    "follow_up": {"note", "pause"},
    "return_visit": {"note", "pause"},
}


def _may(scope: Scope, case: Case, roles, *, assignee_only: bool = True) -> bool:
    """Whether the user may take a complaint step (the rule of ``actions._require_role``)."""
    if not scope.can(Perm.WORK_CASES):
        return False
    if scope.everything:
        return True
    if scope.role not in roles:
        return False
    return not assignee_only or case.assignee_id == scope.staff_id or scope.role in MANAGERS


def handover_staff(scope: Scope, case: Case, complaint: Complaint) -> list[Staff]:
    """Who a complaint may be handed to: licensed technicians and managers who cover its outlet,
    never the person it is about."""
    from django.utils import timezone

    today = timezone.localdate()
    qs = Staff.objects.filter(
        company_id=case.company_id,
        user__is_active=True,
        role__in=(Role.TECHNICIAN, Role.OUTLET_MANAGER, Role.DEPARTMENT_HEAD),
        unit_id__in=case.unit.ancestor_ids(),
    ).select_related("unit")
    return [
        s
        for s in qs.order_by("name")
        if s.pk != complaint.about_staff_id
        and (s.role != Role.TECHNICIAN or s.has_valid_licence(today))
    ]


def _panel_context(request: HttpRequest, case: Case, scope: Scope, bound: dict) -> dict[str, Any]:
    complaint = (
        Complaint.objects.select_related(
            "cause", "about_staff", "merged_into__case", "source_case", "purchase"
        )
        .prefetch_related("watchers")
        .get(case=case)
    )
    complaint.case = case
    initial = {"version": case.version}
    stage = case.stage
    is_open = case.closed_at is None
    field = is_open and _may(scope, case, FIELD)
    dispatch = is_open and _may(scope, case, DISPATCH, assignee_only=False)
    manager = is_open and _may(scope, case, MANAGERS, assignee_only=False)
    resolutions = queries.resolutions_of(complaint)
    forms: dict[str, Any] = {}

    def form(name: str, cls, **kwargs):
        forms[name] = bound.get(name) or cls(auto_id=_auto(name), **kwargs)

    if field and stage in ("intake", "first_contact"):
        form("c_call", CallForm, initial=initial)
    if field and stage in ("first_contact", "preparation", "investigation"):
        form(
            "c_visit",
            VisitForm,
            initial={**initial, "at": complaint.visit_at, "place": complaint.visit_place},
        )
        if complaint.visit_at is None:
            forms["c_visit"].fields.pop("reason", None)  # a first booking needs no reason
    if field and stage in ("preparation", "investigation"):
        form(
            "c_prepare",
            PrepareForm,
            initial={**initial, "likely_cause": complaint.likely_cause, "tools": complaint.tools},
        )
    if field and stage == "investigation":
        form(
            "c_investigation",
            InvestigationForm,
            initial={
                **initial,
                "present": complaint.present or list(PARTIES),
                "findings": complaint.findings,
            },
        )
    if field and stage in ("investigation", "ruling"):
        form("c_experiment", ExperimentForm, initial=initial)
    if field and stage == "ruling":
        form(
            "c_ruling",
            RulingForm,
            initial={
                **initial,
                "responsibility": complaint.responsibility,
                "cause": complaint.cause_id,
            },
            causes=causes_for(case.company_id),
        )
    if field and stage in RESOLUTION_STAGES:
        form("c_resolution", ResolutionForm, initial=initial)
    if field and stage == "follow_up":
        form("c_follow_up", FollowUpForm, initial=initial)
    if dispatch and stage == "return_visit":
        form("c_return_visit", ReturnVisitForm, initial=initial)
    if is_open and scope.can(Perm.ASSIGN_CASES) and scope.covers(case.unit):
        form(
            "c_reassign",
            ReassignForm,
            initial=initial,
            staff=handover_staff(scope, case, complaint),
        )
    if field or dispatch:
        missing = [r for r in MajorReason.values if r not in complaint.major_reasons]
        if missing:
            form("c_escalate", EscalateForm, initial=initial)
            forms["c_escalate"].fields["reasons"].choices = [
                (v, label) for v, label in MajorReason.choices if v in missing
            ]
    candidates = queries.merge_candidates(scope, complaint) if dispatch else []
    if candidates:
        form("c_merge", MergeForm, initial=initial, candidates=candidates)
    pending = [r for r in resolutions if r.status == ResolutionStatus.PROPOSED]
    approved = [r for r in resolutions if r.status == ResolutionStatus.APPROVED]
    limit, limit_unit = compensation_limit_for(case.unit)
    preparation = (
        queries.preparation_for(complaint)
        if stage in ("first_contact", "preparation", "investigation")
        else None
    )
    return {
        "complaint": complaint,
        "panel_forms": forms,
        "complaint_scripts": scripts_for(
            stage,
            case.company.name,
            about_staff=complaint.about_staff_id is not None,
            installer=bool(complaint.installer_name or complaint.installer_phone),
        ),
        "resolutions": resolutions,
        "decide": [
            (r, bound.get("c_decision") or DecisionForm(initial={**initial, "resolution": r.pk}))
            for r in pending
        ]
        if manager
        else [],
        "can_decide": manager,
        "pending": pending,
        "execute": [
            (r, bound.get("c_execute") or ExecuteForm(initial={**initial, "resolution": r.pk}))
            for r in approved
        ]
        if field and stage == "resolution"
        else [],
        "limit": limit,
        "limit_unit": limit_unit,
        "experiments": queries.experiments_of(complaint),
        "merged_here": queries.merged_into_this(complaint),
        "preparation": preparation,
        "tools_labels": [str(actions.TOOLS[t]) for t in complaint.tools if t in actions.TOOLS],
        "present_labels": [str(PARTIES[p]) for p in complaint.present if p in PARTIES],
        "major_labels": [
            str(label) for value, label in MajorReason.choices if value in complaint.major_reasons
        ],
    }


def _contacts(case: Case) -> list[tuple[str, str]]:
    complaint = getattr(case, "complaint", None)
    if complaint is None:
        return []
    found = []
    if complaint.contact_phone and complaint.contact_phone != case.customer.phone:
        found.append((complaint.contact_name or _("Contact"), complaint.contact_phone))
    if complaint.installer_phone:
        found.append((complaint.installer_name or _("Installer"), complaint.installer_phone))
    return found


def _address(case: Case) -> str:
    complaint = getattr(case, "complaint", None)
    if complaint is None:
        return ""
    return complaint.visit_place or complaint.site_address


def _describe(event: CaseEvent) -> list[str]:
    data = event.data or {}
    lines = []
    if data.get("present"):
        names = "、".join(str(PARTIES.get(p, p)) for p in data["present"])
        lines.append(_("Present: %(names)s") % {"names": names})
    if data.get("tools"):
        names = "、".join(str(actions.TOOLS.get(t, t)) for t in data["tools"])
        lines.append(_("Tools: %(names)s") % {"names": names})
    if data.get("follow_up"):
        lines.append(_("Emotional follow-up"))
    return lines


register_panel(
    KIND,
    Panel(
        template="complaints/_case_panel.html",
        context=_panel_context,
        own_moves=frozenset({"ruled", "visited", "merge"}),
        generic_forms=lambda stage: frozenset(_GENERIC.get(stage, {"note"})),
        related=("complaint",),
        contacts=_contacts,
        address=_address,
        describe=_describe,
    ),
)


# -- intake -------------------------------------------------------------------------------------


def _customer_matches(scope: Scope, q: str) -> list:
    if not q:
        return []
    filters = customer_queries.CustomerFilters(q=q)
    return list(customer_queries.customer_list(scope, filters)[:10])


def _source_case(scope: Scope, raw: Any) -> Case | None:
    if not raw:
        return None
    try:
        return (
            cases.visible_cases(scope)
            .select_related("customer", "unit", "workorder")
            .get(pk=int(raw))
        )
    except (Case.DoesNotExist, ValueError, TypeError, OverflowError):
        return None


def _staff_near(outlet) -> list[Staff]:
    """The staff a complaint at ``outlet`` may be about: those of the outlet and above it."""
    return list(
        Staff.objects.filter(company_id=outlet.company_id, unit_id__in=outlet.ancestor_ids())
        .exclude(role__in=(Role.ADMIN, Role.ANALYST, Role.AUDITOR))
        .select_related("unit")
        .order_by("unit__path", "name")
    )


def _care(scope: Scope, customer) -> list[dict]:
    """The care script, with the company's name and its first-contact deadline."""
    from manyi.complaints.models import ComplaintPolicy
    from manyi.complaints.policy import policy_for_company

    company_id = customer.company_id if customer is not None else scope.company_id
    if company_id is None:  # an installation administrator: the seeds' default
        return intake_care("", ComplaintPolicy._meta.get_field("first_contact_hours").default)
    company = Unit.objects.only("name").get(pk=company_id)
    return intake_care(company.name, policy_for_company(company_id).first_contact_hours)


def _assignees(scope: Scope) -> list[Staff]:
    """Who complaints may be assigned to, for the list's filter: technicians and managers."""
    qs = Staff.objects.filter(
        role__in=(Role.TECHNICIAN, Role.OUTLET_MANAGER, Role.DEPARTMENT_HEAD)
    ).select_related("unit")
    if not scope.everything:
        qs = qs.filter(company_id=scope.company_id, unit__in=scope.units())
    return list(qs.order_by("name")[:200])


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """接单: any front-line user takes a complaint; it is routed and acknowledged at once."""
    scope = scope_for(request.user)
    scope.require(Perm.OPEN_CASES)
    q = str(request.GET.get("q") or "").strip()[:50]
    source = _source_case(scope, request.POST.get("source") or request.GET.get("source"))
    if source is not None and request.method == "GET":
        existing = queries.open_complaint_from(source)
        if existing is not None:
            messages.info(
                request,
                _("Complaint %(number)s is already open for this case.")
                % {"number": existing.case.number},
            )
            return redirect("cases:detail", pk=existing.case_id)
    prefill = queries.prefill_from_case(source) if source is not None else {}
    raw = request.POST.get("customer") or request.GET.get("customer")
    customer = prefill.get("customer")
    if customer is None and raw:
        try:
            customer = customer_queries.customer_detail(scope, raw)
        except NotFound:
            customer = None
    if request.htmx and request.htmx.target == "customer-matches":
        context = {"matches": _customer_matches(scope, q), "q": q}
        return render(request, "complaints/_customer_matches.html", context)
    purchases = list(customer.purchases.all()[:30]) if customer else []
    outlet = prefill.get("unit") or (customer.home_outlet if customer else None)
    staff = _staff_near(outlet) if outlet is not None else []
    initial = {
        "customer": customer.pk if customer else None,
        "source": source.pk if source else None,
        "channel": Channel.PHONE,
        **{
            k: v
            for k, v in prefill.items()
            if k not in ("customer", "unit", "source_case") and v not in (None, "")
        },
    }
    form = IntakeForm(request.POST or None, initial=initial, purchases=purchases, staff=staff)
    if request.method == "POST" and form.is_valid():
        if customer is None:
            form.add_error(None, _("Choose the customer first."))
        else:
            data = dict(form.cleaned_data)
            data.pop("customer")
            data.pop("source")
            purchase_id = data.pop("purchase")
            staff_id = data.pop("about_staff")
            try:
                case = actions.open_complaint(
                    actor=request.user,
                    customer=customer,
                    purchase=next((p for p in purchases if p.pk == purchase_id), None),
                    about_staff=next((s for s in staff if s.pk == staff_id), None),
                    source_case=source,
                    unit=outlet,
                    **data,
                )
            except (NotFound, OutOfScope):
                raise
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Complaint %(number)s was taken; the customer was sent the reference number.")
                    % {"number": case.number},
                )
                return redirect("cases:detail", pk=case.pk)
    context = {
        "form": form,
        "customer": customer,
        "source": source,
        "q": q,
        "matches": _customer_matches(scope, q) if customer is None else [],
        "show_phone": scope.can(Perm.VIEW_PHONE),
        "care": _care(scope, customer),
    }
    return render(
        request, "complaints/complaint_intake.html", context, status=400 if form.errors else 200
    )


# -- the list -----------------------------------------------------------------------------------


def _stages() -> list[tuple[str, str]]:
    return [(s.code, str(s.label)) for s in WORKFLOW.stages]


@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    """Open complaints, newest first; a search reaches closed ones too (抱怨信息资源化)."""
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_CASES)
    filters = queries.ComplaintFilters.from_params(request.GET)
    page = queries.complaint_page(scope, filters, after=request.GET.get("after"), size=PAGE_SIZE)
    now = clock.now()
    context = {
        "page": page,
        "rows": [(c, _due_state(c.case, now)) for c in page.items],
        "filters": filters,
        "query": filters.as_query(),
        "outlets": list(scope.units().filter(kind=UnitKind.OUTLET).order_by("path")),
        "stages": _stages(),
        "severities": Severity.choices,
        "channels": Channel.choices,
        "assignees": _assignees(scope) if scope.role != Role.TECHNICIAN else [],
        "can_take": scope.can(Perm.OPEN_CASES),
        "can_configure": scope.everything
        or (scope.role in (Role.ADMIN, Role.DEPARTMENT_HEAD) and scope.is_company_wide),
    }
    if request.htmx and request.htmx.target == "complaint-results":
        return render(request, "complaints/_complaint_list_results.html", context)
    return render(request, "complaints/complaint_list.html", context)


# -- the stage forms ----------------------------------------------------------------------------


def _step(request, pk, name, form_class, perform, success, **kwargs) -> HttpResponse:
    return handle(request, pk, name, form_class, perform, success, **kwargs)


@login_required
@require_POST
def call(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "c_call",
        CallForm,
        lambda case, data: actions.log_call(
            actor=request.user,
            case=case,
            party=data["party"],
            outcome=data["outcome"],
            note=data["note"],
        ),
        _("The call was logged."),
    )


@login_required
@require_POST
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "c_visit",
        VisitForm,
        lambda case, data: actions.book_visit(
            actor=request.user,
            case=case,
            at=data["at"],
            place=data["place"],
            reason=data["reason"],
            version=data["version"],
        ),
        _("The site visit was booked."),
    )


@login_required
@require_POST
def prepare(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "c_prepare",
        PrepareForm,
        lambda case, data: actions.prepare(
            actor=request.user,
            case=case,
            likely_cause=data["likely_cause"],
            tools=data["tools"],
            version=data["version"],
        ),
        _("The preparation was noted."),
    )


@login_required
@require_POST
def investigation(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "c_investigation",
        InvestigationForm,
        lambda case, data: actions.record_investigation(
            actor=request.user,
            case=case,
            present=data["present"],
            findings=data["findings"],
            version=data["version"],
        ),
        _("The site investigation was recorded."),
    )


@login_required
@require_POST
def experiment(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(case: Case, data: dict) -> None:
        photos = [data["photo"].read()] if data.get("photo") else []
        actions.record_experiment(
            actor=request.user,
            case=case,
            purpose=data["purpose"],
            material=data["material"],
            unopened=data["unopened"],
            procedure=data["procedure"],
            result=data["result"],
            photos=photos,
        )

    return _step(
        request, pk, "c_experiment", ExperimentForm, perform, _("The experiment was recorded.")
    )


@login_required
@require_POST
def ruling(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "c_ruling",
        RulingForm,
        lambda case, data: actions.rule(
            actor=request.user,
            case=case,
            responsibility=data["responsibility"],
            cause=data["cause"],
            version=data["version"],
            note=data["note"],
        ),
        _("The responsibility was ruled."),
        form_kwargs=lambda scope, case: {"causes": causes_for(case.company_id)},
    )


@login_required
@require_POST
def resolution(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "c_resolution",
        ResolutionForm,
        lambda case, data: actions.propose_resolution(
            actor=request.user,
            case=case,
            kind=data["kind"],
            amount=data["amount"] or 0,
            cost=data["cost"] or 0,
            notes=data["notes"],
            version=data["version"],
        ),
        _("The resolution was recorded."),
    )


def _resolution_of(case: Case, pk: Any):
    found = Complaint.objects.get(case=case).resolutions.filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    reject = request.POST.get("decision") == "reject"

    def perform(case: Case, data: dict) -> None:
        found = _resolution_of(case, data["resolution"])
        if reject:
            actions.reject_resolution(
                actor=request.user, resolution=found, reason=data["reason"], version=data["version"]
            )
        else:
            actions.approve_resolution(
                actor=request.user, resolution=found, version=data["version"]
            )

    message = _("The resolution was rejected.") if reject else _("The resolution was approved.")
    return _step(request, pk, "c_decision", DecisionForm, perform, message)


@login_required
@require_POST
def execute(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(case: Case, data: dict) -> None:
        actions.execute_resolution(
            actor=request.user,
            resolution=_resolution_of(case, data["resolution"]),
            cost=data["cost"],
            note=data["note"],
            version=data["version"],
        )

    return _step(
        request, pk, "c_execute", ExecuteForm, perform, _("The resolution was carried out.")
    )


@login_required
@require_POST
def follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "c_follow_up",
        FollowUpForm,
        lambda case, data: actions.log_follow_up(
            actor=request.user, case=case, outcome=data["outcome"], note=data["note"]
        ),
        _("The follow-up call was logged."),
    )


@login_required
@require_POST
def return_visit(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "c_return_visit",
        ReturnVisitForm,
        lambda case, data: actions.record_return_visit(
            actor=request.user,
            case=case,
            outcome=data["outcome"],
            version=data["version"],
            note=data["note"],
        ),
        _("The return visit was recorded; the complaint is done."),
    )


@login_required
@require_POST
def reassign(request: HttpRequest, pk: int) -> HttpResponse:
    def staff_for(scope: Scope, case: Case) -> list[Staff]:
        return handover_staff(scope, case, Complaint.objects.get(case=case))

    def perform(case: Case, data: dict) -> None:
        staff = {s.pk: s for s in staff_for(scope_for(request.user), case)}
        actions.reassign(
            actor=request.user,
            case=case,
            assignee=staff[data["assignee"]],
            reason=data["reason"],
            version=data["version"],
        )

    return _step(
        request,
        pk,
        "c_reassign",
        ReassignForm,
        perform,
        _("The complaint was handed over."),
        perm=Perm.ASSIGN_CASES,
        form_kwargs=lambda scope, case: {"staff": staff_for(scope, case)},
    )


@login_required
@require_POST
def escalate(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "c_escalate",
        EscalateForm,
        lambda case, data: actions.escalate(
            actor=request.user, case=case, reasons=data["reasons"], version=data["version"]
        ),
        _("The complaint is now major; the regional supervisors were told."),
    )


@login_required
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    def candidates(scope: Scope, case: Case) -> list[Case]:
        return queries.merge_candidates(scope, Complaint.objects.get(case=case))

    @transaction.atomic
    def perform(case: Case, data: dict) -> None:
        actions.merge(
            actor=request.user,
            case=case,
            into=data["into"],
            reason=data["reason"],
            version=data["version"],
        )

    return _step(
        request,
        pk,
        "c_merge",
        MergeForm,
        perform,
        _("The duplicate was merged."),
        form_kwargs=lambda scope, case: {"candidates": candidates(scope, case)},
    )
