"""Customer actions: the change, the audit row, each rejection, nothing half-written."""

import datetime as dt

import pytest
import time_machine

from conftest import fresh_user
from manyi.customers import actions
from manyi.customers.models import Customer, Purchase, Tag
from manyi.errors import InvalidInput, OutOfScope, StaleVersion
from manyi.org.models import AuditEntry


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("(138)12345678", "13812345678"),
        ("19912345678", "19912345678"),
    ],
)
def test_phone_normalisation(raw, expected):
    assert actions.normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1381234567",
        "138123456789",
        "12812345678",
        "02112345678",
        "1381234567a",
        "一三八一二三四五六七八",
        "+1 13812345678",
        None,
    ],
)
def test_invalid_phones_are_rejected_in_both_languages(raw):
    from manyi.errors import both_languages

    with pytest.raises(InvalidInput) as exc:
        actions.normalize_phone(raw)
    text = both_languages(exc.value.message)
    assert "mobile" in text["en"]
    assert text["zh"] != text["en"]


def test_create_customer_with_tags_and_consent(world):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        customer = actions.create_customer(
            actor=world.sales,
            data={
                "name": "王小明",
                "phone": "138 0013 8000",
                "home_outlet": world.east1,
                "province": "上海市",
                "city": "上海市",
                "district": "徐汇区",
                "address_detail": "漕溪北路88号",
                "tags": ["老客户", "注重环保", "老客户"],
                "survey_consent": True,
            },
        )
    assert customer.phone == "13800138000"
    assert customer.company_id == world.company.pk
    assert sorted(customer.tags.values_list("name", flat=True)) == ["注重环保", "老客户"]
    assert customer.survey_consent_at == dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    assert customer.contact_consent_at is None
    assert "小明" in customer.search_text.split()
    entry = AuditEntry.objects.get(object_type="customers.customer", object_id=str(customer.pk))
    assert entry.actor == world.sales
    assert entry.changes["phone"] == [None, "138****8000"]  # no full phone in the log


def test_every_field_error_is_reported_at_once(world):
    with pytest.raises(InvalidInput) as exc:
        actions.create_customer(
            actor=world.head,
            data={
                "name": "",
                "phone": "123",
                "home_outlet": world.east1,
                "age_band": "old",
                "address_detail": "长" * 201,
            },
        )
    fields = {field for field, _msg in exc.value.field_errors()}
    assert fields == {"name", "phone", "age_band", "address_detail"}
    assert not Customer.objects.exists()


def test_duplicate_phone_in_the_same_company_is_rejected(world, make_customer):
    make_customer(phone="13900000001")
    with pytest.raises(InvalidInput) as exc:
        make_customer(phone="139-0000-0001")
    assert exc.value.field == "phone"
    assert Customer.objects.count() == 1


def test_same_phone_in_another_company_is_fine(world, make_customer):
    make_customer(phone="13900000001")
    make_customer(phone="13900000001", outlet=world.other_outlet, actor=world.other_head)
    assert Customer.objects.count() == 2


def test_home_outlet_must_be_an_outlet_in_scope(world):
    with pytest.raises(InvalidInput):
        actions.create_customer(
            actor=world.head, data={"name": "甲", "phone": "13900000002", "home_outlet": world.east}
        )
    with pytest.raises(OutOfScope):
        actions.create_customer(
            actor=fresh_user(world.sales),
            data={"name": "甲", "phone": "13900000002", "home_outlet": world.south1},
        )
    assert not Customer.objects.exists()


@pytest.mark.parametrize("persona", ["inspector", "auditor", "analyst", "outsider"])
def test_read_only_roles_cannot_create(world, persona):
    with pytest.raises(OutOfScope):
        actions.create_customer(
            actor=fresh_user(world.users[persona]),
            data={"name": "甲", "phone": "13900000003", "home_outlet": world.east1},
        )


