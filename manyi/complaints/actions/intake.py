"""Intake (接单) and escalation of a major complaint (重大投诉)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.cases import actions as cases
from manyi.cases.models import Case
from manyi.cases.sla import deadline_for
from manyi.cases.workflow import Priority, Sla, SlaKind
from manyi.complaints import routing
from manyi.complaints.actions.common import (
    _audit,
    _check_version,
    _in_site_language,
    _local_month,
    _locked,
    _money,
    _note,
    _require_role,
    _require_stage,
    _text,
)
from manyi.complaints.models import Channel, Complaint, MajorReason, Severity
from manyi.complaints.policy import policy_for_company
from manyi.complaints.workflow import FIELD, KIND, OPEN_STAGES
from manyi.customers.actions import normalize_phone
from manyi.customers.models import Purchase
from manyi.errors import Conflict, InvalidInput
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Role, Staff, Unit

# -- intake -------------------------------------------------------------------------------------


def _default_title(customer) -> str:
    return _in_site_language(_("Complaint from %(customer)s") % {"customer": customer.name})


def repeat_count(customer, now: dt.datetime, window_days: int) -> int:
    """The customer's complaints opened within the window (duplicates merged away not counted)."""
    since = now - dt.timedelta(days=window_days)
    return (
        Complaint.objects.filter(case__customer=customer, case__opened_at__gte=since)
        .exclude(case__stage="merged")
        .count()
    )


@transaction.atomic
def open_complaint(
    *,
    actor,
    customer,
    description: str,
    channel: str = Channel.PHONE,
    contact_name: str = "",
    contact_phone: str = "",
    site_address: str = "",
    product: str = "",
    batch_no: str = "",
    purchase: Purchase | None = None,
    installer_name: str = "",
    installer_phone: str = "",
    about_staff: Staff | None = None,
    safety: bool = False,
    media: bool = False,
    amount_claimed: Any = None,
    source_case: Case | None = None,
    source_ref: str = "",
    unit: Unit | None = None,
    title: str = "",
) -> Case:
    """Intake (接单): take a complaint — from a page, the API, a return visit or a survey — route
    it at once and acknowledge it to the customer with its reference number.

    No technical questions (002 第五章 一): who, where, how to reach them, what happened.
    """
    errors: list[tuple[str, Any]] = []

    def collect(check, *args, **kwargs):
        try:
            return check(*args, **kwargs)
        except InvalidInput as exc:
            errors.extend(exc.field_errors())
            return None

    if channel not in Channel.values:
        errors.append(("channel", _("Not one of the available choices.")))
    description = collect(
        _text,
        description,
        "description",
        2000,
        required=True,
        message=_("Write down what happened, in the customer's words."),
    )
    contact_name = collect(_text, contact_name or customer.name, "contact_name", 50)
    contact_phone = collect(normalize_phone, contact_phone or customer.phone)
    if contact_phone is None:
        errors = [("contact_phone" if f == "phone" else f, m) for f, m in errors]
    site_address = collect(_text, site_address or customer.full_address, "site_address", 200)
    if purchase is not None and purchase.customer_id != customer.pk:
        errors.append(("purchase", _("Choose one of the customer's purchases.")))
        purchase = None
    product = collect(_text, product or (purchase.product if purchase else ""), "product", 100)
    batch_no = collect(_text, batch_no or (purchase.batch_no if purchase else ""), "batch_no", 50)
    installer_name = collect(_text, installer_name, "installer_name", 50)
    if installer_phone:
        phone = collect(normalize_phone, installer_phone)
        if phone is None:
            errors = [("installer_phone" if f == "phone" else f, m) for f, m in errors]
        installer_phone = phone or ""
    source_ref = collect(_text, source_ref, "source_ref", 60)
    amount = None
    if amount_claimed not in (None, ""):
        amount = collect(_money, amount_claimed, "amount_claimed")
    if about_staff is not None and about_staff.company_id != customer.company_id:
        errors.append(("about_staff", _("Choose someone of this company.")))
    if source_case is not None and source_case.customer_id != customer.pk:
        errors.append(("source_case", _("The source case is of another customer.")))
    if errors:
        raise InvalidInput(errors=errors)

    now = clock.now()
    policy = policy_for_company(customer.company_id)
    reasons = []
    if safety:
        reasons.append(MajorReason.SAFETY.value)
    if media:
        reasons.append(MajorReason.MEDIA.value)
    if amount is not None and amount > policy.major_amount:
        reasons.append(MajorReason.AMOUNT.value)
    # This complaint and the customer's earlier ones within the window (004: repeated).
    if repeat_count(customer, now, policy.repeat_window_days) + 1 >= policy.repeat_count:
        reasons.append(MajorReason.REPEATED.value)
    outlet = unit or (source_case.unit if source_case is not None else customer.home_outlet)
    if about_staff is not None:
        about_staff = Staff.objects.select_related("unit", "user").get(pk=about_staff.pk)
    found = routing.route(outlet, about_staff)
    case = cases.open_case(
        actor=actor,
        kind=KIND,
        customer=customer,
        title=_text(title, "title", 200) or _default_title(customer),
        description=description,
        priority=Priority.URGENT if reasons else Priority.NORMAL,
        unit=outlet,
        assignee=found.assignee,
        stage="first_contact" if found.assignee is not None else None,
    )
    complaint = Complaint.objects.create(
        case=case,
        company_id=case.company_id,
        received_month=_local_month(case.opened_at),
        channel=channel,
        contact_name=contact_name,
        contact_phone=contact_phone,
        site_address=site_address,
        product=product,
        batch_no=batch_no,
        purchase=purchase,
        installer_name=installer_name,
        installer_phone=installer_phone,
        source_case=source_case,
        source_ref=source_ref,
        about_staff=about_staff,
        amount_claimed=amount,
    )
    _note(case, actor, found.reason, routing=found.assignee.name if found.assignee else None)
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=complaint,
        company_id=complaint.company_id,
        changes={"channel": [None, channel], "assignee": [None, str(found.assignee or "")]},
    )
    if reasons:
        _escalate(case, complaint, reasons, actor, now)
    _acknowledge(case, complaint, now)
    _tell_assignee(case)
    return case


