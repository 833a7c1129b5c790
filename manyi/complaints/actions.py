"""Every write of a complaint: intake, first contact, preparation, the site investigation and
experiments, the ruling, resolutions and their approval, follow-up, return visit, change of
person / place / time, escalation, merge and close (002 第五章; 000; 004).

Each function is one transaction that locks the case (through the case engine), checks the
actor's role and scope, writes the complaint, a line on the case's timeline and the audit log.
Stage changes go through ``cases.actions.move`` with the complaint workflow's requirements.
Nothing is deleted: a complaint ends done, closed with a reason, or merged into another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.cases import actions as cases
from manyi.cases.models import CallOutcome, Case, EventKind
from manyi.cases.sla import deadline_for
from manyi.cases.workflow import Priority, Sla, SlaKind
from manyi.complaints import routing
from manyi.complaints.models import (
    MONEY_KINDS,
    CauseCategory,
    Channel,
    Complaint,
    Experiment,
    MajorReason,
    Resolution,
    ResolutionKind,
    ResolutionStatus,
    Severity,
)
from manyi.complaints.policy import compensation_limit_for, policy_for_company
from manyi.complaints.workflow import (
    DISPATCH,
    FIELD,
    KIND,
    MANAGERS,
    OPEN_STAGES,
    PARTIES,
    RESOLUTION_STAGES,
)
from manyi.customers.actions import normalize_phone
from manyi.customers.models import Purchase
from manyi.errors import Conflict, InvalidInput, InvalidMove, NotFound, OutOfScope, interpolate
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Role, Staff, Unit
from manyi.org.scopes import Perm, Scope

# The technical-preparation tools (002 第五章 三: 毛刷、砂纸、滤布 …, and a lab imitation).
TOOLS = {
    "brush": _("Brushes"),
    "sandpaper": _("Sandpaper"),
    "filter": _("Filter cloth"),
    "panel": _("Test panels"),
    "cup": _("Mixing cup"),
    "unopened": _("Unopened material of the same product"),
    "lab": _("Imitation test done at the company"),
}
MAX_AMOUNT = Decimal("9999999999.99")


# -- helpers ------------------------------------------------------------------------------------


def _in_site_language(message: Any) -> str:
    """Text stored as data (timeline notes, messages) is written in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message)


def _text(value: Any, field: str, limit: int, *, required: bool = False, message=None) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise InvalidInput(message or _("This field is required."), field=field)
    if len(text) > limit:
        raise InvalidInput(
            interpolate(_("Too long (at most %(n)d characters)."), {"n": limit}), field=field
        )
    return text


def _money(value: Any, field: str, *, positive: bool = False) -> Decimal:
    """An amount in yuan: a number ≥ 0 (> 0 when ``positive``) with at most two decimals."""
    try:
        amount = Decimal(str(value if value not in (None, "") else "0")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise InvalidInput(_("Enter an amount in yuan."), field=field) from exc
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise InvalidInput(_("Enter an amount in yuan."), field=field)
    if positive and amount == 0:
        raise InvalidInput(_("Enter the amount the customer receives."), field=field)
    return amount


def _locked(actor, case: Case | int, perm: Perm = Perm.WORK_CASES):
    """The complaint's case (locked) and the complaint (locked), if the actor may act on it."""
    scope, locked = cases.locked_case(actor, case, perm)
    complaint = Complaint.objects.select_for_update().filter(case=locked).first()
    if complaint is None:
        raise NotFound()
    complaint.case = locked
    return scope, locked, complaint


def _require_role(scope: Scope, case: Case, roles: Iterable[str], *, assignee_only: bool) -> None:
    """The same rule as a workflow move: the role takes this step; the responsible person, or a
    manager, unless anyone of the role may."""
    if scope.everything:
        return
    if scope.role not in roles:
        raise OutOfScope(_("Your role may not take this step."))
    if assignee_only and case.assignee_id != scope.staff_id and scope.role not in MANAGERS:
        raise OutOfScope(_("Only the person responsible for the case may take this step."))


def _check_version(case: Case, version: int | None) -> None:
    from manyi.errors import StaleVersion

    if version is not None and int(version) != case.version:
        raise StaleVersion()


def _touch(case: Case) -> None:
    """A change to the complaint bumps the case's version: pages opened before it are stale."""
    case.version += 1
    case.save(update_fields=["version"])


def _require_stage(case: Case, stages: Iterable[str], message: Any) -> None:
    if case.stage not in stages:
        raise InvalidMove(message)


def _note(case: Case, actor, text: Any, **data: Any):
    return cases.record_event(case, EventKind.NOTE, actor, text=_in_site_language(text), **data)


def _audit(actor, complaint: Complaint, changes: dict[str, Any]) -> None:
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=complaint,
        company_id=complaint.company_id,
        changes=changes,
    )


