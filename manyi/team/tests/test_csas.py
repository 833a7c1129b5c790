"""CSAS rounds (003 P-092..096): anonymity, the 3-answer threshold, hand-computed results."""

import datetime as dt
import math

import pytest
import time_machine

from conftest import assert_problem, auth, send
from manyi.errors import Conflict, InvalidInput, NotFound, OutOfScope
from manyi.org.models import AuditEntry
from manyi.team.actions import csas as actions
from manyi.team.models import AssessmentAnswer, AssessmentResponse, AssessmentRound, RoundMember
from manyi.team.queries import csas as queries

ITEMS = [f"q{n}" for n in range(1, 21)]


def all_(value, **overrides):
    return {**dict.fromkeys(ITEMS, value), **overrides}


@pytest.fixture
def round_(world):
    # east1's own staff: manager, tech, sales — three members.
    return actions.open_round(actor=world.manager, unit=world.east1, name="十一月")


def test_a_round_asks_the_outlets_own_staff_by_default(world, round_):
    members = set(RoundMember.objects.filter(round=round_).values_list("staff__name", flat=True))
    assert members == {"manager", "tech", "sales"}
    assert round_.member_count == 3 and round_.version.instrument.code == "csas"
    assert AuditEntry.objects.filter(object_type="team.assessmentround").count() == 1


def test_a_round_with_fewer_than_three_members_is_refused(world):
    with pytest.raises(InvalidInput) as exc:
        actions.open_round(actor=world.head, unit=world.east2)
    assert exc.value.field_errors()[0][0] == "members"
    with pytest.raises(InvalidInput):
        actions.open_round(
            actor=world.head,
            unit=world.east,
            members=[world.manager.staff, world.tech.staff],
        )
    assert not AssessmentRound.objects.exists()


def test_chosen_members_must_be_team_staff_in_scope(world):
    # The analyst is not part of a service team; the other company's head is outside.
    with pytest.raises(InvalidInput):
        actions.open_round(
            actor=world.head,
            unit=world.company,
            members=[world.manager.staff, world.tech.staff, world.analyst.staff],
        )
    round_ = actions.open_round(
        actor=world.head,
        unit=world.east,
        members=[world.manager.staff, world.tech.staff, world.rep.staff, world.inspector.staff],
    )
    assert round_.member_count == 4


def test_only_a_manager_of_the_team_opens_and_closes_rounds(world, round_):
    with pytest.raises(OutOfScope):
        actions.open_round(actor=world.tech, unit=world.east1)
    with pytest.raises(OutOfScope):
        actions.open_round(actor=world.south_manager, unit=world.east1)
    with pytest.raises(NotFound):
        actions.close_round(actor=world.south_manager, round=round_)
    with pytest.raises(OutOfScope):
        actions.close_round(actor=world.tech, round=round_)


def test_results_show_only_from_three_answers_and_never_name_anyone(world, round_):
    actions.answer_round(actor=world.manager, round=round_, answers=all_(5))
    actions.answer_round(actor=world.tech, round=round_, answers=all_(4))
    round_.refresh_from_db()
    assert round_.answer_count == 2 and queries.round_results(round_) is None
    actions.answer_round(actor=world.sales, round=round_, answers=all_(3, q6=0, q7=1))
    round_.refresh_from_db()
    assert queries.round_results(round_) is not None  # all three answered: nothing more can come
    # The answer sets carry no person and no time; members only a flag.
    for model in (AssessmentResponse, AssessmentAnswer):
        for f in model._meta.concrete_fields:
            assert f.related_model is None or f.related_model._meta.label not in (
                "org.Staff",
                "auth.User",
            ), f
            assert f.get_internal_type() not in ("DateTimeField", "DateField"), f
    assert [f.name for f in RoundMember._meta.concrete_fields] == [
        "id",
        "round",
        "staff",
        "has_answered",
    ]
    # No audit line per answer (its time would order the answers).
    assert AuditEntry.objects.filter(object_type="team.assessmentresponse").count() == 0


def test_two_answers_stay_hidden_even_after_closing(world, round_):
    actions.answer_round(actor=world.manager, round=round_, answers=all_(5))
    actions.answer_round(actor=world.tech, round=round_, answers=all_(1))
    round_ = actions.close_round(actor=world.manager, round=round_)
    assert not round_.results_visible and queries.round_results(round_) is None
    with pytest.raises(Conflict):
        actions.answer_round(actor=world.sales, round=round_, answers=all_(3))


def test_an_open_round_hides_three_answers_until_the_last_member_or_closing(world):
    round_ = actions.open_round(
        actor=world.head,
        unit=world.east,
        members=[world.manager.staff, world.tech.staff, world.rep.staff, world.inspector.staff],
    )
    for user in (world.manager, world.tech, world.rep):
        actions.answer_round(actor=user, round=round_, answers=all_(4))
    round_.refresh_from_db()
    # Three of four: showing now would let the fourth answer be read off the change.
    assert queries.round_results(round_) is None
    round_ = actions.close_round(actor=world.head, round=round_)
    assert queries.round_results(round_).answers == 3


