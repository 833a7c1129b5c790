"""Complaint analytics on a hand-built data set: every figure checked against numbers worked out
by hand (the table in :func:`dataset`'s docstring).

The complaints are plain rows with fixed timestamps (the complaint workflow's actions are another
engineer's and not needed to count): a case of kind ``complaint`` and its complaint record.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from conftest import PASSWORD
from manyi.complaints import analytics
from manyi.complaints.analytics import Filters
from manyi.complaints.estimates import iceberg, policy_for
from manyi.complaints.models import (
    CauseCategory,
    CauseSide,
    Complaint,
    Resolution,
    ResolutionStatus,
)
from manyi.errors import OutOfScope
from manyi.org.scopes import scope_for

TZ = ZoneInfo("Asia/Shanghai")
# "Now" for every figure: Friday 20 November 2026, noon.
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=TZ)
PERIOD = Filters(start=dt.date(2026, 9, 1), end=dt.date(2026, 11, 1))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


@dataclass
class Data:
    world: object
    complaints: dict
    techs: dict
    customers: dict


_NUMBERS = itertools.count(1)


class Factory:
    """Cases of kind ``complaint`` with their complaint rows, at fixed times."""

    def __init__(self, world):
        self.world = world
        self.count = 0
        self.causes = {}

    def cause(self, company, code, name, side):
        key = (company.pk, code)
        if key not in self.causes:
            self.causes[key], _ = CauseCategory.objects.get_or_create(
                company=company, code=code, defaults={"name": name, "side": side}
            )
        return self.causes[key]

    def complaint(
        self,
        *,
        outlet,
        customer,
        opened: str,
        channel: str = "phone",
        cause=None,
        product: str = "",
        batch_no: str = "",
        assignee=None,
        responsibility: str = "",
        severity: str = "normal",
        contacted: str | None = None,
        resolved: str | None = None,
        merged_into=None,
        resolutions=(),
    ):
        from manyi.cases.models import Case

        self.count += 1
        opened_at = at(opened)
        case = Case.objects.create(
            kind="complaint",
            number=f"TS-2026-{next(_NUMBERS):06d}",
            company_id=outlet.company_id,
            unit=outlet,
            customer=customer,
            assignee=assignee,
            stage="test",
            title=f"投诉 {self.count}",
            opened_at=opened_at,
            stage_entered_at=opened_at,
        )
        complaint = Complaint.objects.create(
            case=case,
            company_id=outlet.company_id,
            received_month=opened_at.date().replace(day=1),
            channel=channel,
            contact_name=customer.name,
            contact_phone=customer.phone,
            product=product,
            batch_no=batch_no,
            cause=cause,
            responsibility=responsibility,
            severity=severity,
            first_contact_at=at(contacted) if contacted else None,
            resolved_at=at(resolved) if resolved else None,
            merged_into=merged_into,
        )
        head = self.world.head.staff
        for kind, amount, cost, status in resolutions:
            Resolution.objects.create(
                complaint=complaint,
                kind=kind,
                amount=Decimal(amount),
                cost=Decimal(cost),
                status=status,
                proposed_by=head,
                proposed_at=opened_at,
            )
        return complaint


def _purchases(customer, outlet, n: int, day: dt.date) -> None:
    from manyi.customers.models import Purchase

    Purchase.objects.bulk_create(
        Purchase(customer=customer, outlet=outlet, product="净味墙面漆", purchased_on=day)
        for _i in range(n)
    )


EXECUTED = ResolutionStatus.EXECUTED


@pytest.fixture
def dataset(world, make_customer) -> Data:
    return build_dataset(world, make_customer)


def build_dataset(world, make_customer) -> Data:
    """Eight complaints counted in September–November 2026, and four that must not count.

    ==  ======  ====  =======  ============  =======  =====  =====  ===============  =========
    #   outlet  cust  opened   channel       cause    batch  tech   first contact    resolved
    ==  ======  ====  =======  ============  =======  =====  =====  ===============  =========
    c1  E1      A     09-07    phone         product  B01    t1     1.0 bh  ok       2 d  ok
    c2  E1      A     10-16    store  MAJOR  product  B01    t1     2.0 bh  late(1)  10 d late
    c3  E1      B     11-03    online        install  W7     t1     1.5 bh  ok       1 d  ok
    c4  E2      C     11-18    phone         —        —      —      none, overdue    open
    c5  E2      E     10-15    phone         product  B02    t2     3.0 bh  late     open, overdue
    c6  S1      D     09-09    return_visit  cust_op  W7     ts     0.5 bh  ok       3 d  ok
    c7  S1      D     11-16    survey        product  B01    ts     4.0 bh  late     3 d  ok
    c8  E1      F     11-19    phone         product  B01    t1     0.5 bh  ok       open
    ==  ======  ====  =======  ============  =======  =====  =====  ===============  =========

    Not counted: d1 (A, merged into c2, with a 999 compensation), o1 (B, August: outside the
    period), x1 (the other company), and c2's refund that was only proposed.
    Purchases in the period: E1 500, E2 160, S1 none (E1 also 100 in August, not counted).
    """
    from manyi.org import actions as org

    w = world
    f = Factory(w)
    c = w.company
    product = f.cause(c, "t_product", "产品问题", CauseSide.COMPANY)
    install = f.cause(c, "t_install", "施工问题", CauseSide.CUSTOMER)
    cust_op = f.cause(c, "t_cust_op", "顾客不会操作", CauseSide.CUSTOMER)
    t1 = w.tech.staff
    t2 = org.create_staff(
        actor=w.head, unit=w.east2, username="t2", name="钱工", role="technician", password=PASSWORD
    )
    ts = org.create_staff(
        actor=w.head,
        unit=w.south1,
        username="ts",
        name="孙工",
        role="technician",
        password=PASSWORD,
    )
    cust = {
        "A": make_customer(name="Alice", outlet=w.east1),
        "B": make_customer(name="Bob", outlet=w.east1),
        "C": make_customer(name="Carol", outlet=w.east2),
        "D": make_customer(name="Dave", outlet=w.south1),
        "E": make_customer(name="Eve", outlet=w.east2),
        "F": make_customer(name="Frank", outlet=w.east1),
    }
    paint, wood = "净味墙面漆", "木器漆"
    made = {}
    made["c1"] = f.complaint(
        outlet=w.east1,
        customer=cust["A"],
        opened="2026-09-07 09:00",
        cause=product,
        product=paint,
        batch_no="B01",
        assignee=t1,
        responsibility="ours",
        contacted="2026-09-07 10:00",
        resolved="2026-09-09 09:00",
        resolutions=[("rework", "0", "300", EXECUTED)],
    )
    made["c2"] = f.complaint(
        outlet=w.east1,
        customer=cust["A"],
        opened="2026-10-16 16:30",
        channel="store",
        cause=product,
        product=paint,
        batch_no="B01",
        assignee=t1,
        responsibility="ours",
        severity="major",
        contacted="2026-10-19 09:30",
        resolved="2026-10-26 16:30",
        resolutions=[
            ("compensate", "2000", "2500", EXECUTED),
            ("refund", "500", "500", ResolutionStatus.PROPOSED),
        ],
    )
    made["c3"] = f.complaint(
        outlet=w.east1,
        customer=cust["B"],
        opened="2026-11-03 11:00",
        channel="online",
        cause=install,
        product=wood,
        batch_no="W7",
        assignee=t1,
        responsibility="installer",
        contacted="2026-11-03 14:00",
        resolved="2026-11-04 11:00",
        resolutions=[("explain", "0", "0", EXECUTED)],
    )
    made["c4"] = f.complaint(outlet=w.east2, customer=cust["C"], opened="2026-11-18 09:00")
    made["c5"] = f.complaint(
        outlet=w.east2,
        customer=cust["E"],
        opened="2026-10-15 09:00",
        cause=product,
        product=paint,
        batch_no="B02",
        assignee=t2,
        responsibility="shared",
        contacted="2026-10-15 13:30",
    )
    made["c6"] = f.complaint(
        outlet=w.south1,
        customer=cust["D"],
        opened="2026-09-09 08:00",
        channel="return_visit",
        cause=cust_op,
        product=wood,
        batch_no="W7",
        assignee=ts,
        responsibility="customer",
        contacted="2026-09-09 09:00",
        resolved="2026-09-12 08:00",
        resolutions=[("replace", "800", "1000", EXECUTED)],
    )
    made["c7"] = f.complaint(
        outlet=w.south1,
        customer=cust["D"],
        opened="2026-11-16 15:00",
        channel="survey",
        cause=product,
        product=paint,
        batch_no="B01",
        assignee=ts,
        responsibility="ours",
        contacted="2026-11-17 10:00",
        resolved="2026-11-19 15:00",
        resolutions=[("rework", "0", "200.50", EXECUTED)],
    )
    made["c8"] = f.complaint(
        outlet=w.east1,
        customer=cust["F"],
        opened="2026-11-19 10:00",
        cause=product,
        product=paint,
        batch_no="B01",
        assignee=t1,
        responsibility="ours",
        contacted="2026-11-19 10:30",
    )
    # Not counted.
    made["d1"] = f.complaint(
        outlet=w.east1,
        customer=cust["A"],
        opened="2026-10-17 10:00",
        cause=product,
        product=paint,
        batch_no="B01",
        merged_into=made["c2"],
        resolutions=[("compensate", "999", "999", EXECUTED)],
    )
    made["o1"] = f.complaint(
        outlet=w.east1,
        customer=cust["B"],
        opened="2026-08-20 10:00",
        resolutions=[("rework", "0", "100", EXECUTED)],
    )
    from manyi.customers.actions import create_customer

    other_customer = create_customer(
        actor=w.other_head,
        data={"name": "Oscar", "phone": "13800000000", "home_outlet": w.other_outlet},
    )
    made["x1"] = f.complaint(
        outlet=w.other_outlet, customer=other_customer, opened="2026-10-10 10:00"
    )
    _purchases(cust["A"], w.east1, 500, dt.date(2026, 10, 3))
    _purchases(cust["B"], w.east1, 100, dt.date(2026, 8, 31))
    _purchases(cust["C"], w.east2, 160, dt.date(2026, 11, 30))
    _purchases(other_customer, w.other_outlet, 50, dt.date(2026, 10, 1))
    techs = {"t1": t1, "t2": t2, "ts": ts}
    return Data(world=w, complaints=made, techs=techs, customers=cust)


def _report(user, filters=PERIOD):
    scope = scope_for(user)
    company = analytics.analytics_company(scope)
    return analytics.report(scope, company, filters, now=NOW)


def _column(table, key, value_key="complaints"):
    return {row[key]: row[value_key] for row in table.rows}


# -- the figures --------------------------------------------------------------------------------


def test_totals_and_trend_per_month(dataset):
    r = _report(dataset.world.head)
    assert (r.total, r.major, r.solved) == (8, 1, 5)
    months = [
        (row["month"], row["complaints"], row["major"], row["solved"], row["cost"])
        for row in r.tables["trend"].rows
    ]
    assert months == [
        (dt.date(2026, 9, 1), 2, 0, 2, Decimal("1300.00")),
        (dt.date(2026, 10, 1), 2, 1, 1, Decimal("2500.00")),
        (dt.date(2026, 11, 1), 4, 0, 2, Decimal("200.50")),
    ]


def test_counts_per_dimension(dataset):
    r = _report(dataset.world.head)
    t = r.tables
    causes = {row["cause_id"]: row["complaints"] for row in t["by_cause"].rows}
    product, install, cust_op = (
        CauseCategory.objects.get(company=dataset.world.company, code=code).pk
        for code in ("t_product", "t_install", "t_cust_op")
    )
    assert causes == {product: 5, install: 1, cust_op: 1, None: 1}
    assert [row["complaints"] for row in t["by_cause"].rows] == [5, 1, 1, 1]
    assert t["by_cause"].rows[0]["share"] == Decimal("0.6250")
    assert t["by_cause"].rows[-1]["cause_id"] is None  # not yet determined: last
    assert [(row["product"], row["complaints"]) for row in t["by_product"].rows][:2] == [
        ("净味墙面漆", 5),
        ("木器漆", 2),
    ]
    assert [row["complaints"] for row in t["by_product"].rows] == [5, 2, 1]
    batches = {(row["product"], row["batch_no"]): row["complaints"] for row in t["by_batch"].rows}
    assert batches[("净味墙面漆", "B01")] == 4
    assert batches[("净味墙面漆", "B02")] == 1
    assert batches[("木器漆", "W7")] == 2
    assert sorted(batches.values()) == [1, 1, 2, 4]
    w = dataset.world
    assert _column(t["by_technician"], "staff_id") == {
        dataset.techs["t1"].pk: 4,
        dataset.techs["t2"].pk: 1,
        dataset.techs["ts"].pk: 2,
        None: 1,
    }
    assert _column(t["by_channel"], "code") == {
        "phone": 4,
        "store": 1,
        "online": 1,
        "return_visit": 1,
        "survey": 1,
    }
    assert _column(t["by_responsibility"], "code") == {
        "ours": 4,
        "installer": 1,
        "shared": 1,
        "customer": 1,
        "": 1,
    }
    outlets = {row["outlet_id"]: row for row in t["by_outlet"].rows}
    assert set(outlets) == {w.east1.pk, w.east2.pk, w.south1.pk}


def test_rate_per_thousand_purchases_per_outlet(dataset):
    w = dataset.world
    r = _report(w.head)
    outlets = {
        row["outlet_id"]: (row["complaints"], row["purchases"], row["per_1000"])
        for row in r.tables["by_outlet"].rows
    }
    assert outlets == {
        w.east1.pk: (4, 500, Decimal("8.00")),
        w.east2.pk: (2, 160, Decimal("12.50")),
        w.south1.pk: (2, 0, None),
    }
    assert r.purchases == 660
    assert r.per_1000 == Decimal("12.12")


def test_first_contact_in_business_hours_against_the_sla(dataset):
    contact = _report(dataset.world.head).first_contact
    # Done: 0.5, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0 business hours.
    assert contact.done == 7
    assert contact.median == Decimal("1.50")
    assert contact.p90 == Decimal("3.40")  # 3.0 + 0.4 × (4.0 − 3.0)
    # c2 took 2.0 h but is major (1 h); c4 waits past its 2 h.
    assert (contact.within, contact.late, contact.open_overdue, contact.open_in_time) == (
        4,
        3,
        1,
        0,
    )
    assert contact.share_within == Decimal("0.5000")
    assert contact.target == Decimal(2)
    assert contact.major_target == Decimal(1)


def test_resolution_in_days_against_the_fast_threshold(dataset):
    resolution = _report(dataset.world.head).resolution
    # Done: 1, 2, 3, 3, 10 days; c6 and c7 took exactly 3 days (within).
    assert resolution.done == 5
    assert resolution.median == Decimal("3.00")
    assert resolution.p90 == Decimal("7.20")  # 3 + 0.6 × (10 − 3)
    assert (resolution.within, resolution.late) == (4, 1)
    # c5 (opened 10-15) is past 3 days; c4 and c8 are younger.
    assert (resolution.open_overdue, resolution.open_in_time) == (1, 2)
    assert resolution.share_within == Decimal("0.6667")


def test_a_lower_sla_moves_complaints_out_of_it(dataset):
    policy = policy_for(dataset.world.company)
    policy.first_contact_hours = Decimal("0.5")
    policy.save()
    contact = _report(dataset.world.head).first_contact
    # Within 0.5 h: c6 and c8 only.
    assert (contact.within, contact.late) == (2, 5)


def test_repeat_customers(dataset):
    r = _report(dataset.world.head)
    repeat = {
        row["customer"]: (row["complaints"], row["last_month"])
        for row in r.tables["repeat_customers"].rows
    }
    # Alice's merged duplicate and Bob's August complaint do not make repeats.
    assert repeat == {"Alice": (2, dt.date(2026, 10, 1)), "Dave": (2, dt.date(2026, 11, 1))}
    assert r.repeat_customers == 2


def test_cost_of_executed_resolutions(dataset):
    w = dataset.world
    r = _report(w.head)
    kinds = {
        row["code"]: (row["resolutions"], row["amount"], row["cost"])
        for row in r.tables["cost_by_kind"].rows
    }
    assert kinds == {
        "rework": (2, Decimal("0.00"), Decimal("500.50")),
        "compensate": (1, Decimal("2000.00"), Decimal("2500.00")),
        "replace": (1, Decimal("800.00"), Decimal("1000.00")),
        "explain": (1, Decimal("0.00"), Decimal("0.00")),
    }
    assert r.tables["cost_by_kind"].rows[0]["code"] == "compensate"  # most costly first
    by_outlet = {
        row["outlet_id"]: (row["resolutions"], row["amount"], row["cost"])
        for row in r.tables["cost_by_outlet"].rows
    }
    assert by_outlet == {
        w.east1.pk: (3, Decimal("2000.00"), Decimal("2800.00")),
        w.south1.pk: (2, Decimal("800.00"), Decimal("1200.50")),
    }
    assert (r.cost, r.amount) == (Decimal("4000.50"), Decimal("2800.00"))


def test_merged_duplicates_count_once(dataset):
    qs = Complaint.objects.filter(company=dataset.world.company)
    assert qs.filter(received_month__gte=PERIOD.start).count() == 9  # c1–c8 and d1
    r = _report(dataset.world.head)
    assert r.total == 8
    assert _column(r.tables["by_outlet"], "outlet_id")[dataset.world.east1.pk] == 4


def test_iceberg_from_the_period(dataset):
    berg = _report(dataset.world.head).iceberg
    assert (berg.complaints, berg.solved_fast, berg.solved_slow, berg.unsolved) == (8, 4, 1, 3)
    assert berg.unhappy == Decimal("200.00")  # 8 × 25
    assert berg.silent == Decimal("192.00")  # 8 × 24
    assert berg.told == Decimal("3600.00")  # 200 × 18
    assert berg.kept == Decimal("4.20")  # 4 × 0.9 + 1 × 0.6
    assert berg.lost == Decimal("3.80")
    assert berg.kept_tell == Decimal("33.60")  # 4.2 × 8
    assert berg.rounded("kept") == 4
    values = {
        row["figure"]: row["value"] for row in _report(dataset.world.head).tables["iceberg"].rows
    }
    assert values["told"] == Decimal("3600.00")


def test_filters_narrow_to_a_region_and_months(dataset):
    w = dataset.world
    scope = scope_for(w.head)
    east = analytics.parse_filters(
        scope, w.company, {"from": "2026-09", "to": "2026-11", "unit": str(w.east.pk)}
    )
    r = analytics.report(scope, w.company, east, now=NOW)
    assert r.total == 6
    assert {row["outlet_id"] for row in r.tables["by_outlet"].rows} == {w.east1.pk, w.east2.pk}
    october = analytics.parse_filters(scope, w.company, {"from": "2026-10", "to": "2026-10"})
    r = analytics.report(scope, w.company, october, now=NOW)
    assert r.total == 2
    assert [row["month"] for row in r.tables["trend"].rows] == [dt.date(2026, 10, 1)]
    assert r.tables["by_outlet"].rows[0]["purchases"] == 500


# -- scope ------------------------------------------------------------------------------------


def test_a_south_manager_sees_only_south(dataset):
    w = dataset.world
    r = _report(w.south_manager)
    assert r.total == 2
    assert {row["outlet_id"] for row in r.tables["by_outlet"].rows} == {w.south1.pk}
    assert {row["customer"] for row in r.tables["repeat_customers"].rows} == {"Dave"}
    assert r.cost == Decimal("1200.50")
    assert set(_column(r.tables["by_technician"], "staff_id")) == {dataset.techs["ts"].pk}
    # East is not a unit they may choose.
    with pytest.raises(analytics.InvalidInput) as exc:
        analytics.parse_filters(scope_for(w.south_manager), w.company, {"unit": w.east.pk})
    assert [f for f, _m in exc.value.field_errors()] == ["unit"]


def test_an_east_outlet_manager_sees_only_their_outlet(dataset):
    r = _report(dataset.world.manager)
    assert r.total == 4
    assert r.purchases == 500


def test_the_other_company_sees_only_its_own(dataset):
    r = _report(dataset.world.other_head)
    assert r.total == 1
    assert r.purchases == 50


@pytest.mark.parametrize("persona", ["tech", "sales", "rep", "auditor", "outsider"])
def test_roles_without_reports_are_refused(dataset, persona):
    scope = scope_for(getattr(dataset.world, persona))
    with pytest.raises(OutOfScope):
        analytics.analytics_company(scope)


# -- filters ----------------------------------------------------------------------------------


def test_default_period_is_the_last_twelve_months(world):
    filters = analytics.default_filters(dt.date(2026, 11, 22))
    assert (filters.start, filters.end) == (dt.date(2025, 12, 1), dt.date(2026, 11, 1))
    assert len(filters.months) == 12
    assert filters.last_day == dt.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"from": "2026-13"}, ["from"]),
        ({"from": "nonsense", "to": "2026/1"}, ["from", "to"]),
        ({"from": "2026-11", "to": "2026-01"}, ["from"]),
        ({"from": "2010-01", "to": "2026-01"}, ["to"]),
        ({"unit": "abc"}, ["unit"]),
        ({"unit": "99999999999999999999"}, ["unit"]),
        ({"from": "1999-12"}, ["from"]),
    ],
)
def test_bad_filters_are_named(world, params, fields):
    scope = scope_for(world.head)
    with pytest.raises(analytics.InvalidInput) as exc:
        analytics.parse_filters(scope, world.company, params)
    assert [f for f, _m in exc.value.field_errors()] == fields


def test_a_unit_of_another_company_is_refused(world):
    with pytest.raises(analytics.InvalidInput):
        analytics.parse_filters(
            scope_for(world.head), world.company, {"unit": world.other_outlet.pk}
        )


def test_an_empty_period_has_zeros_not_errors(world):
    r = analytics.report(scope_for(world.head), world.company, PERIOD, now=NOW)
    assert r.total == 0
    assert r.first_contact.median is None
    assert r.first_contact.share_within is None
    assert r.per_1000 is None
    assert r.iceberg.unhappy == Decimal("0.00")
    assert [row["complaints"] for row in r.tables["trend"].rows] == [0, 0, 0]


def test_percentile_interpolates_like_percentile_cont():
    assert analytics.percentile([], 0.5) is None
    assert analytics.percentile([7.0], 0.9) == 7.0
    assert analytics.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert analytics.percentile([1.0, 2.0, 3.0, 3.0, 10.0], 0.9) == pytest.approx(7.2)


def test_iceberg_arithmetic_on_other_coefficients(world):
    policy = policy_for(world.company)
    policy.unhappy_per_complaint = Decimal(27)  # 004
    policy.unhappy_tells = Decimal(18)
    policy.kept_when_solved = Decimal("0.54")  # 003
    policy.kept_when_solved_fast = Decimal("0.82")
    berg = iceberg(policy, complaints=1, solved_fast=1, solved_slow=0)
    assert berg.told == Decimal("486.00")  # 004: 27 × 18 = 486 知悉
    assert berg.silent == Decimal("26.00")
    assert berg.kept == Decimal("0.82")
    berg = iceberg(policy, complaints=10, solved_fast=3, solved_slow=5)
    assert berg.kept == Decimal("5.16")  # 3 × 0.82 + 5 × 0.54
    assert berg.unsolved == 2
    with pytest.raises(ValueError):
        iceberg(policy, complaints=2, solved_fast=2, solved_slow=1)
