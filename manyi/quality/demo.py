"""The demo company's quality work, played through the actions at past moments.

* the starter libraries (general, pharmacy, car dealer, paint dealer), a company ranking at
  30/70 and the seed's 20/80 for one pharmacy;
* one audit form per industry and a walk-around form; monthly audit plans for every outlet
  (the auditor) and a fortnightly walk-around (the Shanghai outlet's manager);
* a year of audits: each outlet's level drifts upwards over the year, some standards are
  harder than others; two outlets have fallen behind (overdue now) and one audit is in
  progress; recent gaps became action items (some done), recent praise was passed on;
* mystery shopping: a finished pharmacy programme with two competitor outlets (report,
  debrief, actions), and a current one in its visits stage with the shopper's open visits.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.utils import timezone

from manyi import clock
from manyi.org.models import Industry, Role, Staff, Unit, UnitKind

_PLAN_START_DAYS = 365
# Outlets whose last monthly audit is missing: they show as overdue.
_BEHIND = {"TJ-CAR-10", "SY-DECO-12"}
_TEMPLATE_NAMES = {
    Industry.PHARMACY: "药房门店服务审核",
    Industry.CAR_DEALER: "汽车服务站服务审核",
    Industry.PAINT_DEALER: "涂料经销商服务审核",
    "": "门店通用服务审核",
}


def clear_quality(company: Unit) -> None:
    """Remove the company's quality data (before the demo is rebuilt; units are protected)."""
    from manyi.instruments.models import Instrument
    from manyi.quality import models as m

    instrument_ids = list(
        m.AuditTemplate.objects.filter(company=company).values_list("instrument_id", flat=True)
    )
    m.ActionItem.objects.filter(company=company).delete()
    m.AuditFinding.objects.filter(company=company).delete()
    m.Audit.objects.filter(company=company).delete()
    m.AuditPlan.objects.filter(company=company).delete()
    m.AuditTemplate.objects.filter(company=company).delete()
    m.Visit.objects.filter(program__company=company).delete()
    m.ShoppingProgram.objects.filter(company=company).delete()
    m.CompetitorOutlet.objects.filter(company=company).delete()
    m.PriorityExercise.objects.filter(company=company).delete()
    m.Standard.objects.filter(company=company).delete()
    from manyi.quality.library import CHECKLIST_CODE

    Instrument.objects.filter(company=company, pk__in=instrument_ids).delete()
    Instrument.objects.filter(company=company, code=CHECKLIST_CODE).delete()


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    """A business moment on ``day`` (moved back to a weekday), 09:30–16:30 local time."""
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    naive = dt.datetime.combine(day, dt.time(rng.randint(9, 15), rng.choice([0, 15, 30, 45])))
    return timezone.make_aware(naive)


def _verdict(rng: random.Random, level: float) -> str:
    if rng.random() < 0.04:
        return "na"
    roll = rng.random()
    if roll < level:
        return "met"
    return "partly" if roll < level + (1 - level) * 0.55 else "not_met"


