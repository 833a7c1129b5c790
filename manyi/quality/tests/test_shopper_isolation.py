"""A mystery shopper sees their own visits and nothing else: no other visit, no customer, no
case, no organisation page, no quality page — neither through the pages nor the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from conftest import PASSWORD, assert_problem, auth, send
from manyi.quality.actions import mystery
from manyi.quality.models import ProgramStage


@pytest.fixture
def visits(world, shopper, shopper2, make_customer):
    """A programme in its visits stage: one visit for each shopper; a customer and a case exist."""
    head = world.head
    make_customer(name="不该被看到的顾客")
    from manyi.workorders import actions as workorders

    workorders.take_order(
        actor=world.sales, customer=make_customer(name="另一位顾客"), site_address="徐汇区1号"
    )
    rival = mystery.create_competitor(actor=head, name="竞争对手店")
    program = mystery.create_program(actor=head, name="计划")
    mystery.set_objectives(
        actor=head, program=program, objectives="目标", learn_areas=["reception"]
    )
    stages = iter(STAGES)
    mystery.advance_program(actor=head, program=program, stage=next(stages))
    own = mystery.add_target(actor=head, program=program, outlet=world.east1)
    other = mystery.add_target(actor=head, program=program, competitor=rival)
    mystery.advance_program(actor=head, program=program, stage=next(stages))
    scenario = mystery.add_scenario(actor=head, program=program, title="咨询", script="问价格")
    mystery.advance_program(actor=head, program=program, stage=next(stages))
    mystery.set_checklist(actor=head, program=program)
    mystery.advance_program(actor=head, program=program, stage=next(stages))
    mystery.add_shopper(actor=head, program=program, shopper=shopper.staff)
    mystery.add_shopper(actor=head, program=program, shopper=shopper2.staff)
    mystery.advance_program(actor=head, program=program, stage=next(stages))
    day = dt.date(2099, 1, 1)
    mine = mystery.schedule_visit(
        actor=head,
        program=program,
        target=own,
        shopper=shopper.staff,
        scenario=scenario,
        planned_on=day,
    )
    theirs = mystery.schedule_visit(
        actor=head,
        program=program,
        target=other,
        shopper=shopper2.staff,
        scenario=scenario,
        planned_on=day,
    )
    mystery.inform_staff(actor=head, program=program)
    mystery.advance_program(actor=head, program=program, stage=next(stages))
    mystery.brief_shoppers(actor=head, program=program, briefing="像顾客一样")
    mystery.advance_program(actor=head, program=program, stage=next(stages))
    return mine, theirs


STAGES = [
    ProgramStage.OUTLETS,
    ProgramStage.SCENARIOS,
    ProgramStage.CHECKLIST,
    ProgramStage.SHOPPERS,
    ProgramStage.SCHEDULE,
    ProgramStage.BRIEFING,
    ProgramStage.VISITS,
]


def test_shopper_pages(client, world, shopper, visits):
    mine, theirs = visits
    assert client.login(username="shopper", password=PASSWORD)
    page = client.get(reverse("quality:my-visits")).content.decode()
    assert world.east1.name in page and "竞争对手店" not in page
    # The menu holds only "home", "my visits" and their own notification settings.
    nav = client.get(reverse("quality:my-visits")).context["nav_items"]
    assert [item["url"] for item in nav] == [
        "/",
        reverse("quality:my-visits"),
        reverse("notify:preferences"),
    ]
    assert client.get(reverse("quality:my-visit", args=[mine.pk])).status_code == 200
    assert client.get(reverse("quality:my-visit", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("quality:index"))["Location"] == reverse("quality:my-visits")
    for url in (
        "/customers/",
        "/cases/queue/",
        "/cases/mine/",
        "/complaints/",
        "/units/",
        "/staff/",
        reverse("quality:standards"),
        reverse("quality:audits"),
        reverse("quality:compare"),
        reverse("quality:programs"),
        reverse("quality:program", args=[mine.program_id]),
        reverse("quality:actions"),
    ):
        response = client.get(url)
        assert response.status_code in (403, 404), url
        assert "不该被看到的顾客" not in response.content.decode()


def test_shopper_api(client, world, shopper, visits):
    mine, theirs = visits
    headers = auth(shopper)
    listed = send(client, "get", "/api/v1/shopper-visits", headers).json()
    assert [v["id"] for v in listed] == [mine.pk]
    assert_problem(send(client, "get", f"/api/v1/shopper-visits/{theirs.pk}", headers), 404)
    assert_problem(
        send(client, "put", f"/api/v1/shopper-visits/{theirs.pk}", headers, {"narrative": "x"}),
        404,
    )
    for url in (
        "/api/v1/customers",
        "/api/v1/cases",
        "/api/v1/standards",
        "/api/v1/audits",
        "/api/v1/mystery-programs",
        f"/api/v1/mystery-programs/{mine.program_id}/report",
        "/api/v1/units",
        "/api/v1/staff",
    ):
        response = send(client, "get", url, headers)
        # Refused, or (lists that filter by scope) an empty list.
        assert response.status_code in (403, 404) or response.json() in ([], {"items": []}), url
        assert "不该被看到的顾客" not in response.content.decode()
    # Staff do not see the shopper's side either.
    assert_problem(send(client, "get", "/api/v1/shopper-visits", auth(world.head)), 403)


def test_shopper_fills_their_visit_through_the_api(client, world, shopper, visits):
    mine, _theirs = visits
    headers = auth(shopper)
    body = send(
        client,
        "put",
        f"/api/v1/shopper-visits/{mine.pk}",
        headers,
        {"narrative": "进门没人理", "duration_minutes": 12},
    ).json()
    assert body["narrative"] == "进门没人理"
    answers = {**{f"p{i}": "met" for i in range(1, 10)}, **{f"st{i}": "met" for i in range(1, 6)}}
    answers["p1"] = "not_met"
    body = send(
        client,
        "post",
        f"/api/v1/shopper-visits/{mine.pk}/submit",
        headers,
        {"visited_at": "2026-11-21T10:30:00+08:00", "answers": answers},
    ).json()
    assert body["status"] == "submitted" and body["index"] < 100


def test_shopper_fills_their_visit_through_the_page(client, world, shopper, visits):
    mine, _theirs = visits
    assert client.login(username="shopper", password=PASSWORD)
    data = {
        "visited_at": "2026-11-21T10:30",
        "duration_minutes": "9",
        "narrative": "很热情",
        **{f"p{i}": "met" for i in range(1, 10)},
        **{f"st{i}": "partly" for i in range(1, 6)},
        "submit": "1",
    }
    response = client.post(reverse("quality:my-visit", args=[mine.pk]), data)
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == "submitted" and mine.duration_minutes == 9
