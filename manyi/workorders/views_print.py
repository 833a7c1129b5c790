"""Printable work-order forms as PDF: the tracking card and the signed service record."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from manyi.cases.actions import visible_cases
from manyi.cases.models import Case
from manyi.errors import NotFound
from manyi.org.scopes import Perm, scope_for
from manyi.workorders import pdf
from manyi.workorders.workflow import KIND


def _work_order(request: HttpRequest, case_id: int) -> tuple[Case, bool]:
    """The work order's case if the user may read it (403 without the right, 404 outside)."""
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_CASES)
    cases = visible_cases(scope).filter(kind=KIND, workorder__isnull=False)
    cases = cases.select_related(
        "company", "unit", "customer", "assignee", "workorder", "workorder__signature"
    )
    try:
        case = cases.get(pk=case_id)
    except Case.DoesNotExist as exc:
        raise NotFound() from exc
    return case, scope.can(Perm.VIEW_PHONE)


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    # Shown in the browser; saved under the case number.
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def tracking_card(request: HttpRequest, case_id: int) -> HttpResponse:
    case, show_phone = _work_order(request, case_id)
    data = pdf.tracking_card_pdf(case, show_phone=show_phone)
    return _pdf_response(data, f"{case.number}-tracking-card.pdf")


@login_required
def service_record(request: HttpRequest, case_id: int) -> HttpResponse:
    case, show_phone = _work_order(request, case_id)
    data = pdf.service_record_pdf(case, show_phone=show_phone)
    return _pdf_response(data, f"{case.number}-record.pdf")
