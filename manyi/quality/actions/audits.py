"""Writes of the audit system (003 P-063..068): templates, plans, audits, findings, actions.

* A template is generated from approved standards as an instrument of kind audit (one item per
  standard, code ``s<standard id>``; two factors, the sides, weighted by the ranking exercise —
  see :mod:`manyi.quality.weights`) and published through the instruments' own actions.
* An audit is started by an auditor (an outlet manager: walk-around templates only, on their own
  outlet), answered in any order and saved as it goes, then submitted: the answers are
  validated whole, scored by the instruments engine and stored as rows; each gap (not met,
  partly met) and each confirmed good practice (met) becomes an :class:`AuditFinding`.
* A gap may become an :class:`ActionItem` with an owner and a due date; praise is recorded
  when the outlet manager passes it on (P-068: audits confirm good behaviour, not police).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.cases.actions import IMAGE_TYPES, MAX_ATTACHMENT_BYTES
from manyi.errors import Conflict, InvalidInput, NotFound, OutOfScope, interpolate
from manyi.insights import rollups
from manyi.instruments import actions as instruments
from manyi.instruments.answers import clean_answers
from manyi.instruments.definition import FORMAT, Definition
from manyi.instruments.queries import current_version, definition_for
from manyi.instruments.scoring import answer_rows, factor_rows, score
from manyi.org.actions import audit as log
from manyi.org.models import AuditAction, Role, Staff, Unit
from manyi.org.scopes import ROLE_PERMS, Perm, scope_for
from manyi.quality.access import (
    auditor_scope,
    company_outlet,
    company_staff,
    get_row,
    manager_scope,
    pk_of,
)
from manyi.quality.library import AUDIT_BANDS
from manyi.quality.models import (
    ActionItem,
    ActionStatus,
    Audit,
    AuditAnswer,
    AuditFactorScore,
    AuditFinding,
    AuditPhoto,
    AuditPlan,
    AuditStatus,
    AuditTemplate,
    FindingKind,
    FindingStatus,
    Period,
    PriorityExercise,
    Side,
    Standard,
    StandardStatus,
)
from manyi.quality.weights import weigh

WALKAROUND_MIN, WALKAROUND_MAX = 5, 10
MAX_STANDARDS = 100
MAX_NOTE = 1000
MAX_PHOTOS = 30
SIDE_TITLES = {Side.PROCEDURAL: "程序面标准", Side.PERSONAL: "个人面标准"}
SIDE_NAMES = {Side.PROCEDURAL: "程序面", Side.PERSONAL: "个人面"}


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def item_code(standard_id: int) -> str:
    """The instrument item code of a standard (stable across the template's versions)."""
    return f"s{standard_id}"


def standard_id_of(code: str) -> int | None:
    """The standard id of an item code (None for anything else)."""
    return int(code[1:]) if code.startswith("s") and code[1:].isdigit() else None


# -- templates ------------------------------------------------------------------------------------


def exercise_for(company_id: int, outlet_id: int | None = None) -> PriorityExercise | None:
    """The ranking that weighs an outlet's template: the outlet's own, else the company's."""
    rows = {
        e.unit_id: e
        for e in PriorityExercise.objects.filter(
            Q(unit__isnull=True) | Q(unit_id=outlet_id), company_id=company_id
        )
    }
    return rows.get(outlet_id) or rows.get(None)


def _chosen(scope, standards: Iterable[Any], walkaround: bool) -> list[Standard]:
    try:
        ids = [int(pk_of(s)) for s in standards]
    except (TypeError, ValueError) as exc:
        raise InvalidInput(_("Give standards by their id."), field="standards") from exc
    ids = list(dict.fromkeys(ids))
    rows = list(
        Standard.objects.filter(
            company_id=scope.company_id, pk__in=ids, status=StandardStatus.APPROVED
        )
    )
    if len(rows) != len(ids):
        raise InvalidInput(_("Choose approved standards of your company only."), field="standards")
    low, high = (WALKAROUND_MIN, WALKAROUND_MAX) if walkaround else (1, MAX_STANDARDS)
    if not low <= len(rows) <= high:
        message = (
            _("A walk-around audit checks 5 to 10 standards.")
            if walkaround
            else _("Choose between 1 and 100 standards.")
        )
        raise InvalidInput(message, field="standards")
    return rows


def template_content(
    code: str, name: str, standards: list[Standard], exercise: PriorityExercise | None
) -> dict[str, Any]:
    """The instrument content of an audit template: one audit item per standard, grouped and
    weighted by side (factor weight = the side's share, item weight = its Borda points)."""
    ranks = {}
    if exercise is not None:
        ranks = dict(exercise.ranks.values_list("standard_id", "rank"))
    weighted = weigh(
        [(s.pk, s.side, s.code) for s in standards],
        procedural_share=exercise.procedural_share if exercise else None,
        ranks=ranks,
    )
    by_id = {s.pk: s for s in standards}
    shares: dict[str, float] = {}
    sections: dict[str, list[dict[str, Any]]] = {}
    with translation.override("zh-hans"):  # the form's content is Chinese, like the seeds
        for w in weighted:
            standard = by_id[w.standard_id]
            help_text = f"{standard.get_area_display()}｜衡量：{standard.criterion}"
            sections.setdefault(w.side, []).append(
                {
                    "code": item_code(standard.pk),
                    "type": "audit",
                    "text": standard.statement,
                    "help": help_text[:500],
                    "factor": w.side,
                    "weight": w.points,
                    "required": True,
                }
            )
            # Σ effective weights of a side = its share (see weights.py).
            shares[w.side] = shares.get(w.side, 0.0) + w.weight
    return {
        "format": FORMAT,
        "code": code,
        "name": name,
        "name_en": "",
        "kind": "audit",
        "description": "由服务标准生成（003 P-067 如何创建服务审核表格）。",
        "source": "003 P-045, P-067",
        "paging": "page",
        # 003 P-068: an unchecked standard counts as not met (but submitting needs them all).
        "missing_rule": "zero",
        "band_basis": "index",
        "bands": AUDIT_BANDS,
        "factors": [
            {"code": side, "name": SIDE_NAMES[side], "weight": round(shares[side], 6)}
            for side in (Side.PROCEDURAL, Side.PERSONAL)
            if side in shares
        ],
        "sections": [
            {"title": SIDE_TITLES[side], "description": "", "items": sections[side]}
            for side in (Side.PROCEDURAL, Side.PERSONAL)
            if side in sections
        ],
    }


def _clean_name(name: Any) -> str:
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > 100:
        raise InvalidInput(_("Give the template a name of at most 100 characters."), field="name")
    return name


@transaction.atomic
def generate_template(
    *,
    actor: Any,
    name: str,
    standards: Iterable[Any],
    walkaround: bool = False,
    unit: Unit | int | None = None,
) -> AuditTemplate:
    """A new audit template from chosen approved standards, weighted by the ranking of
    ``unit`` (an outlet; else the company's), published as an audit instrument."""
    scope = manager_scope(actor)
    name = _clean_name(name)
    outlet = company_outlet(scope, unit, field="unit") if unit not in (None, "") else None
    chosen = _chosen(scope, standards, walkaround)
    exercise = exercise_for(scope.company_id, outlet.pk if outlet else None)
    template = AuditTemplate.objects.create(
        company_id=scope.company_id,
        name=name,
        is_walkaround=walkaround,
        exercise=exercise,
        created_at=clock.now(),
        created_by=_user(actor),
    )
    template.standards.set(chosen)
    content = template_content(f"audit-t{template.pk}", name, chosen, exercise)
    instrument = instruments.import_instrument(actor=actor, data=content)
    instruments.publish(actor=actor, version=instrument.versions.get())
    template.instrument = instrument
    template.save(update_fields=["instrument"])
    log(
        actor=actor,
        action=AuditAction.CREATE,
        obj=template,
        company_id=scope.company_id,
        changes={"standards": [None, [s.code for s in chosen]], "walkaround": [None, walkaround]},
    )
    return template


@transaction.atomic
def regenerate_template(
    *,
    actor: Any,
    template: AuditTemplate | int,
    standards: Iterable[Any] | None = None,
    unit: Unit | int | None = None,
) -> AuditTemplate:
    """Publish the template's next version from its (or new) standards and the current ranks:
    after standards were revised or re-ranked. Audits already done keep their version."""
    scope = manager_scope(actor)
    template = get_row(
        AuditTemplate.objects.select_for_update().filter(company_id=scope.company_id), template
    )
    outlet = company_outlet(scope, unit, field="unit") if unit not in (None, "") else None
    ids = standards if standards is not None else template.standards.values_list("pk", flat=True)
    chosen = _chosen(scope, ids, template.is_walkaround)
    exercise = exercise_for(scope.company_id, outlet.pk if outlet else None)
    content = template_content(template.instrument.code, template.name, chosen, exercise)
    draft = instruments.new_draft(actor=actor, instrument=template.instrument)
    instruments.replace_content(actor=actor, version=draft, data=content)
    instruments.publish(actor=actor, version=draft)
    template.standards.set(chosen)
    template.exercise = exercise
    template.save(update_fields=["exercise"])
    log(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=template,
        company_id=scope.company_id,
        changes={"version": [None, draft.number], "standards": [None, [s.code for s in chosen]]},
    )
    return template


@transaction.atomic
def set_template_active(
    *, actor: Any, template: AuditTemplate | int, active: bool
) -> AuditTemplate:
    """Offer (or stop offering) a template for new audits and plans."""
    scope = manager_scope(actor)
    template = get_row(AuditTemplate.objects.filter(company_id=scope.company_id), template)
    if template.is_active != bool(active):
        template.is_active = bool(active)
        template.save(update_fields=["is_active"])
        log(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=template,
            company_id=scope.company_id,
            changes={"is_active": [not template.is_active, template.is_active]},
        )
    return template


# -- plans ----------------------------------------------------------------------------------------


def may_audit(staff: Staff, outlet: Unit, template: AuditTemplate) -> bool:
    """Whether ``staff`` may carry out ``template`` at ``outlet`` (role, subtree, walk-around)."""
    if Perm.AUDIT_OUTLETS not in ROLE_PERMS.get(staff.role, frozenset()):
        return False
    if not staff.unit.contains(outlet):
        return False
    return staff.role != Role.OUTLET_MANAGER or template.is_walkaround


@transaction.atomic
def create_plan(
    *,
    actor: Any,
    name: str,
    template: AuditTemplate | int,
    outlets: Iterable[Any],
    every: Any,
    period: str,
    starts_on: dt.date | None,
    auditor: Staff | int | None = None,
    ends_on: dt.date | None = None,
) -> AuditPlan:
    """An audit plan: ``template`` at ``outlets`` every ``every`` weeks or months from
    ``starts_on``, by ``auditor`` (or by any auditor covering the outlet)."""
    scope = manager_scope(actor)
    errors: list = []
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > 100:
        errors.append(("name", _("Give the plan a name of at most 100 characters.")))
    try:
        template = get_row(
            AuditTemplate.objects.filter(company_id=scope.company_id, is_active=True), template
        )
    except NotFound:
        errors.append(("template", _("Choose an active audit template.")))
        template = None
    units = []
    for outlet in outlets or []:
        try:
            units.append(company_outlet(scope, outlet))
        except NotFound:
            errors.append(("outlets", _("Choose active outlets of your company.")))
            break
    if not units and not any(f == "outlets" for f, _m in errors):
        errors.append(("outlets", _("Choose at least one outlet.")))
    try:
        every = int(every)
        if isinstance(every, bool) or not 1 <= every <= 52:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(("every", _("Enter a whole number from 1 to 52.")))
    if period not in Period.values:
        errors.append(("period", _("Not one of the available choices.")))
    if not isinstance(starts_on, dt.date):
        errors.append(("starts_on", _("Enter a valid date.")))
    if ends_on is not None and (
        not isinstance(ends_on, dt.date) or (isinstance(starts_on, dt.date) and ends_on < starts_on)
    ):
        errors.append(("ends_on", _("The plan cannot end before it starts.")))
    staff = None
    if auditor not in (None, ""):
        try:
            staff = company_staff(scope, auditor, field="auditor")
        except NotFound:
            errors.append(("auditor", _("Choose a member of your company's staff.")))
        else:
            if template is not None and not all(may_audit(staff, u, template) for u in units):
                errors.append(
                    ("auditor", _("This person may not carry out this audit at every outlet."))
                )
    if errors:
        raise InvalidInput(errors[0][1], errors=errors)
    plan = AuditPlan.objects.create(
        company_id=scope.company_id,
        name=name,
        template=template,
        every=every,
        period=period,
        auditor=staff,
        starts_on=starts_on,
        ends_on=ends_on,
        created_at=clock.now(),
        created_by=_user(actor),
    )
    plan.outlets.set(units)
    log(
        actor=actor,
        action=AuditAction.CREATE,
        obj=plan,
        company_id=scope.company_id,
        changes={
            "outlets": [None, [u.code for u in units]],
            "every": [None, f"{every} {period}"],
            "auditor": [None, staff.name if staff else None],
        },
    )
    return plan


@transaction.atomic
def set_plan_active(*, actor: Any, plan: AuditPlan | int, active: bool) -> AuditPlan:
    """Pause or resume a plan (a paused plan puts nothing on anyone's list)."""
    scope = manager_scope(actor)
    plan = get_row(AuditPlan.objects.filter(company_id=scope.company_id), plan)
    if plan.is_active != bool(active):
        plan.is_active = bool(active)
        plan.save(update_fields=["is_active"])
        log(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=plan,
            company_id=scope.company_id,
            changes={"is_active": [not plan.is_active, plan.is_active]},
        )
    return plan


# -- audits ---------------------------------------------------------------------------------------


@transaction.atomic
def start_audit(
    *,
    actor: Any,
    outlet: Unit | int,
    template: AuditTemplate | int | None = None,
    plan: AuditPlan | int | None = None,
) -> Audit:
    """Start (or resume) an audit of ``outlet`` with ``template`` or the plan's template.

    The actor's audit in progress of the same outlet and template is returned instead of a
    second one (marked ``resumed``), so a retried start does not duplicate it."""
    scope = auditor_scope(actor)
    outlet = company_outlet(scope, outlet)
    if plan not in (None, ""):
        plan = get_row(AuditPlan.objects.filter(company_id=scope.company_id, is_active=True), plan)
        if not plan.outlets.filter(pk=outlet.pk).exists():
            raise InvalidInput(_("This outlet is not in the plan."), field="outlet")
        template = plan.template
    else:
        plan = None
    if template in (None, ""):
        raise InvalidInput(_("Choose an audit template."), field="template")
    template = get_row(
        AuditTemplate.objects.select_related("instrument").filter(
            company_id=scope.company_id, is_active=True
        ),
        template,
    )
    if scope.role == Role.OUTLET_MANAGER and not template.is_walkaround:
        raise OutOfScope(_("Outlet managers carry out walk-around audits only."))
    version = current_version(template.instrument)
    if version is None:
        raise Conflict(_("The template has no published version."))
    existing = (
        Audit.objects.select_for_update()
        .filter(
            auditor_id=scope.staff_id, outlet=outlet, template=template, status=AuditStatus.DRAFT
        )
        .first()
    )
    if existing is not None:
        existing.resumed = True  # not stored: tells the API to answer 200 rather than 201
        return existing
    now = clock.now()
    audit = Audit.objects.create(
        company_id=scope.company_id,
        outlet=outlet,
        template=template,
        plan=plan,
        is_walkaround=template.is_walkaround,
        auditor_id=scope.staff_id,
        version=version,
        started_at=now,
    )
    log(
        actor=actor,
        action=AuditAction.CREATE,
        obj=audit,
        company_id=scope.company_id,
        changes={"outlet": [None, outlet.name], "template": [None, template.name]},
    )
    return audit


def _own_draft(actor: Any, audit: Audit | int) -> tuple[Any, Audit]:
    """The actor's audit in progress, locked; others' audits are not found."""
    scope = auditor_scope(actor)
    audit = get_row(
        Audit.objects.select_for_update()
        .select_related("version__instrument")
        .filter(company_id=scope.company_id, auditor_id=scope.staff_id),
        audit,
    )
    if audit.status != AuditStatus.DRAFT:
        raise Conflict(_("This audit was submitted; it can no longer change."))
    return scope, audit


def _merge(audit: Audit, definition: Definition, answers: Any, notes: Any, note: Any) -> None:
    """Fold posted answers and notes into the audit (not saved). An answer or note sent as
    null or empty removes the earlier one."""
    if answers is not None:
        if not isinstance(answers, Mapping):
            raise InvalidInput(_("The answers must be an object keyed by question code."))
        merged = dict(audit.answers or {})
        for code, value in answers.items():
            if value is None or value == "":
                merged.pop(code, None)
            else:
                merged[code] = value
        audit.answers = clean_answers(definition, merged, partial=True)
    if notes is not None:
        if not isinstance(notes, Mapping):
            raise InvalidInput(_("The notes must be an object keyed by question code."))
        merged_notes = dict(audit.notes or {})
        for code, text in notes.items():
            if definition.item(str(code)) is None:
                raise InvalidInput(_("There is no such question."), field=str(code)[:40])
            text = "" if text is None else str(text).strip()
            if len(text) > MAX_NOTE:
                raise InvalidInput(
                    interpolate(_("At most %(n)d characters."), {"n": MAX_NOTE}), field=str(code)
                )
            if text:
                merged_notes[code] = text
            else:
                merged_notes.pop(code, None)
        audit.notes = merged_notes
    if note is not None:
        note = str(note).strip()
        if len(note) > 2000:
            raise InvalidInput(
                interpolate(_("At most %(n)d characters."), {"n": 2000}), field="note"
            )
        audit.note = note


@transaction.atomic
def save_audit(
    *, actor: Any, audit: Audit | int, answers: Any = None, notes: Any = None, note: Any = None
) -> Audit:
    """Save answers and notes of an audit in progress (any subset, validated as far as given)."""
    _scope, audit = _own_draft(actor, audit)
    _merge(audit, definition_for(audit.version), answers, notes, note)
    audit.save(update_fields=["answers", "notes", "note"])
    return audit


def sniff_image(data: bytes) -> str:
    """The content type of a JPEG or PNG, or InvalidInput."""
    if not data or len(data) > MAX_ATTACHMENT_BYTES:
        raise InvalidInput(_("The image is empty or larger than 10 MB."), field="file")
    for magic, content_type in IMAGE_TYPES.items():
        if data.startswith(magic):
            return content_type
    raise InvalidInput(_("Upload a JPEG or PNG image."), field="file")


def store_image(row: Any, data: bytes, prefix: str) -> Any:
    """Save ``data`` into the row's ``file`` through Django's storage; then the row."""
    content_type = sniff_image(data)
    digest = hashlib.sha256(data).hexdigest()
    extension = "png" if content_type == "image/png" else "jpg"
    row.content_type, row.size, row.sha256 = content_type, len(data), digest
    row.file.save(f"{prefix}-{digest[:16]}.{extension}", ContentFile(data), save=False)
    row.save()
    return row


@transaction.atomic
def add_audit_photo(*, actor: Any, audit: Audit | int, item: str, data: bytes) -> AuditPhoto:
    """A photo for one standard of an audit in progress."""
    scope, audit = _own_draft(actor, audit)
    definition = definition_for(audit.version)
    if definition.item(str(item)) is None:
        raise InvalidInput(_("There is no such question."), field="item")
    if audit.photos.count() >= MAX_PHOTOS:
        raise InvalidInput(
            interpolate(_("At most %(n)d photos per audit."), {"n": MAX_PHOTOS}), field="file"
        )
    photo = store_image(
        AuditPhoto(audit=audit, item_code=str(item), created_at=clock.now()), data, "audit"
    )
    log(
        actor=actor,
        action=AuditAction.CREATE,
        obj=photo,
        company_id=scope.company_id,
        changes={"audit": [None, audit.pk], "item": [None, photo.item_code]},
    )
    return photo


@transaction.atomic
def submit_audit(
    *, actor: Any, audit: Audit | int, answers: Any = None, notes: Any = None, note: Any = None
) -> Audit:
    """Submit an audit: every standard answered (met / partly / not met / not applicable),
    scored, stored as rows; findings recorded for each gap and each good practice."""
    scope, audit = _own_draft(actor, audit)
    definition = definition_for(audit.version)
    _merge(audit, definition, answers, notes, note)
    audit.answers = clean_answers(definition, audit.answers or {})
    result = score(definition, audit.answers)
    now = clock.now()
    today = timezone.localdate(now)
    audit.apply_result(result)
    audit.status = AuditStatus.SUBMITTED
    audit.submitted_at = now
    audit.day = today
    audit.month = today.replace(day=1)
    audit.save()
    rollups.touch(audit.outlet_id, today)  # the cockpit's audit score of the outlet-day
    AuditFactorScore.objects.bulk_create(
        AuditFactorScore(audit=audit, factor_id=fid, score=s)
        for fid, s in factor_rows(definition, result)
    )
    codes = {item.id: item.code for item in definition.items}
    rows = answer_rows(definition, audit.answers, result)
    ids = {standard_id_of(codes[r["item_id"]]) for r in rows}
    standards = {s.pk: s for s in Standard.objects.filter(pk__in=ids)}
    answer_objects, findings = [], []
    for row in rows:
        code = codes[row["item_id"]]
        standard = standards[standard_id_of(code)]
        side = definition.item(code).factor or standard.side
        text = (audit.notes or {}).get(code, "")
        answer_objects.append(
            AuditAnswer(
                audit=audit, standard=standard, area=standard.area, side=side, note=text, **row
            )
        )
        verdict = row["choice"]
        if verdict in ("met", "partly", "not_met"):
            findings.append(
                AuditFinding(
                    company_id=audit.company_id,
                    outlet_id=audit.outlet_id,
                    audit=audit,
                    standard=standard,
                    kind=FindingKind.RECOGNITION if verdict == "met" else FindingKind.GAP,
                    verdict=verdict,
                    note=text,
                    created_at=now,
                )
            )
    AuditAnswer.objects.bulk_create(answer_objects)
    AuditFinding.objects.bulk_create(findings)
    log(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=audit,
        company_id=scope.company_id,
        changes={
            "status": [AuditStatus.DRAFT, AuditStatus.SUBMITTED],
            "index": [None, None if result.index is None else round(result.index, 1)],
        },
    )
    return audit


@transaction.atomic
def discard_audit(*, actor: Any, audit: Audit | int) -> None:
    """Throw away the actor's audit in progress (a submitted audit stays for good)."""
    scope, audit = _own_draft(actor, audit)
    log(
        actor=actor,
        action=AuditAction.DELETE,
        obj=audit,
        company_id=scope.company_id,
        changes={"outlet": [audit.outlet.name, None]},
    )
    for photo in audit.photos.all():
        photo.file.delete(save=False)
    audit.delete()


# -- findings and action items --------------------------------------------------------------------


def _finding(actor: Any, finding: AuditFinding | int, *perms: Perm) -> tuple[Any, AuditFinding]:
    """A finding of an outlet in the actor's subtree, if the actor holds one of ``perms``."""
    scope = scope_for(actor)
    if scope.company_id is None or not any(scope.can(p) for p in perms):
        raise OutOfScope()
    finding = get_row(
        AuditFinding.objects.select_for_update()
        .select_related("outlet", "standard")
        .filter(company_id=scope.company_id),
        finding,
    )
    if not scope.covers(finding.outlet):
        raise NotFound()
    return scope, finding


def _owner(scope, owner: Any, outlet: Unit | None) -> Staff:
    try:
        staff = company_staff(scope, owner, field="owner")
    except NotFound as exc:
        raise InvalidInput(_("Choose a member of your company's staff."), field="owner") from exc
    if staff.role == Role.SHOPPER or (outlet is not None and not staff.unit.contains(outlet)):
        raise InvalidInput(_("The owner must work at this outlet or above it."), field="owner")
    return staff


def _due(due_on: Any) -> dt.date:
    if not isinstance(due_on, dt.date) or isinstance(due_on, dt.datetime):
        raise InvalidInput(_("Enter a valid date."), field="due_on")
    if due_on < timezone.localdate(clock.now()):
        raise InvalidInput(_("The due date cannot be in the past."), field="due_on")
    return due_on


def _description(text: Any) -> str:
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text or len(text) > 300:
        raise InvalidInput(_("Describe the action in at most 300 characters."), field="description")
    return text


@transaction.atomic
def create_finding_action(
    *, actor: Any, finding: AuditFinding | int, description: str, owner: Any, due_on: dt.date
) -> ActionItem:
    """Turn a gap found by an audit into an action item with an owner and a due date
    (quality managers, or the outlet's manager)."""
    scope, finding = _finding(actor, finding, Perm.MANAGE_QUALITY, Perm.MANAGE_IMPROVEMENT)
    if finding.kind != FindingKind.GAP:
        raise Conflict(_("Only a gap (not met, partly met) becomes an action item."))
    if finding.status == FindingStatus.CLOSED:
        raise Conflict(_("This finding is closed."))
    description = _description(description)
    staff = _owner(scope, owner, finding.outlet)
    due_on = _due(due_on)
    item = ActionItem.objects.create(
        company_id=finding.company_id,
        outlet=finding.outlet,
        finding=finding,
        description=description,
        owner=staff,
        due_on=due_on,
        created_at=clock.now(),
        created_by=_user(actor),
    )
    if finding.status == FindingStatus.OPEN:
        finding.status = FindingStatus.ACTED
        finding.save(update_fields=["status"])
    log(
        actor=actor,
        action=AuditAction.CREATE,
        obj=item,
        company_id=finding.company_id,
        changes={
            "finding": [None, str(finding.uid)],
            "owner": [None, staff.name],
            "due_on": [None, due_on.isoformat()],
        },
    )
    return item


@transaction.atomic
def complete_action(*, actor: Any, item: ActionItem | int, note: str = "") -> ActionItem:
    """Mark an action item done (its owner, or a quality manager); a finding whose actions are
    all done is closed."""
    scope = scope_for(actor)
    if scope.company_id is None:
        raise OutOfScope()
    item = get_row(ActionItem.objects.select_for_update().filter(company_id=scope.company_id), item)
    manager = scope.can(Perm.MANAGE_QUALITY) and scope.is_company_wide
    if item.owner_id != scope.staff_id and not manager:
        raise OutOfScope()
    if item.status != ActionStatus.OPEN:
        raise Conflict(_("This action item is no longer open."))
    note = (note or "").strip() if isinstance(note, str) else ""
    if len(note) > 300:
        raise InvalidInput(interpolate(_("At most %(n)d characters."), {"n": 300}), field="note")
    item.status, item.done_at, item.done_note = ActionStatus.DONE, clock.now(), note
    item.save(update_fields=["status", "done_at", "done_note"])
    if (
        item.finding_id
        and not ActionItem.objects.filter(
            finding_id=item.finding_id, status=ActionStatus.OPEN
        ).exists()
    ):
        AuditFinding.objects.filter(pk=item.finding_id).update(status=FindingStatus.CLOSED)
    log(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=item,
        company_id=item.company_id,
        changes={"status": [ActionStatus.OPEN, ActionStatus.DONE]},
    )
    return item


@transaction.atomic
def recognise(*, actor: Any, finding: AuditFinding | int, note: str = "") -> AuditFinding:
    """Record that a confirmed good practice was praised to the staff (003 P-076: daily verbal
    recognition of good service is the most effective reinforcement)."""
    _scope, finding = _finding(actor, finding, Perm.MANAGE_QUALITY, Perm.AUDIT_OUTLETS)
    if finding.kind != FindingKind.RECOGNITION:
        raise Conflict(_("Only a confirmed good practice is praised."))
    if finding.status != FindingStatus.OPEN:
        raise Conflict(_("This praise was already passed on."))
    note = (note or "").strip() if isinstance(note, str) else ""
    if len(note) > 300:
        raise InvalidInput(interpolate(_("At most %(n)d characters."), {"n": 300}), field="note")
    finding.status = FindingStatus.RECOGNISED
    finding.recognised_at = clock.now()
    finding.recognised_by = _user(actor)
    finding.recognition_note = note
    finding.save(update_fields=["status", "recognised_at", "recognised_by", "recognition_note"])
    log(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=finding,
        company_id=finding.company_id,
        changes={"status": [FindingStatus.OPEN, FindingStatus.RECOGNISED]},
    )
    return finding


@transaction.atomic
def link_finding(*, actor: Any, finding: AuditFinding | int, reference: str) -> AuditFinding:
    """Record the record another app made from this finding (e.g. ``improvement.problem:12``:
    a problem raised for the improvement cycle). The finding's ``uid`` is the other direction."""
    _scope, finding = _finding(actor, finding, Perm.MANAGE_QUALITY, Perm.RAISE_PROBLEMS)
    reference = (reference or "").strip() if isinstance(reference, str) else ""
    if not reference or len(reference) > 100:
        raise InvalidInput(_("Give a reference of at most 100 characters."), field="reference")
    old = finding.reference
    finding.reference = reference
    finding.save(update_fields=["reference"])
    log(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=finding,
        company_id=finding.company_id,
        changes={"reference": [old or None, reference]},
    )
    return finding
