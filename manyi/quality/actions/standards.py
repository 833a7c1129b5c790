"""Writes to the standards library and the ranking exercise (003 P-028..046).

Versioning: a standard's content (area, statement, criterion) lives on the :class:`Standard`
row and in its latest :class:`StandardVersion`. A draft version may be edited in place; once
approved it is frozen, and editing the standard writes the next version, a draft again, which
must pass the approver's four tests before audits may use it. Owner, dates, code, industry and
source are not content: changing them makes no version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.errors import Conflict, InvalidInput, NotFound, interpolate
from manyi.org.actions import audit, diff
from manyi.org.models import AuditAction, Industry, Role, Unit
from manyi.quality.access import company_outlet, company_staff, get_row, manager_scope
from manyi.quality.library import LIBRARIES, standard_data
from manyi.quality.models import (
    AREA_SIDE,
    WRITING_TESTS,
    Area,
    PriorityExercise,
    PriorityRank,
    Side,
    Standard,
    StandardStatus,
    StandardVersion,
)

CONTENT_FIELDS = ("area", "statement", "criterion", "criterion_value", "criterion_unit")
META_FIELDS = ("code", "industry", "owner", "effective_on", "review_on", "source")
TEST_NAMES = tuple(name for name, _label in WRITING_TESTS)
MAX_VALUE = Decimal("99999999")


def _text(errors: list, data: Mapping, key: str, limit: int, *, required: bool = False) -> str:
    value = data.get(key)
    value = "" if value is None else str(value).strip()
    if required and not value:
        errors.append((key, _("This field is required.")))
    elif len(value) > limit:
        errors.append((key, interpolate(_("At most %(n)d characters."), {"n": limit})))
    return value


def _date(errors: list, data: Mapping, key: str) -> dt.date | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        errors.append((key, _("Enter a valid date.")))
        return None
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            errors.append((key, _("Enter a valid date.")))
            return None
    return value


def _decimal(errors: list, data: Mapping, key: str) -> Decimal | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors.append((key, _("Enter a number.")))
        return None
    if not number.is_finite() or abs(number) > MAX_VALUE:
        errors.append((key, _("Enter a number.")))
        return None
    return number


def _clean(scope, data: Mapping[str, Any], *, current: Standard | None = None) -> dict[str, Any]:
    """The standard's fields from ``data`` (only the keys present when ``current`` is given),
    validated; InvalidInput names every bad field."""
    errors: list = []
    values: dict[str, Any] = {}
    present = set(data) if current is not None else set(CONTENT_FIELDS + META_FIELDS)
    if "code" in present:
        code = _text(errors, data, "code", 20)
        if current is None and not code:
            code = _next_code(scope.company_id)
        elif current is not None and not code:
            errors.append(("code", _("This field is required.")))
        values["code"] = code
    if "industry" in present:
        industry = _text(errors, data, "industry", 20)
        if industry and industry not in Industry.values:
            errors.append(("industry", _("Not one of the available choices.")))
        values["industry"] = industry
    if "area" in present:
        area = data.get("area")
        if area not in Area.values:
            errors.append(("area", _("Choose one of the 14 areas.")))
        values["area"] = area
    if "statement" in present:
        values["statement"] = _text(errors, data, "statement", 300, required=True)
    if "criterion" in present:
        values["criterion"] = _text(errors, data, "criterion", 300)
    if "criterion_value" in present:
        values["criterion_value"] = _decimal(errors, data, "criterion_value")
    if "criterion_unit" in present:
        values["criterion_unit"] = _text(errors, data, "criterion_unit", 20)
    if "source" in present:
        values["source"] = _text(errors, data, "source", 100)
    if "owner" in present:
        owner = data.get("owner")
        if owner in (None, ""):
            values["owner"] = None
        else:
            try:
                values["owner"] = company_staff(scope, owner, field="owner")
            except NotFound:
                errors.append(("owner", _("Choose a member of your company's staff.")))
            else:
                if values["owner"].role == Role.SHOPPER:
                    errors.append(("owner", _("Choose a member of your company's staff.")))
    for key in ("effective_on", "review_on"):
        if key in present:
            values[key] = _date(errors, data, key)
    # The number belongs to the criterion: a value or a unit alone measures nothing.
    merged = {f: getattr(current, f) for f in CONTENT_FIELDS} if current else {}
    merged.update({k: v for k, v in values.items() if k in CONTENT_FIELDS})
    if (merged.get("criterion_value") is not None or merged.get("criterion_unit")) and not (
        merged.get("criterion") or ""
    ).strip():
        errors.append(("criterion", _("Write the criterion that the number and unit measure.")))
    effective = values.get("effective_on", current.effective_on if current else None)
    review = values.get("review_on", current.review_on if current else None)
    if effective and review and review < effective:
        errors.append(("review_on", _("The review date cannot be before the effective date.")))
    if values.get("code") and not errors:
        taken = Standard.objects.filter(company_id=scope.company_id, code=values["code"])
        if current is not None:
            taken = taken.exclude(pk=current.pk)
        if taken.exists():
            errors.append(("code", _("Your company already has a standard with this code.")))
    if errors:
        raise InvalidInput(errors[0][1], errors=errors)
    return values


def _next_code(company_id: int) -> str:
    n = Standard.objects.filter(company_id=company_id).count() + 1
    while Standard.objects.filter(company_id=company_id, code=f"S-{n:03d}").exists():
        n += 1
    return f"S-{n:03d}"


def _standard(scope, standard: Standard | int, *, lock: bool = False) -> Standard:
    qs = Standard.objects.filter(company_id=scope.company_id)
    if lock:
        qs = qs.select_for_update()
    return get_row(qs, standard)


@transaction.atomic
def create_standard(*, actor: Any, data: Mapping[str, Any]) -> Standard:
    """A new standard of the actor's company: a draft, version 1."""
    scope = manager_scope(actor)
    values = _clean(scope, data)
    now = clock.now()
    standard = Standard.objects.create(
        company_id=scope.company_id,
        side=AREA_SIDE[values["area"]],
        created_at=now,
        updated_at=now,
        **values,
    )
    StandardVersion.objects.create(
        standard=standard,
        number=1,
        created_at=now,
        created_by=actor if getattr(actor, "pk", None) else None,
        **{f: values[f] for f in CONTENT_FIELDS},
    )
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=standard,
        company_id=scope.company_id,
        changes={"code": [None, standard.code], "statement": [None, standard.statement]},
    )
    return standard


