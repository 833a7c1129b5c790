"""Performance appraisal (003 P-080..084): preparation before discussion, commitments with
dates, the follow-up; standards and the scoreboard at hand while preparing."""

import datetime as dt

import pytest

from conftest import assert_problem, auth, send
from manyi.errors import Conflict, InvalidInput, NotFound, OutOfScope
from manyi.team.actions import appraisals as actions
from manyi.team.models import (
    DISCUSSION_ITEMS,
    PREPARATION_ITEMS,
    SELF_REVIEW_ITEMS,
    Appraisal,
    AppraisalStage,
)

ALL_PREP = {key: True for key, _label in PREPARATION_ITEMS}
ALL_DISC = {key: True for key, _label in DISCUSSION_ITEMS}
REVIEW = {key: "有收获" for key, _label in SELF_REVIEW_ITEMS}


@pytest.fixture
def appraisal(world):
    return actions.open_appraisal(
        actor=world.manager,
        staff=world.tech.staff,
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 12, 31),
    )


def test_the_whole_cycle(world, appraisal):
    appraisal = actions.prepare(actor=world.manager, appraisal=appraisal, checks=ALL_PREP)
    appraisal = actions.record_discussion(
        actor=world.manager, appraisal=appraisal, checks=ALL_DISC, record="回访及时，色卡留样需改进"
    )
    assert appraisal.stage == AppraisalStage.DISCUSSED
    commitment = actions.add_commitment(
        actor=world.manager,
        appraisal=appraisal,
        text="每次施工留存色卡",
        due_on=dt.date(2027, 1, 31),
    )
    actions.complete_commitment(actor=world.tech, commitment=commitment, note="已做到")
    appraisal = actions.follow_up(
        actor=world.manager, appraisal=appraisal, record="计划与承诺已记录", copy_given=True,
        self_review=REVIEW,
    )  # fmt: skip
    assert appraisal.stage == AppraisalStage.CLOSED and appraisal.copy_sent_at is not None
    assert appraisal.self_review == REVIEW


def test_no_discussion_before_the_preparation_is_done(world, appraisal):
    partial = {**ALL_PREP, "notified": False}
    actions.prepare(actor=world.manager, appraisal=appraisal, checks=partial)
    with pytest.raises(InvalidInput) as exc:
        actions.record_discussion(
            actor=world.manager, appraisal=appraisal, checks=ALL_DISC, record="x"
        )
    assert exc.value.field_errors()[0][0] == "preparation"
    with pytest.raises(Conflict):  # commitments come out of the discussion
        actions.add_commitment(
            actor=world.manager, appraisal=appraisal, text="x", due_on=dt.date(2027, 1, 1)
        )
    with pytest.raises(InvalidInput):
        actions.prepare(actor=world.manager, appraisal=appraisal, checks={"nonsense": True})


def test_the_follow_up_needs_a_commitment_the_copy_and_the_four_answers(world, appraisal):
    actions.prepare(actor=world.manager, appraisal=appraisal, checks=ALL_PREP)
    actions.record_discussion(actor=world.manager, appraisal=appraisal, checks={}, record="记录")
    with pytest.raises(InvalidInput) as exc:
        actions.follow_up(
            actor=world.manager, appraisal=appraisal, record="r", copy_given=True,
            self_review=REVIEW,
        )  # fmt: skip
    assert exc.value.field_errors()[0][0] == "commitments"
    with pytest.raises(InvalidInput):  # a date in the past
        actions.add_commitment(
            actor=world.manager, appraisal=appraisal, text="x", due_on=dt.date(2020, 1, 1)
        )
    actions.add_commitment(
        actor=world.manager, appraisal=appraisal, text="x", due_on=dt.date(2099, 1, 1)
    )
    with pytest.raises(InvalidInput):
        actions.follow_up(
            actor=world.manager, appraisal=appraisal, record="r", copy_given=False,
            self_review=REVIEW,
        )  # fmt: skip
    with pytest.raises(InvalidInput) as exc:
        actions.follow_up(
            actor=world.manager, appraisal=appraisal, record="r", copy_given=True,
            self_review={**REVIEW, "learned_about_me": " "},
        )  # fmt: skip
    assert exc.value.field_errors()[0][0] == "self_review.learned_about_me"
    assert Appraisal.objects.get().stage == AppraisalStage.DISCUSSED