def build_quality(
    company: Unit,
    rng: random.Random,
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> None:
    """Standards, ranking, audit forms and plans, a year of audits, two mystery-shopping
    programmes — all through the quality actions."""
    from manyi.quality import queries
    from manyi.quality.actions import audits, standards
    from manyi.quality.models import Period, Side, Standard, StandardStatus

    User = get_user_model()
    staff = list(Staff.objects.filter(company=company).select_related("user", "unit"))
    head = next(s.user for s in staff if s.role == Role.DEPARTMENT_HEAD)
    auditor = next(s.user for s in staff if s.role == Role.AUDITOR)
    managers = {s.unit_id: s for s in staff if s.role == Role.OUTLET_MANAGER}
    outlets = list(Unit.objects.filter(company=company, kind=UnitKind.OUTLET).order_by("path"))
    now = clock.now()
    today = timezone.localdate(now)
    start = today - dt.timedelta(days=_PLAN_START_DAYS)

    with clock.travel(_moment(start - dt.timedelta(days=20), rng)):
        standards.load_starter_library(actor=head)
        approved = list(
            Standard.objects.filter(company=company, status=StandardStatus.APPROVED).order_by(
                "code"
            )
        )
        ranks = {side: [s.pk for s in approved if s.side == side] for side in Side.values}
        for ids in ranks.values():
            rng.shuffle(ids)
        standards.set_priorities(actor=head, procedural_share=30, ranks=ranks)
        pharmacy = next(o for o in outlets if o.industry == Industry.PHARMACY)
        # 003 P-045's first example: 20 procedural, 80 personal.
        standards.set_priorities(actor=head, unit=pharmacy, procedural_share=20, ranks=ranks)
        templates = {}
        for industry, name in _TEMPLATE_NAMES.items():
            chosen = [s.pk for s in approved if s.industry in ("", industry)]
            templates[industry] = audits.generate_template(actor=head, name=name, standards=chosen)
        walk = [s.pk for s in approved if s.industry == ""][:5] + [
            s.pk for s in approved if s.industry == Industry.PAINT_DEALER
        ][:3]
        walkaround = audits.generate_template(
            actor=head, name="店长走动巡查", standards=walk, walkaround=True
        )
        plans = {}
        for industry in _TEMPLATE_NAMES:
            members = [
                o
                for o in outlets
                if (o.industry if o.industry in _TEMPLATE_NAMES else "") == industry
            ]
            if members:
                plans[industry] = audits.create_plan(
                    actor=head,
                    name=f"{_TEMPLATE_NAMES[industry]}（每月）",
                    template=templates[industry],
                    outlets=members,
                    every=1,
                    period=Period.MONTH,
                    starts_on=start,
                    auditor=auditor.staff,
                )
        shanghai = next(o for o in outlets if o.code == "SH-PAINT-01")
        walk_plan = audits.create_plan(
            actor=head,
            name="徐汇店店长走动巡查（每两周）",
            template=walkaround,
            outlets=[shanghai],
            every=2,
            period=Period.WEEK,
            starts_on=start,
            auditor=managers[shanghai.pk],
        )

    difficulty = {s.pk: rng.uniform(-0.18, 0.08) for s in approved}
    base = {o.pk: rng.uniform(0.5, 0.8) for o in outlets}
    schedule = []
    for plan in plans.values():
        for outlet in plan.outlets.order_by("path"):
            day = start + dt.timedelta(days=rng.randint(0, 5))
            while day < today - dt.timedelta(days=2):
                schedule.append((day, plan, outlet, auditor))
                day = queries.add_period(day, 1, Period.MONTH) + dt.timedelta(
                    days=rng.randint(-2, 6)
                )
            if outlet.code in _BEHIND and schedule[-1][2] == outlet:
                schedule.pop()  # the last one was missed: overdue now
    manager = User.objects.get(pk=managers[shanghai.pk].user_id)
    day = start + dt.timedelta(days=3)
    while day < today - dt.timedelta(days=1):
        schedule.append((day, walk_plan, shanghai, manager))
        day += dt.timedelta(days=14 + rng.randint(-1, 2))
    schedule.sort(key=lambda row: (row[0], row[2].path))
    recent = today - dt.timedelta(days=75)
    for done, (day, plan, outlet, actor) in enumerate(schedule, start=1):
        moment = _moment(day, rng)
        if moment >= now:
            continue
        growth = 0.18 * (day - start).days / _PLAN_START_DAYS
        with clock.travel(moment):
            audit = audits.start_audit(actor=actor, outlet=outlet, plan=plan)
            answers = {}
            for item in audit.version.definition["ids"]["items"]:
                pk = audits.standard_id_of(item)
                level = min(0.97, max(0.2, base[outlet.pk] + growth + difficulty.get(pk, 0)))
                answers[item] = _verdict(rng, level)
            notes = {
                code: rng.choice(["高峰时段没人招呼", "两位店员未佩戴胸卡", "等候超过3分钟"])
                for code, verdict in answers.items()
                if verdict == "not_met" and rng.random() < 0.5
            }
            audit = audits.submit_audit(actor=actor, audit=audit, answers=answers, notes=notes)
        if day >= recent:
            _follow_up(audit, managers, rng, now)
        if progress:
            progress("audits", done, len(schedule))
    # One audit in progress: the auditor has begun the next round at the Hangzhou store.
    hangzhou = next(o for o in outlets if o.code == "HZ-PAINT-02")
    with clock.travel(now - dt.timedelta(hours=2)):
        audit = audits.start_audit(
            actor=auditor, outlet=hangzhou, plan=plans[Industry.PAINT_DEALER]
        )
        first = list(audit.version.definition["ids"]["items"])[:3]
        audits.save_audit(actor=auditor, audit=audit, answers=dict.fromkeys(first, "met"))
    build_mystery_shopping(company, rng, head=head, now=now)


def _follow_up(audit, managers, rng: random.Random, now: dt.datetime) -> None:
    """Recent audits: the outlet manager turns some gaps into actions (some already done) and
    passes some praise on."""
    from manyi.quality.actions import audits
    from manyi.quality.models import AuditFinding, FindingKind

    staff = managers.get(audit.outlet_id)
    if staff is None:
        return
    user = get_user_model().objects.get(pk=staff.user_id)
    findings = list(AuditFinding.objects.filter(audit=audit).select_related("standard"))
    moment = audit.submitted_at + dt.timedelta(hours=rng.randint(2, 30))
    if moment >= now:
        return
    with clock.travel(moment):
        for finding in findings:
            if (
                finding.kind == FindingKind.GAP
                and finding.verdict == "not_met"
                and rng.random() < 0.6
            ):
                item = audits.create_finding_action(
                    actor=user,
                    finding=finding,
                    description=f"整改：{finding.standard.statement[:40]}",
                    owner=staff,
                    due_on=timezone.localdate(moment) + dt.timedelta(days=14),
                )
                later = moment + dt.timedelta(days=rng.randint(3, 20))
                if later < now and rng.random() < 0.6:
                    with clock.travel(later):
                        audits.complete_action(actor=user, item=item, note="已在晨会培训并复查")
            elif finding.kind == FindingKind.RECOGNITION and rng.random() < 0.4:
                audits.recognise(actor=user, finding=finding, note="晨会上当众表扬")


def build_mystery_shopping(company: Unit, rng: random.Random, *, head, now: dt.datetime) -> None:
    """A finished pharmacy programme with competitors, and a current one in its visits stage."""
    from manyi.quality.actions import mystery
    from manyi.quality.models import STAGE_ORDER, ProgramStage

    shopper = Staff.objects.filter(company=company, role=Role.SHOPPER).select_related("user")
    shopper = shopper.first()
    if shopper is None:
        return
    pharmacies = list(
        Unit.objects.filter(
            company=company, kind=UnitKind.OUTLET, industry=Industry.PHARMACY
        ).order_by("path")
    )

    def advance(program, stage):
        while STAGE_ORDER.index(program.stage) < STAGE_ORDER.index(stage):
            program = mystery.advance_program(actor=head, program=program)
        return program

    def set_up(name, moment, rivals, outlets, objectives):
        with clock.travel(moment):
            program = mystery.create_program(actor=head, name=name)
            mystery.set_objectives(
                actor=head,
                program=program,
                objectives=objectives,
                learn_areas=["reception", "attitude", "key_services", "competitors"],
                focus="看：候药座椅、咨询区、价签。重点：用药咨询、慢病续药提醒。"
                "变量：工作日上午 / 周末下午。",
            )
            program = advance(program, ProgramStage.OUTLETS)
            targets = [mystery.add_target(actor=head, program=program, outlet=o) for o in outlets]
            targets += [
                mystery.add_target(actor=head, program=program, competitor=c) for c in rivals
            ]
            program = advance(program, ProgramStage.SCENARIOS)
            scenarios = [
                mystery.add_scenario(
                    actor=head,
                    program=program,
                    title="为发烧的孩子买药",
                    script="进店说孩子38.5度，问该买什么药；留意店员是否问年龄、体重、过敏史，"
                    "是否讲清用法用量。离店后立即记下时间和店员胸卡号。",
                ),
                mystery.add_scenario(
                    actor=head,
                    program=program,
                    title="为父母咨询血糖仪",
                    script="说想给父母买血糖仪，问哪款好用；留意是否演示、是否推荐过多、是否提到售后。",
                ),
            ]
            program = advance(program, ProgramStage.CHECKLIST)
            mystery.set_checklist(actor=head, program=program)
            program = advance(program, ProgramStage.SHOPPERS)
            mystery.add_shopper(actor=head, program=program, shopper=shopper)
            program = advance(program, ProgramStage.SCHEDULE)
            return program, targets, scenarios

    # The finished programme: visits ten to forty days after it was set up.
    begun = now - dt.timedelta(days=80)
    rivals = [
        mystery.create_competitor(actor=head, name=name, brand=brand, industry=Industry.PHARMACY,
                                  address=address)
        for name, brand, address in (
            ("仁心大药房新街口店", "仁心大药房", "江苏省南京市秦淮区中山南路8号"),
            ("百姓缘药房思明店", "百姓缘", "福建省厦门市思明区湖滨南路88号"),
        )
    ]  # fmt: skip
    program, targets, scenarios = set_up(
        "第三季度药房神秘顾客",
        begun,
        rivals,
        pharmacies,
        "了解顾客进店后的接待与用药咨询体验，并与附近竞争对手比较。",
    )
    visits = []
    with clock.travel(begun):
        for index, target in enumerate(targets):
            for round_ in range(2):
                planned = timezone.localdate(begun) + dt.timedelta(
                    days=10 + index * 3 + round_ * 12
                )
                visits.append(
                    mystery.schedule_visit(
                        actor=head,
                        program=program,
                        target=target,
                        shopper=shopper,
                        scenario=scenarios[round_ % len(scenarios)],
                        planned_on=planned,
                        planned_window=rng.choice(["工作日上午", "周末下午", "工作日傍晚"]),
                    )
                )
        mystery.inform_staff(actor=head, program=program)
        program = advance(program, ProgramStage.BRIEFING)
        mystery.brief_shoppers(
            actor=head,
            program=program,
            briefing="像普通顾客一样进店，不要记笔记；离店后十分钟内填写检查表，保留小票。",
        )
        program = advance(program, ProgramStage.VISITS)
    checklist = program.checklist.definition["ids"]["items"]
    for visit in visits:
        moment = _moment(visit.planned_on, rng)
        level = 0.55 if visit.target.competitor_id else 0.78
        answers = {code: _verdict(rng, level) for code in checklist}
        with clock.travel(moment + dt.timedelta(minutes=40)):
            mystery.submit_visit(
                actor=shopper.user,
                visit=visit,
                data={
                    "visited_at": moment,
                    "duration_minutes": rng.randint(6, 25),
                    "narrative": rng.choice(
                        [
                            "进门后店员马上招呼，问了孩子年龄和过敏史，讲清了用法。",
                            "等了两分钟才有人来，推荐了三种药，没有说明区别。",
                            "店员热情，但结账时没有主动给小票。",
                        ]
                    ),
                    "answers": answers,
                },
            )
    with clock.travel(begun + dt.timedelta(days=50)):
        program = advance(program, ProgramStage.REPORT)
        program = advance(program, ProgramStage.DEBRIEF)
        mystery.record_debrief(
            actor=head,
            program=program,
            debrief="我方接待明显好于对手，但结账环节不主动提供票据；对手咨询区更安静，值得学习。",
        )
        mystery.create_program_action(
            actor=head,
            program=program,
            description="收银员结账时主动提供小票并说明医保支付",
            owner=head.staff,
            due_on=timezone.localdate(begun + dt.timedelta(days=50)) + dt.timedelta(days=30),
        )
        program = advance(program, ProgramStage.CLOSED)

    # The current programme: the shopper's visits are planned for the coming days.
    current, targets, scenarios = set_up(
        "第四季度神秘顾客",
        now - dt.timedelta(days=6),
        rivals[:1],
        pharmacies[:1],
        "检查第三季度整改后，收银环节是否改进。",
    )
    with clock.travel(now - dt.timedelta(days=5)):
        for offset, target in enumerate(targets, start=1):
            mystery.schedule_visit(
                actor=head,
                program=current,
                target=target,
                shopper=shopper,
                scenario=scenarios[0],
                planned_on=timezone.localdate(now) + dt.timedelta(days=offset),
                planned_window="工作日上午",
            )
        mystery.inform_staff(actor=head, program=current)
        current = advance(current, ProgramStage.BRIEFING)
        mystery.brief_shoppers(
            actor=head, program=current, briefing="重点看结账时是否主动提供小票。"
        )
        advance(current, ProgramStage.VISITS)
