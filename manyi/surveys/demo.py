"""The demo company's year of satisfaction surveys, played through the survey actions.

Settings first (triggers after closed work orders and complaints, the closed-loop rule, a
walk-in QR code per outlet), then for each of the last twelve months a campaign to one outlet's
customers of one age band (those who agreed to surveys), sent by the real sweep and answered by
about 40% of them, plus the odd walk-in per outlet; finally the demo's closed work orders get their
triggered survey. Answers lean on a per-outlet level and a slow upward trend, so results show
differences between outlets, technicians and months; unhappy answers open their follow-ups
through the closed loop, as in real use. Fixed random seed: two builds are identical.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from manyi import clock
from manyi.errors import InvalidInput
from manyi.instruments.definition import Definition
from manyi.instruments.models import InstrumentVersion, ItemType
from manyi.org.models import Industry, Role, Staff, Unit, UnitKind

AGE_BANDS = ["25_34", "35_44", "45_59", "u25", "60p"]
COMMENTS = [
    "师傅很专业，讲解得很清楚",
    "等待时间有点长",
    "服务态度很好，谢谢",
    "希望下次能准时一些",
    "价格偏贵",
    "环境干净，休息区舒适",
    "交车很快，满意",
    "电话回访很及时",
    "施工后现场打扫得很干净",
    "希望能提前告知上门时间",
]


def clear_surveys(company: Unit) -> None:
    """Remove the company's survey data (before the demo is rebuilt; units are protected)."""
    from manyi.surveys import models as m

    for model in (
        m.Praise,
        m.FollowUp,
        m.SurveyAnswer,
        m.SurveyFactorScore,
        m.SurveyResponse,
        m.Invitation,
        m.Campaign,
        m.WalkInPoint,
        m.TriggerSetting,
        m.SurveyPolicy,
    ):
        model.objects.filter(company=company).delete()


def _version(code: str) -> InstrumentVersion:
    return InstrumentVersion.objects.select_related("instrument").get(
        instrument__code=code, instrument__company__isnull=True, number=1
    )


def _answers(definition: Definition, rng: random.Random, level: float) -> dict[str, Any]:
    """Plausible answers: ``level`` (0–1) is how well this outlet and month went."""
    answers: dict[str, Any] = {}
    for item in definition.items:
        if item.type in (ItemType.SCALE, ItemType.NPS):
            values = item.values
            mood = min(1.0, max(0.0, rng.gauss(level, 0.18)))
            answers[item.code] = values[round(mood * (len(values) - 1))]
        elif item.type == ItemType.YES_NO:
            answers[item.code] = rng.random() < level + 0.1
        elif item.type == ItemType.SINGLE:
            scored = sorted((o for o in item.options if o.score is not None), key=lambda o: o.score)
            options = scored or list(item.options)
            mood = min(1.0, max(0.0, rng.gauss(level + 0.1, 0.2)))
            answers[item.code] = options[round(mood * (len(options) - 1))].value
        elif item.type == ItemType.MULTIPLE:
            answers[item.code] = [rng.choice(item.options).value]
        elif item.type == ItemType.TEXT and rng.random() < 0.35:
            answers[item.code] = rng.choice(COMMENTS)
    return answers


