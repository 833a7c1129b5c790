"""Voice of the customer: jieba themes of complaints and survey comments, this period against
the one before, each theme linking to its records."""

from __future__ import annotations

import pytest
import time_machine

from conftest import PASSWORD, auth, fresh_user
from manyi.complaints.tests import conftest as complaint_fixtures

at = complaint_fixtures.at
tech = complaint_fixtures.tech
rule = complaint_fixtures.rule
customer = complaint_fixtures.customer
take = complaint_fixtures.take


@pytest.fixture
def voices(world, take):
    """October: one complaint about waiting. November: two about waiting, one about colour,
    and a survey comment about waiting."""
    from manyi.insights.demo_year import ensure_gap_instrument
    from manyi.surveys import answering, settings_actions

    with time_machine.travel(at(2026, 10, 12, 10, 0), tick=False):
        take(description="等待时间太长，电话打不通")
    with time_machine.travel(at(2026, 11, 16, 10, 0), tick=False):
        first = take(description="等待时间太长")
        take(description="上门等待时间两个小时")
        take(description="颜色和样板不一致")
        version = ensure_gap_instrument(world.head)
        point = settings_actions.save_walk_in_point(
            actor=world.head, unit=world.east1.pk, version=version.pk
        )
        answers = {f"e{i}": 5 for i in range(1, 6)}
        answers.update({f"p{i}": 3 for i in range(1, 6)})
        answers["comment"] = "等待时间有点长"
        answering.submit_walk_in(token=point.token, answers=answers)
    return first


def _filters():
    import datetime as dt

    from manyi.complaints.analytics import Filters

    return Filters(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 1))


def test_themes_count_both_sources_and_trend(world, voices):
    from manyi.insights.voice import themes
    from manyi.org.scopes import scope_for

    scope = scope_for(fresh_user(world.head))
    found = {t.word: t for t in themes(scope, world.company, _filters())}
    waiting = found["等待时间"]
    assert (waiting.complaints, waiting.surveys) == (2, 1)
    assert waiting.total_before == 1
    assert waiting.trend == "up"
    assert found["颜色"].trend == "new"
    assert found["电话"].trend == "down"  # said in October, not in November
    assert waiting.survey_item is not None
    ordered = themes(scope_for(fresh_user(world.head)), world.company, _filters())
    assert ordered[0].word == "等待时间"


def test_page_links_a_theme_to_its_complaints_and_comments(client, world, voices):
    client.login(username="head", password=PASSWORD)
    response = client.get("/insights/voice/?from=2026-11&to=2026-11")
    assert response.status_code == 200
    body = response.content.decode()
    assert "等待时间" in body
    assert "/survey-results/comments/?" in body or "comments/?" in body
    records = client.get("/insights/voice/complaints/?from=2026-11&to=2026-11&word=等待")
    assert records.status_code == 200
    assert voices.number in records.content.decode()
    assert "颜色和样板" not in records.content.decode()
    export = client.get("/insights/voice/?from=2026-11&to=2026-11&export=xlsx&table=themes")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_records_page_refuses_a_bad_cursor_and_outsiders(client, world, voices):
    client.login(username="head", password=PASSWORD)
    bad = client.get("/insights/voice/complaints/?word=等待&after=x")
    assert bad.status_code in (400, 422)
    client.login(username="outsider", password=PASSWORD)
    assert client.get("/insights/voice/").status_code in (403, 404)


def test_api_themes(client, world, voices):
    response = client.get("/api/v1/insights/voice?from=2026-11&to=2026-11", **auth(world.head))
    assert response.status_code == 200, response.content
    first = response.json()[0]
    assert first["word"] == "等待时间" and first["trend"] == "up"
    assert first["complaints_url"].startswith("/insights/voice/complaints/?")
    south = client.get(
        "/api/v1/insights/voice?from=2026-11&to=2026-11", **auth(world.south_manager)
    )
    assert south.json() == []
