"""Leadership reviews (003 P-059/060): self versus others per principle, others anonymous."""

import pytest

from conftest import assert_problem, auth, send
from manyi.errors import Conflict, InvalidInput, NotFound, OutOfScope
from manyi.team.actions import leadership as actions
from manyi.team.models import LeadershipFactorScore, LeadershipRater, LeadershipResponse
from manyi.team.queries import leadership as queries

PRINCIPLES = ["communication", "motivation", "power", "decisions", "success"]


def rating(value, **per_principle):
    """15 answers: ``value`` everywhere, or per principle (3 items each, in order)."""
    answers = {}
    for index, code in enumerate(PRINCIPLES):
        for n in range(3):
            answers[f"q{index * 3 + n + 1}"] = per_principle.get(code, value)
    return answers


@pytest.fixture
def review(world):
    return actions.open_review(
        actor=world.head,
        leader=world.manager.staff,
        raters=[world.tech.staff, world.sales.staff, world.rep.staff],
    )


def test_the_gap_between_self_and_others(world, review):
    actions.answer_review(actor=world.manager, review=review, answers=rating(5))
    actions.answer_review(actor=world.tech, review=review, answers=rating(4))
    actions.answer_review(actor=world.sales, review=review, answers=rating(3))
    gaps = {g.code: g for g in queries.gaps(review)}
    assert gaps["communication"].own == pytest.approx(100.0)
    assert gaps["communication"].others is None  # two of three: hidden
    actions.answer_review(actor=world.rep, review=review, answers=rating(2, communication=5))
    review.refresh_from_db()
    gaps = {g.code: g for g in queries.gaps(review)}
    # Items (v − 1) / 4 × 100: others 75, 50 and 100 (communication) or 25 (the rest).
    assert gaps["communication"].others == pytest.approx(75.0)
    assert gaps["communication"].gap == pytest.approx(25.0)
    assert gaps["motivation"].others == pytest.approx(50.0)
    assert gaps["motivation"].gap == pytest.approx(50.0)
    assert [g.name for g in queries.gaps(review)][0] == "良好的沟通"
    # Others' answer sets carry no person; only the leader's is marked as the self-rating.
    assert LeadershipResponse.objects.filter(is_self=True).count() == 1
    assert LeadershipFactorScore.objects.filter(is_self=False).count() == 15
    assert {f.name for f in LeadershipResponse._meta.concrete_fields} >= {"review", "is_self"}
    assert not any(
        f.related_model and f.related_model._meta.label in ("org.Staff", "auth.User")
        for f in LeadershipResponse._meta.concrete_fields
    )


def test_fewer_than_three_raters_and_raters_out_of_scope_are_refused(world):
    with pytest.raises(InvalidInput):
        actions.open_review(
            actor=world.manager,
            leader=world.manager.staff,
            raters=[world.tech.staff, world.sales.staff],
        )
    with pytest.raises(InvalidInput):  # the rep is not in the outlet manager's subtree
        actions.open_review(
            actor=world.manager,
            leader=world.manager.staff,
            raters=[world.tech.staff, world.sales.staff, world.rep.staff],
        )
    with pytest.raises(OutOfScope):
        actions.open_review(
            actor=world.tech,
            leader=world.tech.staff,
            raters=[world.manager.staff, world.sales.staff, world.rep.staff],
        )


def test_each_rates_once_only_the_asked_rate_and_closing_ends_it(world, review):
    actions.answer_review(actor=world.tech, review=review, answers=rating(4))
    with pytest.raises(Conflict):
        actions.answer_review(actor=world.tech, review=review, answers=rating(4))
    with pytest.raises(OutOfScope):
        actions.answer_review(actor=world.inspector, review=review, answers=rating(4))
    with pytest.raises(OutOfScope):
        actions.close_review(actor=world.tech, review=review)
    with pytest.raises(NotFound):
        actions.close_review(actor=world.other_head, review=review)
    actions.close_review(actor=world.manager, review=review)  # the leader closes their own
    with pytest.raises(Conflict):
        actions.answer_review(actor=world.sales, review=review, answers=rating(4))
    assert LeadershipRater.objects.filter(has_answered=True).count() == 1


def test_the_review_through_the_api_and_pages(client, world):
    body = {
        "leader_id": world.manager.staff.pk,
        "rater_ids": [world.tech.staff.pk, world.sales.staff.pk, world.rep.staff.pk],
    }
    created = send(client, "post", "/api/v1/leadership-reviews", auth(world.head), body)
    assert created.status_code == 201, created.content
    pk = created.json()["review"]["id"]
    for user, value in ((world.manager, 5), (world.tech, 4), (world.sales, 3), (world.rep, 3)):
        answered = send(
            client, "post", f"/api/v1/leadership-reviews/{pk}/answers", auth(user),
            {"answers": rating(value)},
        )  # fmt: skip
        assert answered.status_code == 201, answered.content
    detail = send(client, "get", f"/api/v1/leadership-reviews/{pk}", auth(world.manager)).json()
    assert detail["review"]["others_visible"] is True
    assert detail["gaps"][0]["own"] == 100.0
    assert detail["gaps"][0]["others"] == pytest.approx(175 / 3)
    # A rater answers but does not read the leader's results.
    assert_problem(send(client, "get", f"/api/v1/leadership-reviews/{pk}", auth(world.tech)), 404)
    assert_problem(
        send(client, "get", f"/api/v1/leadership-reviews/{pk}", auth(world.outsider)), 404
    )
    client.force_login(world.manager)
    page = client.get(f"/team/leadership/{pk}/")
    assert page.status_code == 200 and b"leadership-gaps" in page.content
    assert client.get("/team/leadership/").status_code == 200
    client.force_login(world.tech)
    assert client.get(f"/team/leadership/{pk}/").status_code == 404
    assert client.get(f"/team/leadership/{pk}/answer/").status_code == 302  # answered already


def test_rating_through_the_pages(client, world, review):
    client.force_login(world.tech)
    home = client.get("/team/")
    assert f"/team/leadership/{review.pk}/answer/" in home.content.decode()
    form = client.get(f"/team/leadership/{review.pk}/answer/")
    assert form.status_code == 200 and b'name="q15"' in form.content
    assert client.post(f"/team/leadership/{review.pk}/answer/", {"q1": "3"}).status_code == 400
    posted = client.post(
        f"/team/leadership/{review.pk}/answer/", {k: str(v) for k, v in rating(4).items()}
    )
    assert posted.status_code == 302
    client.force_login(world.inspector)
    assert client.get(f"/team/leadership/{review.pk}/answer/").status_code == 404
    client.force_login(world.head)
    assert client.get("/team/leadership/new/").status_code == 200
    client.force_login(world.sales)
    assert client.get("/team/leadership/new/").status_code == 403
