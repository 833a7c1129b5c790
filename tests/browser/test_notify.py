"""On a phone: a technician sees the unread count in the header, opens the notification, and
chooses to get deadline breaches by SMS as well; the delivery log shows a failed message."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import snap, zh

pytestmark = pytest.mark.browser


def test_inbox_and_preferences_on_a_phone(site, phone):
    from manyi.notify.actions import notify
    from manyi.notify.models import Preference

    world = site.world
    notify(
        kind="case_breach",
        users=[world.tech],
        context={"number": "GD-2026-000007", "stage": "上门"},
        url="/notifications/preferences/",
    )
    site.login(phone, "tech")
    expect(phone.get_by_test_id("unread")).to_have_text("1")
    phone.goto(f"{site.url}/notifications/")
    snap(phone, "notify-inbox")
    phone.get_by_role("button", name="GD-2026-000007 在“上门”阶段已超时").click()
    expect(phone.get_by_role("heading", name=zh("Notification settings"))).to_be_visible()
    expect(phone.get_by_test_id("unread")).to_have_count(0)
    phone.get_by_label(f"{zh('Deadline missed')} {zh('SMS')}").check()
    phone.get_by_label(zh("language of my messages")).select_option("en")
    snap(phone, "notify-preferences")
    phone.get_by_role("button", name=zh("Save")).click()
    expect(phone.locator(".messages")).to_contain_text(zh("Your notification settings were saved."))
    pref = Preference.objects.get(user=world.tech)
    assert pref.channels["case_breach"] == ["email", "sms", "wecom"] and pref.language == "en"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


def test_delivery_log_on_a_phone(site, phone):
    from manyi.notify.actions import send_sms
    from manyi.notify.models import Message, MessageStatus

    world = site.world
    message = send_sms(to="13800001111", body="您好", company_id=world.company.pk)
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.FAILED, attempts=5, last_error="HTTP 503"
    )
    site.login(phone, "head")
    phone.goto(f"{site.url}/notifications/messages/")
    log = phone.get_by_test_id("messages")
    expect(log).to_contain_text("13800001111")
    expect(log).to_contain_text("HTTP 503")
    snap(phone, "notify-delivery-log")
    log.get_by_role("button", name=zh("Send again")).click()
    expect(phone.locator(".messages")).to_contain_text(zh("The message was queued again."))
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT  # the test backend delivers at once
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
