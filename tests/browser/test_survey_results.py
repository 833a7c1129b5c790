"""Survey results in Chromium: a department head opens them from the menu on a phone, reads
NPS and the charts, narrows to a region (htmx, the URL follows), switches to the CSI survey
(factor charts), follows a comment theme to its answers; a south outlet manager sees south
only. Screenshots at two widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from manyi.instruments.builtin import load_builtins
from manyi.instruments.models import InstrumentVersion
from manyi.surveys.tests.conftest import CSI_ALL_FIVES
from manyi.surveys.tests.test_results_figures import submit_walk_ins
from tests.browser.conftest import DESKTOP, new_context, snap, zh

pytestmark = pytest.mark.browser


def build(world):
    load_builtins()  # a transactional test before may have flushed the migration's
    versions = {
        v.instrument.code: v
        for v in InstrumentVersion.objects.filter(
            instrument__company__isnull=True, number=1
        ).select_related("instrument")
    }
    submit_walk_ins(
        world,
        world.east1,
        versions["nps"],
        [
            {"recommend": 10, "reason": "师傅专业，态度好"},
            {"recommend": 9},
            {"recommend": 8},
            {"recommend": 6, "reason": "等待时间太长"},
            {"recommend": 3, "reason": "等待时间太长，价格太贵"},
        ],
    )
    submit_walk_ins(
        world,
        world.south1,
        versions["nps"],
        [{"recommend": 10}, {"recommend": 10, "reason": "师傅专业"}, {"recommend": 7}],
    )
    submit_walk_ins(
        world,
        world.east2,
        versions["csi"],
        [
            {**CSI_ALL_FIVES, "comment": "休息区很舒适"},
            {**CSI_ALL_FIVES, "q16": 1, "q8": 2, "comment": "交车时间太长"},
        ],
    )
    return versions


def test_results_on_a_phone(site, phone, browser):
    world = site.world
    versions = build(world)
    site.login(phone, "head")
    phone.get_by_role("button", name=zh("Menu")).click()
    phone.get_by_role("link", name=zh("Survey results")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(zh("Survey results"))
    # The most answered instrument (NPS, 8 answers) is shown first.
    expect(phone.locator("[data-tile=nps] strong")).to_have_text("+25.0")
    expect(phone.locator("[data-tile=responses] strong")).to_have_text("8")
    expect(phone.locator("[data-chart=trend] svg")).to_have_count(1)
    expect(phone.locator("[data-chart=nps_split] svg")).to_have_count(1)
    expect(phone.locator("[data-chart=outlets] svg")).to_have_count(1)
    snap(phone, "survey-results")

    # Narrow to the south region: the figures change in place, the URL keeps the filter.
    phone.get_by_label(zh("Region or outlet")).select_option(str(world.south.pk))
    expect(phone.locator("[data-tile=nps] strong")).to_have_text("+66.7")
    expect(phone).to_have_url(f"{site.url}/survey-results/?{phone.url.split('?', 1)[1]}")
    assert f"unit={world.south.pk}" in phone.url
    expect(phone.locator("[data-chart=trend] svg")).to_have_count(1)

    # The CSI survey: factor charts, weaknesses, a comment theme leading to its answers.
    phone.get_by_label(zh("Region or outlet")).select_option("")
    phone.get_by_label(zh("Instrument")).select_option(str(versions["csi"].instrument_id))
    expect(phone.locator("[data-tile=index]")).to_be_visible()
    expect(phone.locator("[data-chart=factors] svg")).to_have_count(1)
    expect(phone.locator("[data-chart=distribution] svg")).to_have_count(1)
    expect(phone.locator("#weaknesses li").first).to_contain_text("16.")
    snap(phone, "survey-results-csi")
    phone.locator("#themes").get_by_role("link", name="交车").click()
    expect(phone.get_by_test_id("comments")).to_contain_text("交车时间太长")
    expect(phone.get_by_test_id("comments")).not_to_contain_text("休息区很舒适")
    snap(phone, "survey-results-comments")

    desktop = new_context(browser, DESKTOP)
    page = desktop.new_page()
    site.login(page, "south_manager")
    page.goto(f"{site.url}/survey-results/")
    expect(page.locator("[data-tile=responses] strong")).to_have_text("3")
    expect(page.locator("body")).not_to_contain_text(world.east1.name)
    snap(page, "survey-results")
    desktop.close()