@transaction.atomic
def update_standard(
    *, actor: Any, standard: Standard | int, data: Mapping[str, Any], change_note: str = ""
) -> Standard:
    """Change a standard. New content on an approved standard writes the next version (a draft
    to approve again); on a draft it changes the draft version in place."""
    scope = manager_scope(actor)
    standard = _standard(scope, standard, lock=True)
    if standard.status == StandardStatus.RETIRED:
        raise Conflict(_("A retired standard cannot be changed."))
    values = _clean(scope, data, current=standard)
    changes = diff(standard, values)
    if not changes:
        return standard
    content_changed = any(f in changes for f in CONTENT_FIELDS)
    now = clock.now()
    for field, value in values.items():
        setattr(standard, field, value)
    standard.side = AREA_SIDE[standard.area]
    standard.updated_at = now
    content = {f: getattr(standard, f) for f in CONTENT_FIELDS}
    if content_changed:
        if standard.status == StandardStatus.APPROVED:
            standard.version += 1
            standard.status = StandardStatus.DRAFT
            StandardVersion.objects.create(
                standard=standard,
                number=standard.version,
                created_at=now,
                created_by=actor if getattr(actor, "pk", None) else None,
                change_note=(change_note or "").strip()[:300],
                **content,
            )
            changes["version"] = [standard.version - 1, standard.version]
        else:
            StandardVersion.objects.filter(standard=standard, number=standard.version).update(
                change_note=(change_note or "").strip()[:300], **content
            )
    standard.save()
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=standard,
        company_id=scope.company_id,
        changes=changes,
    )
    return standard


@transaction.atomic
def approve_standard(*, actor: Any, standard: Standard | int, checks: Iterable[str]) -> Standard:
    """Approve the standard's draft version: the approver ticks the four tests (003 P-040:
    clear, concise, observable, realistic); a standard with no measurable criterion is not
    observable and cannot be approved."""
    scope = manager_scope(actor)
    standard = _standard(scope, standard, lock=True)
    if standard.status != StandardStatus.DRAFT:
        raise Conflict(_("Only a draft standard can be approved."))
    ticked = {str(c) for c in checks}
    errors = []
    if not standard.is_observable:
        errors.append(
            (
                "criterion",
                _("Not observable: write a measurable criterion before approving the standard."),
            )
        )
    missing = [str(label) for name, label in WRITING_TESTS if name not in ticked]
    if missing:
        errors.append(
            (
                "checks",
                interpolate(
                    _("Tick all four tests before approving. Not ticked: %(tests)s"),
                    {"tests": "；".join(missing)},
                ),
            )
        )
    unknown = ticked - set(TEST_NAMES)
    if unknown:
        errors.append(("checks", _("Not one of the available choices.")))
    if errors:
        raise InvalidInput(errors[0][1], errors=errors)
    now = clock.now()
    StandardVersion.objects.filter(standard=standard, number=standard.version).update(
        checks=dict.fromkeys(TEST_NAMES, True),
        approved_at=now,
        approved_by=actor if getattr(actor, "pk", None) else None,
    )
    standard.status = StandardStatus.APPROVED
    standard.updated_at = now
    standard.save(update_fields=["status", "updated_at"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=standard,
        company_id=scope.company_id,
        changes={
            "status": [StandardStatus.DRAFT, StandardStatus.APPROVED],
            "version": [None, standard.version],
        },
    )
    return standard


@transaction.atomic
def retire_standard(*, actor: Any, standard: Standard | int) -> Standard:
    """Take a standard out of use (templates already generated keep their frozen text)."""
    scope = manager_scope(actor)
    standard = _standard(scope, standard, lock=True)
    if standard.status == StandardStatus.RETIRED:
        return standard
    old = standard.status
    standard.status = StandardStatus.RETIRED
    standard.updated_at = clock.now()
    standard.save(update_fields=["status", "updated_at"])
    PriorityRank.objects.filter(standard=standard).delete()
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=standard,
        company_id=scope.company_id,
        changes={"status": [old, StandardStatus.RETIRED]},
    )
    return standard


