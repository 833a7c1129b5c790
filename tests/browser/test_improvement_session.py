"""A live nominal-group session on two phones (003 P-097): the outlet manager starts it from the
problem and facilitates, the technician joins with their own login; both write ideas silently,
the ideas are recorded round robin, both rank their top two in the first and the final vote, and
both phones show the tally — each phone following the phases by polling, no reloads by hand."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, new_context, snap, zh

pytestmark = pytest.mark.browser


def _add_idea(page: Page, text: str) -> None:
    page.get_by_label(zh("one possible solution")).fill(text)
    page.get_by_role("button", name=zh("Add the idea")).click()
    expect(page.locator("#mine .my-ideas")).to_contain_text(text)


def _advance(page: Page, next_phase: str) -> None:
    label = zh("Next: %(label)s") % {"label": zh(next_phase)} + " →"
    page.get_by_role("button", name=label).click()
    expect(page.locator(".stepper li.current")).to_have_text(zh(next_phase))


def _rank(page: Page, first: str, second: str) -> None:
    page.get_by_label(zh("choice %(n)s") % {"n": 1}).select_option(label=first)
    page.get_by_label(zh("choice %(n)s") % {"n": 2}).select_option(label=second)
    page.get_by_role("button", name=zh("Submit my ranking")).click()
    expect(page.get_by_test_id("my-ranking")).to_contain_text(first.split(" ", 1)[1])


def test_nominal_group_session_with_two_phones(site, browser, phone):
    from manyi.improvement import actions
    from manyi.improvement.models import Session

    problem = actions.raise_problem(
        actor=site.world.manager,
        title="周末顾客等候时间过长",
        description="周六下午顾客平均等候超过15分钟。",
    )

    # The manager starts the session from the problem's page.
    manager = phone
    site.login(manager, "manager")
    manager.goto(f"{site.url}/improvement/problems/{problem.pk}/")
    snap(manager, "improvement-problem")
    manager.get_by_text(zh("Start a problem-solving session")).click()
    manager.get_by_label(zh("each member ranks their top")).fill("2")
    manager.get_by_role("button", name=zh("Start the session")).click()
    expect(manager.get_by_role("heading", level=1)).to_have_text(zh("Nominal group technique"))
    session = Session.objects.get()
    url = f"{site.url}/improvement/sessions/{session.pk}/"

    # The technician joins on their own phone; the manager's board shows them by polling.
    tech_context = new_context(browser, PHONE)
    tech = tech_context.new_page()
    site.login(tech, "tech")
    tech.goto(url)
    tech.get_by_role("button", name=zh("Join the session")).click()
    expect(tech.locator("#board .chip")).to_have_count(2)
    expect(manager.locator("#board .chip")).to_have_count(2)
    snap(manager, "improvement-session-state")

    # Silent writing: the phase change reaches the technician's phone by itself.
    _advance(manager, "Write ideas silently")
    expect(tech.locator(".stepper li.current")).to_have_text(zh("Write ideas silently"))
    _add_idea(manager, "周末增加一名导购")
    _add_idea(tech, "开通电话预约")
    _add_idea(tech, "设置取号屏")
    snap(tech, "improvement-session-silent")
    # Nobody sees another's ideas yet; the board only counts them.
    expect(manager.locator("#board .ideas")).to_have_count(0)

    _advance(manager, "Round-robin recording")
    manager.get_by_role("button", name=zh("Record all, round robin")).click()
    expect(manager.locator("#board .idea-list li")).to_have_count(3)
    expect(tech.locator("#board .idea-list li")).to_have_count(3)
    # One idea per member per turn: the manager's, the technician's, the technician's second.
    expect(tech.locator("#board .idea-list li .idea-text")).to_have_text(
        ["周末增加一名导购", "开通电话预约", "设置取号屏"]
    )
    snap(tech, "improvement-session-recorded")

    _advance(manager, "Clarification")
    _advance(manager, "First vote")
    expect(tech.locator(".stepper li.current")).to_have_text(zh("First vote"))
    _rank(tech, "#2 开通电话预约", "#3 设置取号屏")
    _rank(manager, "#1 周末增加一名导购", "#2 开通电话预约")
    expect(manager.get_by_test_id("votes")).to_contain_text("2")
    snap(manager, "improvement-session-vote")

    # Discussion shows the first tally on both phones.
    _advance(manager, "Discussion")
    expect(tech.locator("#board .tally[data-round='1']")).to_be_visible()

    _advance(manager, "Final vote")
    expect(tech.locator(".stepper li.current")).to_have_text(zh("Final vote"))
    _rank(tech, "#2 开通电话预约", "#1 周末增加一名导购")
    _rank(manager, "#2 开通电话预约", "#3 设置取号屏")
    _advance(manager, "Results")

    # Both see the final tally: #2 has 2 + 2 = 4 points and two first places.
    for page in (manager, tech):
        final = page.locator("#board .tally[data-round='2']")
        expect(final).to_be_visible()
        expect(final.locator("tr.winner")).to_contain_text("开通电话预约")
        expect(final.locator("tr.winner .points")).to_have_text("4")
    snap(tech, "improvement-session-done")

    tech.get_by_role("link", name=zh("See the results")).click()
    expect(tech.get_by_role("heading", level=1)).to_have_text(zh("Results"))
    expect(tech.locator(".tally")).to_have_count(2)
    snap(tech, "improvement-session-results")
    tech_context.close()

    session.refresh_from_db()
    assert session.phase == "done" and session.rankings.count() == 4
