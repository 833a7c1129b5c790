"""End to end, in a real headless Chromium on a phone: log in, add a customer, find them again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import en, snap, zh

pytestmark = pytest.mark.browser

NAME = "欧阳春燕"
PHONE_TYPED = "139 1234 5678"  # as people type it; stored as 11 digits
PHONE = "13912345678"


def customers():
    from manyi.customers.models import Customer

    return Customer.objects


def open_menu_item(page: Page, label: str) -> None:
    """On a phone the navigation hides behind the ☰ button."""
    link = page.get_by_role("navigation", name=zh("Main")).get_by_role("link", name=label)
    expect(link).to_be_hidden()
    toggle = page.get_by_role("button", name=zh("Menu"))
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.tap()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(link).to_be_visible()
    link.tap()


def field(page: Page, label: str):
    return page.get_by_role("textbox", name=label, exact=True)


def results(page: Page):
    return page.locator("#customer-results")


def search(page: Page, term: str) -> None:
    box = page.get_by_role("searchbox", name=zh("Search customers"))
    box.fill(term)  # htmx sends it on "input", no button pressed


def test_frontline_adds_a_customer_and_finds_them(site, phone, make_customer):
    world = site.world
    make_customer(name="王小明", phone="13800001111", city="杭州市")  # must not match the searches

    site.login(phone, "sales")
    open_menu_item(phone, zh("Customers"))
    expect(phone.get_by_role("heading", level=1)).to_have_text(zh("Customers"))
    expect(results(phone).get_by_role("link", name="王小明")).to_be_visible()

    phone.get_by_role("link", name=zh("Add a customer")).tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text(zh("New customer"))
    field(phone, zh("name", "person")).fill(NAME)
    field(phone, zh("mobile phone")).fill(PHONE_TYPED)
    # Sales works in one outlet: it is chosen already.
    expect(phone.get_by_role("combobox", name=zh("home outlet"))).to_have_value(str(world.east1.pk))
    field(phone, zh("province")).fill("上海市")
    field(phone, zh("city")).fill("上海市")
    field(phone, zh("district")).fill("徐汇区")
    field(phone, zh("street address")).fill("漕溪北路88号")
    phone.get_by_role("button", name=zh("Save")).tap()

    expect(phone.get_by_role("heading", level=1)).to_contain_text(NAME)
    expect(phone.get_by_role("status")).to_have_text(
        zh("Customer %(name)s was added.") % {"name": NAME}
    )
    customer = customers().get(phone=PHONE)
    facts = phone.locator("dl.facts")
    expect(facts).to_contain_text(PHONE)
    expect(facts).to_contain_text(customer.full_address)
    expect(facts).to_contain_text("徐汇区漕溪北路88号")
    expect(facts).to_contain_text(world.east1.name)

    assert customer.name == NAME
    assert customer.home_outlet == world.east1
    assert customer.company_id == world.company.pk
    assert customer.district == "徐汇区"
    assert phone.url == f"{site.url}/customers/{customer.pk}/"

    open_menu_item(phone, zh("Customers"))
    expect(phone.get_by_role("heading", level=1)).to_have_text(zh("Customers"))
    phone.evaluate("window.__same_page = true")  # gone if the search reloaded the page
    table = results(phone)
    for term in ("春燕", "5678"):
        search(phone, term)
        expect(phone).to_have_url(re.compile(r"[?&]q="))  # hx-push-url: the search is shareable
        expect(table.get_by_role("link", name=NAME)).to_be_visible()
        expect(table.get_by_role("link", name="王小明")).to_have_count(0)
        expect(table).to_contain_text(PHONE)
        search(phone, "")
        expect(table.get_by_role("link", name="王小明")).to_be_visible()
    search(phone, "1111")
    expect(table.get_by_role("link", name="王小明")).to_be_visible()
    expect(table.get_by_role("link", name=NAME)).to_have_count(0)
    assert phone.evaluate("window.__same_page") is True
    snap(phone, "search-results")


def test_invalid_phone_is_refused_next_to_the_field(site, phone):
    site.login(phone, "sales")
    phone.goto(f"{site.url}/customers/new/")
    field(phone, zh("name", "person")).fill(NAME)
    field(phone, zh("mobile phone")).fill("1391234")
    phone.get_by_role("button", name=zh("Save")).tap()

    message = zh("Enter a valid mainland-China mobile number (11 digits starting with 1).")
    phone_input = field(phone, zh("mobile phone"))
    phone_field = phone.locator(".field").filter(has=phone_input)
    expect(phone_field.get_by_role("alert")).to_have_text(message)
    expect(phone_field.get_by_role("alert")).to_be_visible()
    expect(phone_input).to_have_attribute("aria-invalid", "true")
    expect(phone_input).to_have_value("1391234")  # what was typed is kept
    expect(field(phone, zh("name", "person"))).to_have_value(NAME)
    expect(phone.get_by_role("heading", level=1)).to_have_text(zh("New customer"))
    # The only error on the page is the phone's.
    expect(phone.get_by_role("alert")).to_have_count(1)
    snap(phone, "invalid-phone")
    assert phone.url == f"{site.url}/customers/new/"
    assert not customers().exists()


def test_footer_switches_the_language_to_english_and_back(site, phone, make_customer):
    customer = make_customer(name=NAME, phone=PHONE)
    site.login(phone, "sales")
    phone.goto(f"{site.url}/customers/{customer.pk}/")
    html = phone.locator("html")
    footer = phone.get_by_role("contentinfo")

    def consent(tr):
        return phone.locator("dt", has_text=tr("agrees to be contacted")).locator("+ dd")

    for text in ("Customers", "agrees to be contacted", "Log out"):
        assert zh(text) != en(text), f"no Chinese for {text!r}: run compilemessages"
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(consent(zh)).to_have_text("否")

    footer.get_by_role("button", name="English").tap()
    expect(html).to_have_attribute("lang", "en")
    expect(phone).to_have_url(f"{site.url}/customers/{customer.pk}/")  # same page
    expect(consent(en)).to_have_text("no")
    expect(phone.get_by_role("heading", level=1)).to_contain_text(NAME)
    expect(phone.locator("dt", has_text=en("home outlet"))).to_have_text(en("home outlet"))
    expect(footer.get_by_role("button", name="English")).to_have_class(re.compile(r"\bcurrent\b"))
    phone.get_by_role("button", name=en("Menu")).tap()
    nav = phone.get_by_role("navigation", name=en("Main"))
    expect(nav.get_by_role("link", name=en("Customers"))).to_be_visible()
    expect(phone.get_by_role("button", name=en("Log out"))).to_be_visible()
    snap(phone, "en-customer-page-menu-open")

    # The choice sticks: another page is English too.
    phone.goto(f"{site.url}/customers/")
    expect(html).to_have_attribute("lang", "en")
    expect(phone.get_by_role("heading", level=1)).to_have_text(en("Customers"))

    footer.get_by_role("button", name="中文").tap()
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(phone.get_by_role("heading", level=1)).to_have_text(zh("Customers"))
    expect(footer.get_by_role("button", name="中文")).to_have_class(re.compile(r"\bcurrent\b"))
    phone.get_by_role("button", name=zh("Menu")).tap()
    expect(phone.get_by_role("button", name=zh("Log out"))).to_be_visible()
    expect(phone.get_by_role("button", name=en("Log out"))).to_have_count(0)
    phone.goto(f"{site.url}/customers/{customer.pk}/")
    expect(consent(zh)).to_have_text("否")
