"""The insights analyses in Chromium, on data made by the shortened year simulation (two
outlets, three weeks, through the actions): a department head reads loop closure on a phone,
follows a number to its open signals, reads the service gap, word of mouth and the themes;
screenshots at two widths."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from tests.browser.conftest import DESKTOP, new_context, snap, zh

pytestmark = pytest.mark.browser

END = dt.datetime(2026, 11, 20, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PERIOD = "from=2026-10&to=2026-11"


def _year(world):
    from manyi.insights.demo_year import simulate_year
    from manyi.org import actions as org
    from manyi.org.models import Role, Staff

    org.create_staff(
        actor=world.head,
        unit=world.east2,
        username="tech2",
        name="孙师傅",
        role=Role.TECHNICIAN,
        password=PASSWORD,
    )
    Staff.objects.filter(company=world.company, role=Role.TECHNICIAN).update(work_licence=True)
    return simulate_year(world.company, weeks=3, outlets=2, orders_per_week=3, end=END)


def test_analyses_on_a_phone(site, phone, browser):
    world = site.world
    _year(world)
    site.login(phone, "head")
    phone.goto(f"{site.url}/insights/loop-closure/?{PERIOD}")
    expect(phone.get_by_role("heading", level=1)).to_have_text(zh("Loop closure"))
    signals = int(phone.get_by_test_id("signals").inner_text())
    assert signals > 0
    expect(phone.locator("[data-chart=loop] svg, [data-chart=loop] canvas")).to_have_count(1)
    snap(phone, "insights-loop")
    # A number leads to its signals.
    phone.get_by_test_id("open").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(zh("Signals"))
    snap(phone, "insights-loop-signals")

    phone.goto(f"{site.url}/insights/service-gap/?{PERIOD}")
    expect(phone.locator("[data-chart=gap] svg, [data-chart=gap] canvas")).to_have_count(1)
    snap(phone, "insights-gap")

    phone.goto(f"{site.url}/insights/word-of-mouth/?{PERIOD}")
    expect(phone.get_by_test_id("wom-tiles")).to_be_visible()
    snap(phone, "insights-word-of-mouth")

    phone.goto(f"{site.url}/insights/voice/?{PERIOD}")
    expect(phone.get_by_test_id("themes")).to_be_visible()
    snap(phone, "insights-voice")

    desktop = new_context(browser, DESKTOP)
    page = desktop.new_page()
    site.login(page, "head")
    for path, name in (
        ("loop-closure", "insights-loop"),
        ("service-gap", "insights-gap"),
        ("word-of-mouth", "insights-word-of-mouth"),
        ("voice", "insights-voice"),
    ):
        page.goto(f"{site.url}/insights/{path}/?{PERIOD}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        snap(page, name)
    # the south manager's outlet had no work in the simulation: nothing of east shows
    south = new_context(browser, DESKTOP).new_page()
    site.login(south, "south_manager")
    south.goto(f"{site.url}/insights/loop-closure/?{PERIOD}")
    expect(south.get_by_test_id("signals")).to_have_text("0")
    expect(south.locator("body")).not_to_contain_text(world.east1.name)
