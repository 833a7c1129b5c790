"""The complaint analytics page, its Excel exports and the coefficients form."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation
from python_calamine import CalamineWorkbook

from conftest import PASSWORD
from manyi.complaints.estimates import COEFFICIENT_FIELDS, policy_for, update_coefficients
from manyi.complaints.models import ComplaintPolicy
from manyi.complaints.tests.test_analytics import NOW, Factory, build_dataset
from manyi.errors import InvalidInput, OutOfScope
from manyi.org.models import AuditAction, AuditEntry

URL = "/complaint-analytics/"
PERIOD = {"from": "2026-09", "to": "2026-11"}


@pytest.fixture
def dataset(world, make_customer):
    return build_dataset(world, make_customer)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _get(client, user, params=None, **headers):
    client.force_login(user)
    return client.get(URL, params or PERIOD, **headers)


def _sheets(response) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


# -- the page ---------------------------------------------------------------------------------


def test_page_shows_the_figures_within_a_query_budget(
    client, dataset, frozen, django_assert_max_num_queries
):
    client.force_login(dataset.world.head)
    # The first read of a company creates its policy and seeds its calendar's year: not counted.
    client.get(URL, PERIOD)
    with django_assert_max_num_queries(30):
        response = client.get(URL, PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="total">8<' in html
    assert 'data-testid="berg-silent">192<' in html
    assert 'data-testid="berg-told">3,600<' in html
    assert 'data-testid="berg-kept">4.2<' in html
    assert 'id="complaint-analytics-data"' in html
    assert "vendor/echarts.min.js" in html and "complaints/analytics.js" in html
    assert "<script>" not in html  # no inline script: data through json_script only
    # Every table offers its Excel export, with the filters kept.
    assert "export=xlsx&amp;table=by_cause" in html
    assert "from=2026-09&amp;to=2026-11" in html
    # The coefficients are editable by the head, each default with its seed.
    assert 'name="unhappy_per_complaint"' in html
    assert "000" in html and "004" in html


def test_page_queries_do_not_grow_with_the_data(
    client, dataset, frozen, make_customer, django_assert_max_num_queries
):
    """30 more complaints over 6 more outlets, technicians, products and batches: the page
    makes the same number of queries (grouped aggregates, no query per row)."""
    from manyi.org import actions as org

    w = dataset.world
    f = Factory(w)
    outlets, techs = [], []
    for i in range(6):
        outlet = org.create_unit(
            actor=w.head,
            parent=w.east,
            kind="outlet",
            code=f"X{i}",
            name=f"新店{i}",
            industry="paint_dealer",
        )
        outlets.append(outlet)
        techs.append(
            org.create_staff(
                actor=w.head,
                unit=outlet,
                username=f"x{i}",
                name=f"技术员{i}",
                role="technician",
                password=PASSWORD,
            )
        )
    for i in range(30):
        day = f"2026-{9 + i % 3:02d}-{1 + i % 27:02d}"
        f.complaint(
            outlet=outlets[i % 6],
            customer=make_customer(name=f"顾客{i}", outlet=outlets[i % 6]),
            opened=f"{day} 10:00",
            product=f"产品{i % 7}",
            batch_no=f"B{i % 11}",
            channel=["phone", "store", "online"][i % 3],
            contacted=f"{day} 11:00",
            assignee=techs[i % 6],
        )
    client.force_login(w.head)
    client.get(URL, PERIOD)
    with django_assert_max_num_queries(30):
        response = client.get(URL, PERIOD)
    assert 'data-testid="total">38<' in response.content.decode()


def test_an_analyst_reads_but_does_not_edit(client, dataset, frozen):
    html = _get(client, dataset.world.analyst).content.decode()
    assert 'data-testid="total">8<' in html
    assert 'name="unhappy_per_complaint"' not in html
    assert "coefficients/" not in html


def test_htmx_request_gets_only_the_results(client, dataset, frozen):
    response = _get(
        client, dataset.world.head, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="analytics-results"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'data-testid="total">8<' in html


def test_filters_stay_in_the_url_and_narrow_the_figures(client, dataset, frozen):
    w = dataset.world
    response = _get(client, w.head, {**PERIOD, "unit": w.south.pk})
    html = response.content.decode()
    assert 'data-testid="total">2<' in html
    assert f"unit={w.south.pk}" in html
    assert f'<option value="{w.south.pk}" selected>' in html


def test_bad_filters_are_shown_not_a_server_error(client, dataset, frozen):
    response = _get(client, dataset.world.head, {"from": "2026-13", "to": "2026-11"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'data-testid="total"' not in html
    response = _get(
        client,
        dataset.world.head,
        {"from": "2026-11", "to": "2026-01"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="analytics-results",
    )
    assert response.status_code == 200  # htmx swaps the message in
    assert 'class="errors"' in response.content.decode()


def test_a_south_manager_never_sees_east(client, dataset, frozen):
    w = dataset.world
    response = _get(client, w.south_manager)
    html = response.content.decode()
    assert 'data-testid="total">2<' in html
    assert w.east1.name not in html and w.east2.name not in html
    assert "Alice" not in html
    # Asking for east is refused, not answered.
    response = _get(client, w.south_manager, {**PERIOD, "unit": w.east.pk})
    assert response.status_code == 422
    assert w.east1.name not in response.content.decode()
    # Nor can they edit the coefficients.
    assert 'name="unhappy_per_complaint"' not in html


@pytest.mark.parametrize("persona", ["tech", "sales", "rep", "auditor", "outsider"])
def test_roles_without_reports_get_403(client, dataset, persona):
    response = _get(client, getattr(dataset.world, persona))
    assert response.status_code == 403


def test_anonymous_goes_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_menu_shows_the_page_to_report_readers_only(client, dataset, frozen):
    client.force_login(dataset.world.analyst)
    assert f'href="{URL}"' in client.get("/").content.decode()
    client.force_login(dataset.world.tech)
    assert f'href="{URL}"' not in client.get("/").content.decode()


# -- Excel ------------------------------------------------------------------------------------


def test_one_table_exports_to_a_real_workbook(client, dataset, frozen):
    response = _get(client, dataset.world.head, {**PERIOD, "export": "xlsx", "table": "by_outlet"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "complaints-by_outlet-202609-202611.xlsx" in response["Content-Disposition"]
    sheets = _sheets(response)
    assert len(sheets) == 2  # the table and "about"
    rows = next(iter(sheets.values()))
    assert len(rows) == 4  # header and three outlets
    by_name = {row[0]: row for row in rows[1:]}
    w = dataset.world
    assert by_name[w.east1.name][2:5] == [4, 500, 8.0]
    assert by_name[w.east2.name][2:5] == [2, 160, 12.5]
    assert by_name[w.south1.name][2:4] == [2, 0]
    assert by_name[w.south1.name][4] in ("", None)
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).latest("id")
    assert entry.changes["complaint_analytics"] == [None, "by_outlet"]


def test_all_tables_export_to_one_workbook(client, dataset, frozen):
    response = _get(client, dataset.world.head, {**PERIOD, "export": "xlsx", "table": "all"})
    sheets = _sheets(response)
    assert len(sheets) == 14  # 13 tables and "about"
    trend = next(rows for rows in sheets.values() if len(rows) == 4 and len(rows[0]) == 5)
    assert [row[1] for row in trend[1:]] == [2, 2, 4]
    assert [row[4] for row in trend[1:]] == [1300.0, 2500.0, 200.5]


def test_export_cells_are_never_formulas(client, world, frozen, make_customer):
    f = Factory(world)
    customer = make_customer(name='=HYPERLINK("http://x")', outlet=world.east1)
    f.complaint(outlet=world.east1, customer=customer, opened="2026-11-02 10:00", product="=1+1")
    f.complaint(outlet=world.east1, customer=customer, opened="2026-11-03 10:00", product="@x")
    response = _get(client, world.head, {**PERIOD, "export": "xlsx", "table": "all"})
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.content))
    texts = [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value[:1] in "=@"
    ]
    assert {c.value for c in texts} >= {"=1+1", "@x", '=HYPERLINK("http://x")'}
    assert all(c.data_type == "s" for c in texts)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"export": "pdf"}, "Export to xlsx only."),
        ({"export": "xlsx", "table": "nope"}, "There is no such table."),
    ],
)
def test_bad_export_requests_are_refused_clearly(client, dataset, frozen, params, message):
    response = _get(client, dataset.world.head, {**PERIOD, **params})
    assert response.status_code == 422
    with translation.override("zh-hans"):
        assert translation.gettext(message) in response.content.decode()


def test_export_respects_scope(client, dataset, frozen):
    response = _get(
        client, dataset.world.south_manager, {**PERIOD, "export": "xlsx", "table": "by_outlet"}
    )
    rows = next(iter(_sheets(response).values()))
    assert [row[0] for row in rows[1:]] == [dataset.world.south1.name]


# -- coefficients -------------------------------------------------------------------------------


def _post(client, user, data):
    client.force_login(user)
    return client.post(URL + "coefficients/", data)


def test_head_saves_coefficients_with_an_audit_line(client, dataset, frozen):
    response = _post(
        client,
        dataset.world.head,
        {**PERIOD, "unhappy_per_complaint": "27", "kept_when_solved_fast": "0.82"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?from=2026-09&to=2026-11#iceberg")
    policy = ComplaintPolicy.objects.get(company=dataset.world.company)
    assert policy.unhappy_per_complaint == Decimal(27)
    assert policy.kept_when_solved_fast == Decimal("0.820")
    entry = AuditEntry.objects.filter(object_type="complaints.complaintpolicy").latest("id")
    assert entry.action == AuditAction.UPDATE
    assert entry.changes["unhappy_per_complaint"] == ["25.00", "27.00"]
    html = client.get(response["Location"]).content.decode()
    assert 'data-testid="berg-silent">208<' in html  # 8 × 26


def test_invalid_coefficients_write_nothing_and_say_why(client, dataset, frozen):
    policy_for(dataset.world.company)
    before = list(ComplaintPolicy.objects.values())
    response = _post(
        client,
        dataset.world.head,
        {**PERIOD, "unhappy_per_complaint": "abc", "kept_when_solved": "1.5", "fast_days": "3"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert html.count('aria-invalid="true"') == 2
    assert 'value="abc"' in html  # what was typed stays in the field
    assert list(ComplaintPolicy.objects.values()) == before
    assert not AuditEntry.objects.filter(object_type="complaints.complaintpolicy").exists()


@pytest.mark.parametrize("persona", ["manager", "analyst", "south_manager", "tech", "outsider"])
def test_only_admins_and_heads_change_coefficients(client, dataset, persona):
    response = _post(client, getattr(dataset.world, persona), {"unhappy_per_complaint": "30"})
    assert response.status_code in (403, 404)
    assert policy_for(dataset.world.company).unhappy_per_complaint == Decimal(25)


# -- the action ---------------------------------------------------------------------------------


def test_update_coefficients_action(world):
    policy = update_coefficients(
        actor=world.admin_role,
        company=world.company,
        values={"fast_days": 5, "unhappy_tells": Decimal("22"), "new_customer_cost_factor": "56"},
    )
    assert (policy.fast_days, policy.unhappy_tells, policy.new_customer_cost_factor) == (
        5,
        Decimal(22),
        Decimal(56),
    )
    # Unchanged values write no audit line.
    count = AuditEntry.objects.count()
    update_coefficients(actor=world.head, company=world.company, values={"fast_days": "5"})
    assert AuditEntry.objects.count() == count


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"unhappy_per_complaint": "0.5"}, ["unhappy_per_complaint"]),
        ({"unhappy_tells": "-1"}, ["unhappy_tells"]),
        ({"kept_when_solved": "0.1234"}, ["kept_when_solved"]),
        ({"fast_days": "2.5"}, ["fast_days"]),
        ({"fast_days": "0"}, ["fast_days"]),
        ({"satisfied_tells": "NaN"}, ["satisfied_tells"]),
        ({"satisfied_tells": "1e999"}, ["satisfied_tells"]),
        ({"satisfied_tells": ""}, ["satisfied_tells"]),
        ({"satisfied_tells": True}, ["satisfied_tells"]),
        ({"kept_when_solved_fast": "0.5"}, ["kept_when_solved_fast"]),  # below "solved" (0.6)
        ({"major_amount": "1"}, ["major_amount"]),  # not an estimate coefficient
        (
            {"unhappy_per_complaint": "x", "new_customer_cost_factor": "1000"},
            ["unhappy_per_complaint", "new_customer_cost_factor"],
        ),
    ],
)
def test_invalid_coefficients_are_refused_whole(world, values, fields):
    before = list(ComplaintPolicy.objects.filter(company=world.company).values())
    with pytest.raises(InvalidInput) as exc:
        update_coefficients(actor=world.head, company=world.company, values=values)
    assert [f for f, _m in exc.value.field_errors()] == fields
    after = list(ComplaintPolicy.objects.filter(company=world.company).values())
    assert after == before or (not before and len(after) == 1)


def test_coefficients_of_another_company_are_out_of_reach(world):
    with pytest.raises(OutOfScope):
        update_coefficients(
            actor=world.head, company=world.other_company, values={"fast_days": "4"}
        )


def test_policy_is_created_lazily_with_the_seed_defaults(world):
    assert not ComplaintPolicy.objects.filter(company=world.company).exists()
    policy = policy_for(world.company)
    assert policy_for(world.company.pk).pk == policy.pk
    assert (policy.unhappy_per_complaint, policy.unhappy_tells, policy.kept_when_solved) == (
        Decimal(25),
        Decimal(18),
        Decimal("0.6"),
    )
    assert set(COEFFICIENT_FIELDS) == {
        "unhappy_per_complaint",
        "unhappy_tells",
        "satisfied_tells",
        "kept_when_solved",
        "kept_when_solved_fast",
        "fast_days",
        "new_customer_cost_factor",
    }


def test_superuser_picks_the_company(client, dataset, frozen, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="Root-pass-2026")
    client.force_login(admin)
    response = client.get(URL, {**PERIOD, "company": dataset.world.other_company.pk})
    assert 'data-testid="total">1<' in response.content.decode()
    response = client.get(URL, {**PERIOD, "company": dataset.world.company.pk})
    assert 'data-testid="total">8<' in response.content.decode()
