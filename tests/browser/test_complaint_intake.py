"""A front-line salesperson takes a complaint on a phone: finds the customer, reads the care
script beside the form, writes what happened, and lands on the complaint routed to the
technician, with the reference number sent to the customer."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import snap, zh

pytestmark = pytest.mark.browser


def test_intake_on_a_phone_by_the_front_line(site, phone, make_customer):
    from manyi.complaints.models import Complaint, RoutingRule
    from manyi.notify.models import Message

    world = site.world
    tech = world.tech.staff
    tech.work_licence = True
    tech.save()
    RoutingRule.objects.create(unit=world.east1, assignee=tech)
    make_customer(name="王小明", address_detail="漕溪北路88号")

    site.login(phone, "sales")
    # The menu offers complaint intake to the front line.
    phone.locator("[data-toggle-nav]").click()
    phone.get_by_role("link", name=zh("Take a complaint")).click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text(zh("Take a complaint"))
    # The care script is there before anything is typed.
    care = phone.locator("aside.care")
    expect(care).to_contain_text(zh("1. Express your willingness to help"))
    expect(care).to_contain_text(zh("3. Take ownership"))

    phone.get_by_label(zh("Search customers")).fill("小明")
    phone.get_by_role("link", name="王小明").click()
    expect(phone.get_by_label(zh("what happened"))).to_be_visible()
    # No technical questions on the form.
    expect(phone.get_by_label(zh("likely cause"))).to_have_count(0)
    phone.get_by_label(zh("what happened")).fill("墙面刷完一周起泡，客户很着急")
    phone.get_by_label(zh("In store"), exact=True).check()
    phone.get_by_label(zh("installer"), exact=True).fill("李师傅")
    phone.get_by_label(zh("installer's phone")).fill("139 0000 1111")
    snap(phone, "complaint-intake")
    phone.get_by_role("button", name=zh("Take the complaint")).click()

    complaint = Complaint.objects.get()
    case = complaint.case
    expect(phone.locator(".messages")).to_contain_text(case.number)
    expect(phone.get_by_role("heading", level=1)).to_contain_text(case.number)
    expect(phone.locator(".badge.stage")).to_have_text(zh("First contact"))
    snap(phone, "complaint-case")
    assert case.assignee == tech and complaint.channel == "store"
    assert complaint.installer_phone == "13900001111"
    assert Message.objects.filter(ref=case.number, to=case.customer.phone).exists()
    # The page fits the phone: nothing wider than the screen.
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
