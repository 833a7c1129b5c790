"""The writes of surveys: campaigns, triggered surveys, sending (and the helpers the other
action modules share). The customer's side and the closed loop are in ``answering.py``, a
company's settings in ``settings_actions.py``.

Each public function is one transaction. Managers' actions take the actor as keyword and check
``Perm.MANAGE_SURVEYS`` within their subtree. The customer's side (open a link, save, submit)
has no actor: the unguessable token is the credential, and nothing of the customer but the
greeting name is ever returned to it.

Rules (issue 5, DOMAIN §5):

* only customers who agreed to surveys (``Customer.survey_consent``) are invited;
* one invitation per customer per campaign, one per case (constraints; checked here first);
* no message in the quiet hours (21:00–08:00 local by default): a message due then is sent at
  the end of the quiet hours (:func:`next_allowed`); at most one reminder;
* closing a work order or a complaint (stage ``done``) invites its customer after the delay of
  the company's :class:`TriggerSetting` (car service: within three days, 004 §3.2 item 19);
* one response per invitation: submitting again returns the first response (idempotent);
* a detractor (NPS 0–6), an index below the company's threshold or "not satisfied" opens a
  follow-up for the outlet manager (a ``survey_followup`` case, or a complaint, per
  :class:`SurveyPolicy`) with the answers attached.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.cases.models import Case
from manyi.customers.models import Customer, Purchase
from manyi.errors import DomainError, InvalidInput, NotFound, OutOfScope, interpolate
from manyi.instruments.definition import Definition
from manyi.instruments.models import InstrumentVersion, VersionStatus
from manyi.instruments.queries import definition_for, usable_versions
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Industry, Unit, UnitKind
from manyi.org.scopes import Perm, Scope, scope_for
from manyi.surveys import rollups
from manyi.surveys.models import (
    Campaign,
    CampaignStatus,
    CaseKind,
    FollowUp,
    Invitation,
    SurveyChannel,
    SurveyPolicy,
    SurveyResponse,
    TargetSource,
    TriggerSetting,
)

# 004 §3.2 item 19: "维修/保养后，服务店在三日内回访顾客" — car service asks the next day, well
# inside the three days; other industries after three days, once the work has settled.
DEFAULT_DELAY_HOURS = {Industry.CAR_DEALER: 24}
DEFAULT_DELAY = 72
# The stage whose reaching means "served": a cancelled order or a merged complaint asks nothing.
TRIGGER_STAGES = {CaseKind.WORKORDER: "done", CaseKind.COMPLAINT: "done"}
# Single-choice answers that mean "not satisfied" (000 主动问询; 002 feedback form).
NOT_SATISFIED = frozenset({"not_satisfied", "dissatisfied", "very_dissatisfied"})
# A CSAT question is a 5-point scale coded like this (the built-in CSAT asks "overall").
CSAT_CODES = ("csat", "overall")
CHANNELS = (SurveyChannel.SMS, SurveyChannel.EMAIL)
BATCH = 1000
SWEEP_LIMIT = 500
MAX_CAMPAIGN_DAYS = 366

logger = logging.getLogger(__name__)


class LinkUnusable(DomainError):
    """The survey link cannot be answered (expired, withdrawn, unknown)."""

    status = 410
    code = "link-unusable"
    default_message = _("This survey link is no longer valid.")


def in_site_language(message: Any) -> str:
    """Stored and sent text is in the site's language, whoever triggered it."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message)


def local_time(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment)


def month_of(moment: dt.datetime) -> dt.date:
    """The first day of ``moment``'s local month (the period key of the results)."""
    return local_time(moment).date().replace(day=1)


def next_allowed(
    moment: dt.datetime,
    quiet_start: dt.time | None = None,
    quiet_end: dt.time | None = None,
) -> dt.datetime:
    """``moment``, or the end of the quiet hours it falls in (local time; default 21:00–08:00)."""
    from manyi.surveys.models import QUIET_END, QUIET_START

    start = quiet_start or QUIET_START
    end = quiet_end or QUIET_END
    if start == end:
        return moment
    local = local_time(moment)
    now_t = local.time()
    day = local.date()
    if start > end:  # the window spans midnight (21:00–08:00)
        if now_t >= start:
            day += dt.timedelta(days=1)
        elif now_t >= end:
            return moment
    elif not start <= now_t < end:
        return moment
    return dt.datetime.combine(day, end, tzinfo=local.tzinfo)