def _acknowledge(case: Case, complaint: Complaint, now: dt.datetime) -> None:
    """The customer gets the reference number at once (000: 诚意对应, 给予回复)."""
    from manyi.notify.actions import send_sms

    body = _in_site_language(
        _(
            "%(company)s: we have received your complaint, reference %(number)s. We are sorry "
            "for the trouble; the person responsible will call you shortly."
        )
        % {"company": case.company.name, "number": case.number}
    )
    send_sms(to=complaint.contact_phone, body=body, ref=case.number, company_id=case.company_id)
    complaint.acknowledged_at = now
    complaint.save(update_fields=["acknowledged_at"])


def _tell_assignee(case: Case) -> None:
    from manyi.notify.actions import notify

    if case.assignee_id is None:
        return
    notify(
        kind="complaint_new",
        users=[case.assignee.user],
        unit=case.unit,
        context={"number": case.number},
        url=f"/cases/{case.pk}/",
        urgent=case.priority == Priority.URGENT,
    )


# -- escalation ---------------------------------------------------------------------------------


def _escalate(
    case: Case, complaint: Complaint, reasons: list[str], actor, now: dt.datetime
) -> bool:
    """Mark the complaint major for ``reasons``; the first time, tell the regional supervisors,
    keep them informed, and tighten the first-contact deadline. Returns whether anything new."""
    from manyi.notify.actions import notify

    new = [r for r in reasons if r not in complaint.major_reasons]
    if not new:
        return False
    first = complaint.severity != Severity.MAJOR
    complaint.major_reasons = [*complaint.major_reasons, *new]
    complaint.severity = Severity.MAJOR
    fields = ["major_reasons", "severity"]
    labels = "、".join(_in_site_language(MajorReason(r).label) for r in new)
    if first:
        complaint.escalated_at = now
        fields.append("escalated_at")
        supervisors = routing.regional_supervisors(case.unit)
        complaint.watchers.add(*supervisors)
        case.priority = Priority.URGENT
        if case.stage in ("intake", "first_contact") and case.due_at and not case.paused_at:
            hours = policy_for_company(case.company_id).major_first_contact_hours
            tighter = deadline_for(
                case.unit, Sla(SlaKind.BUSINESS_HOURS, Decimal(hours)), case.stage_entered_at
            )
            case.due_at = min(case.due_at, tighter)
        case.version += 1
        case.save(update_fields=["priority", "due_at", "version"])
        notify(
            kind="complaint_major",
            users=[s.user for s in supervisors],
            unit=case.unit,
            title=_("Major complaint %(number)s at %(outlet)s: %(reasons)s"),
            context={"number": case.number, "outlet": case.unit.name, "reasons": labels},
            url=f"/cases/{case.pk}/",
            urgent=True,
        )
        names = "、".join(s.name for s in supervisors)
        text = _("Escalated as a major complaint (%(reasons)s); kept informed: %(names)s") % {
            "reasons": labels,
            "names": names or "—",
        }
    else:
        text = _("Also major: %(reasons)s") % {"reasons": labels}
    complaint.save(update_fields=fields)
    _note(case, actor, text, major_reasons=new)
    _audit(actor, complaint, {"major_reasons": [None, complaint.major_reasons]})
    return True


@transaction.atomic
def escalate(*, actor, case: Case | int, reasons: Iterable[str], version: int | None) -> Case:
    """Mark a complaint major after intake (e.g. a safety risk found at the site)."""
    scope, case, complaint = _locked(actor, case)
    # Anyone working the complaint may raise it: a technician on their own, dispatchers on any.
    _require_role(
        scope, case, FIELD | {Role.SERVICE_REP}, assignee_only=scope.role == Role.TECHNICIAN
    )
    _check_version(case, version)
    _require_stage(case, OPEN_STAGES, _("This complaint is finished."))
    reasons = [str(r) for r in reasons or []]
    if not reasons or any(r not in MajorReason.values for r in reasons):
        raise InvalidInput(_("Choose why the complaint is major."), field="reasons")
    if not _escalate(case, complaint, reasons, actor, clock.now()):
        raise Conflict(_("The complaint is already major for these reasons."))
    return case
