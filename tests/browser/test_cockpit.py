"""The cockpit in Chromium on a phone: the department head sees every indicator with its trend,
drills from the company to a region by clicking the chart's bar, to an outlet and to a person
through the table, keeping the period in the URL, and exports the view. Screenshots at two
widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from manyi.insights.queries import CODES
from manyi.insights.tests.test_cockpit import figures  # noqa: F401  (the fixture)
from tests.browser.conftest import DESKTOP, new_context, snap, zh

pytestmark = pytest.mark.browser


def click_bar(page, index: int) -> None:
    """Click the middle of the children chart's ``index``-th bar (ECharts draws SVG)."""
    page.locator("#children-chart").scroll_into_view_if_needed()
    point = page.evaluate(
        """(index) => {
          const el = document.getElementById("children-chart");
          const chart = echarts.getInstanceByDom(el);
          const value = chart.getOption().series[0].data[index];
          const [x, y] = chart.convertToPixel({seriesIndex: 0}, [value / 2, index]);
          const box = el.getBoundingClientRect();
          return {x: box.left + x, y: box.top + y};
        }""",
        index,
    )
    page.mouse.click(point["x"], point["y"])


def test_drill_from_company_to_a_person_on_a_phone(site, phone, browser, figures):  # noqa: F811
    from manyi.org.models import Staff

    world = site.world
    site.login(phone, "head")
    phone.goto(f"{site.url}/insights/?period=month")
    expect(phone.get_by_role("heading", level=1)).to_contain_text(world.company.name)
    for code in CODES:
        expect(phone.get_by_test_id(f"indicator-{code}")).to_be_visible()
    # An indicator with figures in its twelve months has its sparkline drawn.
    expect(phone.locator("[data-spark=complaint_rate] svg")).to_have_count(1)
    expect(phone.get_by_test_id("indicator-complaint_rate")).to_contain_text("200.00")
    snap(phone, "cockpit-company")

    # Chart: complaint rate per region; clicking east's bar drills to the region.
    phone.locator("#children-metric").select_option("complaint_rate")
    expect(phone.locator("#children-chart svg")).to_have_count(1)
    click_bar(phone, 0)
    expect(phone).to_have_url(f"{site.url}/insights/units/{world.east.pk}/?period=month")
    expect(phone.get_by_role("heading", level=1)).to_contain_text(world.east.name)
    expect(phone.get_by_test_id("indicator-complaint_rate")).to_contain_text("250.00")

    # Table: the outlet, then a person of it.
    phone.get_by_test_id("children").get_by_role("link", name=world.east1.name).click()
    expect(phone).to_have_url(f"{site.url}/insights/units/{world.east1.pk}/?period=month")
    tech = Staff.objects.get(user=world.tech)
    phone.get_by_test_id("children").get_by_role("link", name=tech.name).click()
    expect(phone).to_have_url(f"{site.url}/insights/people/{tech.pk}/?period=month")
    expect(phone.get_by_role("heading", level=1)).to_contain_text(tech.name)
    # The breadcrumbs lead back up.
    crumbs = phone.get_by_role("navigation", name=zh("Drill-down path"))
    expect(crumbs).to_contain_text(world.east.name)
    snap(phone, "cockpit-person")

    with phone.expect_download() as download:
        phone.get_by_test_id("export").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    # A manager of the south outlet opens on their outlet and cannot reach east.
    desktop = new_context(browser, DESKTOP)
    page = desktop.new_page()
    site.login(page, "south_manager")
    page.goto(f"{site.url}/insights/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(world.south1.name)
    snap(page, "cockpit-outlet")
    response = page.goto(f"{site.url}/insights/units/{world.east.pk}/")
    assert response.status == 404
    desktop.close()
