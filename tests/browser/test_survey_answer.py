"""A customer answers the CSI survey on a phone from the link in their invitation: one question
per screen, the greeting and nothing else of them, resumable, thanked at the end."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import snap, zh

pytestmark = pytest.mark.browser


def test_a_customer_answers_the_csi_survey_on_a_phone(site, phone):
    import datetime as dt

    from manyi import clock
    from manyi.customers.actions import create_customer
    from manyi.instruments.builtin import load_builtins
    from manyi.instruments.models import InstrumentVersion
    from manyi.surveys import actions
    from manyi.surveys.models import Invitation, SurveyResponse

    load_builtins()
    world = site.world
    create_customer(
        actor=world.head,
        data={
            "name": "韩梅梅",
            "phone": "13955556666",
            "home_outlet": world.south1,
            "address_detail": "黄埔大道西100号",
            "survey_consent": True,
        },
    )
    csi = InstrumentVersion.objects.get(instrument__code="csi", instrument__company__isnull=True)
    now = clock.now()
    campaign = actions.create_campaign(
        actor=world.head,
        data={
            "name": "CSI",
            "unit": world.south1.pk,
            "version": csi.pk,
            "channels": ["sms"],
            "starts_at": now,
            "deadline_at": now + dt.timedelta(days=14),
        },
    )
    actions.launch_campaign(actor=world.head, campaign=campaign)
    invitation = Invitation.objects.get()
    actions.send_due_invitations(now=invitation.send_at)  # outside the quiet hours
    link = f"{site.url}/s/{invitation.token}/"

    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("售后服务满意度指数调研（CSI）")
    expect(phone.get_by_text("韩梅梅，您好！")).to_be_visible()
    assert "13955556666" not in phone.content() and "黄埔大道" not in phone.content()
    expect(phone.locator(".s-step")).to_have_text(
        zh("Question %(n)s of %(total)s") % {"n": 1, "total": 16 + 1}
    )
    snap(phone, "survey-first-question")

    # The first three questions, then leave (the phone is put away) and come back.
    for _n in range(3):
        phone.locator(".q-point").nth(4).click()  # 5 非常满意
        phone.get_by_role("button", name=zh("Next")).click()
    phone.goto("about:blank")
    phone.goto(link)
    expect(phone.locator(".s-step")).to_contain_text("4")

    # "Next" without an answer: the same question, marked.
    phone.get_by_role("button", name=zh("Next")).click()
    expect(phone.locator(".q-error")).to_have_text(zh("Please answer this question."))
    for n in range(4, 17):
        phone.locator(".q-point").nth(3 if n == 16 else 4).click()
        phone.get_by_role("button", name=zh("Next")).click()
    phone.locator("textarea").fill("交车很快，谢谢")
    snap(phone, "survey-last-question")
    phone.get_by_role("button", name=zh("Submit")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(zh("Thank you!"))
    snap(phone, "survey-thanks")

    response = SurveyResponse.objects.get()
    assert response.answers["q16"] == 4 and response.answers["comment"] == "交车很快，谢谢"
    assert response.index == pytest.approx(100 - 35 * 25 / 300)
    # The link has done its work: opening it again thanks, records nothing.
    phone.goto(link)
    expect(
        phone.get_by_text(zh("We have already received your answers to this survey. Thank you!"))
    ).to_be_visible()
    assert SurveyResponse.objects.count() == 1
