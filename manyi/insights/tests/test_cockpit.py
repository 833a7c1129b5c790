"""The cockpit: figures from the rollups, drill-down scoping, the page, the API, the export."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import assert_problem, auth
from manyi.insights import queries, rollups
from manyi.org.scopes import scope_for

pytestmark = pytest.mark.django_db

API = "/api/v1/insights/cockpit"


@pytest.fixture
def figures(world, make_customer):
    """Purchases at two outlets and a complaint at east-1 this month, through the actions;
    the rollups rebuilt."""
    from manyi.complaints.actions import intake
    from manyi.customers.actions import add_purchase

    today = timezone.localdate()
    east_customer = make_customer(outlet=world.east1)
    south_customer = make_customer(outlet=world.south1)
    for _ in range(4):
        add_purchase(
            actor=world.head,
            customer=east_customer,
            data={"product": "木器漆", "purchased_on": today},
        )
    add_purchase(
        actor=world.head, customer=south_customer, data={"product": "木器漆", "purchased_on": today}
    )
    intake.open_complaint(
        actor=world.head,
        customer=east_customer,
        description="漆面起泡",
        contact_name="王小明",
        contact_phone="13912345678",
    )
    rollups.rebuild(world.company.pk)
    return today


def month_period(today: dt.date) -> queries.Period:
    return queries.period_for("month", today)


def test_company_view_sums_its_regions(world, figures):
    period = month_period(figures)
    result = queries.cockpit(scope_for(world.head), start=period.start, end=period.end)
    assert result.unit == world.company
    # 1 complaint per 5 purchases = 200 per 1,000.
    assert result.indicator("complaint_rate").value == pytest.approx(200.0)
    assert result.child_level == "region"
    by_name = {c.name: c.values["complaint_rate"] for c in result.children}
    assert by_name == {"华东片区": pytest.approx(250.0), "华南片区": pytest.approx(0.0)}
    assert len(result.indicator("csi").trend) == queries.TREND_MONTHS


def test_outlet_manager_sees_only_their_outlet(world, figures):
    period = month_period(figures)
    scope = scope_for(world.manager)
    result = queries.cockpit(scope, start=period.start, end=period.end)
    assert result.unit == world.east1
    assert result.child_level == "person"
    for unit in (world.company, world.east, world.south1, world.other_outlet):
        with pytest.raises(queries.NotFound):
            queries.cockpit(scope, unit=unit.pk, start=period.start, end=period.end)


def test_roles_without_reports_are_refused(world, client):
    from manyi.errors import OutOfScope

    with pytest.raises(OutOfScope):
        queries.cockpit(scope_for(world.tech), start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
    client.force_login(world.tech)
    assert client.get(reverse("insights:cockpit")).status_code == 403


def test_person_outside_the_scope_is_not_found(world, client):
    from manyi.org.models import Staff

    south = Staff.objects.get(user=world.south_manager)
    client.force_login(world.manager)
    assert client.get(reverse("insights:cockpit_person", args=[south.pk])).status_code == 404
    client.force_login(world.users["other_head"])
    assert client.get(reverse("insights:cockpit_unit", args=[world.east1.pk])).status_code == 404


def test_page_drills_from_company_to_person(world, figures, client):
    from manyi.org.models import Staff

    client.force_login(world.head)
    page = client.get(reverse("insights:cockpit"), {"period": "month"})
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("insights:cockpit_unit", args=[world.east.pk]) in html
    region = client.get(reverse("insights:cockpit_unit", args=[world.east.pk]))
    assert reverse("insights:cockpit_unit", args=[world.east1.pk]) in region.content.decode()
    outlet = client.get(reverse("insights:cockpit_unit", args=[world.east1.pk]))
    tech = Staff.objects.get(user=world.tech)
    assert reverse("insights:cockpit_person", args=[tech.pk]) in outlet.content.decode()
    person = client.get(reverse("insights:cockpit_person", args=[tech.pk]))
    assert person.status_code == 200
    assert tech.name in person.content.decode()


def test_page_keeps_the_period_in_drill_links(world, figures, client):
    client.force_login(world.head)
    page = client.get(reverse("insights:cockpit"), {"period": "quarter", "at": "2026-08"})
    html = page.content.decode()
    assert "period=quarter&amp;at=2026-08" in html
    assert "2026-07-01" in html and "2026-09-30" in html


def test_page_bad_dates_show_the_error_not_a_500(world, client):
    client.force_login(world.head)
    page = client.get(reverse("insights:cockpit"), {"period": "custom", "from": "2026-13-01"})
    assert page.status_code == 422
    assert "请按 YYYY-MM-DD 输入日期" in page.content.decode()


def test_page_query_budget_does_not_grow_with_units(
    world, figures, client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from manyi.org import actions
    from manyi.org.models import Industry, UnitKind

    client.force_login(world.head)
    url = reverse("insights:cockpit_unit", args=[world.east.pk])
    client.get(url)  # warm the session and the user
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for n in range(6):
        actions.create_unit(
            actor=world.head,
            parent=world.east,
            kind=UnitKind.OUTLET,
            code=f"X{n}",
            name=f"新店{n}",
            industry=Industry.PAINT_DEALER,
        )
    rollups.rebuild(world.company.pk)
    with django_assert_max_num_queries(len(before)):
        page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count('data-drill="unit-') == 8
    assert len(before) <= 18


def test_api_contract(world, figures):
    from django.test import Client

    client = Client()
    response = client.get(API, {"period": "month"}, **auth(world.head))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["unit"]["id"] == world.company.pk
    codes = [i["code"] for i in body["indicators"]]
    assert codes == list(queries.CODES)
    rate = next(i for i in body["indicators"] if i["code"] == "complaint_rate")
    assert rate["value"] == pytest.approx(200.0)
    assert body["child_level"] == "region"
    assert {c["name"] for c in body["children"]} == {"华东片区", "华南片区"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "custom", "from": "2026-02-30", "to": "2026-03-01"}, "from"),
        ({"period": "custom", "from": "2026-03-01", "to": "2026-02-01"}, "to"),
        ({"period": "week"}, "period"),
        ({"at": "2026/01"}, "at"),
    ],
)
def test_api_bad_filters_are_problems(world, params, field):
    from django.test import Client

    response = Client().get(API, params, **auth(world.head))
    body = assert_problem(response, 422)
    assert any(error.get("field") == field for error in body.get("errors", [])), body
    assert body["detail"]["en"]


def test_api_scope(world, figures):
    from django.test import Client

    client = Client()
    assert client.get(API, {"unit": world.east.pk}, **auth(world.manager)).status_code == 404
    assert client.get(API, {"unit": world.east1.pk}, **auth(world.manager)).status_code == 200
    assert client.get(API, **auth(world.tech)).status_code == 403
    assert client.get(API, **auth(world.outsider)).status_code == 403
    assert client.get(API).status_code == 401
    assert (
        client.get(API, **auth(world.users["other_head"]), data={"unit": world.east.pk}).status_code
        == 404
    )


def test_export_is_the_current_view(world, figures, client):
    from python_calamine import CalamineWorkbook

    client.force_login(world.head)
    response = client.get(reverse("insights:cockpit_export"), {"unit": world.east.pk})
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(BytesIO(response.content))
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0][1] == "华东片区"
    drill = book.get_sheet_by_index(1).to_python()
    assert [r[0] for r in drill[1:]] == ["上海徐汇店", "杭州西湖店"]
