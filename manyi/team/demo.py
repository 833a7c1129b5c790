"""The demo company's team data, played through the team actions at past moments.

* Certification (002 第七章): a technician course with theory and practice, sessions a year
  and two years ago, results for every demo technician — so their work licences come from
  certificates: all valid into 2027–28, one ending within 30 days (it shows on the expiring
  list), and one that lapsed (that technician cannot be sent on site).
* A training evaluation of the course (003 P-055/056).
* CSAS rounds (003 P-093/094): two finished rounds for each outlet with enough staff (the
  trend), and an open one at the featured paint dealer waiting for the demo technician.
* A leadership review of the featured outlet manager, the five-star self-assessments of the
  company and two outlets over a year, an appraisal of the demo technician in preparation, a
  followed-up one of another, and a week of daily recognitions.

From the demo's random generator, so two builds are identical; fast (a few hundred rows).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from manyi import clock
from manyi.org.models import Role, Staff, Unit

COURSE_CODE = "tech-licence"


def clear_team(company: Unit) -> None:
    """Delete the company's team data (before its staff and units go: PROTECT)."""
    from manyi.team import models as m

    with transaction.atomic():
        m.Appraisal.objects.filter(company=company).delete()
        m.LeadershipReview.objects.filter(company=company).delete()
        m.ServiceLevelAssessment.objects.filter(company=company).delete()
        m.Recognition.objects.filter(company=company).delete()
        m.TrainingEvaluation.objects.filter(company=company).delete()
        m.Certificate.objects.filter(company=company).delete()
        m.TrainingSession.objects.filter(company=company).delete()
        m.Course.objects.filter(company=company).delete()
        m.CertificateCounter.objects.filter(company=company).delete()
        m.AssessmentRound.objects.filter(company=company).delete()


def _head(company: Unit):
    return (
        Staff.objects.filter(company=company, role=Role.DEPARTMENT_HEAD, unit=company)
        .select_related("user")
        .order_by("pk")
        .first()
        .user
    )


def _at(days_ago: int, hour: int = 10) -> dt.datetime:
    now = timezone.localtime(timezone.now())
    return (now - dt.timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0, microsecond=0)


def certify_technicians(company: Unit) -> set[int]:
    """Train and examine every technician of the company through the certification actions;
    returns the ids of those whose licence is valid today. Idempotent (once per company).

    Its own random generator: the work-order demo calls it first and its stream stays as it
    was."""
    rng = random.Random(f"certify-{company.code}")  # noqa: S311 - demo data, not secrets
    from manyi.team.actions import training
    from manyi.team.models import Course

    technicians = list(
        Staff.objects.filter(company=company, role=Role.TECHNICIAN)
        .select_related("unit")
        .order_by("pk")
    )
    course = Course.objects.filter(company=company, code=COURSE_CODE).first()
    if course is None:
        head = _head(company)
        with clock.travel(_at(800)):
            course = training.create_course(
                actor=head,
                data={
                    "code": COURSE_CODE,
                    "name": "技术服务员上岗培训（涂装）",
                    "description": (
                        "理论：涂料基础知识、公司产品体系、产品特性；实操：各种产品的实际操作，"
                        "重点训练涂装弊病的判断及解决能力（002 第七章）。"
                    ),
                    "theory_weight": 30,
                    "valid_months": 24,
                },
            )
        # Who sat which exam: the last lapsed (two years ago, no retake), the second ends
        # within 30 days, the rest were certified eleven months ago.
        plan = []
        for index, tech in enumerate(technicians):
            if index == len(technicians) - 1:
                plan.append((tech, 760))
            elif index == 1:
                plan.append((tech, 715))
            else:
                plan.append((tech, 330))
        for days_ago in sorted({d for _t, d in plan}, reverse=True):
            group = [t for t, d in plan if d == days_ago]
            with clock.travel(_at(days_ago)):
                start = timezone.localdate(clock.now()) - dt.timedelta(days=2)
                session = training.schedule_session(
                    actor=head,
                    course=course,
                    unit=company,
                    starts_on=start,
                    ends_on=start + dt.timedelta(days=2),
                    place="公司培训中心",
                    trainer="彭桂福",
                    participants=group,
                )
                for enrolment in session.enrolments.select_related("staff").order_by("pk"):
                    training.record_result(
                        actor=head,
                        enrolment=enrolment,
                        attended=True,
                        theory_score=rng.randint(72, 98),
                        practical_score=rng.randint(75, 99),
                    )
    today = timezone.localdate()
    return {
        s.pk
        for s in Staff.objects.filter(pk__in=[t.pk for t in technicians])
        if s.has_valid_licence(today)
    }


