"""The service gap: a questionnaire that asks how important each factor is and how it went;
expectation against perception per factor, from the surveys' rollups; page, API, scope."""

from __future__ import annotations

import pytest

from conftest import PASSWORD, assert_problem, auth, fresh_user


@pytest.fixture
def answered(world):
    """The expectation-and-perception questionnaire at east-1's walk-in point, answered twice:
    everything very important (5 → 100), "advisor" done well (5), "quality" poorly (2 → 25)."""
    from manyi.insights.demo_year import ensure_gap_instrument
    from manyi.surveys import answering, settings_actions

    version = ensure_gap_instrument(world.head)
    point = settings_actions.save_walk_in_point(
        actor=world.head, unit=world.east1.pk, version=version.pk
    )
    answers = {f"e{i}": 5 for i in range(1, 6)}
    answers.update({"p1": 4, "p2": 5, "p3": 4, "p4": 4, "p5": 2, "comment": "等待时间太长"})
    for _ in range(2):
        answering.submit_walk_in(token=point.token, answers=answers)
    return version


def test_gap_is_perception_minus_expectation_per_factor(world, answered):
    from manyi.complaints.analytics import default_filters
    from manyi.insights.gap import gap_report
    from manyi.org.scopes import scope_for

    report = gap_report(scope_for(fresh_user(world.head)), world.company, default_filters())
    assert report.instrument.pk == answered.instrument_id
    rows = {r.code: r for r in report.rows}
    assert list(rows) == ["initiation", "advisor", "facility", "pickup", "quality"]
    assert rows["advisor"].expectation == 100.0 and rows["advisor"].perception == 100.0
    assert rows["advisor"].gap == 0.0
    assert rows["quality"].perception == 25.0
    assert rows["quality"].gap == -75.0
    assert rows["quality"].perception_n == 2
    assert report.widest.code == "quality"


def test_another_outlets_manager_sees_no_answers(world, answered):
    from manyi.complaints.analytics import default_filters
    from manyi.insights.gap import gap_report
    from manyi.org.scopes import scope_for

    report = gap_report(
        scope_for(fresh_user(world.south_manager)), world.company, default_filters()
    )
    assert all(r.perception is None and r.expectation is None for r in report.rows)


def test_page_chart_table_and_export(client, world, answered):
    client.login(username="head", password=PASSWORD)
    response = client.get(f"/insights/service-gap/?unit={world.east1.pk}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "服务质量" in body and "-75.0" in body
    assert 'id="gap-chart"' in body
    export = client.get(f"/insights/service-gap/?unit={world.east1.pk}&export=xlsx&table=gap")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_without_an_importance_questionnaire_the_page_says_how(client, world):
    client.login(username="head", password=PASSWORD)
    response = client.get("/insights/service-gap/")
    assert response.status_code == 200
    assert "重要性" in response.content.decode()


def test_api_rows_and_a_wrong_instrument(client, world, answered):
    headers = auth(world.head)
    response = client.get("/api/v1/insights/service-gap", **headers)
    assert response.status_code == 200, response.content
    rows = {r["code"]: r for r in response.json()["rows"]}
    assert rows["quality"]["gap"] == -75.0
    assert_problem(client.get("/api/v1/insights/service-gap?instrument=999999", **headers), 422)
    assert_problem(client.get("/api/v1/insights/service-gap", **auth(world.sales)), 403)
