"""Work-order pages: intake (接单), and the work order's part of the case page.

The case page itself is the engine's (``cases.views``); this module registers the work order's
:class:`~manyi.cases.views.Panel` (its facts, the forms of each stage, the scripts beside them)
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

from manyi.cases import actions as cases
from manyi.cases import queries as case_queries
from manyi.cases.models import Case, CaseEvent, EventKind
from manyi.cases.views import Panel, _auto, get_case, handle, register_panel
from manyi.customers import queries as customer_queries
from manyi.errors import DomainError, NotFound, OutOfScope
from manyi.forms import add_domain_error
from manyi.org.scopes import Perm, Scope, scope_for
from manyi.workorders import actions
from manyi.workorders.forms import (
    FirstVisitForm,
    InspectionForm,
    IntakeForm,
    ReturnVisitForm,
    SignForm,
    VisitForm,
)
from manyi.workorders.models import Evaluation
from manyi.workorders.scripts import scripts_for
from manyi.workorders.workflow import CHECKPOINTS, KIND

# -- the panel on the case page ---------------------------------------------------------------

_GENERIC = {
    "intake": {"assign", "note"},
    "contact": {"assign", "call", "note", "pause"},
    "service": {"assign", "call", "note", "pause"},
    "record": {"call", "note", "pause"},
    "acceptance": {"photo", "note", "pause"},
    "archive": {"note"},
    "return_visit": {"call", "note", "pause"},
}


def _panel_context(request: HttpRequest, case: Case, scope: Scope, bound: dict) -> dict[str, Any]:
    order = case.workorder
    allowed = {m.code for m in case_queries.allowed_moves(case, scope)}
    initial = {"version": case.version}
    forms: dict[str, Any] = {}
    if "contacted" in allowed:
        forms["first_visit"] = bound.get("first_visit") or FirstVisitForm(
            auto_id=_auto("first_visit"), initial={**initial, "at": order.first_visit_at}
        )
    if "hand_in" in allowed:
        forms["visit"] = bound.get("visit") or VisitForm(auto_id=_auto("visit"), initial=initial)
    if "submit" in allowed and order.signed_at is None:
        forms["sign"] = bound.get("sign") or SignForm(
            auto_id=_auto("sign"), initial={**initial, "signer_name": case.customer.name}
        )
    if "accept" in allowed:
        forms["inspect"] = bound.get("inspect") or InspectionForm(
            auto_id=_auto("inspect"), initial=initial
        )
    if "close" in allowed:
        forms["return_visit"] = bound.get("return_visit") or ReturnVisitForm(
            auto_id=_auto("return_visit"), initial=initial
        )
    inspection = order.inspection or {}
    return {
        "order": order,
        "panel_forms": forms,
        "scripts": scripts_for(case.company_id, case.stage),
        "checkpoints": [
            (str(label), inspection.get("checklist", {}).get(name, ""))
            for name, label in CHECKPOINTS.items()
        ],
        "inspection": inspection,
    }


def _contacts(case: Case) -> list[tuple[str, str]]:
    order = getattr(case, "workorder", None)
    if order is None or not order.installer_phone:
        return []
    return [(order.installer_name or _("Installer"), order.installer_phone)]


def _address(case: Case) -> str:
    order = getattr(case, "workorder", None)
    return order.site_address if order else ""


def _describe(event: CaseEvent) -> list[str]:
    if event.kind == EventKind.SIGNATURE:
        data = event.data or {}
        evaluation = dict(Evaluation.choices).get(data.get("evaluation"), "")
        return [_("Signed by %(name)s") % {"name": data.get("signer", "")}, str(evaluation)]
    return []


register_panel(
    KIND,
    Panel(
        template="workorders/_case_panel.html",
        context=_panel_context,
        own_moves=frozenset({"accept", "rework", "close"}),
        generic_forms=lambda stage: frozenset(_GENERIC.get(stage, {"note"})),
        related=("workorder",),
        contacts=_contacts,
        address=_address,
        describe=_describe,
    ),
)


# -- intake -----------------------------------------------------------------------------------


def _customer_matches(scope: Scope, q: str) -> list:
    if not q:
        return []
    filters = customer_queries.CustomerFilters(q=q)
    return list(customer_queries.customer_list(scope, filters)[:10])


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """接单: the front line files a work order for a customer; it lands on the case page."""
    scope = scope_for(request.user)
    scope.require(Perm.OPEN_CASES)
    q = str(request.GET.get("q") or "").strip()[:50]
    raw = request.POST.get("customer") or request.GET.get("customer")
    customer = None
    if raw:
        try:
            customer = customer_queries.customer_detail(scope, raw)
        except NotFound:
            customer = None
    if request.htmx and request.htmx.target == "customer-matches":
        context = {"matches": _customer_matches(scope, q), "q": q}
        return render(request, "workorders/_customer_matches.html", context)
    form = IntakeForm(
        request.POST or None,
        initial={"customer": customer.pk if customer else None, "priority": "normal"},
    )
    if request.method == "POST" and form.is_valid():
        if customer is None:
            form.add_error(None, _("Choose the customer first."))
        else:
            data = dict(form.cleaned_data)
            data.pop("customer")
            try:
                case = actions.take_order(actor=request.user, customer=customer, **data)
            except (NotFound, OutOfScope):
                raise
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request, _("Work order %(number)s was filed.") % {"number": case.number}
                )
                return redirect("cases:detail", pk=case.pk)
    context = {
        "form": form,
        "customer": customer,
        "q": q,
        "matches": _customer_matches(scope, q) if customer is None else [],
        "show_phone": scope.can(Perm.VIEW_PHONE),
    }
    return render(
        request, "workorders/workorder_intake.html", context, status=400 if form.errors else 200
    )


# -- the stage forms --------------------------------------------------------------------------


@login_required
@require_POST
def first_visit(request: HttpRequest, pk: int) -> HttpResponse:
    return handle(
        request,
        pk,
        "first_visit",
        FirstVisitForm,
        lambda case, data: actions.set_first_visit(actor=request.user, case=case, at=data["at"]),
        _("The first visit was recorded."),
    )


@login_required
@require_POST
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    @transaction.atomic
    def perform(case: Case, data: dict) -> None:
        event = actions.log_visit(
            actor=request.user,
            case=case,
            step=data["step"],
            products=data["products"],
            mix_ratio=data["mix_ratio"],
            notes=data["notes"],
            customer_informed=data["customer_informed"],
        )
        if data.get("photo"):
            photo = cases.add_photo(
                actor=request.user, case=case, data=data["photo"].read(), caption=data["step"]
            )
            photo.event.data = {**photo.event.data, "visit": event.pk}
            photo.event.save(update_fields=["data"])

    return handle(request, pk, "visit", VisitForm, perform, _("The visit was logged."))


@login_required
@require_POST
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    return handle(
        request,
        pk,
        "sign",
        SignForm,
        lambda case, data: actions.sign_record(
            actor=request.user,
            case=case,
            signer_name=data["signer_name"],
            evaluation=data["evaluation"],
            signature=data["signature"] or None,
            code=data["code"],
        ),
        _("The customer signed the service record."),
    )


@login_required
@require_POST
def signoff_code(request: HttpRequest, pk: int) -> HttpResponse:
    """Text the customer a one-time code to confirm the record (the alternative to drawing)."""
    scope = scope_for(request.user)
    scope.require(Perm.WORK_CASES)
    case = get_case(scope, pk)
    try:
        masked = actions.send_signoff_code(actor=request.user, case=case)
    except (NotFound, OutOfScope):
        raise
    except DomainError as exc:
        text, ok = str(exc.message), False
    else:
        text, ok = _("Code sent to %(phone)s.") % {"phone": masked}, True
    if request.htmx:
        return render(request, "workorders/_signoff_code_status.html", {"text": text, "ok": ok})
    (messages.success if ok else messages.error)(request, text)
    return redirect("cases:detail", pk=case.pk)


@login_required
@require_POST
def inspect(request: HttpRequest, pk: int) -> HttpResponse:
    decision = "rework" if request.POST.get("decision") == "rework" else "accept"

    def perform(case: Case, data: dict) -> None:
        form_data = {
            "checklist": {k: data.get(k) or "" for k in CHECKPOINTS},
            "method": data["method"],
            "attitude": data["attitude"],
            "notes": data["notes"],
        }
        if decision == "accept":
            form_data["checklist"] = {k: v for k, v in form_data["checklist"].items() if v}
        cases.move(
            actor=request.user,
            case=case,
            move=decision,
            version=data["version"],
            payload=form_data,
            note=data["notes"],
        )

    message = _("Accepted.") if decision == "accept" else _("Sent back for rework.")
    return handle(request, pk, "inspect", InspectionForm, perform, message)


@login_required
@require_POST
def return_visit(request: HttpRequest, pk: int) -> HttpResponse:
    return handle(
        request,
        pk,
        "return_visit",
        ReturnVisitForm,
        lambda case, data: cases.move(
            actor=request.user,
            case=case,
            move="close",
            version=data["version"],
            payload={"outcome": data["outcome"]},
            note=data["notes"],
        ),
        _("The return visit was recorded; the work order is done."),
    )