def build_surveys(
    company: Unit,
    rng: random.Random,
    *,
    months: int = 12,
    progress: Callable[[str, int, int], None] | None = None,
) -> int:
    """Give the demo company a year of survey responses; returns how many were recorded."""
    from django.contrib.auth import get_user_model

    from manyi.cases.models import Case
    from manyi.surveys import actions, answering, settings_actions
    from manyi.surveys.models import (
        CaseKind,
        FollowUpAs,
        Invitation,
        SurveyResponse,
        WalkInPoint,
    )

    head = (
        Staff.objects.filter(company=company, role=Role.DEPARTMENT_HEAD, unit=company)
        .select_related("user")
        .first()
    )
    actor = get_user_model().objects.get(pk=head.user_id)
    outlets = list(Unit.objects.filter(company=company, kind=UnitKind.OUTLET).order_by("code"))
    by_industry = {
        Industry.CAR_DEALER: "csi",
        Industry.PAINT_DEALER: "feedback-form",
        Industry.FURNITURE: "install-inquiry",
        Industry.DECORATION: "install-inquiry",
        Industry.PHARMACY: "csat",
    }
    versions = {code: _version(code) for code in {*by_industry.values(), "nps", "dealer-csi-19"}}
    definitions = {code: actions.definition_of(v) for code, v in versions.items()}
    # Each outlet's own level of service (what the results will show), 0.68–0.93.
    level = {o.pk: 0.68 + 0.25 * rng.random() for o in outlets}
    now = timezone.localtime(clock.now()).replace(hour=10, minute=0, second=0, microsecond=0)
    start = (now - dt.timedelta(days=30 * months)).replace(day=1)

    with clock.travel(start):
        settings_actions.save_policy(
            actor=actor, low_index=60, follow_up_as=FollowUpAs.FOLLOW_UP, follow_up_days=1
        )
        settings_actions.save_trigger(
            actor=actor, case_kind=CaseKind.WORKORDER, version=versions["feedback-form"].pk
        )
        settings_actions.save_trigger(
            actor=actor,
            case_kind=CaseKind.WORKORDER,
            version=versions["csi"].pk,
            industry=Industry.CAR_DEALER,
        )
        settings_actions.save_trigger(
            actor=actor, case_kind=CaseKind.COMPLAINT, version=versions["nps"].pk
        )
        for outlet in outlets:
            code = "nps" if outlet.industry != Industry.CAR_DEALER else "dealer-csi-19"
            settings_actions.save_walk_in_point(
                actor=actor, unit=outlet.pk, version=versions[code].pk
            )
    points = {p.unit_id: p for p in WalkInPoint.objects.filter(company=company)}

    recorded = 0
    for month in range(months):
        first = (start + dt.timedelta(days=31 * month)).replace(day=1)
        moment = first + dt.timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 6))
        if moment >= now:
            break
        trend = 0.04 * month / max(1, months - 1)  # things slowly get better
        outlet = outlets[month % len(outlets)]
        code = by_industry.get(outlet.industry, "nps")
        with clock.travel(moment):
            campaign = actions.create_campaign(
                actor=actor,
                data={
                    "name": f"{first:%Y年%m月} {outlet.name} 满意度调查",
                    "unit": outlet.pk,
                    "version": versions[code].pk,
                    "channels": ["sms"],
                    "starts_at": moment,
                    "deadline_at": moment + dt.timedelta(days=14),
                    "reminder_after_hours": 72,
                    # One age band a month keeps the demo fast (about 50 invitations each).
                    "target": {"age_band": AGE_BANDS[month % len(AGE_BANDS)]},
                },
            )
            try:
                actions.launch_campaign(actor=actor, campaign=campaign)
            except InvalidInput:
                launched = False  # nobody at this outlet agreed to surveys: stays a draft
            else:
                launched = True
                actions.send_due_invitations(now=moment, limit=5000)
        if not launched:
            continue
        tokens = list(
            Invitation.objects.filter(campaign=campaign, sent_at__isnull=False).values_list(
                "token", flat=True
            )
        )
        answering_now = [t for t in tokens if rng.random() < 0.4]
        for token in answering_now:
            at = moment + dt.timedelta(hours=rng.uniform(1, 200))
            at = actions.next_allowed(at)
            with clock.travel(at):
                answers = _answers(definitions[code], rng, level[outlet.pk] + trend)
                _followed_up(answering.submit_invitation(token=token, answers=answers)[0])
            recorded += 1
        with clock.travel(moment + dt.timedelta(days=3)):
            actions.send_due_reminders(now=moment + dt.timedelta(days=3), limit=5000)
        # A few walk-ins at every outlet each month.
        for walk_outlet in outlets:
            point = points[walk_outlet.pk]
            walk_code = "nps" if walk_outlet.industry != Industry.CAR_DEALER else "dealer-csi-19"
            for _n in range(rng.randint(0, 1)):
                at = first + dt.timedelta(days=rng.randint(0, 27), hours=rng.randint(9, 19))
                if at >= now:
                    continue
                with clock.travel(at):
                    answers = _answers(definitions[walk_code], rng, level[walk_outlet.pk] + trend)
                    _followed_up(answering.submit_walk_in(token=point.token, answers=answers)[0])
                recorded += 1
        with clock.travel(first + dt.timedelta(days=20)):
            actions.close_due_campaigns(now=first + dt.timedelta(days=20))
        if progress:
            progress("surveys", month + 1, months)

    # The demo's closed work orders: their triggered surveys, answered by about half.
    done = list(
        Case.objects.filter(company=company, kind="workorder", stage="done")
        .select_related("unit", "customer")
        .order_by("closed_at")
    )
    for case in done:
        with clock.travel(case.closed_at):
            invitation = actions.schedule_case_survey(case)
        if invitation is None or invitation.send_at >= now:
            continue
        with clock.travel(invitation.send_at):
            actions.send_due_invitations(now=invitation.send_at)
        if rng.random() < 0.5:
            at = min(now, invitation.send_at + dt.timedelta(hours=rng.uniform(1, 30)))
            code = "csi" if case.unit.industry == Industry.CAR_DEALER else "feedback-form"
            with clock.travel(actions.next_allowed(at)):
                answers = _answers(definitions[code], rng, level[case.unit_id] + 0.05)
                response, _new = answering.submit_invitation(
                    token=invitation.token, answers=answers
                )
                _followed_up(response)
            recorded += 1
            if answering.is_promoter(response):
                with transaction.atomic(), clock.travel(response.submitted_at):
                    answering.record_praise(actor=actor, response=response)
    assert SurveyResponse.objects.filter(company=company).count() == recorded
    return recorded


def _followed_up(response) -> None:
    """Open an unhappy answer's follow-up now, at the answer's (travelled) time: in the demo no
    worker runs the task its submission enqueued (which then finds nothing left to do)."""
    if response.follow_up_pending:
        from manyi.surveys import answering

        answering.open_pending_follow_up(response.pk)
