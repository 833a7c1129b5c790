"""The demo company's complaints: a year of them, played through the real actions.

A few hundred complaints over the last twelve months, across the outlets, channels, causes and
severities, each taken by the outlet's front line at a past business moment and worked on by
the people of its outlet — first contact, preparation, the site investigation (sometimes with
an experiment), the ruling, resolutions (above a limit, approved or rejected by the outlet
manager), the follow-up call and the return visit. Older complaints are finished; recent ones
stand at every stage, a few duplicates are merged and a few closed. One paint batch draws more
complaints than the rest (a bad batch to find in the analytics), and some customers complain
twice (repeated: major). From a fixed random seed, so two builds are identical.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from manyi import clock
from manyi.org.models import Role, Staff, Unit, UnitKind

# How far a complaint gets; recent complaints stop earlier (see _target).
_LATE = [("done", 80), ("closed", 6), ("return_visit", 6), ("follow_up", 3), ("resolution", 3)]
_RECENT = [
    ("first_contact", 14),
    ("preparation", 14),
    ("investigation", 16),
    ("ruling", 10),
    ("resolution", 14),
    ("follow_up", 10),
    ("return_visit", 12),
    ("done", 6),
    ("closed", 4),
]
_ORDER = [
    "first_contact",
    "preparation",
    "investigation",
    "ruling",
    "resolution",
    "follow_up",
    "return_visit",
    "done",
]
# Cause code → (weight, responsibility, remedies) — 004's causes, 002's responsibility.
_CAUSES = {
    "product": (30, ["ours", "ours", "shared"], ["replace", "compensate", "refund", "rework"]),
    "installation": (25, ["installer", "installer", "shared"], ["rework", "explain"]),
    "operation": (20, ["customer"], ["explain", "explain", "rework"]),
    "policy": (15, ["ours", "shared"], ["compensate", "refund", "explain"]),
    "other": (10, ["undetermined"], ["explain"]),
}
_DESCRIPTIONS = [
    "墙面刷完一周出现起泡",
    "漆面发花，颜色不均匀",
    "木器漆干得很慢，三天还粘手",
    "刷完有刺鼻气味，家里有孩子很担心",
    "外墙漆下雨后掉粉",
    "地坪漆起皮",
    "保养后发动机异响",
    "药品包装破损",
    "装修工期一拖再拖",
    "卫生间防水做完还渗水",
    "店员态度不好，问问题不耐烦",
    "送货晚了两天，没有人通知",
]
_CHANNELS = ["phone"] * 5 + ["store"] * 3 + ["online"] * 2 + ["return_visit", "survey"]
_INSTALLERS = ["李师傅", "王师傅", "张师傅", "刘师傅", "陈师傅", "杨师傅"]
# One paint batch with a real problem: complaints about it cluster.
BAD_BATCH = "HC20260315-03"
_TOO_MUCH = "金额过高，请重新协商"


def _business_moment(rng: random.Random, day: dt.date) -> dt.datetime:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    hour = rng.choice([9, 9, 10, 10, 11, 14, 14, 15, 15, 16])
    moment = dt.datetime.combine(day, dt.time(hour, rng.choice([0, 10, 20, 30, 40, 50])))
    return timezone.make_aware(moment)


def _target(rng: random.Random, age_days: int) -> str:
    table = _RECENT if age_days <= 21 else _LATE
    stages = [stage for stage, weight in table for _ in range(weight)]
    return rng.choice(stages)


def build_complaints(
    company: Unit,
    rng: random.Random,
    *,
    complaints: int = 300,
    progress: Callable[[str, int, int], None] | None = None,
) -> int:
    """Complaints over the last year through the actions; returns how many were taken."""
    from manyi.calendars.service import request_memo

    # The outlets' calendars are read once for the whole build, not at every deadline.
    with request_memo():
        return _build(company, rng, complaints=complaints, progress=progress)


def _build(
    company: Unit,
    rng: random.Random,
    *,
    complaints: int,
    progress: Callable[[str, int, int], None] | None,
) -> int:
    from manyi.cases import actions as cases
    from manyi.complaints import actions
    from manyi.complaints.models import CompensationLimit, RoutingRule
    from manyi.complaints.policy import causes_for, policy_for_company, seed_causes
    from manyi.customers.models import Customer, Purchase

    User = get_user_model()
    seed_causes(company)
    policy_for_company(company.pk)
    causes = {cause.code: cause for cause in causes_for(company.pk)}
    staff = list(Staff.objects.filter(company=company).select_related("unit", "user"))
    head = next(s for s in staff if s.role == Role.DEPARTMENT_HEAD).user
    today = timezone.localdate()
    outlets = list(Unit.objects.filter(company=company, kind=UnitKind.OUTLET).order_by("path"))
    regions = {u.code: u for u in Unit.objects.filter(company=company, kind=UnitKind.REGION)}

    # Routing: each outlet's licensed technician takes its complaints; an outlet whose
    # technician has no valid licence falls back to the department head.
    for tech in staff:
        if tech.role == Role.TECHNICIAN and tech.unit.kind == UnitKind.OUTLET:
            if tech.has_valid_licence(today):
                RoutingRule.objects.get_or_create(unit=tech.unit, defaults={"assignee": tech})
    # Approval limits: the east region may agree more, one outlet less.
    if "R-EAST" in regions:
        CompensationLimit.objects.get_or_create(
            unit=regions["R-EAST"], defaults={"amount": Decimal(2000)}
        )
    small = next((o for o in outlets if o.code == "XM-PHARM-08"), None)
    if small is not None:
        CompensationLimit.objects.get_or_create(unit=small, defaults={"amount": Decimal(500)})

    def person(role: str, unit: Unit):
        for candidate in staff:
            if candidate.role == role and candidate.unit.contains(unit):
                return candidate.user
        return None

    people = {
        outlet.pk: {
            "intake": person(Role.FRONTLINE, outlet) or person(Role.OUTLET_MANAGER, outlet) or head,
            "rep": person(Role.SERVICE_REP, outlet) or head,
            "manager": person(Role.OUTLET_MANAGER, outlet) or head,
        }
        for outlet in outlets
    }
    sysadmin = next((s.user for s in staff if s.role == Role.ADMIN), head)
    # One user object per person: their scope is worked out once, not at every action.
    users = {s.user_id: s.user for s in staff}
    buyers = list(
        Customer.objects.filter(company=company, purchases__isnull=False)
        .select_related("home_outlet")
        .distinct()
        .order_by("pk")[: complaints * 3]
    )
    if not buyers:
        return 0
    bought: dict[int, list[Purchase]] = {}
    for purchase in Purchase.objects.filter(customer__in=buyers).order_by("pk"):
        bought.setdefault(purchase.customer_id, []).append(purchase)
    rng.shuffle(buyers)

    now = timezone.localtime(timezone.now()).replace(second=0, microsecond=0)
    plan = []
    for index in range(complaints):
        customer = buyers[index % len(buyers)]
        # Newer complaints are more frequent (the service grows); the last 3 weeks are busy.
        age = int(365 * rng.random() ** 1.6) + 1
        moment = _business_moment(rng, (now - dt.timedelta(days=age)).date())
        plan.append((moment, index, customer))
    # Some customers come back within weeks (repeated complaints).
    for index in range(complaints // 12):
        moment, _i, customer = plan[index]
        later = moment + dt.timedelta(days=rng.randint(5, 60))
        if later < now - dt.timedelta(days=1):
            plan.append((_business_moment(rng, later.date()), complaints + index, customer))
    plan.sort(key=lambda item: item[:2])

    taken = 0
    for done, (moment, _index, customer) in enumerate(plan, start=1):
        outlet = customer.home_outlet
        who = people[outlet.pk]
        age = (now - moment).days
        target = _target(rng, age)
        purchases = bought.get(customer.pk, [])
        purchase = rng.choice(purchases) if purchases else None
        batch = purchase.batch_no if purchase else ""
        if outlet.industry == "paint_dealer" and rng.random() < 0.2:
            batch = BAD_BATCH
        cause_code = rng.choices(list(_CAUSES), weights=[c[0] for c in _CAUSES.values()])[0]
        if batch == BAD_BATCH:
            cause_code = "product"
        claims = rng.random() < 0.2
        fields = {
            "customer": customer,
            "description": rng.choice(_DESCRIPTIONS),
            "channel": rng.choice(_CHANNELS),
            "purchase": purchase if batch != BAD_BATCH else None,
            "product": purchase.product if purchase else "",
            "batch_no": batch,
            "installer_name": rng.choice(_INSTALLERS) if rng.random() < 0.6 else "",
            "installer_phone": f"139{rng.randint(10000000, 99999999)}",
            "safety": rng.random() < 0.03,
            "media": rng.random() < 0.02,
            "amount_claimed": Decimal(rng.randrange(200, 9000, 50)) if claims else None,
        }
        if not fields["installer_name"]:
            fields["installer_phone"] = ""

        def later(hours: float) -> dt.datetime:
            nonlocal moment
            moment = min(moment + dt.timedelta(hours=hours), now - dt.timedelta(minutes=5))
            return moment

        with clock.travel(moment):
            case = actions.open_complaint(actor=who["intake"], **fields)
        taken += 1
        if progress:
            progress("complaints", done, len(plan))
        tech = users.get(case.assignee.user_id) or User.objects.get(pk=case.assignee.user_id)
        if rng.random() < 0.03:
            # The same complaint again a little later, by another channel: a duplicate, merged.
            with clock.travel(later(rng.uniform(0.5, 3))):
                duplicate = actions.open_complaint(
                    actor=who["intake"], **{**fields, "channel": "online", "safety": False}
                )
                case.refresh_from_db()
                actions.merge(
                    actor=who["rep"],
                    case=duplicate,
                    into=case,
                    reason="同一问题重复投诉",
                    version=duplicate.version,
                )
                case.refresh_from_db()
                taken += 1
        if target == "closed":
            with clock.travel(later(rng.uniform(1, 30))):
                actions.close(
                    actor=who["rep"], case=case, reason="客户撤回投诉", version=case.version
                )
            continue
        stop = _ORDER.index(target)
        # First contact: usually within the two business hours, sometimes late.
        with clock.travel(later(rng.choice([0.3, 0.5, 0.8, 1, 1.5, 2.5, 5, 20]))):
            actions.log_call(actor=tech, case=case, party="customer", outcome="reached")
            if fields["installer_name"]:
                actions.log_call(actor=tech, case=case, party="installer", outcome="reached")
            visit = moment + dt.timedelta(days=rng.randint(1, 3))
            actions.book_visit(actor=tech, case=case, at=visit, place="", version=None)
            if stop == 0:
                continue
            case.refresh_from_db()
            case = cases.move(actor=tech, case=case, move="contacted", version=case.version)
        with clock.travel(later(rng.uniform(2, 20))):
            actions.prepare(
                actor=tech,
                case=case,
                likely_cause="根据销售记录和批号初步判断" + ("：批次问题" if batch else ""),
                tools=rng.sample(["brush", "sandpaper", "filter", "panel", "unopened"], 3),
            )
            if stop == 1:
                continue
            case.refresh_from_db()
            case = cases.move(actor=tech, case=case, move="prepared", version=case.version)
        with clock.travel(later(rng.uniform(20, 70))):
            present = ["technician", "customer"]
            if fields["installer_name"]:
                present.append("installer")
            actions.record_investigation(
                actor=tech, case=case, present=present, findings="现场查看并与各方确认原因"
            )
            if rng.random() < 0.2:
                actions.record_experiment(
                    actor=tech,
                    case=case,
                    purpose="确认问题是否出在材料本身",
                    material=f"{fields['product'] or '同批次产品'} {batch}".strip(),
                    unopened=True,
                    procedure="按公司规定配比和工序在样板上施工",
                    result=rng.choice(["样板正常，问题在施工", "样板同样出现问题，材料有缺陷"]),
                )
            if stop == 2:
                continue
            case.refresh_from_db()
            case = cases.move(actor=tech, case=case, move="investigated", version=case.version)
        responsibilities, remedies = _CAUSES[cause_code][1], _CAUSES[cause_code][2]
        with clock.travel(later(rng.uniform(1, 40))):
            case = actions.rule(
                actor=tech,
                case=case,
                responsibility=rng.choice(responsibilities),
                cause=causes[cause_code],
                version=case.version,
            )
            if stop == 3:
                continue
        kind = rng.choice(remedies)
        amount = {
            "compensate": rng.randrange(200, 3200, 50),
            "refund": rng.randrange(100, 2200, 50),
            "replace": rng.randrange(300, 1600, 50),
        }.get(kind, 0)
        cost = amount + rng.randrange(0, 400, 10) if kind != "explain" else rng.randrange(0, 60, 10)
        with clock.travel(later(rng.uniform(2, 30))):
            found = actions.propose_resolution(
                actor=tech, case=case, kind=kind, amount=amount, cost=cost
            )
        if found.status == "proposed":
            approver = who["manager"] if who["manager"].pk != tech.pk else sysadmin
            with clock.travel(later(rng.uniform(1, 24))):
                if rng.random() < 0.15:
                    actions.reject_resolution(
                        actor=approver,
                        resolution=found,
                        reason="金额过高，请重新协商",
                        version=None,
                    )
                    found = actions.propose_resolution(
                        actor=tech, case=case, kind=kind, amount=amount // 2, cost=cost // 2
                    )
                    if found.status == "proposed":
                        actions.approve_resolution(actor=approver, resolution=found, version=None)
                else:
                    actions.approve_resolution(actor=approver, resolution=found, version=None)
        if stop == 4 and rng.random() < 0.5:
            continue
        with clock.travel(later(rng.uniform(4, 90))):
            actions.execute_resolution(actor=tech, resolution=found)
            if stop == 4:
                continue
            case.refresh_from_db()
            case = cases.move(actor=tech, case=case, move="resolved", version=case.version)
        with clock.travel(later(rng.uniform(20, 72))):
            actions.log_follow_up(actor=tech, case=case, outcome="reached", note="客户表示满意")
            if stop == 5:
                continue
            case.refresh_from_db()
            case = cases.move(actor=tech, case=case, move="followed_up", version=case.version)
        if stop == 6:
            continue
        with clock.travel(later(rng.uniform(48, 600))):
            actions.record_return_visit(
                actor=who["rep"],
                case=case,
                outcome=rng.choice(["satisfied"] * 9 + ["not_satisfied"]),
                version=case.version,
            )
    return taken


def clear_complaints(company: Unit) -> None:
    """Undo the merges of a company's complaints, so its cases can be deleted (the demo's
    rebuild): a merged complaint protects the one it points to."""
    from manyi.complaints.models import Complaint

    Complaint.objects.filter(company=company, merged_into__isnull=False).update(merged_into=None)
