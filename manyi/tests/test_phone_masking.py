"""Phone numbers are masked (138****5678) for roles without ``Perm.VIEW_PHONE`` — in pages,
the API and exports — by the one function ``customers.models.mask_phone``."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from conftest import auth
from manyi.complaints.actions.intake import open_complaint
from manyi.customers.models import mask_phone
from manyi.workorders.actions import take_order

PHONE = "13812345678"
MASKED = "138****5678"
INSTALLER = "13900001111"


@pytest.fixture
def records(world, make_customer):
    customer = make_customer(phone=PHONE, name="钱多多")
    order = take_order(
        actor=world.sales,
        customer=customer,
        site_address="漕溪北路1号",
        installer_name="李师傅",
        installer_phone=INSTALLER,
    )
    complaint = open_complaint(
        actor=world.rep, customer=customer, description="起泡", contact_phone=PHONE
    )
    return customer, order, complaint


def test_the_filter_is_the_one_function():
    rendered = Template("{% load phones %}{{ p|masked }}|{{ e|masked }}").render(
        Context({"p": PHONE, "e": ""})
    )
    assert rendered == f"{mask_phone(PHONE)}|"
    assert mask_phone(PHONE) == MASKED


@pytest.mark.parametrize(("persona", "full"), [("analyst", False), ("manager", True)])
def test_pages_mask_for_roles_without_the_right(client, world, records, persona, full):
    customer, order, complaint = records
    client.force_login(world.users[persona])
    pages = [
        reverse("customers:list"),
        reverse("customers:detail", args=[customer.pk]),
        reverse("cases:detail", args=[order.pk]),
        reverse("cases:detail", args=[complaint.pk]),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert (PHONE in html) is full, page
        if not full:
            assert INSTALLER not in html, page
    if not full:
        assert MASKED in client.get(pages[1]).content.decode()


@pytest.mark.parametrize(("persona", "full"), [("analyst", False), ("rep", True)])
def test_the_api_masks_for_roles_without_the_right(client, world, records, persona, full):
    customer, order, _complaint = records
    headers = auth(world.users[persona])
    body = client.get(f"/api/v1/customers/{customer.pk}", **headers).json()
    assert body["phone"] == (PHONE if full else MASKED)
    text = client.get(f"/api/v1/cases/{order.pk}", **headers).content.decode()
    assert (PHONE in text) is full


def test_exports_mask_without_the_right(world, records, tmp_path, settings):
    import csv

    from manyi.customers.exporting import export_customers

    # Export rights without phone rights: an outlet manager's role minus VIEW_PHONE.
    from manyi.org.models import Role
    from manyi.org.scopes import ROLE_PERMS, Perm

    perms = dict(ROLE_PERMS)
    ROLE_PERMS[Role.OUTLET_MANAGER] = perms[Role.OUTLET_MANAGER] - {Perm.VIEW_PHONE}
    try:
        from conftest import fresh_user

        path = tmp_path / "c.csv"
        export_customers(actor=fresh_user(world.manager), path=path)
        cells = [c for row in csv.reader(path.open(encoding="utf-8-sig")) for c in row]
        assert MASKED in cells and PHONE not in cells
    finally:
        ROLE_PERMS.update(perms)
    path = tmp_path / "full.csv"
    export_customers(actor=world.head, path=path)
    assert PHONE in path.read_text(encoding="utf-8-sig")


def test_a_technician_sees_the_full_phone_only_of_their_open_cases_customers(
    client, world, make_customer, records
):
    from manyi.cases.actions import assign

    customer, order, _complaint = records
    other = make_customer(phone="13987654321", name="孙小美")
    tech = world.tech
    client.force_login(tech)
    # Not theirs yet: masked in the list, on the page and in the API.
    html = client.get(reverse("customers:list")).content.decode()
    assert PHONE not in html and MASKED in html
    assert PHONE not in client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert client.get(f"/api/v1/customers/{customer.pk}", **auth(tech)).json()["phone"] == MASKED
    tech.staff.work_licence = True
    tech.staff.save()
    assign(actor=world.head, case=order, assignee=tech.staff, version=None)
    html = client.get(reverse("customers:list")).content.decode()
    assert PHONE in html and "13987654321" not in html
    assert client.get(f"/api/v1/customers/{customer.pk}", **auth(tech)).json()["phone"] == PHONE
    items = client.get("/api/v1/customers", **auth(tech)).json()["items"]
    assert {i["phone"] for i in items} >= {PHONE, mask_phone(other.phone)}
