"""On a phone, under the production Content-Security-Policy: pages work with no inline script
(htmx search, the select that submits itself) and the browser reports no CSP violation; a
customer's personal data is erased through the confirm step."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import snap, zh

pytestmark = pytest.mark.browser


def _violations(page) -> list[str]:
    seen: list[str] = []
    page.on(
        "console",
        lambda msg: (
            seen.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    return seen


def test_pages_run_under_the_csp_and_personal_data_is_erased(site, phone, make_customer):
    customer = make_customer(name="欧阳春燕", phone="13912345678")
    violations = _violations(phone)
    site.login(phone, "manager")
    # htmx search on the customer list (no inline script, no eval).
    phone.goto(f"{site.url}/customers/")
    phone.get_by_role("searchbox", name=zh("Search customers")).fill("欧阳")
    expect(phone.locator("#customer-results")).to_contain_text("欧阳春燕")
    # The customer's page → personal data → erase with the confirm step.
    phone.goto(f"{site.url}/customers/{customer.pk}/")
    phone.get_by_test_id("personal-data").tap()
    expect(phone.get_by_role("heading", level=1)).to_contain_text(zh("Personal data"))
    snap(phone, "privacy-customer")
    box = phone.get_by_label(
        zh("To confirm, type the last four digits of the customer's mobile number")
    )
    box.fill("0000")
    phone.get_by_role("button", name=zh("Erase personal data")).tap()
    expect(phone.get_by_role("alert")).to_contain_text(
        zh("Type the last four digits of the customer's mobile number to confirm.")
    )
    box = phone.get_by_label(
        zh("To confirm, type the last four digits of the customer's mobile number")
    )
    box.fill("5678")
    phone.get_by_role("button", name=zh("Erase personal data")).tap()
    expect(phone.get_by_test_id("erased")).to_be_visible()
    snap(phone, "privacy-erased")
    customer.refresh_from_db()
    assert customer.erased_at is not None and customer.name == f"#{customer.pk}"
    assert not violations, violations


def test_the_instrument_filter_submits_itself_without_inline_script(site, phone):
    violations = _violations(phone)
    site.login(phone, "head")
    phone.goto(f"{site.url}/instruments/")
    select = phone.locator("select[data-autosubmit]")
    value = select.locator("option").nth(1).get_attribute("value")
    select.select_option(value)
    expect(phone).to_have_url(f"{site.url}/instruments/?kind={value}")
    assert not violations, violations