def test_update_bumps_version_and_audits_the_diff(world, make_customer):
    customer = make_customer(name="张伟")
    updated = actions.update_customer(
        actor=world.rep,
        customer=customer,
        version=1,
        data={"name": "张伟民", "relationship_level": "partner"},
    )
    assert updated.version == 2
    assert "伟民" in updated.search_text.split()
    entry = AuditEntry.objects.filter(object_id=str(customer.pk), action="update").get()
    assert entry.changes == {"name": ["张伟", "张伟民"], "relationship_level": ["basic", "partner"]}


def test_stale_version_is_rejected(world, make_customer):
    customer = make_customer(name="张伟")
    actions.update_customer(actor=world.head, customer=customer, data={"name": "张三"}, version=1)
    with pytest.raises(StaleVersion):
        actions.update_customer(
            actor=world.rep, customer=customer, data={"name": "李四"}, version=1
        )
    customer.refresh_from_db()
    assert customer.name == "张三"


def test_consent_withdrawal_clears_the_date(world, make_customer):
    customer = make_customer(survey_consent=True)
    assert customer.survey_consent_at is not None
    actions.update_customer(actor=world.head, customer=customer, data={"survey_consent": False})
    customer.refresh_from_db()
    assert customer.survey_consent is False and customer.survey_consent_at is None


def test_update_to_a_taken_phone_is_rejected(world, make_customer):
    make_customer(phone="13900000010")
    other = make_customer(phone="13900000011")
    with pytest.raises(InvalidInput):
        actions.update_customer(actor=world.head, customer=other, data={"phone": "13900000010"})


def test_moving_a_customer_out_of_your_scope_is_refused(world, make_customer):
    customer = make_customer(outlet=world.east1)
    with pytest.raises(OutOfScope):
        actions.update_customer(
            actor=fresh_user(world.rep), customer=customer, data={"home_outlet": world.south1}
        )


def test_tags_are_replaced_and_shared(world, make_customer):
    a = make_customer(tags=["老客户"])
    b = make_customer(tags=["老客户", "高端"])
    actions.update_customer(actor=world.head, customer=a, data={"tags": ["高端"]})
    assert list(a.tags.values_list("name", flat=True)) == ["高端"]
    assert Tag.objects.filter(company=world.company).count() == 2
    assert b.tags.count() == 2


def test_add_and_delete_purchase(world, make_customer):
    customer = make_customer()
    purchase = actions.add_purchase(
        actor=world.sales,
        customer=customer,
        data={
            "product": "华彩净味墙面漆",
            "batch_no": "HC20260301-01",
            "quantity": "3",
            "purchased_on": "2026-03-01",
        },
    )
    assert purchase.outlet == world.east1 and str(purchase.quantity) == "3.00"
    actions.delete_purchase(actor=world.sales, purchase=purchase)
    assert not Purchase.objects.exists()
    assert AuditEntry.objects.filter(object_type="customers.purchase").count() == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"product": ""}, "product"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "abc"}, "quantity"),
        ({"quantity": "NaN"}, "quantity"),
        ({"purchased_on": "2099-01-01"}, "purchased_on"),
        ({"purchased_on": "2026-02-30"}, "purchased_on"),
        ({"batch_no": "x" * 51}, "batch_no"),
    ],
)
def test_bad_purchases_are_rejected(world, make_customer, data, field):
    customer = make_customer()
    base = {"product": "漆", "quantity": "1", "purchased_on": "2026-01-01"}
    with pytest.raises(InvalidInput) as exc:
        actions.add_purchase(actor=world.head, customer=customer, data={**base, **data})
    assert field in {f for f, _m in exc.value.field_errors()}
    assert not Purchase.objects.exists()


def test_erasure_needs_the_right_and_removes_purchases(world, make_customer):
    customer = make_customer()
    actions.add_purchase(
        actor=world.head,
        customer=customer,
        data={"product": "漆", "quantity": 1, "purchased_on": "2026-01-01"},
    )
    with pytest.raises(OutOfScope):
        actions.delete_customer(actor=fresh_user(world.sales), customer=customer)
    actions.delete_customer(actor=fresh_user(world.manager), customer=customer)
    assert not Customer.objects.exists() and not Purchase.objects.exists()
    entry = AuditEntry.objects.get(object_type="customers.customer", action="delete")
    assert entry.changes["phone"][0].count("*") == 4
