"""The API contract of the customer archive: customers and purchases under the scope rules."""

import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from conftest import PASSWORD, assert_problem, auth, field_names, send
from manyi.customers.actions import add_purchase
from manyi.customers.models import Customer, Purchase

MASKED = re.compile(r"^1\d{2}\*{4}\d{4}$")


def customer_body(outlet, **overrides):
    return {
        "name": "王小明",
        "phone": "13812345678",
        "home_outlet_id": outlet.pk,
        "province": "上海市",
        "city": "上海市",
        "district": "徐汇区",
        "address_detail": "漕溪北路88号",
        "relationship_level": "responsible",
        "tags": ["VIP", "老客户"],
        "contact_consent": True,
        **overrides,
    }


def listing(client, headers, **params):
    response = client.get("/api/v1/customers", params, **headers)
    assert response.status_code == 200, response.content[:500]
    return response.json()


def names(page):
    return {c["name"] for c in page["items"]}


# -- create --------------------------------------------------------------------------------------


def test_create_customer_is_201(client, world):
    response = send(
        client, "post", "/api/v1/customers", auth(world.sales), customer_body(world.east1)
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "13812345678"
    assert body["home_outlet_id"] == world.east1.pk
    assert sorted(body["tags"]) == ["VIP", "老客户"]
    assert body["version"] == 1
    assert body["contact_consent"] is True
    assert body["contact_consent_at"] is not None
    customer = Customer.objects.get(pk=body["id"])
    assert customer.company_id == world.company.pk


def test_phone_is_normalised_on_create(client, world):
    body = customer_body(world.east1, phone="+86 138-1234-5678")
    response = send(client, "post", "/api/v1/customers", auth(world.head), body)
    assert response.status_code == 201, response.content
    assert response.json()["phone"] == "13812345678"


def test_invalid_phone_is_422_on_phone_in_both_languages(client, world):
    body = customer_body(world.east1, phone="12345")
    problem = assert_problem(
        send(client, "post", "/api/v1/customers", auth(world.head), body), 422, "invalid-input"
    )
    assert problem["errors"][0]["field"] == "phone"
    message = problem["errors"][0]["message"]
    assert message["zh"] and message["en"]
    assert message["zh"] != message["en"]
    assert not Customer.objects.exists()


def test_several_bad_fields_are_reported_together(client, world):
    body = customer_body(world.east1, phone="555", name="  ", age_band="ancient")
    problem = assert_problem(send(client, "post", "/api/v1/customers", auth(world.head), body), 422)
    assert {"phone", "name", "age_band"} <= set(field_names(problem))
    assert not Customer.objects.exists()


def test_duplicate_phone_is_422(client, world, make_customer):
    make_customer(phone="13812345678", outlet=world.south1)
    response = send(
        client, "post", "/api/v1/customers", auth(world.head), customer_body(world.east1)
    )
    problem = assert_problem(response, 422)
    assert field_names(problem) == ["phone"]
    assert Customer.objects.count() == 1


def test_same_phone_in_another_company_is_allowed(client, world, make_customer):
    make_customer(phone="13812345678")
    body = customer_body(world.other_outlet)
    response = send(client, "post", "/api/v1/customers", auth(world.other_head), body)
    assert response.status_code == 201, response.content
    assert Customer.objects.filter(phone="13812345678").count() == 2


def test_home_outlet_outside_scope_is_422_and_nothing_written(client, world):
    body = customer_body(world.south1)
    problem = assert_problem(
        send(client, "post", "/api/v1/customers", auth(world.manager), body), 422
    )
    assert field_names(problem) == ["home_outlet_id"]
    other = customer_body(world.other_outlet)
    problem = assert_problem(
        send(client, "post", "/api/v1/customers", auth(world.head), other), 422
    )
    assert field_names(problem) == ["home_outlet_id"]
    assert not Customer.objects.exists()


def test_region_as_home_outlet_is_422_on_home_outlet_id(client, world):
    body = customer_body(world.east)
    problem = assert_problem(send(client, "post", "/api/v1/customers", auth(world.head), body), 422)
    # The error names the request's field, like every other home-outlet error of this endpoint.
    assert field_names(problem) == ["home_outlet_id"]
    assert not Customer.objects.exists()


@pytest.mark.parametrize("persona", ["analyst", "auditor", "inspector", "outsider"])
def test_roles_without_edit_right_cannot_create(client, world, persona):
    body = customer_body(world.east1)
    response = send(client, "post", "/api/v1/customers", auth(world.users[persona]), body)
    assert_problem(response, 403, "out-of-scope")
    assert not Customer.objects.exists()


# -- list, search, filters -----------------------------------------------------------------------


def test_keyset_pagination_walks_every_page_once(client, world, make_customer):
    made = {make_customer(name=f"顾客{i}").pk for i in range(7)}
    headers = auth(world.head)
    seen, pages, cursor = [], 0, None
    while True:
        params = {"limit": 3} | ({"after": cursor} if cursor else {})
        page = listing(client, headers, **params)
        pages += 1
        seen.extend(c["id"] for c in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == made
    assert seen == sorted(seen, reverse=True)  # newest first


def test_exact_page_size_has_no_empty_trailing_page(client, world, make_customer):
    for _ in range(4):
        make_customer()
    page = listing(client, auth(world.head), limit=4)
    assert len(page["items"]) == 4
    assert page["next_cursor"] is None


def test_search_by_two_character_name_fragment(client, world, make_customer):
    make_customer(name="王小明")
    make_customer(name="李小红")
    make_customer(name="张明小")
    page = listing(client, auth(world.head), q="小明")
    assert names(page) == {"王小明"}


def test_search_by_last_four_digits(client, world, make_customer):
    make_customer(name="尾号对的", phone="13812345678")
    make_customer(name="中间有的", phone="13856781234")
    make_customer(name="无关的", phone="13900000000")
    page = listing(client, auth(world.head), q="5678")
    assert names(page) == {"尾号对的"}
    assert names(listing(client, auth(world.head), q="13856781234")) == {"中间有的"}


def test_search_by_address(client, world, make_customer):
    make_customer(
        name="住漕溪路", province="上海市", district="徐汇区", address_detail="漕溪北路1号"
    )
    make_customer(name="住西湖", province="浙江省", district="西湖区", address_detail="曙光路2号")
    assert names(listing(client, auth(world.head), q="徐汇")) == {"住漕溪路"}


def test_search_is_scoped(client, world, make_customer):
    make_customer(name="王小明", outlet=world.south1)
    assert listing(client, auth(world.manager), q="小明")["items"] == []
    assert names(listing(client, auth(world.south_manager), q="小明")) == {"王小明"}


def test_filters_by_level_tag_and_outlet(client, world, make_customer):
    make_customer(name="甲", relationship_level="proactive", tags=["VIP"])
    make_customer(name="乙", relationship_level="basic", tags=["VIP"], outlet=world.east2)
    make_customer(name="丙", relationship_level="proactive", outlet=world.south1)
    headers = auth(world.head)
    assert names(listing(client, headers, relationship_level="proactive")) == {"甲", "丙"}
    assert names(listing(client, headers, tag="VIP")) == {"甲", "乙"}
    assert names(listing(client, headers, outlet=world.east2.pk)) == {"乙"}
    assert names(listing(client, headers, tag="VIP", relationship_level="proactive")) == {"甲"}


def test_list_is_scoped_to_the_subtree(client, world, make_customer):
    make_customer(name="徐汇客", outlet=world.east1)
    make_customer(name="西湖客", outlet=world.east2)
    make_customer(name="天河客", outlet=world.south1)
    assert names(listing(client, auth(world.manager))) == {"徐汇客"}
    assert names(listing(client, auth(world.rep))) == {"徐汇客", "西湖客"}
    assert names(listing(client, auth(world.head))) == {"徐汇客", "西湖客", "天河客"}


def test_list_works_with_session_login(client, world, make_customer):
    make_customer(name="会话客")
    client.login(username="sales", password=PASSWORD)
    assert names(listing(client, {})) == {"会话客"}


def test_customer_list_query_count_is_bounded(
    client, world, make_customer, django_assert_max_num_queries
):
    for i in range(50):
        make_customer(name=f"顾客{i}", tags=["VIP", f"批次{i % 3}"])
    headers = auth(world.head)
    with django_assert_max_num_queries(8):
        page = listing(client, headers, limit=50)
    assert len(page["items"]) == 50
    assert all(len(c["tags"]) == 2 for c in page["items"])


# -- reading single customers and masking ---------------------------------------------------------


def test_get_customer(client, world, make_customer):
    customer = make_customer(name="王小明", tags=["VIP"])
    response = client.get(f"/api/v1/customers/{customer.pk}", **auth(world.sales))
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["phone"]) == (customer.pk, "王小明", customer.phone)
    assert body["tags"] == ["VIP"]


def test_analyst_sees_masked_phones_everywhere(client, world, make_customer):
    customer = make_customer(phone="13812345678")
    headers = auth(world.analyst)
    page = listing(client, headers)
    assert [c["phone"] for c in page["items"]] == ["138****5678"]
    one = client.get(f"/api/v1/customers/{customer.pk}", **headers).json()
    assert MASKED.match(one["phone"])
    assert "12345678" not in client.get("/api/v1/customers", **headers).content.decode()


def test_analyst_cannot_change_anything(client, world, make_customer):
    customer = make_customer()
    headers = auth(world.analyst)
    url = f"/api/v1/customers/{customer.pk}"
    assert_problem(send(client, "patch", url, headers, {"name": "改"}), 403)
    assert_problem(client.delete(url, **headers), 403)
    purchase = {"product": "面漆", "purchased_on": "2024-01-01"}
    assert_problem(send(client, "post", f"{url}/purchases", headers, purchase), 403)
    customer.refresh_from_db()
    assert customer.name == "王小明"
    assert not customer.purchases.exists()


@pytest.mark.parametrize("persona", ["tech", "sales", "manager"])
def test_east1_staff_cannot_read_south1_customer(client, world, make_customer, persona):
    customer = make_customer(outlet=world.south1)
    headers = auth(world.users[persona])
    url = f"/api/v1/customers/{customer.pk}"
    assert_problem(client.get(url, **headers), 404, "not-found")
    assert_problem(send(client, "patch", url, headers, {"name": "改"}), 404)
    assert_problem(client.get(f"{url}/purchases", **headers), 404)
    assert listing(client, headers)["items"] == []


def test_outsider_sees_nothing(client, world, make_customer):
    customer = make_customer()
    headers = auth(world.outsider)
    assert_problem(client.get("/api/v1/customers", **headers), 403, "out-of-scope")
    assert_problem(client.get(f"/api/v1/customers/{customer.pk}", **headers), 404)


def test_auditor_has_no_business_with_customers(client, world, make_customer):
    customer = make_customer()
    headers = auth(world.auditor)
    assert_problem(client.get("/api/v1/customers", **headers), 403)
    assert_problem(client.get(f"/api/v1/customers/{customer.pk}", **headers), 404)


def test_other_company_never_sees_our_customers(client, world, make_customer):
    customer = make_customer(name="王小明", phone="13812345678")
    headers = auth(world.other_head)
    url = f"/api/v1/customers/{customer.pk}"
    assert listing(client, headers)["items"] == []
    assert listing(client, headers, q="13812345678")["items"] == []
    assert listing(client, headers, q="小明")["items"] == []
    assert listing(client, headers, outlet=world.east1.pk)["items"] == []
    assert_problem(client.get(url, **headers), 404)
    assert_problem(send(client, "patch", url, headers, {"name": "偷改"}), 404)
    assert_problem(client.delete(url, **headers), 404)
    customer.refresh_from_db()
    assert customer.name == "王小明"


# -- update and delete ---------------------------------------------------------------------------


def test_patch_bumps_version(client, world, make_customer):
    customer = make_customer(name="王小明")
    url = f"/api/v1/customers/{customer.pk}"
    response = send(client, "patch", url, auth(world.sales), {"version": 1, "name": "王晓明"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["version"]) == ("王晓明", 2)
    customer.refresh_from_db()
    assert (customer.name, customer.version) == ("王晓明", 2)


def test_stale_version_gets_409_and_nothing_changes(client, world, make_customer):
    customer = make_customer(name="王小明")
    url = f"/api/v1/customers/{customer.pk}"
    headers = auth(world.head)
    assert send(client, "patch", url, headers, {"version": 1, "city": "上海"}).status_code == 200
    response = send(client, "patch", url, headers, {"version": 1, "name": "覆盖者"})
    assert_problem(response, 409, "stale-version")
    customer.refresh_from_db()
    assert (customer.name, customer.city, customer.version) == ("王小明", "上海", 2)


def test_patch_without_change_keeps_version(client, world, make_customer):
    customer = make_customer(name="王小明")
    url = f"/api/v1/customers/{customer.pk}"
    body = send(client, "patch", url, auth(world.head), {"version": 1, "name": "王小明"}).json()
    assert body["version"] == 1


def test_patch_tags_replaces_them(client, world, make_customer):
    customer = make_customer(tags=["VIP", "老客户"])
    url = f"/api/v1/customers/{customer.pk}"
    body = send(client, "patch", url, auth(world.head), {"tags": ["新客户"]}).json()
    assert body["tags"] == ["新客户"]
    assert list(customer.tags.values_list("name", flat=True)) == ["新客户"]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"phone": "2222"}, "phone"),
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"relationship_level": "best friend"}, "relationship_level"),
    ],
)
def test_bad_patch_is_422_and_nothing_changes(client, world, make_customer, patch, field):
    customer = make_customer(name="王小明")
    url = f"/api/v1/customers/{customer.pk}"
    problem = assert_problem(send(client, "patch", url, auth(world.head), patch), 422)
    assert field in field_names(problem)
    customer.refresh_from_db()
    assert (customer.name, customer.version) == ("王小明", 1)


