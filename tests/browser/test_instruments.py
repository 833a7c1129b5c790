"""The instrument builder on a phone: create a questionnaire, add questions with htmx (one shown
only for low scores), preview it in the phone frame, answer and see the score, publish."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import snap, zh

pytestmark = pytest.mark.browser


def test_build_preview_and_publish_on_a_phone(site, phone):
    from manyi.instruments.builtin import load_builtins
    from manyi.instruments.models import Instrument, VersionStatus

    load_builtins()
    site.login(phone, "head")
    phone.goto(f"{site.url}/instruments/")
    expect(phone.get_by_role("heading", level=1)).to_have_text(zh("Instruments"))
    expect(phone.get_by_role("link", name="售后服务满意度指数调研（CSI）")).to_be_visible()
    snap(phone, "instrument-list")

    phone.get_by_role("link", name=zh("New instrument")).click()
    phone.get_by_label(zh("code")).fill("visit")
    phone.get_by_label(zh("name")).fill("上门服务满意度")
    phone.get_by_label(zh("purpose")).select_option("survey")
    phone.get_by_role("button", name=zh("Save")).click()
    expect(phone.locator("#builder")).to_be_visible()

    # First question: a 5-point scale, added through the htmx form in place.
    phone.get_by_test_id("add-item").click()
    form = phone.locator("form.b-item-form")
    expect(form).to_be_visible()
    # Only the scale's fields are shown for a scale (options belong to choices).
    expect(form.get_by_label(zh("options"))).to_be_hidden()
    form.get_by_label(zh("question"), exact=True).fill("您对技术服务员的态度满意吗？")
    form.get_by_label(zh("label of the lowest")).fill("很不满意")
    form.get_by_label(zh("label of the highest")).fill("很满意")
    snap(phone, "instrument-item-form")
    form.get_by_test_id("save-item").click()
    expect(phone.locator(".b-item")).to_have_count(1)
    expect(phone.locator(".b-item .b-text")).to_have_text("您对技术服务员的态度满意吗？")
    assert phone.url.endswith("/")  # no full page load: still on the version page

    # Second: free text shown only when the first is 2 or less.
    phone.get_by_test_id("add-item").click()
    form = phone.locator("form.b-item-form")
    form.get_by_label(zh("type")).select_option("text")
    expect(form.get_by_label(zh("points"))).to_be_hidden()
    form.get_by_label(zh("question"), exact=True).fill("哪里让您不满意？")
    form.get_by_label(zh("show only when question")).select_option("q1")
    form.get_by_label(zh("is"), exact=True).select_option("<=")
    form.get_by_label(zh("value"), exact=True).fill("2")
    form.get_by_test_id("save-item").click()
    expect(phone.locator(".b-item")).to_have_count(2)
    snap(phone, "instrument-builder")

    # The preview renders the answer form; the follow-up appears only for a low score.
    phone.get_by_role("link", name=zh("Preview on a phone")).click()
    expect(phone.get_by_test_id("phone")).to_be_visible()
    follow_up = phone.locator("#q-q2")
    expect(follow_up).to_be_hidden()
    phone.locator("#q-q1 label").filter(has_text="2").click()
    expect(follow_up).to_be_visible()
    phone.locator("#q-q1 label").filter(has_text="4").click()
    expect(follow_up).to_be_hidden()
    snap(phone, "instrument-preview")
    phone.get_by_test_id("preview-submit").click()
    # 4 on 1…5: (4 − 1) / 4 × 100 = 75
    expect(phone.get_by_test_id("preview-index")).to_have_text("75.0")

    # Publish: the version freezes.
    phone.get_by_role("link", name="上门服务满意度 v1").click()
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_test_id("publish").click()
    expect(phone.locator(".messages")).to_contain_text(
        zh("The version was published; it can no longer change.")
    )
    version = Instrument.objects.get(code="visit").versions.get()
    assert version.status == VersionStatus.PUBLISHED
    assert [i["code"] for i in version.definition["sections"][0]["items"]] == ["q1", "q2"]
