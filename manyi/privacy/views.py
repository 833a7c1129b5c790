"""Pages of a customer's personal data: what is held, the export, the erasure (confirmed)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from manyi.errors import DomainError
from manyi.org.scopes import Perm, scope_for
from manyi.privacy import actions, exporting
from manyi.privacy.actions import customer_for

# The sections of a customer's data, as the page names them (the files keep the keys).
SECTIONS = {
    "customer": gettext_lazy("Customer record"),
    "purchases": gettext_lazy("Purchases"),
    "cases": gettext_lazy("Cases"),
    "case_events": gettext_lazy("Case timeline entries"),
    "work_orders": gettext_lazy("Work orders"),
    "complaints": gettext_lazy("Complaints"),
    "survey_invitations": gettext_lazy("Survey invitations"),
    "survey_responses": gettext_lazy("Survey responses"),
    "survey_answers": gettext_lazy("Survey answers"),
}


@login_required
def customer_data(request: HttpRequest, pk: int) -> HttpResponse:
    """What the company holds about one customer, with the export and erasure buttons."""
    scope = scope_for(request.user)
    perm = Perm.EXPORT_CUSTOMERS if scope.can(Perm.EXPORT_CUSTOMERS) else Perm.ERASE_CUSTOMERS
    customer = customer_for(request.user, pk, perm)
    data = actions.customer_data(customer)
    context = {
        "customer": customer,
        "counts": [(SECTIONS.get(name, name), len(rows)) for name, rows in data.items()],
        "can_export": scope.can(Perm.EXPORT_CUSTOMERS),
        "can_erase": scope.can(Perm.ERASE_CUSTOMERS) and customer.erased_at is None,
        "error": None,
    }
    if request.method == "POST" and context["can_erase"]:
        try:
            actions.erase_customer(
                actor=request.user, customer_id=pk, confirm=request.POST.get("confirm", "")
            )
        except DomainError as exc:
            context["error"] = exc.message
            return render(request, "privacy/customer_data.html", context, status=422)
        messages.success(request, _("The customer's personal data was erased."))
        return redirect("privacy:customer", pk=pk)
    return render(request, "privacy/customer_data.html", context)


@login_required
def customer_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """Download everything about one customer as JSON or Excel (logged)."""
    data = actions.export_customer_data(actor=request.user, customer_id=pk, fmt=fmt)
    if fmt == "json":
        body, ctype = exporting.as_json(data), "application/json; charset=utf-8"
    else:
        body = exporting.as_xlsx(data)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="customer-{pk}.{fmt}"'
    return response