def test_patch_to_duplicate_phone_is_422(client, world, make_customer):
    make_customer(phone="13812345678")
    customer = make_customer(phone="13900000001")
    url = f"/api/v1/customers/{customer.pk}"
    problem = assert_problem(
        send(client, "patch", url, auth(world.head), {"phone": "13812345678"}), 422
    )
    assert field_names(problem) == ["phone"]
    customer.refresh_from_db()
    assert customer.phone == "13900000001"


def test_patch_moving_customer_out_of_scope_is_refused(client, world, make_customer):
    customer = make_customer()
    url = f"/api/v1/customers/{customer.pk}"
    body = {"home_outlet_id": world.south1.pk}
    problem = assert_problem(send(client, "patch", url, auth(world.manager), body), 422)
    assert field_names(problem) == ["home_outlet_id"]
    customer.refresh_from_db()
    assert customer.home_outlet_id == world.east1.pk


@pytest.mark.parametrize("persona", ["head", "manager"])
def test_roles_with_erase_right_delete(client, world, make_customer, persona):
    customer = make_customer()
    add_purchase(
        actor=world.head,
        customer=customer,
        data={"product": "面漆", "purchased_on": dt.date(2024, 5, 1)},
    )
    response = client.delete(f"/api/v1/customers/{customer.pk}", **auth(world.users[persona]))
    assert response.status_code == 204
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not Purchase.objects.exists()