def test_per_item_mean_spread_and_the_p096_strengths_and_weaknesses(world, round_):
    actions.answer_round(actor=world.manager, round=round_, answers=all_(5))
    actions.answer_round(actor=world.tech, round=round_, answers=all_(4))
    actions.answer_round(actor=world.sales, round=round_, answers=all_(3, q6=0, q7=1))
    round_.refresh_from_db()
    results = queries.round_results(round_)
    items = {r.code: r for r in results.items}
    # q1: 5, 4, 3 → mean 4, population SD √(2/3), range 3–5.
    assert items["q1"].mean == pytest.approx(4.0)
    assert items["q1"].sd == pytest.approx(math.sqrt(2 / 3))
    assert (items["q1"].low, items["q1"].high, items["q1"].answered) == (3, 5, 3)
    # q6: 5, 4, 0 → mean 3, SD √((4 + 1 + 9) / 3) = √(14/3); q7: 5, 4, 1 → 10/3.
    assert items["q6"].mean == pytest.approx(3.0)
    assert items["q6"].sd == pytest.approx(math.sqrt(14 / 3))
    assert items["q7"].mean == pytest.approx(10 / 3)
    # Indexes: 100, 80 and (18 × 60 + 0 + 20) / 20 = 55 → mean 235 / 3.
    assert results.index == pytest.approx(235 / 3)
    # The items' average is (18 × 4 + 3 + 10/3) / 20 ≈ 3.92: below it only q6 and q7 (the
    # weakest first); at or above it the tied 4.0s, in item order.
    assert [r.code for r in results.weaknesses] == ["q6", "q7"]
    assert [r.code for r in results.strengths] == ["q1", "q2", "q3", "q4"]
    assert results.weaknesses[0].weakness == "我们不能叫出顾客的名字。"
    assert results.strengths[0].strength == "我们有组织地、系统地工作。"


def test_one_answer_per_member_and_only_members_answer(world, round_):
    actions.answer_round(actor=world.tech, round=round_, answers=all_(4))
    with pytest.raises(Conflict):
        actions.answer_round(actor=world.tech, round=round_, answers=all_(4))
    for outsider in (world.rep, world.south_manager, world.outsider):
        with pytest.raises(OutOfScope):
            actions.answer_round(actor=outsider, round=round_, answers=all_(4))
    assert AssessmentResponse.objects.count() == 1


def test_bad_answers_are_refused_and_nothing_is_written(world, round_):
    with pytest.raises(InvalidInput) as exc:
        actions.answer_round(actor=world.tech, round=round_, answers=all_(4, q3=6, q9=None))
    fields = {f for f, _m in exc.value.field_errors()}
    assert fields == {"q3", "q9"}
    assert not AssessmentResponse.objects.exists()
    assert not RoundMember.objects.filter(has_answered=True).exists()


def test_a_round_past_its_last_day_takes_no_answers(world):
    with time_machine.travel(dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)):
        round_ = actions.open_round(
            actor=world.manager, unit=world.east1, closes_on=dt.date(2026, 11, 5)
        )
        with pytest.raises(InvalidInput):
            actions.open_round(
                actor=world.manager, unit=world.east1, closes_on=dt.date(2026, 11, 1)
            )
    with time_machine.travel(dt.datetime(2026, 11, 6, 10, tzinfo=dt.UTC)):
        with pytest.raises(Conflict):
            actions.answer_round(actor=world.tech, round=round_, answers=all_(4))


def test_the_trend_follows_the_teams_finished_rounds(world):
    first = actions.open_round(actor=world.manager, unit=world.east1, name="一")
    second = actions.open_round(actor=world.manager, unit=world.east1, name="二")
    third = actions.open_round(actor=world.manager, unit=world.east1, name="三")
    for user, value in ((world.manager, 2), (world.tech, 2), (world.sales, 2)):
        actions.answer_round(actor=user, round=first, answers=all_(value))
    for user, value in ((world.manager, 5), (world.tech, 4), (world.sales, 3)):
        actions.answer_round(actor=user, round=second, answers=all_(value))
    actions.answer_round(actor=world.tech, round=third, answers=all_(5))  # not enough answers
    trend = queries.team_trend(world.east1.pk)
    assert [r.name for r in trend] == ["一", "二"]
    assert [r.trend_index for r in trend] == [pytest.approx(40.0), pytest.approx(80.0)]


# -- API and pages -----------------------------------------------------------------------------


