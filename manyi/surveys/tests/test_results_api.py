"""The survey results API: the same figures as the page, its contract and its refusals."""

from __future__ import annotations

import pytest

from conftest import assert_problem, auth, field_names, send

from .test_results_figures import fixed  # noqa: F401 - the fixed data set

URL = "/api/v1/survey-results"


def get(client, user, url=URL, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return send(client, "get", f"{url}?{query}" if query else url, auth(user))


def test_the_figures_match_the_page(client, fixed, world):  # noqa: F811
    response = get(client, world.head, instrument=fixed["nps"].instrument_id)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {
        "company_id",
        "filters",
        "totals",
        "previous",
        "factors",
        "items",
        "strengths",
        "weaknesses",
        "strong_factors",
        "weak_factors",
        "tables",
    }
    totals = body["totals"]
    assert (totals["promoters"], totals["passives"], totals["detractors"]) == (4, 2, 2)
    assert totals["nps"] == pytest.approx(25.0)
    assert totals["index"] == pytest.approx(78.75)
    assert totals["csat"] is None and totals["response_rate"] is None
    assert body["filters"]["from"] == "2025-12-01" and body["filters"]["to"] == "2026-11-01"
    assert body["filters"]["instrument_id"] == fixed["nps"].instrument_id
    tables = {t["key"]: t for t in body["tables"]}
    assert list(tables) == [
        "trend",
        "by_region",
        "by_outlet",
        "by_technician",
        "by_campaign",
        "factors",
        "items",
        "distribution",
        "themes",
    ]
    outlets = {row["name"]: row for row in tables["by_outlet"]["rows"]}
    assert outlets["广州天河店"]["nps"] == pytest.approx(200 / 3)
    assert {c["kind"] for c in tables["by_outlet"]["columns"]} >= {"text", "int", "percent"}
    (reason,) = [i for i in body["items"] if i["code"] == "reason"]
    assert {"word": "等待时间", "count": 2} in reason["themes"]
    (recommend,) = [i for i in body["items"] if i["code"] == "recommend"]
    assert recommend["distribution"][10] == {
        "value": "10",
        "label": "10",
        "count": 3,
        "share": pytest.approx(37.5),
    }


def test_csi_factors_and_response_rate(client, fixed, world):  # noqa: F811
    body = get(client, world.head, instrument=fixed["csi"].instrument_id).json()
    assert body["totals"]["response_rate"] == pytest.approx(200 / 3)
    factors = {f["code"]: f for f in body["factors"]}
    assert factors["quality"]["mean"] == pytest.approx((100 + 200 / 3) / 2)
    assert factors["quality"]["weight"] == pytest.approx(35.0)
    assert body["weaknesses"][0] == "q16"
    assert body["weak_factors"][0] == "quality"


def test_filters_in_the_query(client, fixed, world):  # noqa: F811
    body = get(
        client, world.head, instrument=fixed["nps"].instrument_id, unit=world.south.pk
    ).json()
    assert body["totals"]["responses"] == 3
    body = get(client, world.head, **{"from": "2026-12", "to": "2026-12"}).json()
    assert body["totals"]["responses"] == 0 and body["previous"]["responses"] == 8


def test_bad_filters_are_problem_documents(client, fixed, world):  # noqa: F811
    body = assert_problem(get(client, world.head, **{"from": "2026-13"}, unit=999999), 422)
    assert set(field_names(body)) == {"from", "unit"}
    assert_problem(get(client, world.head, instrument="abc"), 422)


def test_the_comments_behind_a_theme(client, fixed, world):  # noqa: F811
    response = get(
        client,
        world.head,
        f"{URL}/comments",
        instrument=fixed["nps"].instrument_id,
        item="reason",
        word="等待时间",
    )
    assert response.status_code == 200
    body = response.json()
    assert [c["text"] for c in body["items"]] == ["等待时间太长，价格太贵", "等待时间太长"]
    assert body["items"][0]["outlet"] == "上海徐汇店" and body["next_cursor"] is None
    assert set(body["items"][0]) == {
        "id",
        "response_id",
        "outlet",
        "text",
        "submitted_at",
        "index",
        "nps_value",
    }
    # Keyset pages: one at a time.
    first = send(
        client,
        "get",
        f"{URL}/comments?instrument={fixed['nps'].instrument_id}&item=reason",
        auth(world.head),
    ).json()
    assert len(first["items"]) == 4 and first["next_cursor"] is None
    assert_problem(
        get(client, world.head, f"{URL}/comments", item="recommend"), 422, "invalid-input"
    )


def test_a_south_manager_gets_south_only(client, fixed, world):  # noqa: F811
    body = get(client, world.south_manager).json()
    assert body["totals"]["responses"] == 3
    assert [r["name"] for r in body["tables"][2]["rows"]] == ["广州天河店"]
    assert_problem(get(client, world.south_manager, unit=world.east1.pk), 422)
    comments = get(client, world.south_manager, f"{URL}/comments", item="reason").json()
    assert [c["outlet"] for c in comments["items"]] == ["广州天河店"]


@pytest.mark.parametrize("name", ["tech", "sales", "auditor", "outsider"])
def test_readers_without_reports_are_refused(client, fixed, world, name):  # noqa: F811
    assert_problem(get(client, world.users[name]), 403, "out-of-scope")
    assert_problem(get(client, world.users[name], f"{URL}/comments", item="reason"), 403)


def test_without_a_token_the_api_asks_to_log_in(client):
    assert_problem(client.get(URL), 401, "unauthenticated")