def build_team(
    company: Unit,
    rng: random.Random,
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> None:
    """Certificates, a training evaluation, CSAS rounds, a leadership review, five-star
    history, appraisals and recognitions, through the team actions."""
    from manyi.team.actions import (
        appraisals,
        csas,
        leadership,
        recognition,
        service_level,
        training,
    )
    from manyi.team.builtin import STAR_LEVELS
    from manyi.team.models import (
        DISCUSSION_ITEMS,
        PREPARATION_ITEMS,
        SELF_REVIEW_ITEMS,
        Course,
        RoundMember,
    )

    User = get_user_model()  # noqa: N806
    certify_technicians(company)
    head = _head(company)
    staff = list(
        Staff.objects.filter(company=company, user__is_active=True)
        .exclude(role__in=(Role.AUDITOR, Role.ANALYST, Role.SHOPPER))
        .select_related("unit", "user")
        .order_by("pk")
    )
    by_unit: dict[int, list[Staff]] = {}
    for s in staff:
        by_unit.setdefault(s.unit_id, []).append(s)

    # The training evaluation of the course, by the head after the last session.
    course = Course.objects.get(company=company, code=COURSE_CODE)
    with clock.travel(_at(320)):
        training.evaluate_training(
            actor=head,
            course=course,
            answers={f"q{n}": rng.choice([3, 4, 4, 5, 5]) if n != 17 else 2 for n in range(1, 21)},
        )

    # CSAS: two finished rounds (half a year ago and last month) for each outlet team of three
    # or more, answers drifting upwards; an open round at the featured outlet.
    def answers(level: float) -> dict[str, int]:
        return {
            f"q{n}": max(0, min(5, round(level + rng.uniform(-1.2, 1.0) - (n in (6, 15)))))
            for n in range(1, 21)
        }

    outlets = [u for u in Unit.objects.filter(company=company, kind="outlet").order_by("path")]
    teams = [u for u in outlets if len(by_unit.get(u.pk, ())) >= 3]
    for step, outlet in enumerate(teams, start=1):
        members = by_unit[outlet.pk]
        manager = next((m for m in members if m.role == Role.OUTLET_MANAGER), None)
        opener = manager.user if manager else head
        for days_ago, level in ((180, 2.8), (35, 3.5)):
            with clock.travel(_at(days_ago)):
                round_ = csas.open_round(
                    actor=opener,
                    unit=outlet,
                    name=f"{outlet.name} {timezone.localdate(clock.now()):%Y年%m月}",
                )
                for member in members:
                    csas.answer_round(actor=member.user, round=round_, answers=answers(level))
            with clock.travel(_at(days_ago - 10)):
                csas.close_round(actor=opener, round=round_)
        if progress:
            progress("team assessments", step, len(teams))
    featured = Unit.objects.filter(company=company, code="SH-PAINT-01").first()
    if featured is not None and len(by_unit.get(featured.pk, ())) >= 3:
        manager_user = User.objects.filter(username="manager").first() or head
        with clock.travel(_at(2)):
            round_ = csas.open_round(
                actor=manager_user,
                unit=featured,
                name=f"{featured.name} 本月评估",
                closes_on=timezone.localdate(clock.now()) + dt.timedelta(days=14),
            )
            for member in RoundMember.objects.filter(round=round_).select_related("staff__user"):
                if member.staff.user.username not in ("tech", "manager"):
                    csas.answer_round(actor=member.staff.user, round=round_, answers=answers(4))

    # Leadership: the featured manager, rated by themselves and their region's people.
    manager_staff = next((s for s in staff if s.user.username == "manager"), None)
    if manager_staff is not None:
        # Their outlet's people and their region's representatives and inspectors.
        near = (manager_staff.unit_id, manager_staff.unit.parent_id)
        raters = [s for s in staff if s.unit_id in near and s.pk != manager_staff.pk][:5]
        if len(raters) >= 3:
            with clock.travel(_at(20)):
                review = leadership.open_review(actor=head, leader=manager_staff, raters=raters)

            def rate(level: int) -> dict[str, int]:
                return {
                    f"q{n}": max(1, min(5, level + rng.choice([-1, 0, 0, 1]))) for n in range(1, 16)
                }

            with clock.travel(_at(18)):
                leadership.answer_review(actor=manager_staff.user, review=review, answers=rate(5))
                for rater in raters:
                    leadership.answer_review(actor=rater.user, review=review, answers=rate(4))
                leadership.close_review(actor=head, review=review)

    # Five-star history: the company and two outlets, quarterly over a year.
    def stars_answers(level: int) -> dict[str, int]:
        result, n = {}, 0
        for index, (_c, _s, _n, _t, criteria) in enumerate(STAR_LEVELS, start=1):
            for _criterion in criteria:
                n += 1
                result[f"q{n}"] = rng.choice([4, 5]) if index <= level else rng.choice([2, 3])
        return result

    for unit, levels in ((company, (1, 2, 2, 3)), *((o, (2, 2, 3, 3)) for o in outlets[:2])):
        for days_ago, level in zip((330, 240, 150, 60), levels, strict=True):
            with clock.travel(_at(days_ago)):
                service_level.assess_service_level(
                    actor=head, unit=unit, answers=stars_answers(level), notes="季度自评"
                )

    # Appraisals: the demo technician's in preparation; another followed up.
    tech = next((s for s in staff if s.user.username == "tech"), None)
    manager = User.objects.filter(username="manager").first()
    today = timezone.localdate()
    if tech is not None and manager is not None:
        with clock.travel(_at(3)):
            appraisal = appraisals.open_appraisal(
                actor=manager,
                staff=tech,
                period_start=(today - dt.timedelta(days=180)).replace(day=1),
                period_end=today,
                meeting_at=_at(-4, hour=15),
            )
            appraisals.prepare(
                actor=manager,
                appraisal=appraisal,
                checks={key: index < 4 for index, (key, _l) in enumerate(PREPARATION_ITEMS)},
                notes="回访及时；色卡留样不全，需在讨论中提出。",
            )
    other = next(
        (s for s in staff if s.role == Role.TECHNICIAN and s.user.username != "tech"), None
    )
    if other is not None:
        with clock.travel(_at(60)):
            appraisal = appraisals.open_appraisal(
                actor=head,
                staff=other,
                period_start=(today - dt.timedelta(days=240)).replace(day=1),
                period_end=(today - dt.timedelta(days=61)),
            )
            appraisals.prepare(
                actor=head, appraisal=appraisal, checks=dict.fromkeys(dict(PREPARATION_ITEMS), True)
            )
        with clock.travel(_at(55)):
            appraisals.record_discussion(
                actor=head,
                appraisal=appraisal,
                checks=dict.fromkeys(dict(DISCUSSION_ITEMS), True),
                record="工作认真，客户评价好；施工进度表张贴不够及时。",
            )
            commitment = appraisals.add_commitment(
                actor=head,
                appraisal=appraisal,
                text="每个工地第一次上门时张贴施工进度表",
                due_on=timezone.localdate(clock.now()) + dt.timedelta(days=30),
            )
            appraisals.follow_up(
                actor=head,
                appraisal=appraisal,
                record="计划、追踪要点与承诺已记录，副本已交本人。",
                copy_given=True,
                self_review=dict.fromkeys(dict(SELF_REVIEW_ITEMS), "让员工先说，效果好。"),
            )
        with clock.travel(_at(20)):
            appraisals.complete_commitment(actor=other.user, commitment=commitment, note="已做到")

    # A week of daily recognition by the featured manager.
    if manager is not None and featured is not None:
        team = [s for s in by_unit.get(featured.pk, ()) if s.user_id != manager.pk]
        notes = ["主动回访客户", "耐心解答施工问题", "准时上门", "", "现场清理干净"]
        for days_ago in range(7, 0, -1):
            with clock.travel(_at(days_ago, hour=18)):
                for person in team:
                    if rng.random() < 0.6:
                        recognition.recognise(actor=manager, staff=person, note=rng.choice(notes))
    if progress:
        progress("team", 1, 1)