def test_the_round_through_the_api(client, world):
    body = {"unit_id": world.east1.pk, "name": "API 轮次"}
    response = send(client, "post", "/api/v1/team-assessments", auth(world.manager), body)
    assert response.status_code == 201, response.content
    detail = response.json()
    pk = detail["round"]["id"]
    assert detail["round"]["member_count"] == 3 and detail["results"] is None
    assert {m["name"] for m in detail["members"]} == {"manager", "tech", "sales"}
    for user, value in ((world.manager, 5), (world.tech, 4), (world.sales, 3)):
        answered = send(
            client,
            "post",
            f"/api/v1/team-assessments/{pk}/answers",
            auth(user),
            {"answers": all_(value)},
        )
        assert answered.status_code == 201, answered.content
    again = send(
        client, "post", f"/api/v1/team-assessments/{pk}/answers", auth(world.tech),
        {"answers": all_(1)},
    )  # fmt: skip
    assert_problem(again, 409, "conflict")
    # A member sees the results but not who answered what (nor the member list).
    tech_view = send(client, "get", f"/api/v1/team-assessments/{pk}", auth(world.tech)).json()
    assert tech_view["members"] is None and tech_view["i_have_answered"] is True
    assert tech_view["results"]["index"] == pytest.approx(80.0)
    assert tech_view["results"]["items"][0]["mean"] == pytest.approx(4.0)
    trend = send(
        client, "get", f"/api/v1/team-assessments/trend?unit_id={world.east1.pk}",
        auth(world.manager),
    )  # fmt: skip
    assert [p["index"] for p in trend.json()] == [pytest.approx(80.0)]


def test_the_api_refuses_wrong_roles_outsiders_and_bad_input(client, world):
    round_ = actions.open_round(actor=world.manager, unit=world.east1)
    body = {"unit_id": world.east1.pk}
    assert_problem(send(client, "post", "/api/v1/team-assessments", auth(world.tech), body), 422)
    assert_problem(
        send(client, "post", "/api/v1/team-assessments", auth(world.south_manager), body), 422
    )
    bad = send(
        client, "post", f"/api/v1/team-assessments/{round_.pk}/answers", auth(world.tech),
        {"answers": all_(4, q1="x")},
    )  # fmt: skip
    assert_problem(bad, 422, "invalid-input")
    for user in (world.south_manager, world.outsider, world.other_head):
        got = send(client, "get", f"/api/v1/team-assessments/{round_.pk}", auth(user))
        assert_problem(got, 404)
        closed = send(client, "post", f"/api/v1/team-assessments/{round_.pk}/close", auth(user))
        assert closed.status_code in (403, 404)
    assert send(client, "get", "/api/v1/team-assessments", auth(world.outsider)).json() == {
        "items": [],
        "next_cursor": None,
    }
    closed = send(client, "post", f"/api/v1/team-assessments/{round_.pk}/close", auth(world.tech))
    assert_problem(closed, 403)


def test_pages_open_answer_and_show_the_results(client, world, django_assert_max_num_queries):
    client.force_login(world.manager)
    page = client.get("/team/csas/new/")
    assert page.status_code == 200
    members = client.get(f"/team/csas/new/?unit={world.east1.pk}", HTTP_HX_REQUEST="true")
    assert b"round-members" in members.content and b"sales" in members.content
    version = (
        page.context["form"].fields["version"].initial or page.context["form"].initial["version"]
    )
    created = client.post(
        "/team/csas/new/",
        {"unit": world.east1.pk, "name": "页面轮次", "version": version},
    )
    assert created.status_code == 302, created.content
    round_ = AssessmentRound.objects.get(name="页面轮次")
    for user, value in ((world.manager, 5), (world.tech, 4), (world.sales, 3)):
        client.force_login(user)
        form = client.get(f"/team/csas/{round_.pk}/answer/")
        assert form.status_code == 200 and b'name="q20"' in form.content
        bad = client.post(f"/team/csas/{round_.pk}/answer/", {"q1": "5"})
        assert bad.status_code == 400 and b"q-has-error" in bad.content
        done = client.post(f"/team/csas/{round_.pk}/answer/", all_(value))
        assert done.status_code == 302
    client.force_login(world.manager)
    with django_assert_max_num_queries(14):
        detail = client.get(f"/team/csas/{round_.pk}/")
    assert detail.status_code == 200
    assert "我们有组织地、系统地工作。" in detail.content.decode()
    assert b'data-testid="item-table"' in detail.content
    with django_assert_max_num_queries(10):
        assert client.get("/team/csas/").status_code == 200


def test_pages_refuse_outsiders_and_non_members(client, world):
    round_ = actions.open_round(actor=world.manager, unit=world.east1)
    client.force_login(world.south_manager)
    assert client.get(f"/team/csas/{round_.pk}/").status_code == 404
    assert client.get(f"/team/csas/{round_.pk}/answer/").status_code == 404
    client.force_login(world.rep)  # sees east1 but is not a member and cannot manage teams
    assert client.get(f"/team/csas/{round_.pk}/").status_code == 404
    client.force_login(world.tech)
    assert client.get("/team/csas/new/").status_code == 403
    assert client.post(f"/team/csas/{round_.pk}/close/").status_code == 403
    round_.refresh_from_db()
    assert round_.is_open
    client.force_login(world.outsider)
    assert client.get("/team/csas/").status_code == 200
    assert client.get(f"/team/csas/{round_.pk}/").status_code == 404