@pytest.mark.parametrize("persona", ["rep", "sales", "tech", "inspector"])
def test_roles_without_erase_right_cannot_delete(client, world, make_customer, persona):
    customer = make_customer()
    response = client.delete(f"/api/v1/customers/{customer.pk}", **auth(world.users[persona]))
    assert_problem(response, 403, "out-of-scope")
    assert Customer.objects.filter(pk=customer.pk).exists()


# -- purchases -----------------------------------------------------------------------------------


def test_add_and_list_purchases(client, world, make_customer):
    customer = make_customer()
    url = f"/api/v1/customers/{customer.pk}/purchases"
    headers = auth(world.sales)
    body = {
        "product": "立邦净味墙面漆",
        "batch_no": "B2024-07",
        "quantity": "2.5",
        "purchased_on": "2024-07-01",
    }
    response = send(client, "post", url, headers, body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["outlet_id"] == world.east1.pk
    assert created["customer_id"] == customer.pk
    assert float(created["quantity"]) == 2.5
    send(client, "post", url, headers, {"product": "底漆", "purchased_on": "2024-08-01"})
    listed = client.get(url, **headers).json()
    assert [p["product"] for p in listed] == ["底漆", "立邦净味墙面漆"]
    assert customer.purchases.count() == 2


def test_purchase_at_another_outlet_of_scope(client, world, make_customer):
    customer = make_customer()
    url = f"/api/v1/customers/{customer.pk}/purchases"
    body = {"product": "面漆", "purchased_on": "2024-07-01", "outlet_id": world.east2.pk}
    response = send(client, "post", url, auth(world.rep), body)
    assert response.status_code == 201, response.content
    assert response.json()["outlet_id"] == world.east2.pk


def test_purchase_in_the_future_or_of_nothing_is_422(client, world, make_customer):
    customer = make_customer()
    url = f"/api/v1/customers/{customer.pk}/purchases"
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    body = {"product": "面漆", "quantity": 0, "purchased_on": future}
    problem = assert_problem(send(client, "post", url, auth(world.head), body), 422)
    assert set(field_names(problem)) == {"quantity", "purchased_on"}
    assert not customer.purchases.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"product": "面漆", "quantity": -1, "purchased_on": "2024-01-01"}, "quantity"),
        ({"product": "  ", "purchased_on": "2024-01-01"}, "product"),
        ({"product": "面漆", "purchased_on": "1980-01-01"}, "purchased_on"),
        ({"product": "面漆", "purchased_on": "2024-13-45"}, "purchased_on"),
        ({"product": "面漆", "quantity": "many", "purchased_on": "2024-01-01"}, "quantity"),
        ({"product": "面漆"}, "purchased_on"),
    ],
)
def test_bad_purchase_is_422_on_its_field(client, world, make_customer, body, field):
    customer = make_customer()
    url = f"/api/v1/customers/{customer.pk}/purchases"
    problem = assert_problem(send(client, "post", url, auth(world.head), body), 422)
    assert field in field_names(problem)
    assert not customer.purchases.exists()


