"""``manyi demo --year`` shortened: a few weeks at two outlets, played through the actions,
and the loop-closure figures computed from what it made."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from conftest import PASSWORD, fresh_user

SH = ZoneInfo("Asia/Shanghai")
END = dt.datetime(2026, 11, 20, 17, 0, tzinfo=SH)


@pytest.fixture
def year(world):
    """Three weeks of east-1 and east-2 (each with a licensed technician)."""
    from manyi.insights.demo_year import simulate_year
    from manyi.org import actions as org

    org.create_staff(
        actor=world.head,
        unit=world.east2,
        username="tech2",
        name="tech2",
        role="technician",
        password=PASSWORD,
    )
    from manyi.org.models import Role, Staff

    # 持证上岗: the licence comes from certification in real life; the tests grant it.
    Staff.objects.filter(company=world.company, role=Role.TECHNICIAN).update(work_licence=True)
    return simulate_year(world.company, weeks=3, outlets=2, orders_per_week=3, end=END)


def test_a_short_year_makes_signals_and_closes_some(world, year):
    from manyi.insights import loop
    from manyi.org.scopes import scope_for

    assert year.orders >= 12
    assert year.responses > 0
    scope = scope_for(fresh_user(world.head))
    period = loop.Period(world.company, END - dt.timedelta(weeks=4), END)
    report = loop.report(scope, period)
    assert report.total.signals > 0
    assert report.total.signals == sum(c.signals for c in report.by_unit)
    assert {c.key for c in report.by_unit} <= {world.east1.pk, world.east2.pk}
    assert 0 <= report.total.closed <= report.total.signals
