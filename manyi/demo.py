"""The demo company: 3 regions, 12 outlets in four industries, 40 staff, 5,000 customers.

Built through the same actions a real company uses (units, staff, the customer import), from a
fixed random seed, so two builds are identical. ``manyi demo`` rebuilds it from scratch.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from manyi.org import actions as org_actions
from manyi.org.models import Industry, Role, Staff, Unit, UnitKind

DEMO_PASSWORD = "manyi-demo-2026"  # noqa: S105 - printed for the demo logins, by design
COMPANY_CODE = "DEMO"
SEED = 20261122

REGIONS = [
    (
        "R-EAST",
        "华东片区",
        [
            (
                "SH-PAINT-01",
                "华彩涂料上海徐汇经销商",
                Industry.PAINT_DEALER,
                "上海市徐汇区漕溪北路88号",
            ),
            (
                "HZ-PAINT-02",
                "华彩涂料杭州西湖形象店",
                Industry.PAINT_DEALER,
                "浙江省杭州市西湖区文三路259号",
            ),
            (
                "NJ-PHARM-03",
                "康宁大药房南京新街口店",
                Industry.PHARMACY,
                "江苏省南京市秦淮区中山南路1号",
            ),
            (
                "SZ-DECO-04",
                "居然装饰苏州工业园区店",
                Industry.DECORATION,
                "江苏省苏州市工业园区星湖街328号",
            ),
        ],
    ),
    (
        "R-SOUTH",
        "华南片区",
        [
            (
                "GZ-CAR-05",
                "广汇汽车广州天河服务站",
                Industry.CAR_DEALER,
                "广东省广州市天河区黄埔大道西100号",
            ),
            (
                "SZ-CAR-06",
                "广汇汽车深圳南山服务站",
                Industry.CAR_DEALER,
                "广东省深圳市南山区深南大道9668号",
            ),
            (
                "FS-PAINT-07",
                "华彩涂料佛山禅城经销商",
                Industry.PAINT_DEALER,
                "广东省佛山市禅城区季华五路18号",
            ),
            (
                "XM-PHARM-08",
                "康宁大药房厦门思明店",
                Industry.PHARMACY,
                "福建省厦门市思明区湖滨南路57号",
            ),
        ],
    ),
    (
        "R-NORTH",
        "华北片区",
        [
            ("BJ-PHARM-09", "康宁大药房北京朝阳店", Industry.PHARMACY, "北京市朝阳区建国路93号"),
            ("TJ-CAR-10", "广汇汽车天津河西服务站", Industry.CAR_DEALER, "天津市河西区友谊路20号"),
            (
                "JN-PAINT-11",
                "华彩涂料济南历下经销商",
                Industry.PAINT_DEALER,
                "山东省济南市历下区泉城路180号",
            ),
            (
                "SY-DECO-12",
                "居然装饰沈阳和平店",
                Industry.DECORATION,
                "辽宁省沈阳市和平区中华路57号",
            ),
        ],
    ),
]

PRODUCTS = {
    Industry.PAINT_DEALER: [
        "华彩净味墙面漆",
        "华彩木器清漆",
        "华彩外墙乳胶漆",
        "华彩防水涂料",
        "华彩地坪漆",
    ],
    Industry.PHARMACY: ["复方感冒灵颗粒", "维生素C片", "血糖仪套装", "医用口罩", "阿莫西林胶囊"],
    Industry.CAR_DEALER: ["常规保养套餐", "刹车片更换", "轮胎四条", "空调系统清洗", "车身漆面修复"],
    Industry.DECORATION: ["全屋装修套餐", "厨房翻新", "卫生间防水", "木地板铺装", "墙面翻新"],
}
BATCH_PREFIX = {
    Industry.PAINT_DEALER: "HC",
    Industry.PHARMACY: "KN",
    Industry.CAR_DEALER: "GH",
    Industry.DECORATION: "JR",
}
# Where each outlet's customers live: the outlet's province and city, a district of that city.
CITIES = {
    "SH-PAINT-01": ("上海市", "上海市", ["徐汇区", "闵行区", "长宁区", "浦东新区"]),
    "HZ-PAINT-02": ("浙江省", "杭州市", ["西湖区", "拱墅区", "滨江区", "余杭区"]),
    "NJ-PHARM-03": ("江苏省", "南京市", ["秦淮区", "鼓楼区", "玄武区", "建邺区"]),
    "SZ-DECO-04": ("江苏省", "苏州市", ["工业园区", "姑苏区", "吴中区", "相城区"]),
    "GZ-CAR-05": ("广东省", "广州市", ["天河区", "越秀区", "海珠区", "番禺区"]),
    "SZ-CAR-06": ("广东省", "深圳市", ["南山区", "福田区", "宝安区", "龙岗区"]),
    "FS-PAINT-07": ("广东省", "佛山市", ["禅城区", "南海区", "顺德区"]),
    "XM-PHARM-08": ("福建省", "厦门市", ["思明区", "湖里区", "集美区"]),
    "BJ-PHARM-09": ("北京市", "北京市", ["朝阳区", "海淀区", "东城区", "丰台区"]),
    "TJ-CAR-10": ("天津市", "天津市", ["河西区", "南开区", "和平区"]),
    "JN-PAINT-11": ("山东省", "济南市", ["历下区", "市中区", "槐荫区"]),
    "SY-DECO-12": ("辽宁省", "沈阳市", ["和平区", "沈河区", "皇姑区"]),
}
STREETS = [
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "和平路",
    "新华路",
    "文化路",
    "长江路",
    "黄河路",
    "青年路",
    "胜利路",
    "光明街",
    "朝阳街",
    "花园路",
    "湖滨路",
    "迎宾大道",
]
TAGS = ["老客户", "注重环保", "价格敏感", "有影响力", "企业客户", "转介绍", "投诉过", "高端"]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    unit_code: str
    name: str


# The logins make run prints: one per role (admin is department head with all rights).
FEATURED = [
    DemoLogin("admin", Role.DEPARTMENT_HEAD, COMPANY_CODE, "陈建国"),
    DemoLogin("sysadmin", Role.ADMIN, COMPANY_CODE, "周立新"),
    DemoLogin("manager", Role.OUTLET_MANAGER, "SH-PAINT-01", "王美华"),
    DemoLogin("rep", Role.SERVICE_REP, "R-EAST", "李晓燕"),
    DemoLogin("tech", Role.TECHNICIAN, "SH-PAINT-01", "张志强"),
    DemoLogin("inspector", Role.INSPECTOR, "R-EAST", "刘国庆"),
    DemoLogin("sales", Role.FRONTLINE, "SH-PAINT-01", "赵丽"),
    DemoLogin("auditor", Role.AUDITOR, COMPANY_CODE, "孙卫东"),
    DemoLogin("analyst", Role.ANALYST, COMPANY_CODE, "吴静"),
    DemoLogin("shopper", Role.SHOPPER, COMPANY_CODE, "林小雨"),  # quality: mystery shopper
]

# Everyone else, to reach 40: per outlet a manager and a technician or two, per region a
# service representative and an inspector.
_REGION_ROLES = [Role.SERVICE_REP, Role.INSPECTOR]
_OUTLET_ROLES = [Role.OUTLET_MANAGER, Role.TECHNICIAN]


def demo_logins() -> list[DemoLogin]:
    return list(FEATURED)


def _clear(company: Unit) -> None:
    from manyi.customers.models import Customer, ImportJob, Purchase, Tag
    from manyi.org.models import AuditEntry

    User = get_user_model()
    from manyi.cases.models import Case

    with transaction.atomic():
        from manyi.quality.demo import clear_quality

        clear_quality(company)  # quality: audits, standards, programmes, their instruments
        from manyi.improvement.demo import clear_improvement

        clear_improvement(company)  # improvement: problems hold units and staff (PROTECT)
        from manyi.complaints.demo import clear_complaints

        clear_complaints(company)  # complaints: merged ones protect the one kept
        from manyi.surveys.demo import clear_surveys

        clear_surveys(company)  # surveys: responses protect their outlets
        from manyi.team.demo import clear_team

        clear_team(company)  # team: certificates, rounds, appraisals hold staff and units
        Case.objects.filter(company=company).delete()
        Purchase.objects.filter(customer__company=company).delete()
        Customer.objects.filter(company=company).delete()
        Tag.objects.filter(company=company).delete()
        ImportJob.objects.filter(company=company).delete()
        AuditEntry.objects.filter(company=company)._raw_delete(AuditEntry.objects.db)
        user_ids = list(Staff.objects.filter(company=company).values_list("user_id", flat=True))
        Staff.objects.filter(company=company).delete()
        User.objects.filter(pk__in=user_ids).delete()
        units = list(Unit.objects.filter(company=company).order_by("-path"))
        for unit in units:  # leaves first (PROTECT)
            Unit.objects.filter(pk=unit.pk).update(company=None, parent=None)
        Unit.objects.filter(pk__in=[u.pk for u in units]).delete()


def build_demo(
    *,
    customers: int = 5000,
    seed: int = SEED,
    progress: Callable[[str, int, int], None] | None = None,
) -> Unit:
    """Build (or rebuild) the demo company; returns it."""
    from faker import Faker

    from manyi.customers.importing import EXPORT_COLUMNS, import_rows

    existing = Unit.objects.filter(kind=UnitKind.COMPANY, code=COMPANY_CODE).first()
    if existing is not None:
        _clear(existing)
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)

    company = org_actions.create_company(name="满意服务集团", code=COMPANY_CODE)
    User = get_user_model()
    # The first login is created directly: someone must hold the right to create the rest.
    head_login = FEATURED[0]
    head_user = User.objects.create_user(
        head_login.username,
        password=DEMO_PASSWORD,
        first_name=head_login.name,
        is_staff=True,
        is_superuser=True,
    )
    Staff.objects.create(
        user=head_user, company=company, unit=company, role=head_login.role, name=head_login.name
    )

    units: dict[str, Unit] = {COMPANY_CODE: company}
    outlets: list[Unit] = []
    for code, name, outlet_specs in REGIONS:
        region = org_actions.create_unit(
            actor=head_user, parent=company, kind=UnitKind.REGION, name=name, code=code
        )
        units[code] = region
        for o_code, o_name, industry, address in outlet_specs:
            outlet = org_actions.create_unit(
                actor=head_user,
                parent=region,
                kind=UnitKind.OUTLET,
                name=o_name,
                code=o_code,
                industry=industry,
                address=address,
                phone=f"400-800-{rng.randint(1000, 9999)}",
            )
            units[o_code] = outlet
            outlets.append(outlet)

    people = list(FEATURED[1:])
    serial = 1
    for code, _name, outlet_specs in REGIONS:
        for role in _REGION_ROLES:
            people.append(DemoLogin(f"staff{serial:02d}", role, code, fake.name()))
            serial += 1
        for o_code, *_rest in outlet_specs:
            for role in _OUTLET_ROLES:
                if o_code == "SH-PAINT-01" and role == Role.OUTLET_MANAGER:
                    continue  # "manager" runs this one
                people.append(DemoLogin(f"staff{serial:02d}", role, o_code, fake.name()))
                serial += 1
    while len(people) + 1 < 40:
        o_code = outlets[len(people) % len(outlets)].code
        people.append(DemoLogin(f"staff{serial:02d}", Role.FRONTLINE, o_code, fake.name()))
        serial += 1
    for index, person in enumerate(people, start=1):
        org_actions.create_staff(
            actor=head_user,
            unit=units[person.unit_code],
            username=person.username,
            name=person.name,
            role=person.role,
            password=DEMO_PASSWORD,
            phone=f"139{rng.randint(10000000, 99999999)}",
            employee_no=f"E{index:04d}",
        )
        if progress:
            progress("staff", index, len(people))

    header = [title for _f, title in EXPORT_COLUMNS] + ["产品", "批号", "数量", "购买日期"]
    today = dt.date(2026, 11, 1)

    def rows():
        phones: set[str] = set()
        for _ in range(customers):
            outlet = rng.choice(outlets)
            phone = fake.phone_number()
            while phone in phones or not phone.startswith("1"):
                phone = fake.phone_number()
            phones.add(phone)
            province, city, districts = CITIES[outlet.code]
            district = rng.choice(districts)
            street = (
                f"{rng.choice(STREETS)}{rng.randint(1, 999)}号"
                f"{rng.randint(1, 30)}栋{rng.randint(1, 28)}{rng.randint(1, 4):02d}室"
            )
            industry = Industry(outlet.industry)
            bought = today - dt.timedelta(days=rng.randint(0, 720))
            yield [
                fake.name(),
                phone,
                province,
                city,
                district,
                street,
                outlet.code,
                rng.choice(["u25", "25_34", "35_44", "45_59", "60p", ""]),
                rng.choice(["low", "lower_middle", "middle", "upper_middle", "high", ""]),
                rng.choice(["secondary", "vocational", "bachelor", "postgraduate", ""]),
                rng.choice(["working", "middle", "upper_middle", "upper", ""]),
                rng.choices(
                    ["basic", "passive", "responsible", "proactive", "partner"],
                    weights=[40, 25, 20, 10, 5],
                )[0],
                "、".join(rng.sample(TAGS, rng.choice([0, 0, 1, 1, 2]))),
                rng.choice(["是", "是", "否"]),
                rng.choice(["是", "否"]),
                "",
                rng.choice(PRODUCTS[industry]),
                f"{BATCH_PREFIX[industry]}{bought:%Y%m%d}-{rng.randint(1, 12):02d}",
                rng.choice([1, 1, 2, 3, 5, 10]),
                bought.isoformat(),
            ]

    def report(done: int, _result) -> None:
        if progress:
            progress("customers", done, customers)

    result = import_rows(actor=head_user, header=header, rows=rows(), name="demo", progress=report)
    if result.error_count:
        raise RuntimeError(f"demo data has {result.error_count} invalid rows: {result.errors[:3]}")
    from manyi.workorders.seed_scripts import seed_scripts

    seed_scripts(company)  # the standard words of 002 第四章, shown at each step
    if customers:
        build_work_orders(company, rng, orders=min(90, customers), progress=progress)
        # complaints: a year of them, through the complaint actions
        from manyi.complaints.demo import build_complaints

        build_complaints(company, rng, complaints=min(240, customers // 4), progress=progress)
        from manyi.surveys.demo import build_surveys  # a year of surveys, through their actions

        build_surveys(company, rng, progress=progress)
    # improvement: problems, a finished nominal-group session, action plans (some overdue)
    from manyi.improvement.demo import build_improvement

    build_improvement(company, rng, progress=progress)
    # quality: standards, ranking, a year of audits, mystery shopping with a competitor
    from manyi.quality.demo import build_quality

    build_quality(company, rng, progress=progress)
    # team: certificates (the licences), CSAS rounds, training evaluation, leadership review,
    # five-star history, appraisals, recognitions
    from manyi.team.demo import build_team

    build_team(company, rng, progress=progress)
    # insights: the cockpit's rollups from everything above, in one set-based pass
    from manyi.insights.rollups import rebuild

    rebuild(company.pk)
    return company


# How far each demo work order gets: every stage is represented, most orders finish.
_REACH = [
    ("intake", 6),
    ("contact", 8),
    ("service", 12),
    ("record", 5),
    ("acceptance", 6),
    ("archive", 4),
    ("return_visit", 10),
    ("done", 36),
    ("cancelled", 3),
]
_STEPS = ["基层处理", "批刮腻子", "打磨", "底漆", "第一遍面漆", "第二遍面漆", "收口修补"]
_INSTALLERS = ["李师傅", "王师傅", "张师傅", "刘师傅", "陈师傅", "杨师傅"]
# A 1×1 white PNG stands in for the customers' drawn signatures in the demo.
_DEMO_SIGNATURE = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def build_work_orders(
    company: Unit,
    rng: random.Random,
    *,
    orders: int = 90,
    progress: Callable[[str, int, int], None] | None = None,
) -> None:
    """Work orders in every stage, played through the real actions at past moments.

    Each order is taken at a business moment of the last ~50 days and moved on by the people
    of its outlet (front line, service representative, technician, inspector) with realistic
    delays; orders left early in the pipeline long ago are overdue now, as in a real queue.
    """
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from manyi import clock
    from manyi.cases import actions as cases
    from manyi.customers.models import Customer
    from manyi.workorders import actions as workorders
    from manyi.workorders.workflow import CHECKPOINTS

    User = get_user_model()
    staff = list(Staff.objects.filter(company=company).select_related("unit", "user"))
    # 持证上岗: technicians' licences come from certification (team: a course, exams, star
    # grade certificates); one ends within 30 days, one has lapsed.
    from manyi.team.demo import certify_technicians

    certified = certify_technicians(company)
    technicians = [s for s in staff if s.role == Role.TECHNICIAN]
    licensed = {t.unit_id: t for t in technicians if t.pk in certified}
    head = User.objects.get(username=FEATURED[0].username)

    def person(role: str, unit: Unit):
        for candidate in staff:
            if candidate.role == role and candidate.unit.contains(unit):
                return candidate.user
        return head

    paint = [
        c
        for c in Customer.objects.filter(company=company)
        .select_related("home_outlet")
        .order_by("pk")[: orders * 4]
        if c.home_outlet_id in licensed
    ]
    rng.shuffle(paint)
    reach = [stage for stage, weight in _REACH for _ in range(weight)]
    now = timezone.localtime(timezone.now()).replace(second=0, microsecond=0)
    plan = []
    for index, customer in enumerate(paint[:orders]):
        target = reach[index % len(reach)]
        # Taken on a weekday between 09:00 and 16:00, 1–50 days ago; later stages, older.
        days_ago = rng.randint(1, 12) if target in ("intake", "contact") else rng.randint(8, 50)
        taken = (now - dt.timedelta(days=days_ago)).replace(
            hour=rng.randint(9, 15), minute=rng.choice([0, 15, 30, 45])
        )
        while taken.weekday() >= 5:
            taken -= dt.timedelta(days=1)
        plan.append((taken, index, customer, target))
    plan.sort(key=lambda item: item[:2])  # numbered in the order they were taken
    for done, (moment, _index, customer, target) in enumerate(plan, start=1):
        outlet = customer.home_outlet
        tech = User.objects.get(pk=licensed[outlet.pk].user_id)
        rep = person(Role.SERVICE_REP, outlet)
        inspector = person(Role.INSPECTOR, outlet)
        intake = person(Role.FRONTLINE, outlet)

        def later(hours: float) -> dt.datetime:
            nonlocal moment
            moment = min(moment + dt.timedelta(hours=hours), now - dt.timedelta(minutes=5))
            return moment

        with clock.travel(moment):
            case = workorders.take_order(
                actor=intake,
                customer=customer,
                installer_name=rng.choice(_INSTALLERS),
                installer_phone=f"139{rng.randint(10000000, 99999999)}",
                planned_start=(moment + dt.timedelta(days=rng.randint(1, 5))).date(),
                products=f"华彩净味墙面漆 ×{rng.randint(2, 12)}",
            )
        if target == "intake":
            continue
        with clock.travel(later(rng.uniform(0.5, 3))):
            if target == "cancelled":
                cases.move(
                    actor=rep,
                    case=case,
                    move="cancel",
                    version=case.version,
                    payload={"reason": "客户取消装修计划"},
                )
                continue
            case = cases.assign(
                actor=rep, case=case, assignee=licensed[outlet.pk], version=case.version
            )
            case = cases.move(actor=rep, case=case, move="dispatch", version=case.version)
        if target == "contact":
            continue
        with clock.travel(later(rng.uniform(2, 20))):
            cases.log_call(actor=tech, case=case, outcome="reached", note="已约上门时间")
            cases.log_call(actor=tech, case=case, outcome="reached", party="installer")
            workorders.set_first_visit(actor=tech, case=case, at=moment + dt.timedelta(days=2))
            case = cases.move(actor=tech, case=case, move="contacted", version=case.version)
        if target == "service":
            continue
        for step in rng.sample(_STEPS, rng.randint(2, 4)):
            with clock.travel(later(rng.uniform(20, 60))):
                workorders.log_visit(
                    actor=tech, case=case, step=step, mix_ratio="1:0.2", customer_informed=True
                )
        with clock.travel(later(rng.uniform(1, 24))):
            case = cases.move(actor=tech, case=case, move="hand_in", version=case.version)
        if target == "record":
            continue
        with clock.travel(later(rng.uniform(1, 24))):
            workorders.sign_record(
                actor=tech,
                case=case,
                signer_name=customer.name,
                evaluation=rng.choice(["very_satisfied", "satisfied", "satisfied", "neutral"]),
                signature=_DEMO_SIGNATURE,
            )
            case = cases.move(actor=tech, case=case, move="submit", version=case.version)
        if target == "acceptance":
            continue
        with clock.travel(later(rng.uniform(4, 48))):
            case = cases.move(
                actor=inspector,
                case=case,
                move="accept",
                version=case.version,
                payload={
                    "checklist": dict.fromkeys(CHECKPOINTS, "pass"),
                    "method": rng.randint(4, 5),
                    "attitude": rng.randint(4, 5),
                },
            )
        if target == "archive":
            continue
        with clock.travel(later(rng.uniform(2, 30))):
            case = cases.move(actor=rep, case=case, move="archive", version=case.version)
        if target == "return_visit":
            continue
        with clock.travel(later(rng.uniform(24, 200))):
            cases.move(
                actor=rep,
                case=case,
                move="close",
                version=case.version,
                payload={"outcome": rng.choice(["satisfied"] * 5 + ["not_satisfied"])},
            )
        if progress:
            progress("work orders", done, len(plan))


def demo_exists() -> bool:
    return Unit.objects.filter(kind=UnitKind.COMPANY, code=COMPANY_CODE).exists()