def test_purchase_outlet_outside_scope_is_422(client, world, make_customer):
    customer = make_customer()
    url = f"/api/v1/customers/{customer.pk}/purchases"
    body = {"product": "面漆", "purchased_on": "2024-07-01", "outlet_id": world.south1.pk}
    problem = assert_problem(send(client, "post", url, auth(world.manager), body), 422)
    assert field_names(problem) == ["outlet_id"]
    assert not customer.purchases.exists()


def test_purchase_outlet_that_is_a_region_is_422_on_outlet_id(client, world, make_customer):
    customer = make_customer()
    url = f"/api/v1/customers/{customer.pk}/purchases"
    body = {"product": "面漆", "purchased_on": "2024-07-01", "outlet_id": world.east.pk}
    problem = assert_problem(send(client, "post", url, auth(world.head), body), 422)
    assert field_names(problem) == ["outlet_id"]
    assert not customer.purchases.exists()


def test_delete_purchase(client, world, make_customer):
    customer = make_customer()
    purchase = add_purchase(
        actor=world.head, customer=customer, data={"product": "面漆", "purchased_on": "2024-05-01"}
    )
    url = f"/api/v1/customers/{customer.pk}/purchases/{purchase.pk}"
    response = client.delete(url, **auth(world.sales))
    assert response.status_code == 204
    assert not Purchase.objects.filter(pk=purchase.pk).exists()
    assert client.get(f"/api/v1/customers/{customer.pk}/purchases", **auth(world.head)).json() == []


