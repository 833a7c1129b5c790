"""Calendar API: happy path, bad input, wrong role, outsider — errors as problem documents."""

import datetime as dt

import pytest

from conftest import assert_problem, auth, field_names, send
from manyi.calendars.models import DayOverride, WorkingHours

D = dt.date


def test_read_a_year(client, world):
    response = client.get("/api/v1/calendar/years/2026", **auth(world.head))
    assert response.status_code == 200
    body = response.json()
    assert body["fully_known"] and body["seeded_with"].startswith("chinese-calendar")
    assert {"date": "2026-02-14", "kind": "workday", "name": "春节", "source": "library"} in (
        body["days"]
    )
    assert not client.get("/api/v1/calendar/years/2027", **auth(world.head)).json()["fully_known"]


def test_staff_who_see_the_organisation_read_the_calendar(client, world):
    assert client.get("/api/v1/calendar/years/2026", **auth(world.tech)).status_code == 200
    assert_problem(client.get("/api/v1/calendar/years/2026", **auth(world.outsider)), 403)
    assert_problem(client.get("/api/v1/calendar/years/1999", **auth(world.head)), 404)


def test_put_and_delete_a_day(client, world):
    headers = auth(world.admin_role)
    url = "/api/v1/calendar/days/2027-01-30"
    response = send(client, "put", url, headers, {"kind": "workday", "name": "春节"})
    assert response.status_code == 200 and response.json()["source"] == "manual"
    assert DayOverride.objects.get(company=world.company, date=D(2027, 1, 30)).kind == "workday"
    assert client.delete(url, **headers).status_code == 204
    assert_problem(client.delete(url, **headers), 404)


def test_bad_day_input(client, world):
    headers = auth(world.head)
    body = assert_problem(
        send(client, "put", "/api/v1/calendar/days/2027-01-30", headers, {"kind": "party"}),
        422,
        "invalid-input",
    )
    assert field_names(body) == ["kind"]
    assert_problem(
        send(client, "put", "/api/v1/calendar/days/2027-02-30", headers, {"kind": "holiday"}), 422
    )


@pytest.mark.parametrize("persona", ["manager", "tech", "analyst", "outsider"])
def test_only_admins_and_heads_change_the_calendar(client, world, persona):
    headers = auth(world.users[persona])
    response = send(client, "put", "/api/v1/calendar/days/2027-01-30", headers, {"kind": "workday"})
    assert_problem(response, 403)
    response = send(
        client, "put", "/api/v1/calendar/years/2027/known", headers, {"fully_known": True}
    )
    assert_problem(response, 403)
    assert not DayOverride.objects.filter(source="manual").exists()


def test_mark_a_year_known(client, world):
    response = send(
        client, "put", "/api/v1/calendar/years/2027/known", auth(world.head), {"fully_known": True}
    )
    assert response.status_code == 200 and response.json()["fully_known"]


def test_working_hours(client, world):
    headers = auth(world.head)
    url = f"/api/v1/calendar/hours/{world.east1.pk}"
    body = client.get(url, **headers).json()
    assert not body["own"] and body["week"][0] == [["08:30", "12:00"], ["13:30", "17:30"]]
    week = [[["09:00", "21:00"]]] * 7
    response = send(client, "put", url, headers, {"week": week})
    assert response.status_code == 200 and response.json() == {
        "unit_id": world.east1.pk,
        "own": True,
        "week": week,
    }
    bad = assert_problem(
        send(client, "put", url, headers, {"week": [[["21:00", "09:00"]]] * 7}), 422
    )
    assert set(field_names(bad)) == {f"day_{i}" for i in range(7)}
    assert client.delete(url, **headers).status_code == 204
    assert not WorkingHours.objects.filter(outlet=world.east1).exists()
    # Another company's outlet does not exist for us; a manager may read but not change.
    assert_problem(client.get(f"/api/v1/calendar/hours/{world.other_outlet.pk}", **headers), 404)
    manager = auth(world.manager)
    assert client.get(url, **manager).status_code == 200
    assert_problem(send(client, "put", url, manager, {"week": week}), 403)


def test_deadline(client, world):
    params = {
        "start": "2026-12-31T17:00:00+08:00",
        "unit_id": world.east1.pk,
        "rule": "business_days",
        "amount": "1",
    }
    response = client.get("/api/v1/calendar/deadline", params, **auth(world.tech))
    assert response.status_code == 200
    body = response.json()
    assert dt.datetime.fromisoformat(body["deadline"]) == dt.datetime(
        2027, 1, 4, 17, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))
    )
    assert body["business_seconds"] == 8 * 3600
    assert "2027" in body["warnings"][0]["zh"] and "2027" in body["warnings"][0]["en"]


@pytest.mark.parametrize(
    "change,field",
    [
        ({"start": "2026-12-31T17:00:00"}, "start"),
        ({"amount": "1.5"}, "amount"),
        ({"amount": "-1"}, "amount"),
        ({"rule": "fortnights"}, "rule"),
    ],
)
def test_deadline_bad_input(client, world, change, field):
    params = {
        "start": "2026-12-31T17:00:00+08:00",
        "unit_id": world.east1.pk,
        "rule": "calendar_days",
        "amount": "1",
        **change,
    }
    body = assert_problem(client.get("/api/v1/calendar/deadline", params, **auth(world.head)), 422)
    assert field in field_names(body)
