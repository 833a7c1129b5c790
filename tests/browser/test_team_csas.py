"""On a phone: a team member finds the CSAS round waiting, answers it (one answer forgotten
first), and — being the last of three — sees the team's strengths and weaknesses."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import snap, zh

pytestmark = pytest.mark.browser

ITEMS = [f"q{n}" for n in range(1, 21)]


def test_a_member_answers_a_csas_round_on_a_phone(site, phone):
    from manyi.instruments.builtin import load_builtins
    from manyi.team.actions import csas
    from manyi.team.builtin import load_team_templates
    from manyi.team.models import AssessmentResponse, RoundMember

    load_builtins()  # a browser test runs on flushed tables
    load_team_templates()
    world = site.world
    round_ = csas.open_round(actor=world.manager, unit=world.east1, name="十一月团队评估")
    csas.answer_round(actor=world.manager, round=round_, answers=dict.fromkeys(ITEMS, 5))
    csas.answer_round(actor=world.sales, round=round_, answers=dict.fromkeys(ITEMS, 4))

    site.login(phone, "tech")
    phone.goto(f"{site.url}/team/")
    waiting = phone.get_by_role("link", name=zh("Rate your team") + ": 十一月团队评估")
    expect(waiting).to_be_visible()
    waiting.click()
    expect(phone.get_by_test_id("anonymous-note")).to_be_visible()
    # Every item 3 (经常) except item 6, 0 (从不); item 20 forgotten at first.
    for code in ITEMS[:-1]:
        value = 0 if code == "q6" else 3
        phone.locator(f"#q-{code} .q-point").nth(value).click()
    snap(phone, "team-csas-answer")
    phone.get_by_role("button", name=zh("Submit my answers")).click()
    expect(phone.locator("#q-q20 .q-error")).to_be_visible()
    assert AssessmentResponse.objects.count() == 2
    # The answers given are kept; only the forgotten one is needed.
    expect(phone.locator("#q-q1 input[value='3']")).to_be_checked()
    phone.locator("#q-q20 .q-point").nth(3).click()
    phone.get_by_role("button", name=zh("Submit my answers")).click()

    expect(phone.locator(".messages")).to_contain_text(
        zh("Thank you. Your answers were recorded anonymously.")
    )
    expect(phone.get_by_test_id("answer-count")).to_have_text("3 / 3")
    sw = phone.get_by_test_id("strengths-weaknesses")
    expect(sw).to_contain_text("我们不能叫出顾客的名字。")
    expect(phone.get_by_test_id("item-table")).to_be_visible()
    snap(phone, "team-csas-results")
    assert RoundMember.objects.get(round=round_, staff=world.tech.staff).has_answered
    # Nothing on the page names who answered what; the member list is for managers only.
    assert phone.locator(".members").count() == 0
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