def test_purchase_of_another_customer_is_404(client, world, make_customer):
    mine, theirs = make_customer(), make_customer()
    purchase = add_purchase(
        actor=world.head, customer=theirs, data={"product": "面漆", "purchased_on": "2024-05-01"}
    )
    url = f"/api/v1/customers/{mine.pk}/purchases/{purchase.pk}"
    assert_problem(client.delete(url, **auth(world.head)), 404)
    assert Purchase.objects.filter(pk=purchase.pk).exists()


# -- malformed requests --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "{",
        "",
        "null",
        "[]",
        json.dumps({"name": 123, "phone": "13812345678", "home_outlet_id": 1}),
        json.dumps({"name": "王", "phone": 13812345678, "home_outlet_id": "one"}),
        json.dumps({"name": "王", "phone": "13812345678", "home_outlet_id": 1, "tags": "VIP"}),
        json.dumps({"name": "王", "phone": "13812345678", "home_outlet_id": 1, "tags": [[1]]}),
        json.dumps(
            {"name": "王", "phone": "13812345678", "home_outlet_id": 1, "contact_consent": "maybe"}
        ),
        json.dumps({"name": "王" * 51, "phone": "13812345678", "home_outlet_id": 1}),
        json.dumps({"name": "王", "phone": "13812345678", "home_outlet_id": 2**80}),
        json.dumps({"name": "王", "phone": "13812345678", "home_outlet_id": -5}),
    ],
)
def test_malformed_customer_body_is_4xx_problem(client, world, body):
    response = client.post(
        "/api/v1/customers", data=body, content_type="application/json", **auth(world.head)
    )
    assert 400 <= response.status_code < 500, response.content[:300]
    assert_problem(response, response.status_code)
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=201",
        "limit=abc",
        "after=abc",
        "outlet=abc",
        "q=" + "王" * 101,
        "after=99999999999999999999999",
        "outlet=99999999999999999999999",
        "after=-3",
    ],
)
def test_bad_list_parameters_are_never_500(client, world, make_customer, query):
    make_customer()
    response = client.get(f"/api/v1/customers?{query}", **auth(world.head))
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    if response.status_code >= 400:
        assert_problem(response, response.status_code)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customers/99999999999999999999999",
        "/api/v1/customers/99999999999999999999999/purchases",
        "/api/v1/customers/0",
        "/api/v1/customers/abc",
    ],
)
def test_absurd_customer_ids_are_4xx_never_500(client, world, url):
    response = client.get(url, **auth(world.head))
    assert 400 <= response.status_code < 500, response.content[:300]
    assert_problem(response, response.status_code)


def test_absurd_purchase_id_is_404(client, world, make_customer):
    customer = make_customer()
    url = f"/api/v1/customers/{customer.pk}/purchases/99999999999999999999999"
    assert_problem(client.delete(url, **auth(world.head)), 404)