# -- the ranking exercise -------------------------------------------------------------------------


@transaction.atomic
def set_priorities(
    *,
    actor: Any,
    procedural_share: Any,
    ranks: Mapping[str, Iterable[Any]],
    unit: Unit | int | None = None,
) -> PriorityExercise:
    """The ranking exercise of 003 P-045 for the company (``unit`` None) or one outlet: the
    procedural share (0–100, the personal side gets the rest) and, per side, the standards in
    order of importance (``{"procedural": [id, …], "personal": [id, …]}``, first = rank 1).
    The ranks given replace the previous ones; standards left out are unranked."""
    scope = manager_scope(actor)
    outlet = company_outlet(scope, unit, field="unit") if unit not in (None, "") else None
    errors: list = []
    try:
        share = int(procedural_share)
        if isinstance(procedural_share, bool) or not 0 <= share <= 100:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(("procedural_share", _("Enter a whole number from 0 to 100.")))
        share = 0
    if not isinstance(ranks, Mapping) or set(ranks) - set(Side.values):
        raise InvalidInput(_("Give the ranks per side: procedural and personal."), field="ranks")
    wanted: dict[str, list[int]] = {}
    for side in Side.values:
        ids = []
        for raw in ranks.get(side) or []:
            try:
                ids.append(int(raw))
            except (TypeError, ValueError):
                errors.append((side, _("Give standards by their id.")))
        if len(set(ids)) != len(ids):
            errors.append((side, _("A standard is ranked twice.")))
        wanted[side] = ids
    all_ids = [pk for ids in wanted.values() for pk in ids]
    found = {
        s.pk: s
        for s in Standard.objects.filter(company_id=scope.company_id, pk__in=all_ids).exclude(
            status=StandardStatus.RETIRED
        )
    }
    for side, ids in wanted.items():
        for pk in ids:
            standard = found.get(pk)
            if standard is None:
                errors.append((side, _("There is no such standard in use.")))
            elif standard.side != side:
                errors.append(
                    (
                        side,
                        interpolate(_("%(code)s is on the other side."), {"code": standard.code}),
                    )
                )
    if errors:
        raise InvalidInput(errors[0][1], errors=errors)
    exercise = (
        PriorityExercise.objects.select_for_update()
        .filter(company_id=scope.company_id, unit=outlet)
        .first()
    )
    now = clock.now()
    user = actor if getattr(actor, "pk", None) else None
    if exercise is None:
        exercise = PriorityExercise.objects.create(
            company_id=scope.company_id,
            unit=outlet,
            procedural_share=share,
            updated_at=now,
            updated_by=user,
        )
        old_share = None
    else:
        old_share = exercise.procedural_share
        exercise.procedural_share, exercise.updated_at, exercise.updated_by = share, now, user
        exercise.save(update_fields=["procedural_share", "updated_at", "updated_by"])
        exercise.ranks.all().delete()
    PriorityRank.objects.bulk_create(
        PriorityRank(exercise=exercise, standard_id=pk, side=side, rank=place)
        for side, ids in wanted.items()
        for place, pk in enumerate(ids, start=1)
    )
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=exercise,
        company_id=scope.company_id,
        changes={
            "unit": [None, outlet.name if outlet else None],
            "procedural_share": [old_share, share],
            "ranks": [None, {side: len(ids) for side, ids in wanted.items()}],
        },
    )
    return exercise


@transaction.atomic
def load_starter_library(*, actor: Any, industries: Iterable[str] | None = None) -> int:
    """Load the starter standards written from the seeds (``library.LIBRARIES``) into the
    actor's company: the general ones and those of ``industries`` (all when None). Idempotent:
    codes the company already has are left alone. Observable standards are approved; returns
    how many standards were added."""
    scope = manager_scope(actor)
    chosen = set(LIBRARIES) if industries is None else {"", *industries}
    existing = set(
        Standard.objects.filter(company_id=scope.company_id).values_list("code", flat=True)
    )
    added = 0
    for industry, rows in LIBRARIES.items():
        if industry not in chosen:
            continue
        for row in rows:
            if row[0] in existing:
                continue
            standard = create_standard(actor=actor, data=standard_data(row, industry))
            if standard.is_observable:
                approve_standard(actor=actor, standard=standard, checks=TEST_NAMES)
            added += 1
    return added
