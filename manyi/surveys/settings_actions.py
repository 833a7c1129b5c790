"""Survey settings of a company: which survey closing a case sends (triggers), the closed-loop
rule (policy), and the outlets' walk-in QR codes. Company-wide managers only, except the QR
codes, which an outlet manager may set up for their own outlets."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.errors import InvalidInput, NotFound, OutOfScope
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Industry, Unit, UnitKind
from manyi.surveys.actions import (
    clean_channels,
    clean_int,
    company_of,
    default_delay_hours,
    manager_scope,
    scoped_unit,
    sendable_version,
)
from manyi.surveys.models import (
    CaseKind,
    FollowUpAs,
    SurveyChannel,
    SurveyPolicy,
    TriggerSetting,
    WalkInPoint,
)


@transaction.atomic
def save_trigger(
    *,
    actor: Any,
    case_kind: str,
    version: Any,
    industry: str = "",
    delay_hours: Any = None,
    valid_days: Any = 14,
    channels: Any = (SurveyChannel.SMS,),
    enabled: bool = True,
    company: Unit | int | None = None,
) -> TriggerSetting:
    """Set which survey closing a case of ``case_kind`` sends (for one industry or all)."""
    scope = manager_scope(actor)
    if not scope.is_company_wide:
        raise OutOfScope(_("Only company-wide managers change the survey settings."))
    company_id = company_of(scope, company)
    errors: list[tuple[str, Any]] = []
    if case_kind not in CaseKind.values:
        errors.append(("case_kind", _("Not one of the available choices.")))
    if industry and industry not in Industry.values:
        errors.append(("industry", _("Not one of the available choices.")))
    if errors:
        raise InvalidInput(errors=errors)
    found = sendable_version(scope, version)
    delay = default_delay_hours(industry) if delay_hours in (None, "") else delay_hours
    values = {
        "version": found,
        "delay_hours": clean_int(delay, "delay_hours", 0, 24 * 30),
        "valid_days": clean_int(valid_days, "valid_days", 1, 90),
        "channels": clean_channels(channels),
        "enabled": bool(enabled),
        "updated_at": clock.now(),
    }
    row, created = TriggerSetting.objects.update_or_create(
        company_id=company_id, case_kind=case_kind, industry=industry, defaults=values
    )
    audit(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=row,
        company_id=company_id,
        changes={
            "version": [None, found.pk],
            "delay_hours": [None, row.delay_hours],
            "enabled": [None, row.enabled],
        },
    )
    return row


@transaction.atomic
def delete_trigger(*, actor: Any, trigger: TriggerSetting | int) -> None:
    """Remove a trigger row (closing such cases sends no survey, or the company default)."""
    scope = manager_scope(actor)
    if not scope.is_company_wide:
        raise OutOfScope(_("Only company-wide managers change the survey settings."))
    pk = trigger.pk if isinstance(trigger, TriggerSetting) else trigger
    qs = TriggerSetting.objects.all()
    if not scope.everything:
        qs = qs.filter(company_id=scope.company_id)
    row = qs.filter(pk=pk).first()
    if row is None:
        raise NotFound()
    audit(actor=actor, action=AuditAction.DELETE, obj=row, company_id=row.company_id)
    row.delete()


@transaction.atomic
def save_policy(
    *,
    actor: Any,
    low_index: Any,
    follow_up_as: str,
    follow_up_days: Any,
    company: Unit | int | None = None,
) -> SurveyPolicy:
    """Set the company's closed-loop rule: the index threshold, what it opens, how fast."""
    scope = manager_scope(actor)
    if not scope.is_company_wide:
        raise OutOfScope(_("Only company-wide managers change the survey settings."))
    company_id = company_of(scope, company)
    try:
        threshold = float(low_index)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidInput(_("Enter a number from 0 to 100."), field="low_index") from exc
    if not 0 <= threshold <= 100:
        raise InvalidInput(_("Enter a number from 0 to 100."), field="low_index")
    if follow_up_as not in FollowUpAs.values:
        raise InvalidInput(_("Not one of the available choices."), field="follow_up_as")
    days = clean_int(follow_up_days, "follow_up_days", 1, 30)
    row, created = SurveyPolicy.objects.update_or_create(
        company_id=company_id,
        defaults={
            "low_index": threshold,
            "follow_up_as": follow_up_as,
            "follow_up_days": days,
            "updated_at": clock.now(),
        },
    )
    audit(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=row,
        company_id=company_id,
        changes={"low_index": [None, threshold], "follow_up_as": [None, follow_up_as]},
    )
    return row


@transaction.atomic
def save_walk_in_point(
    *, actor: Any, unit: Any, version: Any, ask_phone: bool = True, is_active: bool = True
) -> WalkInPoint:
    """Give an outlet its walk-in QR code (or change which survey it asks); the link stays."""
    scope = manager_scope(actor)
    company_id = company_of(scope, _unit_company(unit) if scope.everything else None)
    outlet = scoped_unit(scope, company_id, unit)
    if outlet.kind != UnitKind.OUTLET:
        raise InvalidInput(_("Choose an outlet."), field="unit")
    found = sendable_version(scope, version)
    point, created = WalkInPoint.objects.update_or_create(
        unit=outlet,
        defaults={
            "company_id": company_id,
            "version": found,
            "ask_phone": bool(ask_phone),
            "is_active": bool(is_active),
        },
    )
    audit(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=point,
        company_id=company_id,
        changes={"version": [None, found.pk], "active": [None, point.is_active]},
    )
    return point


def _unit_company(unit: Any) -> int | None:
    pk = unit.pk if isinstance(unit, Unit) else unit
    return Unit.objects.filter(pk=pk).values_list("company_id", flat=True).first()


@transaction.atomic
def renew_walk_in_token(*, actor: Any, point: WalkInPoint | int) -> WalkInPoint:
    """A new link for an outlet's QR code (the old poster stops working)."""
    from manyi.surveys.models import new_token

    scope = manager_scope(actor)
    pk = point.pk if isinstance(point, WalkInPoint) else point
    row = (
        scope.filter(WalkInPoint.objects.select_for_update(), unit_field="unit")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise NotFound()
    row.token = new_token()
    row.save(update_fields=["token"])
    audit(actor=actor, action=AuditAction.UPDATE, obj=row, company_id=row.company_id)
    return row
