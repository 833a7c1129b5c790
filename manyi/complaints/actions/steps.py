"""The steps between intake and closure: first contact, preparation, the site
investigation and experiments, the ruling, the follow-up call and the return visit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.cases import actions as cases
from manyi.cases.models import CallOutcome, Case
from manyi.complaints.actions.common import (
    TOOLS,
    _any_head,
    _audit,
    _check_version,
    _locked,
    _note,
    _require_role,
    _require_stage,
    _text,
    _touch,
)
from manyi.complaints.models import CauseCategory, Complaint, Experiment
from manyi.complaints.workflow import FIELD, OPEN_STAGES, PARTIES
from manyi.errors import InvalidInput
from manyi.org.models import Staff

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