def _local_month(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date().replace(day=1)


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
    send_sms(to=complaint.contact_phone, body=body, ref=case.number)
    complaint.acknowledged_at = now
    complaint.save(update_fields=["acknowledged_at"])


def _tell_assignee(case: Case) -> None:
    from manyi.notify.actions import send

    if case.assignee_id is None:
        return
    title = _in_site_language(
        _("New complaint %(number)s: call the customer now") % {"number": case.number}
    )
    send(users=[case.assignee.user], kind="complaint_new", title=title, url=f"/cases/{case.pk}/")


# -- escalation ---------------------------------------------------------------------------------


def _escalate(
    case: Case, complaint: Complaint, reasons: list[str], actor, now: dt.datetime
) -> bool:
    """Mark the complaint major for ``reasons``; the first time, tell the regional supervisors,
    keep them informed, and tighten the first-contact deadline. Returns whether anything new."""
    from manyi.notify.actions import send

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
        title = _in_site_language(
            _("Major complaint %(number)s at %(outlet)s: %(reasons)s")
            % {"number": case.number, "outlet": case.unit.name, "reasons": labels}
        )
        send(
            users=[s.user for s in supervisors],
            kind="complaint_major",
            title=title,
            url=f"/cases/{case.pk}/",
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
    _require_role(scope, case, FIELD | {Role.SERVICE_REP}, assignee_only=True)
    _check_version(case, version)
    _require_stage(case, OPEN_STAGES, _("This complaint is finished."))
    reasons = [str(r) for r in reasons or []]
    if not reasons or any(r not in MajorReason.values for r in reasons):
        raise InvalidInput(_("Choose why the complaint is major."), field="reasons")
    if not _escalate(case, complaint, reasons, actor, clock.now()):
        raise Conflict(_("The complaint is already major for these reasons."))
    return case


# -- first contact ------------------------------------------------------------------------------


@transaction.atomic
def log_call(*, actor, case: Case | int, party: str, outcome: str, note: str = ""):
    """A call to the customer or the installer; the first that reaches the customer is the
    first contact (第一时间)."""
    scope, case, complaint = _locked(actor, case)
    _require_stage(case, OPEN_STAGES, _("This complaint is finished."))
    event = cases.log_call(actor=actor, case=case, outcome=outcome, party=party, note=note)
    if (
        party == "customer"
        and outcome == CallOutcome.REACHED
        and complaint.first_contact_at is None
    ):
        complaint.first_contact_at = event.at
        complaint.save(update_fields=["first_contact_at"])
    return event


@transaction.atomic
def book_visit(
    *,
    actor,
    case: Case | int,
    at: dt.datetime,
    place: str = "",
    reason: str = "",
    version: int | None = None,
) -> Complaint:
    """Book the joint site visit with the customer and the installer, or move it (004: change
    the place or the time when stuck) — a move needs a reason, kept on the timeline."""
    scope, case, complaint = _locked(actor, case)
    _require_role(scope, case, FIELD, assignee_only=True)
    _check_version(case, version)
    _require_stage(
        case,
        ("first_contact", "preparation", "investigation"),
        _("The site visit is booked between the first contact and the investigation."),
    )
    if at is None:
        raise InvalidInput(_("Enter the date and time of the visit."), field="at")
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at < clock.now() - dt.timedelta(days=1):
        raise InvalidInput(_("The visit cannot be in the past."), field="at")
    place = _text(place or complaint.visit_place or complaint.site_address, "place", 200)
    reason = _text(reason, "reason", 200)
    moved = complaint.visit_at is not None and (
        complaint.visit_at != at or complaint.visit_place != place
    )
    if moved and not reason:
        raise InvalidInput(_("Give a reason for changing the place or time."), field="reason")
    before = complaint.visit_at
    complaint.visit_at = at
    complaint.visit_place = place
    complaint.save(update_fields=["visit_at", "visit_place"])
    when = timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
    if moved:
        text = _("Site visit moved to %(when)s, %(place)s: %(reason)s") % {
            "when": when,
            "place": place or "—",
            "reason": reason,
        }
    else:
        text = _("Joint site visit booked for %(when)s, %(place)s") % {
            "when": when,
            "place": place or "—",
        }
    _note(case, actor, text, visit_at=at.isoformat(), place=place)
    _touch(case)
    _audit(actor, complaint, {"visit_at": [str(before) if before else None, at.isoformat()]})
    return complaint


# -- preparation, investigation, experiments ----------------------------------------------------


@transaction.atomic
def prepare(
    *,
    actor,
    case: Case | int,
    likely_cause: str,
    tools: Iterable[str] = (),
    version: int | None = None,
) -> Complaint:
    """Technical preparation (技术准备): the likely cause and the tools to bring."""
    scope, case, complaint = _locked(actor, case)
    _require_role(scope, case, FIELD, assignee_only=True)
    _check_version(case, version)
    _require_stage(
        case,
        ("preparation", "investigation"),
        _("The preparation is noted before the site investigation."),
    )
    likely_cause = _text(
        likely_cause,
        "likely_cause",
        2000,
        required=True,
        message=_("Note the likely cause before the site visit."),
    )
    tools = [str(t) for t in tools or []]
    if any(t not in TOOLS for t in tools):
        raise InvalidInput(_("Not one of the available choices."), field="tools")
    complaint.likely_cause = likely_cause
    complaint.tools = sorted(set(tools), key=list(TOOLS).index)
    complaint.save(update_fields=["likely_cause", "tools"])
    _note(case, actor, likely_cause, preparation=True, tools=complaint.tools)
    _touch(case)
    _audit(actor, complaint, {"likely_cause": [None, likely_cause[:200]]})
    return complaint


@transaction.atomic
def record_investigation(
    *,
    actor,
    case: Case | int,
    present: Iterable[str],
    findings: str,
    version: int | None = None,
) -> Complaint:
    """The site investigation (现场考察), with who was there: solution first, cause second."""
    scope, case, complaint = _locked(actor, case)
    _require_role(scope, case, FIELD, assignee_only=True)
    _check_version(case, version)
    _require_stage(
        case, ("investigation",), _("The investigation is recorded at the investigation stage.")
    )
    present = [str(p) for p in present or []]
    if any(p not in PARTIES for p in present):
        raise InvalidInput(_("Not one of the available choices."), field="present")
    needed = {"technician", "customer"}
    if complaint.installer_name or complaint.installer_phone:
        needed.add("installer")  # 三方: us, the customer and the installer
    if not needed <= set(present):
        raise InvalidInput(
            _("The investigation is made with all parties present: record who was there."),
            field="present",
        )
    findings = _text(
        findings,
        "findings",
        4000,
        required=True,
        message=_("Record the site investigation and its findings."),
    )
    complaint.present = sorted(set(present), key=list(PARTIES).index)
    complaint.findings = findings
    complaint.investigated_at = clock.now()
    complaint.save(update_fields=["present", "findings", "investigated_at"])
    _note(case, actor, findings, investigation=True, present=complaint.present)
    _touch(case)
    _audit(actor, complaint, {"findings": [None, findings[:200]]})
    return complaint


@transaction.atomic
def record_experiment(
    *,
    actor,
    case: Case | int,
    purpose: str,
    material: str,
    procedure: str,
    result: str = "",
    unopened: bool = False,
    photos: Iterable[bytes] = (),
) -> Experiment:
    """A construction experiment (施工实验): agreed purpose, unopened material, the company's
    procedure, and what came of it — with photos on the timeline."""
    scope, case, complaint = _locked(actor, case)
    _require_role(scope, case, FIELD, assignee_only=True)
    _require_stage(
        case,
        ("investigation", "ruling"),
        _("Experiments are made during the investigation, before the ruling."),
    )
    errors = []
    values = {}
    for name, value, limit, message in [
        ("purpose", purpose, 2000, _("State the purpose agreed with the customer and installer.")),
        ("material", material, 200, _("Name the material (product and batch).")),
        ("procedure", procedure, 4000, _("Describe the procedure followed.")),
        ("result", result, 4000, None),
    ]:
        try:
            values[name] = _text(value, name, limit, required=message is not None, message=message)
        except InvalidInput as exc:
            errors.extend(exc.field_errors())
    if errors:
        raise InvalidInput(errors=errors)
    experiment = Experiment.objects.create(
        complaint=complaint,
        unopened=bool(unopened),
        performed_at=clock.now(),
        recorded_by=Staff.objects.get(pk=scope.staff_id) if scope.staff_id else _any_head(case),
        **values,
    )
    text = _("Construction experiment: %(purpose)s") % {"purpose": values["purpose"]}
    _note(case, actor, text, experiment=experiment.pk, unopened=bool(unopened))
    for data in photos or []:
        photo = cases.add_photo(actor=actor, case=case, data=data, caption=values["material"])
        photo.event.data = {**photo.event.data, "experiment": experiment.pk}
        photo.event.save(update_fields=["data"])
    _audit(actor, complaint, {"experiment": [None, values["purpose"][:200]]})
    return experiment


def _any_head(case: Case) -> Staff:
    heads = routing.department_heads(case.company_id)
    if not heads:
        raise OutOfScope()
    return heads[0]


# -- ruling -------------------------------------------------------------------------------------


@transaction.atomic
def rule(
    *,
    actor,
    case: Case | int,
    responsibility: str,
    cause: CauseCategory | int | None,
    version: int | None,
    note: str = "",
) -> Case:
    """The responsibility ruling (责任认定) and the root cause, after the investigation."""
    cause_id = cause.pk if isinstance(cause, CauseCategory) else cause
    return cases.move(
        actor=actor,
        case=case if isinstance(case, Case) else int(case),
        move="ruled",
        version=version,
        payload={"responsibility": responsibility, "cause": cause_id},
        note=note,
    )


# -- resolutions --------------------------------------------------------------------------------


def _approvers(case: Case) -> list:
    """Who is told that a resolution waits for approval: the outlet's managers, else the heads."""
    staff = Staff.objects.filter(
        company_id=case.company_id,
        role__in=(Role.OUTLET_MANAGER, Role.DEPARTMENT_HEAD),
        user__is_active=True,
    ).select_related("unit", "user")
    managers = [s for s in staff if s.unit.contains(case.unit)]
    local = [s for s in managers if s.role == Role.OUTLET_MANAGER]
    return [s.user for s in (local or managers)]


@transaction.atomic
def propose_resolution(
    *,
    actor,
    case: Case | int,
    kind: str,
    amount: Any = 0,
    cost: Any = 0,
    notes: str = "",
    version: int | None = None,
) -> Resolution:
    """Record a remedy agreed with the customer. Compensation, refund or replacement cannot be
    recorded before the site investigation (002 第五章); above the unit's limit it waits for a
    manager's approval (004: act within your authority, promise nothing beyond it)."""
    from manyi.notify.actions import send

    scope, case, complaint = _locked(actor, case)
    _require_role(scope, case, FIELD, assignee_only=True)
    _check_version(case, version)
    if kind not in ResolutionKind.values:
        raise InvalidInput(_("Not one of the available choices."), field="kind")
    if case.stage not in RESOLUTION_STAGES:
        if kind in MONEY_KINDS:
            raise InvalidMove(
                _(
                    "Compensation, refund or replacement cannot be recorded before the site "
                    "investigation."
                )
            )
        raise InvalidMove(_("Resolutions are recorded from the site investigation on."))
    amount = _money(
        amount, "amount", positive=kind in (ResolutionKind.REFUND, ResolutionKind.COMPENSATE)
    )
    cost = _money(cost, "cost")
    notes = _text(notes, "notes", 2000)
    limit, _limit_unit = compensation_limit_for(case.unit)
    needs_approval = kind in MONEY_KINDS and amount > limit
    now = clock.now()
    proposer = Staff.objects.get(pk=scope.staff_id) if scope.staff_id else _any_head(case)
    resolution = Resolution.objects.create(
        complaint=complaint,
        kind=kind,
        amount=amount,
        cost=cost,
        notes=notes,
        proposed_by=proposer,
        proposed_at=now,
        status=ResolutionStatus.PROPOSED if needs_approval else ResolutionStatus.APPROVED,
        approved_at=None if needs_approval else now,
    )
    label = _in_site_language(ResolutionKind(kind).label)
    if needs_approval:
        text = _(
            "Proposed: %(kind)s, %(amount)s yuan — above the limit of %(limit)s yuan, "
            "waiting for a manager's approval"
        ) % {"kind": label, "amount": amount, "limit": limit}
        title = _in_site_language(
            _("%(number)s: %(kind)s of %(amount)s yuan waits for your approval")
            % {"number": case.number, "kind": label, "amount": amount}
        )
        send(
            users=_approvers(case),
            kind="complaint_approval",
            title=title,
            url=f"/cases/{case.pk}/",
        )
    else:
        text = _("Agreed: %(kind)s, %(amount)s yuan") % {"kind": label, "amount": amount}
    _note(case, actor, text, resolution=resolution.pk, status=resolution.status)
    policy = policy_for_company(case.company_id)
    if kind in MONEY_KINDS and amount > policy.major_amount:
        _escalate(case, complaint, [MajorReason.AMOUNT.value], actor, now)
    _touch(case)
    _audit(actor, complaint, {"resolution": [None, f"{kind} {amount}"]})
    return resolution


def _locked_resolution(actor, resolution: Resolution | int):
    pk = resolution.pk if isinstance(resolution, Resolution) else resolution
    try:
        case_id = Resolution.objects.values_list("complaint__case_id", flat=True).get(pk=pk)
    except (Resolution.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    scope, case, complaint = _locked(actor, case_id)
    found = Resolution.objects.select_for_update().get(pk=pk)
    return scope, case, complaint, found


@transaction.atomic
def approve_resolution(*, actor, resolution: Resolution | int, version: int | None) -> Resolution:
    """A manager of the outlet (or above) approves a remedy above the limit; not the proposer."""
    from manyi.notify.actions import send

    scope, case, complaint, resolution = _locked_resolution(actor, resolution)
    _require_role(scope, case, MANAGERS, assignee_only=False)
    scope.require_unit(case.unit, Perm.ASSIGN_CASES)
    _check_version(case, version)
    if resolution.status != ResolutionStatus.PROPOSED:
        raise Conflict(_("This resolution does not wait for approval."))
    if resolution.proposed_by_id == scope.staff_id:
        raise OutOfScope(_("Someone other than the proposer must approve it."))
    resolution.status = ResolutionStatus.APPROVED
    resolution.approved_by_id = scope.staff_id
    resolution.approved_at = clock.now()
    resolution.save(update_fields=["status", "approved_by", "approved_at"])
    label = _in_site_language(resolution.get_kind_display())
    _note(
        case,
        actor,
        _("Approved: %(kind)s, %(amount)s yuan") % {"kind": label, "amount": resolution.amount},
        resolution=resolution.pk,
        status=resolution.status,
    )
    if case.assignee_id:
        send(
            users=[case.assignee.user],
            kind="complaint_approved",
            title=_in_site_language(
                _("%(number)s: the resolution was approved") % {"number": case.number}
            ),
            url=f"/cases/{case.pk}/",
        )
    _touch(case)
    _audit(actor, complaint, {"resolution": [ResolutionStatus.PROPOSED, resolution.status]})
    return resolution


@transaction.atomic
def reject_resolution(
    *, actor, resolution: Resolution | int, reason: str, version: int | None
) -> Resolution:
    """A manager refuses a remedy above the limit, with the reason."""
    scope, case, complaint, resolution = _locked_resolution(actor, resolution)
    _require_role(scope, case, MANAGERS, assignee_only=False)
    scope.require_unit(case.unit, Perm.ASSIGN_CASES)
    _check_version(case, version)
    if resolution.status != ResolutionStatus.PROPOSED:
        raise Conflict(_("This resolution does not wait for approval."))
    reason = _text(reason, "reason", 500, required=True, message=_("Give a reason."))
    resolution.status = ResolutionStatus.REJECTED
    resolution.notes = f"{resolution.notes}\n{reason}".strip()[:2000]
    resolution.save(update_fields=["status", "notes"])
    label = _in_site_language(resolution.get_kind_display())
    _note(
        case,
        actor,
        _("Rejected: %(kind)s, %(amount)s yuan — %(reason)s")
        % {"kind": label, "amount": resolution.amount, "reason": reason},
        resolution=resolution.pk,
        status=resolution.status,
    )
    _touch(case)
    _audit(actor, complaint, {"resolution": [ResolutionStatus.PROPOSED, resolution.status]})
    return resolution


@transaction.atomic
def execute_resolution(
    *,
    actor,
    resolution: Resolution | int,
    cost: Any = None,
    note: str = "",
    version: int | None = None,
) -> Resolution:
    """The remedy is carried out (settle and execute fast), with what it finally cost."""
    scope, case, complaint, resolution = _locked_resolution(actor, resolution)
    _require_role(scope, case, FIELD, assignee_only=True)
    _check_version(case, version)
    _require_stage(
        case, ("resolution",), _("Resolutions are executed after the responsibility ruling.")
    )
    if resolution.status == ResolutionStatus.PROPOSED:
        raise InvalidMove(_("This amount is above the limit: a manager must approve it first."))
    if resolution.status != ResolutionStatus.APPROVED:
        raise Conflict(_("Only an approved resolution can be executed."))
    if cost not in (None, ""):
        resolution.cost = _money(cost, "cost")
    now = clock.now()
    resolution.status = ResolutionStatus.EXECUTED
    resolution.executed_at = now
    resolution.save(update_fields=["status", "executed_at", "cost"])
    complaint.resolved_at = now
    complaint.save(update_fields=["resolved_at"])
    label = _in_site_language(resolution.get_kind_display())
    _note(
        case,
        actor,
        _("Executed: %(kind)s, %(amount)s yuan, cost %(cost)s yuan")
        % {"kind": label, "amount": resolution.amount, "cost": resolution.cost},
        resolution=resolution.pk,
        status=resolution.status,
        note=_text(note, "note", 2000),
    )
    _touch(case)
    _audit(actor, complaint, {"resolution": [ResolutionStatus.APPROVED, resolution.status]})
    return resolution


# -- follow-up and return visit -----------------------------------------------------------------


@transaction.atomic
def log_follow_up(*, actor, case: Case | int, outcome: str, note: str = ""):
    """The emotional follow-up call after the problem is solved (002 第五章 七)."""
    scope, case, complaint = _locked(actor, case)
    _require_role(scope, case, FIELD, assignee_only=True)
    _require_stage(
        case, ("follow_up",), _("The follow-up call is made once the resolution is executed.")
    )
    event = cases.log_call(actor=actor, case=case, outcome=outcome, party="customer", note=note)
    event.data = {**event.data, "follow_up": True}
    event.save(update_fields=["data"])
    if outcome == CallOutcome.REACHED and complaint.follow_up_at is None:
        complaint.follow_up_at = event.at
        complaint.save(update_fields=["follow_up_at"])
    return event


@transaction.atomic
def record_return_visit(
    *, actor, case: Case | int, outcome: str, version: int | None, note: str = ""
) -> Case:
    """The return visit (回访): is the customer satisfied? It ends the complaint."""
    return cases.move(
        actor=actor,
        case=case if isinstance(case, Case) else int(case),
        move="visited",
        version=version,
        payload={"outcome": outcome},
        note=note,
    )


# -- change person / place / time, merge, close -------------------------------------------------


@transaction.atomic
def reassign(*, actor, case: Case | int, assignee: Staff, reason: str, version: int | None) -> Case:
    """Change the person (004: 视情况换人) with a reason kept on the timeline. A complaint about
    one of our staff never goes to that person."""
    scope, case, complaint = _locked(actor, case, Perm.ASSIGN_CASES)
    _check_version(case, version)
    _require_stage(case, OPEN_STAGES, _("This complaint is finished."))
    reason = _text(reason, "reason", 200, required=True, message=_("Give a reason for the change."))
    if complaint.about_staff_id is not None and assignee.pk == complaint.about_staff_id:
        raise InvalidInput(
            _("The complaint is about this person: give it to someone else."), field="assignee"
        )
    previous = case.assignee.name if case.assignee_id else "—"
    case = cases.assign(actor=actor, case=case, assignee=assignee, version=case.version)
    _note(
        case,
        actor,
        _("Changed person: %(previous)s → %(name)s. %(reason)s")
        % {"previous": previous, "name": assignee.name, "reason": reason},
        reassigned=True,
    )
    return case


_SAME_CUSTOMER = _("Choose an open complaint of the same customer.")


@transaction.atomic
def merge(
    *, actor, case: Case | int, into: Case | int, reason: str = "", version: int | None
) -> Case:
    """A duplicate merges into the complaint kept: it closes pointing to it; both timelines stay,
    and each names the other."""
    scope, case, complaint = _locked(actor, case)
    _require_role(scope, case, DISPATCH, assignee_only=False)
    _check_version(case, version)
    survivor_pk = into.pk if isinstance(into, Case) else into
    if survivor_pk == case.pk:
        raise InvalidInput(_("A complaint cannot be merged into itself."), field="into")
    try:
        _s, survivor_case, survivor = _locked(actor, survivor_pk)
    except NotFound as exc:
        raise InvalidInput(_SAME_CUSTOMER, field="into") from exc
    if survivor_case.closed_at is not None or survivor_case.customer_id != case.customer_id:
        raise InvalidInput(_SAME_CUSTOMER, field="into")
    _require_stage(case, OPEN_STAGES, _("This complaint is finished."))
    if complaint.resolutions.exclude(status=ResolutionStatus.REJECTED).exists():
        raise Conflict(_("This complaint has resolutions of its own: settle it instead."))
    reason = _text(reason, "reason", 500)
    complaint.merged_into = survivor
    complaint.save(update_fields=["merged_into"])
    # Complaints merged into the duplicate before now point to the one kept.
    Complaint.objects.filter(merged_into=complaint).update(merged_into=survivor)
    case = cases.move(
        actor=actor,
        case=case,
        move="merge",
        version=case.version,
        payload={"into": survivor_case.number},
        note=_in_site_language(
            _("Merged into %(number)s. %(reason)s")
            % {"number": survivor_case.number, "reason": reason}
        ),
    )
    _note(
        survivor_case,
        actor,
        _("%(number)s merged into this complaint. %(reason)s")
        % {"number": case.number, "reason": reason},
        merged=case.pk,
    )
    _touch(survivor_case)
    _audit(actor, complaint, {"merged_into": [None, survivor_case.number]})
    return case


@transaction.atomic
def close(*, actor, case: Case | int, reason: str, version: int | None) -> Case:
    """Close a complaint without a resolution (withdrawn, not a complaint), with the reason."""
    return cases.move(
        actor=actor,
        case=case if isinstance(case, Case) else int(case),
        move="close",
        version=version,
        payload={"reason": reason},
        note=reason,
    )
