"""Word of mouth and retention: the arithmetic on the company's coefficients, the counts from
survey answers, return visits and complaints, the page and the API."""

from __future__ import annotations

from decimal import Decimal

from conftest import PASSWORD, assert_problem, auth, fresh_user


def _policy(**values):
    from manyi.complaints.models import ComplaintPolicy

    return ComplaintPolicy(**values)  # the seeds' defaults, unless given


def _counts(**values):
    from manyi.insights.estimates import Counts

    base = dict(
        survey_satisfied=0,
        survey_unhappy=0,
        visit_satisfied=0,
        visit_unhappy=0,
        complaints=0,
        solved_fast=0,
        solved_slow=0,
    )
    return Counts(**{**base, **values})


def test_estimate_arithmetic_on_the_seed_defaults():
    from manyi.insights.estimates import estimate

    w = estimate(
        _counts(
            survey_satisfied=90,
            visit_satisfied=10,
            survey_unhappy=7,
            visit_unhappy=3,
            complaints=4,
            solved_fast=2,
            solved_slow=1,
        ),
        _policy(),
    )
    # satisfied 100 × 8 (003) = 800 people told
    assert w.value("satisfied_told") == Decimal("800.00")
    # unhappy we heard 10 × 18 (004) = 180
    assert w.value("unhappy_told") == Decimal("180.00")
    # 4 complaints × 25 (000) = 100 unhappy behind them, who tell 100 × 18 = 1800
    assert w.value("behind_complaints") == Decimal("100.00")
    assert w.value("complaints_told") == Decimal("1800.00")
    # kept = 2 × 0.9 + 1 × 0.6 = 2.4; lost = 4 − 2.4 = 1.6; replacing costs 1.6 × 5 = 8
    assert w.value("kept") == Decimal("2.40")
    assert w.value("lost") == Decimal("1.60")
    assert w.value("replace_cost") == Decimal("8.00")
    assert w.value("net_told") == Decimal("800") - 180 - 1800
    lines = {line.key: line for line in w.lines}
    assert lines["satisfied_told"].formula == "100 × 8"
    assert lines["kept"].formula == "2 × 0.9 + 1 × 0.6"
    assert "003" in lines["satisfied_told"].source
    assert "000" in lines["behind_complaints"].source


def test_estimate_follows_the_edited_coefficients():
    from manyi.insights.estimates import estimate

    w = estimate(
        _counts(survey_satisfied=10, complaints=2, solved_fast=2),
        _policy(satisfied_tells=Decimal("3"), kept_when_solved_fast=Decimal("0.82")),
    )
    assert w.value("satisfied_told") == Decimal("30.00")
    assert w.value("kept") == Decimal("1.64")
    assert [c.field for c, _v in w.coefficients][0] == "unhappy_per_complaint"


def test_nothing_in_the_period_is_all_zero():
    from manyi.insights.estimates import estimate

    w = estimate(_counts(), _policy())
    assert all(line.value == 0 for line in w.lines)


def test_counts_come_from_the_complaints_in_scope(world, make_customer):
    from manyi.complaints import actions
    from manyi.complaints.analytics import default_filters
    from manyi.insights.estimates import counts
    from manyi.org.scopes import scope_for

    customer = make_customer()
    actions.open_complaint(actor=world.sales, customer=customer, description="墙面起泡")
    south = make_customer(outlet=world.south1)
    actions.open_complaint(actor=world.head, customer=south, description="上门推迟")
    head = counts(scope_for(fresh_user(world.head)), world.company, default_filters())
    assert head.complaints == 2
    manager = counts(scope_for(fresh_user(world.manager)), world.company, default_filters())
    assert manager.complaints == 1
    assert manager.solved_fast == manager.solved_slow == 0


def test_page_shows_the_arithmetic_and_the_seeds(client, world, make_customer):
    from manyi.complaints import actions

    actions.open_complaint(actor=world.sales, customer=make_customer(), description="墙面起泡")
    client.login(username="head", password=PASSWORD)
    response = client.get("/insights/word-of-mouth/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "1 × 25" in body  # one complaint × 25 unhappy customers (000)
    assert "000" in body and "003" in body and "004" in body
    assert "/complaint-analytics/#iceberg" in body  # the one place the coefficients change
    export = client.get("/insights/word-of-mouth/?export=xlsx&table=estimate")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_page_refuses_who_may_not_read_reports(client, world):
    client.login(username="tech", password=PASSWORD)
    assert client.get("/insights/word-of-mouth/").status_code in (403, 404)
    client.login(username="outsider", password=PASSWORD)
    assert client.get("/insights/word-of-mouth/").status_code in (403, 404)


def test_api_returns_lines_and_refuses_bad_months(client, world):
    headers = auth(world.head)
    response = client.get("/api/v1/insights/word-of-mouth?from=2026-01&to=2026-11", **headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [line["key"] for line in body["lines"]][:2] == ["satisfied_told", "unhappy_told"]
    assert body["can_edit"] is True
    bad = client.get("/api/v1/insights/word-of-mouth?from=2026-13", **headers)
    assert_problem(bad, 422)
    denied = client.get("/api/v1/insights/word-of-mouth", **auth(world.tech))
    assert_problem(denied, 403)
