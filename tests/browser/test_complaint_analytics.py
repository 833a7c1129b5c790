"""Complaint analytics in Chromium: a department head reads the figures on a phone, narrows
them to a region (htmx, the URL follows), the charts draw, and the coefficients are saved;
a south outlet manager sees south only. Screenshots at two widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from manyi.complaints.tests.test_analytics import build_dataset
from tests.browser.conftest import DESKTOP, new_context, snap, zh

pytestmark = pytest.mark.browser

PERIOD = "from=2026-09&to=2026-11"


def test_analytics_on_a_phone(site, phone, browser, make_customer):
    world = site.world
    build_dataset(world, make_customer)
    site.login(phone, "head")
    phone.get_by_role("button", name=zh("Menu")).click()
    phone.get_by_role("link", name=zh("Complaint analytics")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(zh("Complaint analytics"))
    phone.goto(f"{site.url}/complaint-analytics/?{PERIOD}")
    expect(phone.get_by_test_id("total")).to_have_text("8")
    expect(phone.get_by_test_id("berg-silent")).to_have_text("192")
    # ECharts drew the charts (as SVG) from the page's JSON.
    expect(phone.locator("[data-chart=trend] svg")).to_have_count(1)
    expect(phone.locator("[data-chart=cause] svg")).to_have_count(1)
    expect(phone.locator("[data-chart=outlet] svg")).to_have_count(1)
    snap(phone, "complaint-analytics")

    # Narrow to the south region: the results change in place and the URL keeps the filter.
    phone.get_by_label(zh("Region or outlet")).select_option(str(world.south.pk))
    expect(phone.get_by_test_id("total")).to_have_text("2")
    expect(phone).to_have_url(
        f"{site.url}/complaint-analytics/?from=2026-09&to=2026-11&unit={world.south.pk}"
    )
    expect(phone.locator("[data-chart=trend] svg")).to_have_count(1)

    # The head changes a coefficient; a bad value is refused next to its field.
    phone.locator("#coefficients > summary").click()
    phone.get_by_label(zh("Unhappy customers per complaint")).fill("0")
    phone.get_by_role("button", name=zh("Save the coefficients")).click()
    expect(phone.locator("#err_unhappy_per_complaint")).to_be_visible()
    snap(phone, "complaint-analytics-coefficients")
    phone.get_by_label(zh("Unhappy customers per complaint")).fill("27")
    phone.get_by_role("button", name=zh("Save the coefficients")).click()
    expect(phone.locator(".messages")).to_contain_text(zh("The coefficients are saved."))
    expect(phone.get_by_test_id("berg-silent")).to_have_text("52")  # 2 × 26, south only

    desktop = new_context(browser, DESKTOP)
    page = desktop.new_page()
    site.login(page, "south_manager")
    page.goto(f"{site.url}/complaint-analytics/?{PERIOD}")
    expect(page.get_by_test_id("total")).to_have_text("2")
    expect(page.locator("body")).not_to_contain_text(world.east1.name)
    # One outlet: no chart of outlets, only the table.
    expect(page.locator("[data-chart=outlet]")).to_have_class("chart wide empty")
    expect(page.locator("[data-chart=channel] svg")).to_have_count(1)
    snap(page, "complaint-analytics")
    desktop.close()
