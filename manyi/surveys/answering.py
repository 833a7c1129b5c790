"""The customer's side of a survey — open a link, save, submit — and the closed loop.

No actor here but the token: the unguessable link (or an outlet's QR code) is the credential,
and nothing of the customer but the greeting name is ever returned to its holder. Submitting is
the burst path (a campaign to 100,000 customers): few statements, rows written in bulk. An unhappy
answer is marked on its response (``follow_up_pending``) in the submitting transaction; its
follow-up (a case or a complaint, a notification) is opened by a task enqueued on commit
(:func:`open_pending_follow_up`), and, should that task be lost (a crash between the commit
and the enqueue, a worker killed mid-task), by the periodic sweep: the pending mark is cleared
by a conditional update in the transaction that opens the follow-up, so exactly one is opened.
Managers close case-less follow-ups and record praise here too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.cases import actions as cases
from manyi.cases.models import Case
from manyi.cases.sla import deadline_for
from manyi.cases.workflow import Sla, SlaKind
from manyi.customers.models import Customer
from manyi.errors import DomainError, InvalidInput, NotFound, interpolate
from manyi.instruments.answers import clean_answers
from manyi.instruments.definition import NA, Definition
from manyi.instruments.models import InstrumentVersion, ItemType
from manyi.instruments.scoring import (
    DETRACTOR,
    PROMOTER,
    answer_rows,
    factor_rows,
    is_top2,
    nps_category,
    score,
)
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Role, Staff, Unit
from manyi.surveys import rollups, statement
from manyi.surveys import workflow as followup_workflow
from manyi.surveys.actions import (
    CSAT_CODES,
    NOT_SATISFIED,
    LinkUnusable,
    definition_of,
    in_site_language,
    local_time,
    manager_scope,
    policy_for,
)
from manyi.surveys.models import (
    FollowUp,
    FollowUpAs,
    FollowUpReason,
    Invitation,
    Praise,
    ResponseSource,
    SurveyAnswer,
    SurveyChannel,
    SurveyFactorScore,
    SurveyPolicy,
    SurveyResponse,
    WalkInPoint,
)


def _with_low_index(qs):
    """``qs`` with the company's follow-up threshold as ``low_index`` (the policy read in the
    same statement as the link: one round trip less on the burst path)."""
    default = SurveyPolicy._meta.get_field("low_index").default
    policy = SurveyPolicy.objects.filter(company_id=OuterRef("company_id")).values("low_index")
    return qs.annotate(low_index=Coalesce(Subquery(policy[:1]), Value(default)))


def find_invitation(token: Any) -> Invitation:
    """The invitation of a link, with what its page needs (and the company's ``low_index``),
    or NotFound."""
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        raise NotFound()
    try:
        return _with_low_index(
            Invitation.objects.select_related("version__instrument", "unit", "company")
        ).get(token=token)
    except Invitation.DoesNotExist as exc:
        raise NotFound() from exc


def find_walk_in(token: Any) -> WalkInPoint:
    """An active outlet QR point by its token (with the company's ``low_index``), or
    NotFound."""
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        raise NotFound()
    try:
        return _with_low_index(
            WalkInPoint.objects.select_related("version__instrument", "unit", "company")
        ).get(token=token, is_active=True)
    except WalkInPoint.DoesNotExist as exc:
        raise NotFound() from exc


def check_open(invitation: Invitation, now: dt.datetime | None = None) -> None:
    """Refuse a link that can no longer be answered (answered links are handled by callers)."""
    state = invitation.state(now)
    if state == "cancelled":
        raise LinkUnusable(_("This survey has been withdrawn. Thank you all the same."))
    if state == "expired":
        raise LinkUnusable(_("This survey has closed. Thank you all the same."))


def mark_opened(invitation: Invitation) -> None:
    """Note the first time the link was opened (a conditional update: once)."""
    if invitation.opened_at is None:
        now = clock.now()
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
        invitation.opened_at = now


@transaction.atomic
def save_partial(*, token: str, answers: Any) -> Invitation:
    """Keep an unfinished page's answers so the customer can come back to them."""
    invitation = find_invitation(token)
    if invitation.answered_at:
        return invitation
    check_open(invitation)
    cleaned = clean_answers(definition_of(invitation.version), answers, partial=True)
    Invitation.objects.filter(pk=invitation.pk, answered_at__isnull=True).update(partial=cleaned)
    invitation.partial = cleaned
    return invitation


def submit_invitation(*, token: str, answers: Any) -> tuple[SurveyResponse, bool]:
    """Record the answers to an invitation: (the response, whether it is new).

    The burst path (a campaign to 100,000 customers): the invitation is read with its version
    and the company's threshold (one SELECT); the answers are checked and scored; then the
    link is claimed with a conditional update and the response written with its factor and
    answer rows and the four rollups — on PostgreSQL as one statement (``statement.submit``),
    elsewhere with the ORM in one transaction (the claim, three inserts, four upserts). An
    unhappy answer's follow-up is a task enqueued on commit. A second submit — a double tap,
    a retry — returns the first response, unchanged (and opens nothing).

    Its signature is public (the scale bench calls it): keep it."""
    invitation = find_invitation(token)
    if invitation.answered_at:
        return _existing(invitation), False
    check_open(invitation)
    definition = definition_of(invitation.version)
    cleaned = clean_answers(definition, answers)
    now = clock.now()
    for _attempt in range(2):
        # The claim also holds sent_at to what was read: had the sweep sent the link in the
        # meantime, the rollups would count it sent twice (by the sweep and by this answer);
        # the link is then read again and claimed with what the sweep wrote.
        built = _build(
            definition,
            cleaned,
            version=invitation.version,
            company_id=invitation.company_id,
            unit=invitation.unit,
            technician_id=invitation.technician_id,
            campaign_id=invitation.campaign_id,
            invitation=invitation,
            case_id=invitation.case_id,
            customer_id=invitation.customer_id,
            source=ResponseSource.CASE if invitation.case_id else ResponseSource.CAMPAIGN,
            channel=invitation.channel,
            now=now,
            low_index=invitation.low_index,
        )
        response = _claim_and_store(invitation, built, now)
        if response is not None:
            return _stored(response), True
        invitation = find_invitation(token)
        if invitation.answered_at:
            return _existing(invitation), False
        check_open(invitation, now)
    raise LinkUnusable()


def _claim_and_store(
    invitation: Invitation, built: Built, now: dt.datetime
) -> SurveyResponse | None:
    """Claim the link and write the response (None, nothing written, if the claim failed)."""
    if connection.vendor == "postgresql":
        pk = statement.submit(
            invitation, built.response, built.factors, built.rows, built.rollups, now
        )
        if pk is None:
            return None
        built.response.pk = pk
        built.response._state.adding = False
        built.response._state.db = connection.alias
        invitation.answered_at, invitation.partial = now, {}
        return built.response
    with transaction.atomic():
        claimed = Invitation.objects.filter(
            pk=invitation.pk,
            answered_at__isnull=True,
            cancelled_at__isnull=True,
            expires_at__gt=now,
            sent_at=invitation.sent_at,
        ).update(answered_at=now, partial={})
        if not claimed:
            return None
        invitation.answered_at, invitation.partial = now, {}
        return _store(built)


def _existing(invitation: Invitation) -> SurveyResponse:
    response = SurveyResponse.objects.filter(invitation=invitation).first()
    if response is None:  # answered, then the response was erased with the customer's data
        raise LinkUnusable(_("This survey has already been answered. Thank you!"))
    return response


def submit_walk_in(
    *, token: str, answers: Any, phone: str = "", submit_key: str = ""
) -> tuple[SurveyResponse, bool]:
    """Record a walk-in's answers at an outlet's QR code: (the response, whether it is new).

    Anonymous unless a phone is given; a phone of a known customer links the answer to them
    (so an unhappy answer can be followed up as a case). The form's ``submit_key`` makes a
    double submit record one response."""
    from manyi.customers.actions import normalize_phone

    point = find_walk_in(token)
    submit_key = str(submit_key or "")[:64]
    if submit_key:
        found = SurveyResponse.objects.filter(submit_key=submit_key).first()
        if found is not None:
            return found, False
    definition = definition_of(point.version)
    errors: list[tuple[str, Any]] = []
    try:
        cleaned = clean_answers(definition, answers)
    except InvalidInput as exc:
        errors.extend(exc.field_errors())
        cleaned = {}
    phone = str(phone or "").strip()
    if phone:
        if not point.ask_phone:
            phone = ""
        else:
            try:
                phone = normalize_phone(phone)
            except InvalidInput as exc:
                errors.extend(exc.field_errors() or [("phone", exc.message)])
    if errors:
        raise InvalidInput(errors=errors)
    customer_id = None
    if phone:
        customer_id = (
            Customer.objects.filter(company_id=point.company_id, phone=phone)
            .values_list("pk", flat=True)
            .first()
        )
    built = _build(
        definition,
        cleaned,
        version=point.version,
        company_id=point.company_id,
        unit=point.unit,
        technician_id=None,
        campaign_id=None,
        invitation=None,
        case_id=None,
        customer_id=customer_id,
        source=ResponseSource.WALK_IN,
        channel=SurveyChannel.QR,
        now=clock.now(),
        low_index=point.low_index,
        contact_phone=phone,
        submit_key=submit_key,
    )
    with transaction.atomic():
        response = _stored(_store(built))
    return response, True


def key_figures(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The NPS and CSAT columns of a response, and whether it says "not satisfied"."""
    figures: dict[str, Any] = {
        "nps_value": None,
        "nps_category": "",
        "csat_value": None,
        "csat_top2": None,
    }
    not_satisfied = False
    scales = []
    for item in definition.items:
        value = answers.get(item.code)
        if value is None or value == NA:
            continue
        if item.type == ItemType.NPS and figures["nps_value"] is None:
            figures["nps_value"] = value
            figures["nps_category"] = nps_category(value) or ""
        elif item.type == ItemType.SCALE and item.points == 5:
            scales.append(item)
        elif item.type == ItemType.SINGLE and value in NOT_SATISFIED:
            not_satisfied = True
    csat = next((i for i in scales if i.code in CSAT_CODES and not i.factor), None)
    if csat is None and len(scales) == 1 and not scales[0].factor:
        csat = scales[0]
    if csat is not None:
        value = answers[csat.code]
        figures["csat_value"] = value - csat.start + 1
        figures["csat_top2"] = is_top2(value, points=csat.points, start=csat.start)
    figures["not_satisfied"] = not_satisfied
    return figures


@dataclass
class Built:
    """One response ready to be written: the unsaved response, its factor and answer rows,
    and what it adds to the rollups (``rollups.rollup_rows``)."""

    response: SurveyResponse
    factors: list[SurveyFactorScore]
    rows: list[SurveyAnswer]
    rollups: list


def _build(
    definition: Definition,
    answers: dict[str, Any],
    *,
    version: InstrumentVersion,
    company_id: int,
    unit: Unit,
    technician_id: int | None,
    campaign_id: int | None,
    invitation: Invitation | None,
    case_id: int | None,
    customer_id: int | None,
    source: str,
    channel: str,
    now: dt.datetime,
    low_index: float,
    contact_phone: str = "",
    submit_key: str = "",
) -> Built:
    """Score one response and build its rows; an unhappy one is marked for its follow-up
    (``follow_up_pending``: the reasons), which a task enqueued on commit opens."""
    result = score(definition, answers)
    figures = key_figures(definition, answers)
    not_satisfied = figures.pop("not_satisfied")
    local = local_time(now)
    month = local.date().replace(day=1)
    reasons = []
    if figures["nps_category"] == DETRACTOR:
        reasons.append(FollowUpReason.DETRACTOR)
    if result.index is not None and result.index < low_index:
        reasons.append(FollowUpReason.LOW_INDEX)
    if not_satisfied:
        reasons.append(FollowUpReason.NOT_SATISFIED)
    response = SurveyResponse(
        version=version,
        answers=answers,
        company_id=company_id,
        unit=unit,
        region_id=unit.parent_id,
        technician_id=technician_id,
        campaign_id=campaign_id,
        invitation=invitation,
        case_id=case_id,
        customer_id=customer_id,
        contact_phone=contact_phone,
        source=source,
        channel=channel,
        submitted_at=now,
        month=month,
        day=local.date(),
        unhappy=bool(reasons),
        follow_up_pending=",".join(reasons),
        submit_key=submit_key,
        **figures,
    )
    response.apply_result(result)
    shared = {"response": response, "company_id": company_id, "unit_id": unit.pk, "month": month}
    factors = [
        SurveyFactorScore(factor_id=fid, score=value, **shared)
        for fid, value in factor_rows(definition, result)
    ]
    rows = [SurveyAnswer(**row, **shared) for row in answer_rows(definition, answers, result)]
    return Built(
        response, factors, rows, rollups.rollup_rows(response, factors=factors, answers=rows)
    )


def _store(built: Built) -> SurveyResponse:
    """Write a built response with the ORM (inside the caller's transaction): the response,
    its factor and answer rows in two bulk inserts, one upsert per rollup table."""
    built.response.save()
    if built.factors:
        SurveyFactorScore.objects.bulk_create(built.factors)
    if built.rows:
        SurveyAnswer.objects.bulk_create(built.rows)
    # Last: the rollup rows are shared by concurrent submissions; lock them for the least time.
    for model, keys, sums, rows in built.rollups:
        rollups.upsert(model, keys, sums, rows)
    return built.response


def _stored(response: SurveyResponse) -> SurveyResponse:
    """After the response is written: its follow-up, if unhappy, once the transaction commits."""
    if response.follow_up_pending:
        pk = response.pk
        transaction.on_commit(lambda: _enqueue_follow_up(pk))
    return response


def _enqueue_follow_up(response_id: int) -> None:
    from manyi.surveys.tasks import open_follow_up

    open_follow_up.enqueue(response_id)


# -- the closed loop ------------------------------------------------------------------------------


def display(item, value: Any) -> str:
    if value == NA:
        return in_site_language(_("Not applicable"))
    if item.type in (ItemType.SCALE,) and item.point_labels:
        index = value - item.start
        if 0 <= index < len(item.point_labels):
            return f"{value}（{item.point_labels[index]}）"
    if item.type == ItemType.YES_NO:
        return in_site_language(_("Yes") if value else _("No"))
    if item.type == ItemType.SINGLE:
        option = item.option(value)
        return option.label if option else str(value)
    if item.type == ItemType.MULTIPLE:
        return "、".join(o.label for o in item.options if o.value in value)
    return str(value)


def answers_text(definition: Definition, answers: Mapping[str, Any]) -> str:
    """The answers as lines of text ("3. 问题：回答"), for a follow-up's description."""
    lines = []
    for item in definition.items:
        if item.code in answers:
            lines.append(f"{item.number}. {item.text}：{display(item, answers[item.code])}")
    return "\n".join(lines)


def _outlet_manager(unit: Unit) -> Staff | None:
    return (
        Staff.objects.filter(unit=unit, role=Role.OUTLET_MANAGER, user__is_active=True)
        .select_related("user", "unit")
        .order_by("pk")
        .first()
    )


@transaction.atomic
def open_pending_follow_up(response_id: int) -> FollowUp | None:
    """Open the follow-up an unhappy response is waiting for — once: the pending mark is
    cleared by a conditional update first, in the transaction that opens the follow-up, so a
    second run (a retried task, the sweep beside the task) finds nothing to do, and a run that
    fails leaves the mark for the sweep to try again. Returns the follow-up, or None."""
    pending = (
        SurveyResponse.objects.filter(pk=response_id)
        .exclude(follow_up_pending="")
        .values_list("follow_up_pending", flat=True)
        .first()
    )
    if not pending:
        return None
    claimed = SurveyResponse.objects.filter(pk=response_id, follow_up_pending=pending).update(
        follow_up_pending=""
    )
    if not claimed or FollowUp.objects.filter(response_id=response_id).exists():
        return None
    response = SurveyResponse.objects.select_related("unit", "version__instrument").get(
        pk=response_id
    )
    definition = definition_of(response.version)
    policy = policy_for(response.company_id)
    return _open_follow_up(response, definition, pending.split(","), policy, clock.now())


def _open_follow_up(
    response: SurveyResponse,
    definition: Definition,
    reasons: list[str],
    policy: SurveyPolicy,
    now: dt.datetime,
) -> FollowUp:
    """Open the follow-up of an unhappy answer for the outlet manager, answers attached."""
    from manyi.notify.actions import notify

    labels = "、".join(in_site_language(FollowUpReason(r).label) for r in reasons)
    head = in_site_language(
        interpolate(
            _("Survey answer of %(date)s (%(reasons)s); index %(index)s."),
            {
                "date": f"{local_time(response.submitted_at):%Y-%m-%d %H:%M}",
                "reasons": labels,
                "index": "—" if response.index is None else f"{response.index:.0f}",
            },
        )
    )
    description = f"{head}\n{answers_text(definition, response.answers)}"[:2000]
    follow_up = FollowUp(
        response=response,
        company_id=response.company_id,
        unit=response.unit,
        reasons=reasons,
        opened_as=policy.follow_up_as,
        opened_at=now,
    )
    manager = _outlet_manager(response.unit)
    customer = Customer.objects.filter(pk=response.customer_id).first()
    if customer is not None:
        title = in_site_language(
            interpolate(_("Unhappy survey answer: call %(name)s back"), {"name": customer.name})
        )[:200]
        if policy.follow_up_as == FollowUpAs.COMPLAINT:
            from manyi.complaints import actions as complaints
            from manyi.complaints.models import Channel

            case = complaints.open_complaint(
                actor=cases.SYSTEM,
                customer=customer,
                description=description,
                channel=Channel.SURVEY,
                source_case=Case.objects.filter(pk=response.case_id).first(),
                source_ref=f"survey-response:{response.pk}",
                unit=response.unit,
                title=title,
            )
        else:
            case = cases.open_case(
                actor=cases.SYSTEM,
                kind=followup_workflow.KIND,
                customer=customer,
                title=title,
                description=description,
                unit=response.unit,
                assignee=manager,
            )
        follow_up.case = case
        follow_up.due_at = case.due_at
        url = f"/cases/{case.pk}/"
    else:
        sla = Sla(SlaKind.BUSINESS_DAYS, policy.follow_up_days)
        follow_up.due_at = deadline_for(response.unit, sla, now)
        url = reverse("surveys:follow-ups")
    follow_up.save()
    recipients = [manager.user] if manager else _heads(response.company_id)
    notify(
        kind="survey_follow_up",
        users=recipients,
        unit=response.unit,
        context={"outlet": response.unit.name, "reasons": labels, "details": description[:500]},
        url=url,
    )
    return follow_up


def _heads(company_id: int) -> list:
    return [
        s.user
        for s in Staff.objects.filter(
            company_id=company_id, role=Role.DEPARTMENT_HEAD, user__is_active=True
        ).select_related("user")
    ]


@transaction.atomic
def close_follow_up(*, actor: Any, follow_up: FollowUp | int, outcome: str) -> FollowUp:
    """Close the follow-up of an anonymous answer (one with a case closes with its case)."""
    scope = manager_scope(actor)
    pk = follow_up.pk if isinstance(follow_up, FollowUp) else follow_up
    row = (
        scope.filter(FollowUp.objects.select_for_update(), unit_field="unit").filter(pk=pk).first()
    )
    if row is None:
        raise NotFound()
    if row.case_id is not None:
        raise DomainError(_("This follow-up is worked on its case; close it there."))
    if row.closed_at is not None:
        raise DomainError(_("This follow-up is already closed."))
    outcome = (outcome or "").strip()
    if not outcome or len(outcome) > 2000:
        raise InvalidInput(
            _("Write down what was done (at most 2000 characters)."), field="outcome"
        )
    row.closed_at = clock.now()
    row.closed_by = actor
    row.outcome = outcome
    row.save(update_fields=["closed_at", "closed_by", "outcome"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=row,
        company_id=row.company_id,
        changes={"closed": [False, True]},
    )
    return row


PRAISE_INDEX = 80.0


def is_promoter(response: SurveyResponse) -> bool:
    """Whether an answer may be kept as praise: a promoter (NPS 9–10); without an NPS question
    a top-2 CSAT answer; with neither, an index of at least :data:`PRAISE_INDEX`."""
    if response.nps_category:
        return response.nps_category == PROMOTER
    if response.csat_top2 is not None:
        return response.csat_top2
    return response.index is not None and response.index >= PRAISE_INDEX


@transaction.atomic
def record_praise(*, actor: Any, response: SurveyResponse | int, text: str = "") -> Praise:
    """Keep a promoter's praise for the technician who served them (team scoreboards)."""
    scope = manager_scope(actor)
    pk = response.pk if isinstance(response, SurveyResponse) else response
    found = (
        scope.filter(SurveyResponse.objects.all(), unit_field="unit")
        .select_related("unit")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound()
    if found.technician_id is None:
        raise DomainError(_("This answer names no technician to praise."))
    if not is_promoter(found):
        raise DomainError(_("Only a promoter's or a satisfied customer's answer can be praise."))
    if Praise.objects.filter(response=found).exists():
        raise DomainError(_("This answer is already recorded as praise."))
    text = (text or "").strip()
    if len(text) > 2000:
        raise InvalidInput(_("At most 2000 characters."), field="text")
    praise = Praise.objects.create(
        company_id=found.company_id,
        unit=found.unit,
        technician_id=found.technician_id,
        response=found,
        text=text,
        month=found.month,
        created_at=clock.now(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit(actor=actor, action=AuditAction.CREATE, obj=praise, company_id=found.company_id)
    return praise
