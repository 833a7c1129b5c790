"""The complaint analytics API: the same figures as the page, as JSON; the coefficients."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine

from conftest import assert_problem, auth, field_names, send
from manyi.complaints.estimates import policy_for
from manyi.complaints.tests.test_analytics import NOW, build_dataset

URL = "/api/v1/complaint-analytics/"
PERIOD = {"from": "2026-09", "to": "2026-11"}


@pytest.fixture
def dataset(world, make_customer):
    return build_dataset(world, make_customer)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_report_contract_and_figures(client, dataset, frozen, django_assert_max_num_queries):
    headers = auth(dataset.world.head)
    # The first read of a company creates its policy and seeds its calendar's year: not counted.
    client.get(URL, PERIOD, **headers)
    with django_assert_max_num_queries(24):
        response = client.get(URL, PERIOD, **headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {
        "company_id",
        "period",
        "totals",
        "first_contact",
        "resolution",
        "iceberg",
        "coefficients",
        "tables",
    }
    assert body["period"] == {"from": "2026-09-01", "to": "2026-11-01", "unit_id": None}
    assert body["totals"] == {
        "complaints": 8,
        "major": 1,
        "solved": 5,
        "purchases": 660,
        "per_1000": "12.12",
        "repeat_customers": 2,
        "amount": "2800.00",
        "cost": "4000.50",
    }
    contact = body["first_contact"]
    assert contact["unit"] == "business_hours"
    assert (contact["median"], contact["p90"], contact["share_within"]) == (
        "1.50",
        "3.40",
        "0.5000",
    )
    resolution = body["resolution"]
    assert resolution["unit"] == "days"
    assert (resolution["median"], resolution["p90"], resolution["share_within"]) == (
        "3.00",
        "7.20",
        "0.6667",
    )
    berg = body["iceberg"]
    assert (berg["silent"], berg["told"], berg["kept"], berg["lost"]) == (
        "192.00",
        "3600.00",
        "4.20",
        "3.80",
    )
    assert set(body["tables"]) == {
        "trend",
        "times",
        "iceberg",
        "by_cause",
        "by_product",
        "by_batch",
        "by_outlet",
        "by_technician",
        "by_channel",
        "by_responsibility",
        "repeat_customers",
        "cost_by_kind",
        "cost_by_outlet",
    }
    channel = body["tables"]["by_channel"]
    assert [c["key"] for c in channel["columns"]] == ["label", "complaints", "share"]
    assert {row["code"]: row["complaints"] for row in channel["rows"]} == {
        "phone": 4,
        "store": 1,
        "online": 1,
        "return_visit": 1,
        "survey": 1,
    }
    sources = {c["field"]: c["source"] for c in body["coefficients"]}
    assert sources["unhappy_per_complaint"].count("000") == 1


def test_one_table(client, dataset, frozen):
    w = dataset.world
    response = client.get(URL + "tables/by_outlet", PERIOD, **auth(w.head))
    assert response.status_code == 200
    rows = {row["outlet_id"]: row for row in response.json()["rows"]}
    assert (rows[w.east2.pk]["purchases"], rows[w.east2.pk]["per_1000"]) == (160, "12.50")
    assert rows[w.south1.pk]["per_1000"] is None


def test_unknown_table_and_bad_filters_are_problems(client, dataset):
    headers = auth(dataset.world.head)
    body = assert_problem(client.get(URL + "tables/nope", **headers), 422, "invalid-input")
    assert field_names(body) == ["key"]
    body = assert_problem(client.get(URL, {"from": "2026-13"}, **headers), 422, "invalid-input")
    assert field_names(body) == ["from"]
    body = assert_problem(client.get(URL, {"unit": "east"}, **headers), 422)
    assert field_names(body) == ["unit"]


def test_scope_south_manager_sees_south_only(client, dataset, frozen):
    w = dataset.world
    headers = auth(w.south_manager)
    body = client.get(URL, PERIOD, **headers).json()
    assert body["totals"]["complaints"] == 2
    assert [row["outlet_id"] for row in body["tables"]["by_outlet"]["rows"]] == [w.south1.pk]
    body = assert_problem(client.get(URL, {**PERIOD, "unit": w.east.pk}, **headers), 422)
    assert field_names(body) == ["unit"]


@pytest.mark.parametrize("persona", ["tech", "sales", "rep", "auditor"])
def test_roles_without_reports_are_refused(client, dataset, persona):
    headers = auth(getattr(dataset.world, persona))
    assert_problem(client.get(URL, **headers), 403, "out-of-scope")
    assert_problem(client.get(URL + "coefficients", **headers), 403, "out-of-scope")
    assert_problem(client.get(URL + "tables/nope", **headers), 403, "out-of-scope")


def test_outsider_and_anonymous(client, dataset):
    assert_problem(client.get(URL, **auth(dataset.world.outsider)), 403)
    assert_problem(client.get(URL), 401, "unauthenticated")


def test_read_and_change_coefficients(client, world):
    headers = auth(world.head)
    body = client.get(URL + "coefficients", **headers).json()
    assert body["can_edit"] is True
    values = {c["field"]: c["value"] for c in body["coefficients"]}
    assert values["unhappy_per_complaint"] == "25.00"
    response = send(
        client, "put", URL + "coefficients", headers, {"unhappy_tells": 22, "fast_days": 2}
    )
    assert response.status_code == 200, response.content
    values = {c["field"]: c["value"] for c in response.json()["coefficients"]}
    assert (values["unhappy_tells"], values["fast_days"]) == ("22.00", "2")
    policy = policy_for(world.company)
    assert (policy.unhappy_tells, policy.fast_days) == (Decimal(22), 2)


def test_analyst_reads_but_cannot_change_coefficients(client, world):
    headers = auth(world.analyst)
    assert client.get(URL + "coefficients", **headers).json()["can_edit"] is False
    response = send(client, "put", URL + "coefficients", headers, {"fast_days": 5})
    assert_problem(response, 403, "out-of-scope")
    assert policy_for(world.company).fast_days == 3


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"kept_when_solved": 1.5}, ["kept_when_solved"]),
        ({"kept_when_solved": "x"}, ["kept_when_solved"]),
        ({"fast_days": 0, "unhappy_tells": -3}, ["unhappy_tells", "fast_days"]),
        ({"unhappy_per_complaint": None}, ["unhappy_per_complaint"]),
    ],
)
def test_invalid_coefficients_change_nothing(client, world, payload, fields):
    headers = auth(world.head)
    response = send(client, "put", URL + "coefficients", headers, payload)
    body = assert_problem(response, 422, "invalid-input")
    assert sorted(field_names(body)) == sorted(fields)
    policy = policy_for(world.company)
    assert (policy.kept_when_solved, policy.fast_days) == (Decimal("0.600"), 3)


def test_malformed_body_is_a_problem(client, world):
    response = send(client, "put", URL + "coefficients", auth(world.head), "{not json")
    assert_problem(response, 400)