def in_quiet_hours(moment: dt.datetime, quiet_start=None, quiet_end=None) -> bool:
    """Whether no message may go out at ``moment``."""
    return next_allowed(moment, quiet_start, quiet_end) != moment


# -- scopes and lookups -------------------------------------------------------------------------


def manager_scope(actor: Any) -> Scope:
    """The actor's scope, if they may run surveys."""
    scope = scope_for(actor)
    scope.require(Perm.MANAGE_SURVEYS)
    if scope.company_id is None and not scope.everything:
        raise OutOfScope()
    return scope


def company_of(scope: Scope, company: Unit | int | None) -> int:
    if scope.everything and company is not None:
        return company.pk if isinstance(company, Unit) else int(company)
    if scope.company_id is None:
        raise InvalidInput(_("Choose a company."), field="company")
    return scope.company_id


def scoped_unit(scope: Scope, company_id: int, unit: Any, field: str = "unit") -> Unit:
    """A unit of the company inside the actor's subtree."""
    pk = unit.pk if isinstance(unit, Unit) else unit
    try:
        found = Unit.objects.get(pk=pk, company_id=company_id, is_active=True)
    except (Unit.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise InvalidInput(_("Choose a unit of your company."), field=field) from exc
    if not scope.covers(found):
        raise InvalidInput(_("Choose a unit of your company."), field=field)
    return found


def sendable_version(scope: Scope, version: Any, field: str = "version") -> InstrumentVersion:
    """A published instrument version the actor may send."""
    pk = version.pk if isinstance(version, InstrumentVersion) else version
    try:
        return usable_versions(scope).get(pk=pk)
    except (InstrumentVersion.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise InvalidInput(_("Choose a published instrument version."), field=field) from exc


def clean_channels(raw: Any) -> list[str]:
    values = [raw] if isinstance(raw, str) else list(raw or [])
    if not values or any(v not in CHANNELS for v in values):
        raise InvalidInput(_("Choose SMS, e-mail or both."), field="channels")
    return [c for c in CHANNELS if c in values]


_DEFINITIONS: dict[tuple[int, str], Definition] = {}


def definition_of(version: InstrumentVersion) -> Definition:
    """The runtime definition of a version; published ones are parsed once per process (they
    never change; the paging mode, which may, is part of the key)."""
    if version.status == VersionStatus.DRAFT:
        return definition_for(version)
    key = (version.pk, version.instrument.paging)
    found = _DEFINITIONS.get(key)
    if found is None:
        if len(_DEFINITIONS) > 256:
            _DEFINITIONS.clear()
        found = _DEFINITIONS[key] = definition_for(version)
    return found


def policy_for(company_id: int) -> SurveyPolicy:
    """The company's closed-loop rule (the field defaults when it has saved none)."""
    return SurveyPolicy.objects.filter(company_id=company_id).first() or SurveyPolicy(
        company_id=company_id
    )


_PLACEHOLDER = "TOKEN"


@functools.cache
def _link_pattern(name: str) -> tuple[str, str]:
    # reverse() costs milliseconds per call; a sweep sends hundreds of links.
    path = reverse(name, args=[_PLACEHOLDER])
    before, _sep, after = path.partition(_PLACEHOLDER)
    return before, after


def _link(name: str, token: str) -> str:
    base = getattr(settings, "MANYI_PUBLIC_URL", "") or "http://localhost:8000"
    before, after = _link_pattern(name)
    return f"{base.rstrip('/')}{before}{token}{after}"


def public_link(token: str) -> str:
    """The absolute link of an answer page (``MANYI_PUBLIC_URL`` + ``/s/<token>/``)."""
    return _link("survey_public:answer", token)


def walk_in_link(token: str) -> str:
    """The absolute link of an outlet's walk-in page (the QR code's content)."""
    return _link("survey_public:walk-in", token)


def greeting_for(name: str) -> str:
    """The name the page greets the customer with (nothing else of them is shown)."""
    return (name or "").strip()[:20]


def clean_int(value: Any, field: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidInput(_("Enter a whole number."), field=field) from exc
    if not low <= number <= high:
        raise InvalidInput(
            interpolate(_("Enter a number from %(low)d to %(high)d."), {"low": low, "high": high}),
            field=field,
        )
    return number


def default_delay_hours(industry: str) -> int:
    """The delay before a triggered survey when the company has not chosen one."""
    return DEFAULT_DELAY_HOURS.get(industry, DEFAULT_DELAY)


# -- campaigns ------------------------------------------------------------------------------------

TARGET_CHOICES = {
    "age_band": "age_band",
    "income_band": "income_band",
    "education": "education",
    "social_class": "social_class",
    "relationship_level": "relationship_level",
}


def _date(value: Any, field: str) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError as exc:
        raise InvalidInput(_("Enter a valid date."), field=field) from exc


def clean_target(company_id: int, unit: Unit, source: str, raw: Any) -> dict[str, Any]:
    """The campaign's target filter in canonical form (outlet ids, ISO dates, choice values)."""
    from manyi.customers import models as cm

    raw = raw if isinstance(raw, Mapping) else {}
    target: dict[str, Any] = {}
    outlets = raw.get("outlets") or []
    if outlets:
        try:
            ids = sorted({int(v) for v in outlets})
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                _("Choose outlets of the campaign's unit."), field="outlets"
            ) from exc
        found = Unit.objects.filter(
            pk__in=ids, company_id=company_id, kind=UnitKind.OUTLET, path__startswith=unit.path
        ).count()
        if found != len(ids):
            raise InvalidInput(_("Choose outlets of the campaign's unit."), field="outlets")
        target["outlets"] = ids
    if source == TargetSource.CUSTOMERS:
        choices = {
            "age_band": cm.AgeBand,
            "income_band": cm.IncomeBand,
            "education": cm.Education,
            "social_class": cm.SocialClass,
            "relationship_level": cm.RelationshipLevel,
        }
        for key, enum in choices.items():
            value = raw.get(key) or ""
            if value:
                if value not in enum.values:
                    raise InvalidInput(_("Not one of the available choices."), field=key)
                target[key] = value
        tag = str(raw.get("tag") or "").strip()
        if tag:
            target["tag"] = tag[:30]
        for key in ("purchased_from", "purchased_to"):
            value = _date(raw.get(key), key)
            if value:
                target[key] = value
    else:
        kind = raw.get("case_kind") or ""
        if kind and kind not in CaseKind.values:
            raise InvalidInput(_("Not one of the available choices."), field="case_kind")
        if kind:
            target["case_kind"] = kind
        for key in ("closed_from", "closed_to"):
            value = _date(raw.get(key), key)
            if value:
                target[key] = value
    return target


def _clean_campaign(scope: Scope, company_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    errors: list[tuple[str, Any]] = []

    def collect(fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InvalidInput as exc:
            errors.extend(exc.field_errors())
            return None

    name = str(data.get("name") or "").strip()
    if not name or len(name) > 100:
        errors.append(("name", _("Enter a name (at most 100 characters).")))
    unit = collect(scoped_unit, scope, company_id, data.get("unit"))
    version = collect(sendable_version, scope, data.get("version"))
    source = data.get("source") or TargetSource.CUSTOMERS
    if source not in TargetSource.values:
        errors.append(("source", _("Not one of the available choices.")))
        source = TargetSource.CUSTOMERS
    target = collect(clean_target, company_id, unit, source, data.get("target")) if unit else {}
    channels = collect(clean_channels, data.get("channels") or [SurveyChannel.SMS])
    starts_at = data.get("starts_at") or clock.now()
    deadline_at = data.get("deadline_at")
    if not isinstance(starts_at, dt.datetime):
        errors.append(("starts_at", _("Enter a valid date and time.")))
    if not isinstance(deadline_at, dt.datetime):
        errors.append(("deadline_at", _("Enter a valid date and time.")))
    elif isinstance(starts_at, dt.datetime):
        if deadline_at <= max(starts_at, clock.now()):
            errors.append(("deadline_at", _("The deadline must come after the start and now.")))
        elif deadline_at - starts_at > dt.timedelta(days=MAX_CAMPAIGN_DAYS):
            errors.append(("deadline_at", _("A campaign runs for at most a year.")))
    reminder = data.get("reminder_after_hours")
    if reminder in ("", None):
        reminder = None
    else:
        reminder = collect(clean_int, reminder, "reminder_after_hours", 1, 24 * 30)
    quiet_start = data.get("quiet_start") or None
    quiet_end = data.get("quiet_end") or None
    for key, value in (("quiet_start", quiet_start), ("quiet_end", quiet_end)):
        if value is not None and not isinstance(value, dt.time):
            errors.append((key, _("Enter a valid time.")))
    if errors:
        raise InvalidInput(errors=errors)
    from manyi.surveys.models import QUIET_END, QUIET_START

    return {
        "name": name,
        "unit": unit,
        "version": version,
        "source": source,
        "target": target,
        "channels": channels,
        "starts_at": starts_at,
        "deadline_at": deadline_at,
        "reminder_after_hours": reminder,
        "quiet_start": quiet_start or QUIET_START,
        "quiet_end": quiet_end or QUIET_END,
    }


@transaction.atomic
def create_campaign(*, actor: Any, data: Mapping[str, Any], company: Any = None) -> Campaign:
    """A draft campaign: whom to ask (a unit's customers, filtered), which survey, when, how."""
    scope = manager_scope(actor)
    company_id = company_of(scope, company)
    values = _clean_campaign(scope, company_id, data)
    campaign = Campaign.objects.create(
        company_id=company_id,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=clock.now(),
        **values,
    )
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=campaign,
        company_id=company_id,
        changes={"version": [None, values["version"].pk], "unit": [None, values["unit"].pk]},
    )
    return campaign


def _locked_campaign(scope: Scope, campaign: Campaign | int) -> Campaign:
    pk = campaign.pk if isinstance(campaign, Campaign) else campaign
    try:
        return scope.filter(
            Campaign.objects.select_for_update(), unit_field="unit", perm=Perm.MANAGE_SURVEYS
        ).get(pk=pk)
    except (Campaign.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


@transaction.atomic
def update_campaign(*, actor: Any, campaign: Campaign | int, data: Mapping[str, Any]) -> Campaign:
    """Change a draft campaign (a launched one is fixed: its invitations are out)."""
    scope = manager_scope(actor)
    campaign = _locked_campaign(scope, campaign)
    if not campaign.is_editable:
        raise DomainError(_("Only a draft campaign can be changed."))
    values = _clean_campaign(scope, campaign.company_id, data)
    for key, value in values.items():
        setattr(campaign, key, value)
    campaign.save()
    audit(actor=actor, action=AuditAction.UPDATE, obj=campaign, company_id=campaign.company_id)
    return campaign


def audience(campaign: Campaign) -> list[tuple[int, int, int | None, str]]:
    """Whom a campaign invites: (customer id, outlet id, technician staff id, name) for each
    customer with survey consent matching the target, at most once each."""
    target = campaign.target or {}
    unit_path = Unit.objects.filter(pk=campaign.unit_id).values_list("path", flat=True).get()
    if campaign.source == TargetSource.CLOSED_CASES:
        qs = Case.objects.filter(
            company_id=campaign.company_id,
            closed_at__isnull=False,
            customer__survey_consent=True,
            unit__path__startswith=unit_path,
        )
        kind = target.get("case_kind")
        qs = (
            qs.filter(kind=kind, stage=TRIGGER_STAGES[kind])
            if kind
            else qs.filter(kind__in=list(TRIGGER_STAGES), stage="done")
        )
        if target.get("outlets"):
            qs = qs.filter(unit_id__in=target["outlets"])
        if target.get("closed_from"):
            start = dt.date.fromisoformat(target["closed_from"])
            qs = qs.filter(closed_at__gte=_day_start(start))
        if target.get("closed_to"):
            end = dt.date.fromisoformat(target["closed_to"]) + dt.timedelta(days=1)
            qs = qs.filter(closed_at__lt=_day_start(end))
        rows = qs.order_by("customer_id", "-closed_at").values_list(
            "customer_id", "unit_id", "assignee_id", "customer__name"
        )
        seen: set[int] = set()
        picked = []
        for customer_id, unit_id, assignee_id, name in rows.iterator(chunk_size=2000):
            if customer_id not in seen:  # the latest closed case of each customer
                seen.add(customer_id)
                picked.append((customer_id, unit_id, assignee_id, name))
        return picked
    qs = Customer.objects.filter(
        company_id=campaign.company_id,
        survey_consent=True,
        home_outlet__path__startswith=unit_path,
    )
    if target.get("outlets"):
        qs = qs.filter(home_outlet_id__in=target["outlets"])
    for key in TARGET_CHOICES:
        if target.get(key):
            qs = qs.filter(**{key: target[key]})
    if target.get("tag"):
        qs = qs.filter(tags__name=target["tag"])
    if target.get("purchased_from") or target.get("purchased_to"):
        bought = Purchase.objects.filter(customer=OuterRef("pk"))
        if target.get("purchased_from"):
            bought = bought.filter(purchased_on__gte=target["purchased_from"])
        if target.get("purchased_to"):
            bought = bought.filter(purchased_on__lte=target["purchased_to"])
        qs = qs.filter(Exists(bought))
    return [
        (pk, outlet, None, name)
        for pk, outlet, name in qs.order_by("pk")
        .values_list("pk", "home_outlet_id", "name")
        .distinct()
        .iterator(chunk_size=2000)
    ]


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _channel_for(channels: Iterable[str], email: str) -> str | None:
    """E-mail when chosen and the customer has an address, else SMS when chosen."""
    channels = list(channels)
    if SurveyChannel.EMAIL in channels and email:
        return SurveyChannel.EMAIL
    if SurveyChannel.SMS in channels:
        return SurveyChannel.SMS
    return None


def _emails(customer_ids: list[int]) -> dict[int, str]:
    # The archive keeps no e-mail address yet (customers.Customer has no such field); the
    # e-mail channel is ready for when it does.
    if not hasattr(Customer, "email"):
        return {}
    return dict(
        Customer.objects.filter(pk__in=customer_ids).exclude(email="").values_list("pk", "email")
    )


@transaction.atomic
def launch_campaign(*, actor: Any, campaign: Campaign | int) -> Campaign:
    """Launch a draft: invite each customer of the target once; sending starts at ``starts_at``
    (outside the quiet hours). A target with nobody who agreed to surveys is refused."""
    scope = manager_scope(actor)
    campaign = _locked_campaign(scope, campaign)
    if campaign.status != CampaignStatus.DRAFT:
        raise DomainError(_("Only a draft campaign can be launched."))
    now = clock.now()
    if campaign.deadline_at <= now:
        raise InvalidInput(
            _("The deadline must come after the start and now."), field="deadline_at"
        )
    people = audience(campaign)
    emails = _emails([p[0] for p in people])
    send_at = next_allowed(max(campaign.starts_at, now), campaign.quiet_start, campaign.quiet_end)
    rows = []
    for customer_id, unit_id, technician_id, name in people:
        channel = _channel_for(campaign.channels, emails.get(customer_id, ""))
        if channel is None:
            continue
        rows.append(
            Invitation(
                company_id=campaign.company_id,
                campaign=campaign,
                customer_id=customer_id,
                version_id=campaign.version_id,
                unit_id=unit_id,
                technician_id=technician_id,
                channel=channel,
                greeting=greeting_for(name),
                created_at=now,
                send_at=send_at,
                expires_at=campaign.deadline_at,
            )
        )
    if not rows:
        raise InvalidInput(
            _("Nobody in this target has agreed to surveys; nobody would be invited."),
            field="target",
        )
    Invitation.objects.bulk_create(rows, batch_size=BATCH)
    campaign.status = CampaignStatus.SCHEDULED
    campaign.launched_at = now
    campaign.save(update_fields=["status", "launched_at"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=campaign,
        company_id=campaign.company_id,
        changes={"status": [CampaignStatus.DRAFT, campaign.status], "invited": [0, len(rows)]},
    )
    return campaign


@transaction.atomic
def cancel_campaign(*, actor: Any, campaign: Campaign | int) -> Campaign:
    """Stop a campaign: nothing more is sent and unanswered links stop working."""
    scope = manager_scope(actor)
    campaign = _locked_campaign(scope, campaign)
    if campaign.status in (CampaignStatus.CANCELLED, CampaignStatus.CLOSED):
        raise DomainError(_("This campaign has already ended."))
    now = clock.now()
    previous = campaign.status
    campaign.status = CampaignStatus.CANCELLED
    campaign.cancelled_at = now
    campaign.save(update_fields=["status", "cancelled_at"])
    withdrawn = Invitation.objects.filter(
        campaign=campaign, answered_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=now)
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=campaign,
        company_id=campaign.company_id,
        changes={"status": [previous, campaign.status], "withdrawn": [0, withdrawn]},
    )
    return campaign


# -- triggered surveys ---------------------------------------------------------------------------


def trigger_for(company_id: int, case_kind: str, industry: str) -> TriggerSetting | None:
    """The trigger that applies to a case: its industry's row, else the company's default."""
    rows = {
        t.industry: t
        for t in TriggerSetting.objects.filter(
            company_id=company_id, case_kind=case_kind, industry__in=[industry, ""]
        ).select_related("version")
    }
    return rows.get(industry) or rows.get("")


def schedule_case_survey(case: Case) -> Invitation | None:
    """Invite the customer of a case that was just served, after the configured delay.

    Nothing when no trigger is enabled, the customer has not agreed to surveys, or the case
    already had its survey (one per case, also when a case is reopened and closed again)."""
    if case.kind not in TRIGGER_STAGES or case.stage != TRIGGER_STAGES[case.kind]:
        return None
    unit = case.unit
    trigger = trigger_for(case.company_id, case.kind, unit.industry)
    if trigger is None or not trigger.enabled:
        return None
    customer = case.customer
    if not customer.survey_consent:
        return None
    if Invitation.objects.filter(case=case).exists():
        return None
    channel = _channel_for(trigger.channels or [SurveyChannel.SMS], getattr(customer, "email", ""))
    if channel is None:
        return None
    now = clock.now()
    send_at = next_allowed(now + dt.timedelta(hours=trigger.delay_hours))
    return Invitation.objects.create(
        company_id=case.company_id,
        case=case,
        customer=customer,
        version_id=trigger.version_id,
        unit=unit,
        technician_id=case.assignee_id,
        channel=channel,
        greeting=greeting_for(customer.name),
        created_at=now,
        send_at=send_at,
        expires_at=send_at + dt.timedelta(days=trigger.valid_days),
    )


def on_case_closed(*, case: Case, actor: Any, source: str, move: str) -> None:
    """The case engine's close hook: a served case gets its survey; a follow-up's or a
    complaint's closing closes the follow-up it carries."""
    FollowUp.objects.filter(case_id=case.pk, closed_at__isnull=True).update(
        closed_at=case.closed_at, closed_by=actor if getattr(actor, "pk", None) else None
    )
    schedule_case_survey(case)


# -- sending --------------------------------------------------------------------------------------


def _message(invitation: Invitation, *, reminder: bool) -> tuple[str, str]:
    """The subject and text of an invitation or its reminder, in the site's language."""
    values = {
        "company": invitation.company.name,
        "outlet": invitation.unit.name,
        "greeting": invitation.greeting or in_site_language(_("Dear customer")),
        "link": public_link(invitation.token),
        "date": f"{local_time(invitation.expires_at):%Y-%m-%d}",
    }
    if reminder:
        body = _(
            "[%(company)s] %(greeting)s, a gentle reminder from %(outlet)s: we would value your "
            "opinion of our service. The survey is open until %(date)s: %(link)s"
        )
    else:
        body = _(
            "[%(company)s] %(greeting)s, thank you for choosing %(outlet)s. Please tell us how "
            "we did; it takes about a minute: %(link)s"
        )
    subject = _("%(company)s: how did we do?")
    return in_site_language(subject % values), in_site_language(body % values)


def _deliver(invitation: Invitation, *, reminder: bool) -> None:
    """Hand one invitation (or its reminder) to its channel (inside the caller's transaction)."""
    from manyi.notify.actions import send_email, send_sms

    subject, body = _message(invitation, reminder=reminder)
    ref = f"survey:{invitation.pk}"
    company_id = invitation.company_id
    if invitation.channel == SurveyChannel.EMAIL:
        address = getattr(invitation.customer, "email", "")
        send_email(to=address, subject=subject, body=body, ref=ref, company_id=company_id)
    else:
        send_sms(to=invitation.customer.phone, body=body, ref=ref, company_id=company_id)


def _quiet_window(invitation: Invitation) -> tuple[dt.time | None, dt.time | None]:
    campaign = invitation.campaign
    if campaign is None:
        return None, None
    return campaign.quiet_start, campaign.quiet_end


def send_due_invitations(now: dt.datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """Send the invitations that are due (the task runs this every minute); returns how many.

    Each is claimed with a conditional update, so two sweeps never send one twice. One that
    falls due in its quiet hours is moved to their end instead.
    """
    now = now or clock.now()
    due = list(
        Invitation.objects.filter(
            send_at__lte=now,
            sent_at__isnull=True,
            cancelled_at__isnull=True,
            answered_at__isnull=True,
        )
        .select_related("company", "unit", "customer", "campaign")
        .order_by("send_at")[:limit]
    )
    sent = 0
    for invitation in due:
        with transaction.atomic():
            if invitation.expires_at <= now:
                Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(
                    cancelled_at=now
                )
                continue
            quiet = _quiet_window(invitation)
            allowed = next_allowed(now, *quiet)
            if allowed != now:
                Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(
                    send_at=allowed
                )
                continue
            remind_at = None
            campaign = invitation.campaign
            if campaign is not None and campaign.reminder_after_hours:
                remind_at = next_allowed(
                    now + dt.timedelta(hours=campaign.reminder_after_hours), *quiet
                )
                if remind_at >= invitation.expires_at:
                    remind_at = None
            # Not if answered meanwhile (the customer may answer from a reminder of another
            # channel, or the QR code's page, while the sweep runs): no SMS after the answer.
            claimed = Invitation.objects.filter(
                pk=invitation.pk,
                sent_at__isnull=True,
                cancelled_at__isnull=True,
                answered_at__isnull=True,
            ).update(sent_at=now, remind_at=remind_at)
            if claimed:
                invitation.sent_at = now
                rollups.record_sent(invitation, now)
                _deliver(invitation, reminder=False)
                sent += 1
    return sent


def send_due_reminders(now: dt.datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """Send the one reminder of each sent, unanswered invitation that is due; returns how many."""
    now = now or clock.now()
    due = list(
        Invitation.objects.filter(
            remind_at__lte=now,
            remind_at__isnull=False,
            reminded_at__isnull=True,
            answered_at__isnull=True,
            cancelled_at__isnull=True,
        )
        .select_related("company", "unit", "customer", "campaign")
        .order_by("remind_at")[:limit]
    )
    sent = 0
    for invitation in due:
        with transaction.atomic():
            if invitation.expires_at <= now or invitation.sent_at is None:
                Invitation.objects.filter(pk=invitation.pk).update(remind_at=None)
                continue
            allowed = next_allowed(now, *_quiet_window(invitation))
            if allowed != now:
                Invitation.objects.filter(pk=invitation.pk, reminded_at__isnull=True).update(
                    remind_at=allowed
                )
                continue
            claimed = Invitation.objects.filter(
                pk=invitation.pk, reminded_at__isnull=True, answered_at__isnull=True
            ).update(reminded_at=now)
            if claimed:
                _deliver(invitation, reminder=True)
                sent += 1
    return sent


def close_due_campaigns(now: dt.datetime | None = None) -> int:
    """Close the scheduled campaigns whose response deadline has passed."""
    now = now or clock.now()
    return Campaign.objects.filter(status=CampaignStatus.SCHEDULED, deadline_at__lte=now).update(
        status=CampaignStatus.CLOSED, closed_at=now
    )


# A follow-up is opened by the task its submission enqueued, within seconds; the sweep opens
# those still pending after this long (the task was lost: a crash before the enqueue, a worker
# killed mid-task).
FOLLOW_UP_GRACE = dt.timedelta(minutes=2)


def open_due_follow_ups(now: dt.datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """Open the follow-ups of unhappy responses whose task was lost; returns how many.

    Each goes through ``answering.open_pending_follow_up`` (exactly once, whoever runs it).
    One that fails is logged and left pending for the next sweep; the others go on."""
    from manyi.surveys.answering import open_pending_follow_up

    now = now or clock.now()
    pending = list(
        SurveyResponse.objects.exclude(follow_up_pending="")
        .filter(submitted_at__lte=now - FOLLOW_UP_GRACE)
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:limit]
    )
    opened = 0
    for pk in pending:
        try:
            opened += open_pending_follow_up(pk) is not None
        except Exception:
            logger.exception("survey follow-up of response %s failed; retried next sweep", pk)
    return opened


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic work: send what is due, remind once, close finished campaigns, open the
    follow-ups whose task was lost."""
    return {
        "sent": send_due_invitations(now),
        "reminded": send_due_reminders(now),
        "closed": close_due_campaigns(now),
        "followed_up": open_due_follow_ups(now),
    }
