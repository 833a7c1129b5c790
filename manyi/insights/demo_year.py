"""``manyi demo --year``: a year of a company's service, played week by week through the actions.

Every record is made by the action a real company's people use, at a past moment
(``manyi.clock.travel``): work orders taken, served, signed, accepted, archived and closed with
the return visit; the survey the closing sends, answered by some customers (an unhappy answer
opens its follow-up by itself, and the outlet manager calls back — or not); an unhappy return
visit offered as a complaint; complaints taken directly; "not met" audit findings turned into
action items and done. Loop closure, the word-of-mouth estimate and the voice themes are then
computed by the same code a real company runs.

Each outlet has its own level of service (how often customers are unhappy, how fast its people
react), from a fixed random seed, so two runs are identical. The gap view gets its data from a
company questionnaire that asks how important each CSI factor is before asking how it went
(:func:`ensure_gap_instrument`), sent when a work order closes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone

from manyi import clock
from manyi.org.models import Role, Staff, Unit, UnitKind

GAP_CODE = "csi-gap"
# The CSI factors of 004 §3.1.3, each asked twice: how important, then how it went.
GAP_FACTORS = [
    ("initiation", "服务启动", "预约方便、接待及时"),
    ("advisor", "服务顾问", "服务人员专业、解释清楚"),
    ("facility", "服务设施", "环境整洁、等候舒适"),
    ("pickup", "交付", "按时完工交付、收费合理"),
    ("quality", "服务质量", "一次做好、效果满意"),
]
COMPLAINTS = [
    "墙面起泡，刷完一周就出现",
    "上门时间一再推迟，没人提前通知",
    "颜色和样板不一致",
    "师傅态度不好，说话不耐烦",
    "收费比报价高，没有解释",
    "施工后地面没有清理干净",
    "等待时间太长，电话也打不通",
    "交付时间延误三天",
]
UNHAPPY_COMMENTS = [
    "等待时间太长",
    "上门时间推迟了",
    "收费不透明",
    "师傅态度一般",
    "颜色不一致",
    "电话打不通",
]
HAPPY_COMMENTS = ["师傅很专业", "讲解清楚", "准时上门", "环境整洁", "效果很好"]
_STEPS = ["基层处理", "批刮腻子", "打磨", "底漆", "第一遍面漆", "第二遍面漆"]
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@dataclass
class YearResult:
    """What the simulation made (for the command's summary and the tests)."""

    weeks: int = 0
    orders: int = 0
    responses: int = 0
    complaints: int = 0
    actions: int = 0


def gap_content() -> dict:
    """The expectation-and-perception questionnaire as instrument content."""
    factors = [{"code": c, "name": n, "weight": 1} for c, n, _d in GAP_FACTORS]
    factors += [
        {"code": f"imp-{c}", "name": f"{n}（重要性）", "weight": 1, "importance_of": c}
        for c, n, _d in GAP_FACTORS
    ]

    def scale(code: str, text: str, factor: str, low: str, high: str) -> dict:
        return {
            "code": code,
            "type": "scale",
            "text": text,
            "factor": factor,
            "points": 5,
            "start": 1,
            "label_low": low,
            "label_high": high,
            "required": True,
        }

    return {
        "format": "manyi-instrument/1",
        "code": GAP_CODE,
        "name": "服务期望与感知调研",
        "kind": "survey",
        "source": "004 §3（满意度 = 感知 − 期望）",
        "paging": "page",
        "missing_rule": "skip",
        "factors": factors,
        "sections": [
            {
                "title": "对您来说有多重要",
                "description": "",
                "items": [
                    scale(f"e{i}", f"{d}对您有多重要？", f"imp-{c}", "不重要", "非常重要")
                    for i, (c, _n, d) in enumerate(GAP_FACTORS, start=1)
                ],
            },
            {
                "title": "这次我们做得怎样",
                "description": "",
                "items": [
                    scale(f"p{i}", f"这次服务：{d}", c, "非常不满意", "非常满意")
                    for i, (c, _n, d) in enumerate(GAP_FACTORS, start=1)
                ]
                + [
                    {
                        "code": "comment",
                        "type": "text",
                        "text": "您还有什么意见或建议？",
                        "required": False,
                    }
                ],
            },
        ],
    }


def ensure_gap_instrument(actor):
    """The company's expectation-and-perception questionnaire, imported and published once;
    returns its published version."""
    from manyi.instruments import actions as instruments
    from manyi.instruments.models import Instrument, VersionStatus

    company_id = actor.staff.company_id
    instrument = Instrument.objects.filter(company_id=company_id, code=GAP_CODE).first()
    if instrument is None:
        instrument = instruments.import_instrument(actor=actor, data=gap_content())
    published = instrument.versions.filter(status=VersionStatus.PUBLISHED).first()
    if published is None:
        draft = instrument.versions.filter(status=VersionStatus.DRAFT).first()
        published = instruments.publish(actor=actor, version=draft)
    return published


class _People:
    """Who does what at each outlet (the nearest person of the role above it, else the head)."""

    def __init__(self, company: Unit, head) -> None:
        User = get_user_model()
        self.staff = list(
            Staff.objects.filter(company=company, user__is_active=True).select_related(
                "unit", "user"
            )
        )
        self.head = head
        self.users = {s.pk: s.user for s in self.staff}
        self.User = User

    def of(self, role: str, outlet: Unit) -> Staff | None:
        found = [s for s in self.staff if s.role == role and s.unit.contains(outlet)]
        found.sort(key=lambda s: -len(s.unit.path))
        return found[0] if found else None

    def technician(self, outlet: Unit, day: dt.date) -> Staff | None:
        """The outlet's technician licensed to go on site on ``day`` (持证上岗), if any."""
        for s in self.staff:
            # the assignment checks the licence on the real day (cases.actions._check_assignee)
            if (
                s.role == Role.TECHNICIAN
                and s.unit_id == outlet.pk
                and s.has_valid_licence(day)
                and s.has_valid_licence()
            ):
                return s
        return None

    def user(self, role: str, outlet: Unit):
        staff = self.of(role, outlet)
        return staff.user if staff else self.head


# How much each CSI factor matters to customers (e1…e5) and how the outlets do on it against
# their general level (p1…p5): quality matters most and is where service falls short most.
_EXPECT = {"e1": 0.78, "e2": 0.82, "e3": 0.7, "e4": 0.85, "e5": 0.93}
_PERFORM = {"p1": 0.04, "p2": 0.08, "p3": 0.06, "p4": -0.06, "p5": -0.1}


def _level(code: str, rng: random.Random, mood: float) -> float:
    if code in _EXPECT:
        return rng.gauss(_EXPECT[code], 0.08)
    return rng.gauss(mood + _PERFORM.get(code, 0.0), 0.15)


def _answers(version, rng: random.Random, mood: float) -> dict:
    """Answers to the gap questionnaire (or any scale survey): expectations high and steady,
    perceptions around the outlet's ``mood`` (0–1)."""
    from manyi.instruments.models import ItemType
    from manyi.surveys import actions as surveys

    definition = surveys.definition_of(version)
    answers: dict = {}
    for item in definition.items:
        if item.type in (ItemType.SCALE, ItemType.NPS):
            values = item.values
            level = _level(item.code, rng, mood)
            answers[item.code] = values[round(min(1.0, max(0.0, level)) * (len(values) - 1))]
        elif item.type == ItemType.YES_NO:
            answers[item.code] = rng.random() < mood
        elif item.type == ItemType.SINGLE:
            options = sorted(
                (o for o in item.options if o.score is not None), key=lambda o: o.score
            ) or list(item.options)
            answers[item.code] = options[round(min(1.0, max(0.0, mood)) * (len(options) - 1))].value
        elif item.type == ItemType.TEXT and rng.random() < 0.5:
            answers[item.code] = rng.choice(UNHAPPY_COMMENTS if mood < 0.6 else HAPPY_COMMENTS)
    return answers


def simulate_year(
    company: Unit,
    *,
    weeks: int = 52,
    outlets: int | None = None,
    orders_per_week: int = 2,
    seed: int = 2026,
    end: dt.datetime | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> YearResult:
    """Play ``weeks`` weeks ending at ``end`` (default: now) for the company's first
    ``outlets`` outlets (default: all) through the actions; returns what was made."""
    from manyi.surveys import settings_actions
    from manyi.surveys.models import CaseKind, FollowUpAs

    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    head_staff = (
        Staff.objects.filter(company=company, unit=company, role=Role.DEPARTMENT_HEAD)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    head = head_staff.user
    end = timezone.localtime(end or clock.now()).replace(second=0, microsecond=0)
    start = (end - dt.timedelta(weeks=weeks)).replace(hour=9, minute=30)
    start -= dt.timedelta(days=start.weekday())
    people = _People(company, head)
    units = list(Unit.objects.filter(company=company, kind=UnitKind.OUTLET).order_by("path"))
    units = [
        u
        for u in units
        if any(s.role == Role.TECHNICIAN and s.unit_id == u.pk for s in people.staff)
    ][: outlets or None]
    with clock.travel(start - dt.timedelta(days=1)):
        version = ensure_gap_instrument(head)
        settings_actions.save_policy(
            actor=head, low_index=60, follow_up_as=FollowUpAs.FOLLOW_UP, follow_up_days=2
        )
        settings_actions.save_trigger(
            actor=head, case_kind=CaseKind.WORKORDER, version=version.pk, delay_hours=2
        )
    # Each outlet's service level and the speed of its people (hours to react).
    mood = {u.pk: rng.uniform(0.55, 0.9) for u in units}
    pace = {u.pk: rng.uniform(0.5, 6) for u in units}
    result = YearResult()
    serial = rng.randint(10_000_000, 80_000_000)
    total = weeks * len(units)
    done = 0
    for week in range(weeks):
        monday = start + dt.timedelta(weeks=week)
        for unit in units:
            trend = 0.1 * week / max(1, weeks - 1)  # service improves over the year
            for _n in range(orders_per_week):
                serial += 1
                moment = monday + dt.timedelta(days=rng.randint(0, 3), hours=rng.randint(0, 5))
                if moment >= end:
                    continue
                _order(
                    company,
                    unit,
                    people,
                    rng,
                    moment,
                    end,
                    serial,
                    mood[unit.pk] + trend,
                    pace[unit.pk],
                    result,
                )
            if rng.random() < 0.35:
                moment = monday + dt.timedelta(days=rng.randint(0, 4), hours=rng.randint(0, 6))
                if moment < end:
                    serial += 1
                    _direct_complaint(unit, people, rng, moment, end, serial, pace[unit.pk], result)
            done += 1
            if progress:
                progress("year", done, total)
        result.weeks += 1
    result.actions += _audit_actions(company, people, rng, start, end, units)
    return result


def _later(moment: dt.datetime, hours: float, end: dt.datetime) -> dt.datetime | None:
    at = moment + dt.timedelta(hours=hours)
    return at if at < end else None


def _customer(unit: Unit, people: _People, serial: int, rng: random.Random):
    from manyi.customers.actions import create_customer
    from manyi.customers.models import Customer

    while True:
        phone = f"137{serial:08d}"
        known = Customer.objects.filter(company_id=unit.company_id, phone=phone).first()
        if known is None:
            break
        if known.home_outlet_id == unit.pk:  # a run before this one made them: they return
            return known
        serial += 1_000_003  # the demo's archive has this number at another outlet
    return create_customer(
        actor=people.head,
        data={
            "name": rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["先生", "女士"]),
            "phone": phone,
            "home_outlet": unit,
            "survey_consent": True,
        },
    )


def _order(company, unit, people, rng, moment, end, serial, mood, pace, result) -> None:
    """One work order from intake to the return visit, its survey and what follows."""
    from manyi.cases import actions as cases
    from manyi.surveys import actions as surveys
    from manyi.surveys import answering
    from manyi.surveys.models import Invitation
    from manyi.workorders import actions as workorders
    from manyi.workorders.workflow import CHECKPOINTS

    tech_staff = people.technician(unit, timezone.localtime(moment).date())
    if tech_staff is None:
        return  # nobody licensed to go on site that day: the order waits for another week
    tech = tech_staff.user
    rep = people.user(Role.SERVICE_REP, unit)
    sales = people.user(Role.FRONTLINE, unit)
    if sales is people.head:
        sales = rep
    inspector = people.user(Role.INSPECTOR, unit)
    with clock.travel(moment):
        customer = _customer(unit, people, serial, rng)
        case = workorders.take_order(
            actor=sales,
            customer=customer,
            site_address="小区1栋101室",
            installer_name="李师傅",
            installer_phone="13900001111",
            products="华彩净味墙面漆 ×5",
        )
        case = cases.assign(actor=rep, case=case, assignee=tech_staff, version=case.version)
        case = cases.move(actor=rep, case=case, move="dispatch", version=case.version)
    result.orders += 1
    steps = [
        (rng.uniform(2, 20), "contact"),
        (rng.uniform(20, 60), "visit"),
        (rng.uniform(2, 24), "hand_in"),
        (rng.uniform(1, 24), "sign"),
        (rng.uniform(4, 48), "accept"),
        (rng.uniform(2, 30), "archive"),
        (rng.uniform(24, 150), "close"),
    ]
    happy = rng.random() < 0.6 + 0.4 * mood
    for hours, step in steps:
        at = _later(moment, hours, end)
        if at is None:
            return
        moment = at
        with clock.travel(moment):
            if step == "contact":
                cases.log_call(actor=tech, case=case, outcome="reached", note="已约上门时间")
                workorders.set_first_visit(actor=tech, case=case, at=moment + dt.timedelta(days=1))
                case = cases.move(actor=tech, case=case, move="contacted", version=case.version)
            elif step == "visit":
                workorders.log_visit(
                    actor=tech, case=case, step=rng.choice(_STEPS), customer_informed=True
                )
            elif step == "hand_in":
                case = cases.move(actor=tech, case=case, move="hand_in", version=case.version)
            elif step == "sign":
                workorders.sign_record(
                    actor=tech,
                    case=case,
                    signer_name=customer.name,
                    evaluation="satisfied" if happy else "neutral",
                    signature=_PNG,
                )
                case = cases.move(actor=tech, case=case, move="submit", version=case.version)
            elif step == "accept":
                case = cases.move(
                    actor=inspector,
                    case=case,
                    move="accept",
                    version=case.version,
                    payload={
                        "checklist": dict.fromkeys(CHECKPOINTS, "pass"),
                        "method": 5,
                        "attitude": 4,
                    },
                )
            elif step == "archive":
                case = cases.move(actor=rep, case=case, move="archive", version=case.version)
            else:
                case = cases.move(
                    actor=rep,
                    case=case,
                    move="close",
                    version=case.version,
                    payload={"outcome": "satisfied" if happy else "not_satisfied"},
                )
    # Closing scheduled the survey (the case engine's close hook).
    invitation = Invitation.objects.filter(case=case).first()
    if not happy:
        _complaint(
            unit,
            people,
            rng,
            case.customer,
            moment + dt.timedelta(hours=rng.uniform(0.5, 4)),
            end,
            pace,
            result,
            source_case=case,
        )
    if invitation is None or invitation.send_at >= end:
        return
    with clock.travel(invitation.send_at):
        surveys.send_due_invitations(now=invitation.send_at, limit=50)
    if rng.random() > 0.6:
        return
    at = _later(invitation.send_at, rng.uniform(1, 30), end)
    if at is None:
        return
    with clock.travel(surveys.next_allowed(at)):
        version = invitation.version
        response, _new = answering.submit_invitation(
            token=invitation.token, answers=_answers(version, rng, mood if happy else 0.3)
        )
        # What the task enqueued on commit does, at the simulated moment (once: a second call,
        # or the task itself, finds nothing pending).
        answering.open_pending_follow_up(response.pk)
    result.responses += 1
    _work_follow_up(response, people, rng, end, pace)


def _work_follow_up(response, people, rng, end, pace) -> None:
    """The outlet manager calls the unhappy customer back: mostly in time, sometimes late,
    sometimes not at all."""
    from manyi.cases import actions as cases
    from manyi.surveys.models import FollowUp

    follow_up = FollowUp.objects.filter(response=response).select_related("case").first()
    if follow_up is None or follow_up.case is None or rng.random() < 0.15:
        return
    at = _later(follow_up.opened_at, rng.expovariate(1 / (pace * 8)), end)
    if at is None:
        return
    case = follow_up.case
    actor = people.users.get(case.assignee_id) or people.head
    with clock.travel(at):
        cases.move(
            actor=actor,
            case=case,
            move="resolve",
            version=case.version,
            payload={"outcome": "已致电客户致歉，约定上门处理"},
        )


def _direct_complaint(unit, people, rng, moment, end, serial, pace, result) -> None:
    with clock.travel(moment):
        customer = _customer(unit, people, serial, rng)
    _complaint(unit, people, rng, customer, moment, end, pace, result)


def _complaint(unit, people, rng, customer, moment, end, pace, result, source_case=None) -> None:
    """A complaint taken and worked: first contact after the outlet's usual delay, then solved
    (most of the time), through the complaint actions."""
    from manyi.cases import actions as cases
    from manyi.complaints import actions
    from manyi.complaints.policy import causes_for

    if moment >= end:
        return
    rep = people.user(Role.SERVICE_REP, unit)
    with clock.travel(moment):
        case = actions.open_complaint(
            actor=rep,
            customer=customer,
            description=rng.choice(COMPLAINTS),
            channel="phone",
            source_case=source_case,
            unit=unit,
        )
    result.complaints += 1
    case.refresh_from_db()
    if case.assignee_id is None:
        tech_staff = people.technician(unit, timezone.localtime(moment).date())
        if tech_staff is None:
            return
        with clock.travel(moment + dt.timedelta(minutes=10)):
            case = cases.assign(actor=rep, case=case, assignee=tech_staff, version=case.version)
    tech = people.users.get(case.assignee_id) or people.head
    at = _later(moment, rng.expovariate(1 / pace), end)
    if at is None or rng.random() < 0.05:
        return
    with clock.travel(at):
        actions.log_call(actor=tech, case=case, party="customer", outcome="reached")
        actions.log_call(actor=tech, case=case, party="installer", outcome="reached")
        case.refresh_from_db()
        actions.book_visit(actor=tech, case=case, at=at + dt.timedelta(days=1), version=None)
        case.refresh_from_db()
        case = cases.move(actor=tech, case=case, move="contacted", version=case.version)
    if rng.random() < 0.15:
        return  # still being worked
    moment = at
    for hours, step in (
        (rng.uniform(2, 20), "prepare"),
        (rng.uniform(20, 60), "investigate"),
        (rng.uniform(1, 30), "rule"),
        (rng.uniform(2, 40 * pace), "resolve"),
    ):
        at = _later(moment, hours, end)
        if at is None:
            return
        moment = at
        with clock.travel(moment):
            case.refresh_from_db()
            if step == "prepare":
                actions.prepare(actor=tech, case=case, likely_cause="待现场确认", tools=["brush"])
                case.refresh_from_db()
                case = cases.move(actor=tech, case=case, move="prepared", version=case.version)
            elif step == "investigate":
                actions.record_investigation(
                    actor=tech,
                    case=case,
                    present=["technician", "customer", "installer"],
                    findings="现场查看，原因已向客户说明",
                )
                case.refresh_from_db()
                case = cases.move(actor=tech, case=case, move="investigated", version=case.version)
            elif step == "rule":
                cause = rng.choice(causes_for(case.company_id))
                case = actions.rule(
                    actor=tech, case=case, responsibility="ours", cause=cause, version=case.version
                )
            else:
                found = actions.propose_resolution(
                    actor=tech, case=case, kind="rework", amount="0", cost="200"
                )
                if found.status == "proposed":
                    manager = people.user(Role.OUTLET_MANAGER, unit)
                    actions.approve_resolution(actor=manager, resolution=found, version=None)
                actions.execute_resolution(actor=tech, resolution=found)
                case.refresh_from_db()
                cases.move(actor=tech, case=case, move="resolved", version=case.version)


def _audit_actions(company, people, rng, start, end, units) -> int:
    """The outlet managers turn "not met" findings of the year into action items (most within
    the week), and finish most of them."""
    from manyi.quality.actions import audits
    from manyi.quality.models import AuditFinding, FindingKind

    findings = list(
        AuditFinding.objects.filter(
            company=company,
            kind=FindingKind.GAP,
            verdict="not_met",
            created_at__gte=start,
            created_at__lt=end,
            outlet__in=units,
            actions__isnull=True,
        ).select_related("standard", "outlet")
    )
    made = 0
    for finding in findings:
        manager = people.of(Role.OUTLET_MANAGER, finding.outlet)
        if manager is None or rng.random() < 0.1:
            continue
        at = _later(finding.created_at, rng.expovariate(1 / 72), end)
        if at is None:
            continue
        with clock.travel(at):
            item = audits.create_finding_action(
                actor=manager.user,
                finding=finding,
                description=f"整改：{finding.standard.statement[:40]}",
                owner=manager,
                due_on=timezone.localdate(at) + dt.timedelta(days=14),
            )
        made += 1
        done = _later(at, rng.uniform(24, 24 * 25), end)
        if done is not None and rng.random() < 0.8:
            with clock.travel(done):
                audits.complete_action(actor=manager.user, item=item, note="已整改并复查")
    return made
