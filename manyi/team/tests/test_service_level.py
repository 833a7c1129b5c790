"""Five-star service level (000): the stars are the levels reached in a row; history."""

import datetime as dt

import pytest
import time_machine

from conftest import assert_problem, auth, send
from manyi.errors import InvalidInput, OutOfScope
from manyi.team.actions.service_level import assess_service_level
from manyi.team.builtin import STAR_LEVELS
from manyi.team.models import ServiceLevelAssessment
from manyi.team.queries import service_level as queries


def answers(*per_level):
    """One value per level for all its criteria (levels of 5, 4, 4, 6, 5 items)."""
    result, n = {}, 0
    for (_code, _stars, _name, _text, criteria), value in zip(STAR_LEVELS, per_level, strict=True):
        for _criterion in criteria:
            n += 1
            result[f"q{n}"] = value
    return result


@pytest.mark.parametrize(
    ("levels", "stars"),
    [
        ((5, 5, 5, 5, 5), 5),
        ((4, 4, 4, 4, 4), 5),  # 75 everywhere: every level just reached
        ((5, 4, 3, 5, 5), 2),  # level 3 at 50 breaks the row: 4 and 5 do not count
        ((3, 5, 5, 5, 5), 0),  # not even the standardised first level
        ((5, 5, 5, 4, 2), 4),
    ],
)
def test_the_stars_are_the_levels_reached_in_a_row(world, levels, stars):
    assessment = assess_service_level(
        actor=world.manager, unit=world.east1, answers=answers(*levels)
    )
    assert assessment.stars == stars


def test_one_criterion_short_of_the_level(world):
    values = answers(5, 4, 4, 4, 4)
    values["q10"] = 3  # level 3 (items 10–13): (50 + 75 × 3) / 4 = 68.75 < 75
    assert assess_service_level(actor=world.manager, unit=world.east1, answers=values).stars == 2


def test_history_and_latest_level_per_unit(world):
    with time_machine.travel(dt.datetime(2026, 6, 1, 2, tzinfo=dt.UTC)):
        assess_service_level(actor=world.head, unit=world.east1, answers=answers(5, 3, 3, 3, 3))
    with time_machine.travel(dt.datetime(2026, 11, 1, 2, tzinfo=dt.UTC)):
        assess_service_level(actor=world.head, unit=world.east1, answers=answers(5, 5, 4, 3, 3))
        assess_service_level(actor=world.head, unit=world.company, answers=answers(4, 4, 3, 3, 3))
    rows = queries.history(world.east1)
    assert [(a.assessed_on, a.stars) for a in rows] == [
        (dt.date(2026, 6, 1), 1),
        (dt.date(2026, 11, 1), 3),
    ]
    from conftest import fresh_user
    from manyi.org.scopes import scope_for

    latest = {u.name: u.latest_stars for u in queries.levels(scope_for(fresh_user(world.head)))}
    assert latest["测试公司"] == 2 and latest["上海徐汇店"] == 3 and latest["广州天河店"] is None


def test_wrong_role_outsider_and_bad_answers(world):
    with pytest.raises(OutOfScope):
        assess_service_level(actor=world.tech, unit=world.east1, answers=answers(5, 5, 5, 5, 5))
    with pytest.raises(OutOfScope):
        assess_service_level(
            actor=world.south_manager, unit=world.east1, answers=answers(5, 5, 5, 5, 5)
        )
    with pytest.raises(InvalidInput):
        assess_service_level(actor=world.manager, unit=world.east1, answers={"q1": 5})
    assert not ServiceLevelAssessment.objects.exists()


def test_pages_and_api(client, world):
    client.force_login(world.manager)
    assert client.get("/team/service-levels/").status_code == 200
    form = client.get(f"/team/service-levels/units/{world.east1.pk}/assess/")
    assert form.status_code == 200 and b'name="q24"' in form.content
    posted = client.post(
        f"/team/service-levels/units/{world.east1.pk}/assess/",
        {**{k: str(v) for k, v in answers(5, 5, 5, 3, 3).items()}, "notes": "年度自评"},
    )
    assert posted.status_code == 302
    detail = client.get(posted["Location"])
    assert detail.status_code == 200 and "优异优质服务" in detail.content.decode()
    assert client.get(f"/team/service-levels/units/{world.east1.pk}/").status_code == 200
    assert client.get(f"/team/service-levels/units/{world.south1.pk}/").status_code == 404
    api = send(
        client, "post", "/api/v1/service-levels", auth(world.manager),
        {"unit_id": world.east1.pk, "answers": answers(4, 4, 4, 4, 4)},
    )  # fmt: skip
    assert api.status_code == 201 and api.json()["stars"] == 5
    history = send(
        client, "get", f"/api/v1/service-levels/units/{world.east1.pk}", auth(world.manager)
    ).json()
    assert [h["stars"] for h in history] == [3, 5]
    refused = send(
        client, "post", "/api/v1/service-levels", auth(world.south_manager),
        {"unit_id": world.east1.pk, "answers": answers(4, 4, 4, 4, 4)},
    )  # fmt: skip
    assert_problem(refused, 422)
    client.force_login(world.tech)
    assert client.get("/team/service-levels/").status_code == 403
