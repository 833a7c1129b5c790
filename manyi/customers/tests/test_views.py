"""Customer pages: happy path, bad input, wrong role, outsider."""

import pytest

from conftest import PASSWORD
from manyi.customers.models import Customer, Purchase


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def _form(world, **overrides):
    data = {
        "name": "刘德华",
        "phone": "13700001111",
        "home_outlet": world.east1.pk,
        "relationship_level": "basic",
        "province": "上海市",
        "city": "上海市",
        "district": "徐汇区",
        "address_detail": "天钥桥路1号",
        "tags": "老客户，高端",
        "survey_consent": "on",
    }
    data.update(overrides)
    return data


def test_sales_adds_a_customer(client, world):
    login(client, "sales")
    response = client.post("/customers/new/", _form(world))
    customer = Customer.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"
    assert customer.survey_consent and sorted(t.name for t in customer.tags.all()) == [
        "老客户",
        "高端",
    ]
    page = client.get(response["Location"])
    assert "刘德华" in page.content.decode() and "13700001111" in page.content.decode()


def test_invalid_phone_is_shown_next_to_the_field_and_nothing_is_written(client, world):
    login(client, "sales")
    response = client.post("/customers/new/", _form(world, phone="12345"))
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    assert not Customer.objects.exists()


def test_outlet_outside_scope_is_refused(client, world):
    login(client, "sales")
    response = client.post("/customers/new/", _form(world, home_outlet=world.south1.pk))
    assert response.status_code == 200 and "home_outlet" in response.context["form"].errors
    assert not Customer.objects.exists()


@pytest.mark.parametrize("persona", ["auditor", "outsider", "analyst", "inspector"])
def test_roles_without_edit_right_cannot_add(client, world, persona):
    login(client, persona)
    assert client.get("/customers/new/").status_code == 403
    assert client.post("/customers/new/", _form(world)).status_code == 403
    assert not Customer.objects.exists()


def test_anonymous_is_sent_to_login(client, world):
    response = client.get("/customers/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_list_searches_and_paginates(client, world, make_customer):
    for i in range(55):
        make_customer(name=f"测试{i:02d}", phone=f"1360000{i:04d}")
    make_customer(name="王小明", phone="13812345678")
    login(client, "head")
    first = client.get("/customers/")
    assert len(first.context["page"].items) == 50
    cursor = first.context["page"].next_cursor
    second = client.get(f"/customers/?after={cursor}")
    ids = {c.pk for c in first.context["page"].items} | {c.pk for c in second.context["page"].items}
    assert len(ids) == 56
    found = client.get("/customers/?q=小明")
    assert [c.name for c in found.context["page"].items] == ["王小明"]
    partial = client.get(
        "/customers/?q=5678", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="customer-results"
    )
    assert partial.templates[0].name == "customers/_customer_results.html"
    assert "王小明" in partial.content.decode()


@pytest.mark.parametrize(
    "bad",
    [
        "after=abc",
        "after=-5",
        "outlet=zz",
        "q=" + "长" * 500,
        "relationship_level=<script>",
        "after=99999999999999999999",
    ],
)
def test_bad_query_strings_never_fail(client, world, make_customer, bad):
    make_customer()
    login(client, "head")
    assert client.get(f"/customers/?{bad}").status_code == 200


def test_analyst_sees_masked_phones(client, world, make_customer):
    customer = make_customer(phone="13812345678")
    login(client, "analyst")
    html = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "138****5678" in html and "13812345678" not in html
    html = client.get("/customers/").content.decode()
    assert "13812345678" not in html


def test_customer_outside_scope_is_not_found(client, world, make_customer):
    customer = make_customer(outlet=world.south1)
    login(client, "sales")
    assert client.get(f"/customers/{customer.pk}/").status_code == 404
    assert client.post(f"/customers/{customer.pk}/edit/", _form(world)).status_code == 404
    assert client.get("/customers/999999/").status_code == 404


def test_edit_with_stale_version_keeps_the_other_edit(client, world, make_customer):
    customer = make_customer(name="张伟")
    login(client, "head")
    data = _form(world, name="张三", phone=customer.phone, version=1)
    assert client.post(f"/customers/{customer.pk}/edit/", data).status_code == 302
    stale = client.post(f"/customers/{customer.pk}/edit/", {**data, "name": "李四"})
    assert stale.status_code == 200 and stale.context["form"].non_field_errors()
    customer.refresh_from_db()
    assert customer.name == "张三"


def test_purchase_add_and_remove(client, world, make_customer):
    customer = make_customer()
    login(client, "sales")
    url = f"/customers/{customer.pk}/purchases/"
    client.post(
        url,
        {
            "product": "华彩木器清漆",
            "batch_no": "HC-1",
            "quantity": "2",
            "purchased_on": "2026-05-01",
        },
    )
    purchase = Purchase.objects.get()
    bad = client.post(url, {"product": "", "quantity": "0", "purchased_on": "x"}, follow=True)
    assert bad.status_code == 200 and Purchase.objects.count() == 1
    assert any(m.level_tag == "error" for m in bad.context["messages"])
    client.post(f"/customers/{customer.pk}/purchases/{purchase.pk}/delete/")
    assert not Purchase.objects.exists()


def test_erase_needs_manager(client, world, make_customer):
    customer = make_customer()
    login(client, "sales")
    assert client.post(f"/customers/{customer.pk}/delete/").status_code == 403
    client.logout()
    login(client, "manager")
    assert client.post(f"/customers/{customer.pk}/delete/").status_code == 302
    assert not Customer.objects.exists()


def test_customer_page_shows_timeline_and_history(client, world, make_customer):
    from manyi.customers.actions import add_purchase, update_customer

    customer = make_customer(name="张伟")
    add_purchase(
        actor=world.head,
        customer=customer,
        data={"product": "华彩净味墙面漆", "quantity": 1, "purchased_on": "2026-04-01"},
    )
    update_customer(actor=world.head, customer=customer, data={"name": "张卫"})
    login(client, "manager")
    html = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "华彩净味墙面漆" in html and "张伟" in html  # the history shows the old name


def test_customer_page_query_budget(client, world, make_customer, django_assert_max_num_queries):
    from manyi.customers.actions import add_purchase

    customer = make_customer(tags=["老客户", "高端"])
    for day in range(1, 11):
        add_purchase(
            actor=world.head,
            customer=customer,
            data={"product": "漆", "quantity": 1, "purchased_on": f"2026-04-{day:02d}"},
        )
    login(client, "head")
    with django_assert_max_num_queries(14):
        assert client.get(f"/customers/{customer.pk}/").status_code == 200


def test_list_page_query_budget(client, world, make_customer, django_assert_max_num_queries):
    for i in range(60):
        make_customer(name=f"客户{i}", phone=f"1370000{i:04d}", tags=["老客户"])
    login(client, "head")
    # session, user+staff, page, outlets, tags: a fixed number, whatever the page size.
    with django_assert_max_num_queries(8):
        response = client.get("/customers/?q=客户")
    assert len(response.context["page"].items) == 50