def test_who_may_hold_and_see_an_appraisal(world, appraisal):
    with pytest.raises(OutOfScope):
        actions.open_appraisal(
            actor=world.tech, staff=world.sales.staff, period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 6, 30),
        )  # fmt: skip
    with pytest.raises(InvalidInput):  # not of their team
        actions.open_appraisal(
            actor=world.south_manager, staff=world.tech.staff, period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 6, 30),
        )  # fmt: skip
    with pytest.raises(InvalidInput):  # not oneself
        actions.open_appraisal(
            actor=world.manager, staff=world.manager.staff, period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 6, 30),
        )  # fmt: skip
    with pytest.raises(OutOfScope):
        actions.prepare(actor=world.tech, appraisal=appraisal, checks=ALL_PREP)
    with pytest.raises(NotFound):
        actions.prepare(actor=world.other_head, appraisal=appraisal, checks=ALL_PREP)
    actions.prepare(actor=world.head, appraisal=appraisal, checks=ALL_PREP)  # a manager over


def test_pages_show_standards_and_scoreboard_while_preparing(client, world, appraisal):
    from manyi.quality.models import Standard

    Standard.objects.create(
        company_id=world.company.pk, code="P-01", area="appearance", side="personal",
        statement="着装符合员工手册规定", status="approved",
    )  # fmt: skip
    client.force_login(world.manager)
    page = client.get(f"/team/appraisals/{appraisal.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "着装符合员工手册规定" in html and 'data-testid="prep-scoreboard"' in html
    early = client.post(f"/team/appraisals/{appraisal.pk}/discuss/", {"disc-notes": "记录"})
    assert early.status_code == 422
    prepared = client.post(
        f"/team/appraisals/{appraisal.pk}/prepare/",
        {f"prep-check_{key}": "on" for key in ALL_PREP},
    )
    assert prepared.status_code == 302
    discussed = client.post(
        f"/team/appraisals/{appraisal.pk}/discuss/",
        {"disc-check_open": "on", "disc-notes": "气氛良好"},
    )
    assert discussed.status_code == 302
    committed = client.post(
        f"/team/appraisals/{appraisal.pk}/commit/",
        {
            "commit-text": "学习新产品知识",
            "commit-owner": "employee",
            "commit-due_on": "2099-01-31",
        },
    )
    assert committed.status_code == 302
    # The employee sees the record now, but not the manager's preparation notes.
    client.force_login(world.tech)
    mine = client.get(f"/team/appraisals/{appraisal.pk}/").content.decode()
    assert "气氛良好" in mine and "学习新产品知识" in mine and "prep-standards" not in mine
    client.force_login(world.manager)
    closed = client.post(
        f"/team/appraisals/{appraisal.pk}/follow-up/",
        {"follow-record": "计划已记录", "follow-copy_given": "on",
         **{f"follow-review_{k}": "好" for k in REVIEW}},
    )  # fmt: skip
    assert closed.status_code == 302
    assert Appraisal.objects.get().stage == AppraisalStage.CLOSED
    client.force_login(world.south_manager)
    assert client.get(f"/team/appraisals/{appraisal.pk}/").status_code == 404


def test_an_employee_does_not_see_an_appraisal_in_preparation(client, world, appraisal):
    client.force_login(world.tech)
    assert client.get(f"/team/appraisals/{appraisal.pk}/").status_code == 404
    assert client.get("/team/appraisals/new/").status_code == 403


def test_the_cycle_through_the_api(client, world):
    head = auth(world.manager)
    created = send(
        client, "post", "/api/v1/appraisals", head,
        {"staff_id": world.tech.staff.pk, "period_start": "2026-07-01",
         "period_end": "2026-12-31"},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    early = send(
        client, "post", f"/api/v1/appraisals/{pk}/discussion", head, {"checks": {}, "record": "x"}
    )
    assert_problem(early, 422)
    send(client, "post", f"/api/v1/appraisals/{pk}/preparation", head, {"checks": ALL_PREP})
    send(client, "post", f"/api/v1/appraisals/{pk}/discussion", head,
         {"checks": ALL_DISC, "record": "记录"})  # fmt: skip
    committed = send(
        client, "post", f"/api/v1/appraisals/{pk}/commitments", head,
        {"text": "留存色卡", "due_on": "2099-01-31"},
    )  # fmt: skip
    assert committed.status_code == 201
    commitment_id = committed.json()["commitments"][0]["id"]
    done = send(client, "post", f"/api/v1/commitments/{commitment_id}/done", auth(world.tech), {})
    assert done.status_code == 200 and done.json()["commitments"][0]["done_at"]
    assert done.json()["preparation"] == {}  # the employee does not read the preparation
    closed = send(
        client, "post", f"/api/v1/appraisals/{pk}/follow-up", head,
        {"record": "r", "copy_given": True, "self_review": REVIEW},
    )  # fmt: skip
    assert closed.json()["stage"] == "closed"
    assert_problem(send(client, "get", f"/api/v1/appraisals/{pk}", auth(world.outsider)), 404)
    listed = send(client, "get", "/api/v1/appraisals", head).json()
    assert [a["id"] for a in listed] == [pk]
