"""Chinese search: two-character words, partial names, phone tails, addresses — on both DBs."""

import pytest

from conftest import fresh_user
from manyi.customers.models import Customer
from manyi.customers.queries import CustomerFilters, customer_list
from manyi.customers.search import index_tokens, query_tokens, search
from manyi.org.scopes import scope_for


def test_index_tokens_cover_name_unigrams_bigrams_address_and_phone_tail():
    tokens = index_tokens("王小明", "13812345678", "上海市徐汇区漕溪北路88号").split()
    assert {"王", "小", "明", "王小", "小明"} <= set(tokens)
    assert {"上海", "徐汇", "漕溪", "88"} <= set(tokens)
    assert "t5678" in tokens
    assert len(tokens) == len(set(tokens))


def test_query_tokens():
    assert query_tokens("小明") == ["小明"]
    assert query_tokens("徐汇区") == ["徐汇", "汇区"]
    assert query_tokens("王") == ["王"]
    assert query_tokens("A座") == ["座", "a"]
    assert query_tokens("%_'\"") == []


@pytest.fixture
def people(world, make_customer):
    rows = [
        ("王小明", "13812345678", "上海市", "徐汇区", "漕溪北路88号"),
        ("欧阳娜娜", "13987654321", "浙江省", "西湖区", "文三路259号"),
        ("李明", "15000001234", "广东省", "天河区", "黄埔大道西100号"),
        ("张伟", "18600005678", "北京市", "朝阳区", "建国路93号"),
        ("明小王", "17700009999", "江苏省", "秦淮区", "中山南路1号"),
    ]
    return {
        name: make_customer(
            name=name, phone=phone, province=province, district=district, address_detail=detail
        )
        for name, phone, province, district, detail in rows
    }


def _names(term):
    return sorted(search(Customer.objects.all(), term).values_list("name", flat=True))


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("小明", ["王小明"]),  # two characters inside a three-character name
        ("娜娜", ["欧阳娜娜"]),
        ("欧阳", ["欧阳娜娜"]),  # compound surname
        ("王小明", ["王小明"]),
        ("明", ["明小王", "李明", "王小明"]),  # one character: a partial name
        ("张伟", ["张伟"]),
        ("5678", ["张伟", "王小明"]),  # last four digits of the phone
        ("13812345678", ["王小明"]),  # the whole phone
        ("1398765", ["欧阳娜娜"]),  # the start of the phone
        ("徐汇", ["王小明"]),  # an address word
        ("徐汇区", ["王小明"]),
        ("朝阳区建国路", ["张伟"]),  # district and street together
        ("黄埔大道", ["李明"]),
        ("259号", ["欧阳娜娜"]),  # a house number in the address
        ("浙江 娜娜", ["欧阳娜娜"]),  # two words: both must match
        ("小王明", []),  # the same characters in another order
        ("汇徐", []),
        ("不存在", []),
        ("%", []),
        ("'; DROP TABLE customers_customer; --", []),
    ],
)
def test_search(people, term, expected):
    assert _names(term) == expected


def test_bigrams_far_apart_do_not_match(world, make_customer):
    make_customer(name="赵六", address_detail="北京路与朝阳街交界")
    assert _names("北京朝阳") == []
    assert _names("北京路") == ["赵六"]


def test_search_follows_updates_and_deletes(world, people):
    from manyi.customers.actions import delete_customer, update_customer

    update_customer(actor=world.head, customer=people["张伟"], data={"name": "张卫东"})
    assert _names("张伟") == []
    assert _names("卫东") == ["张卫东"]
    delete_customer(actor=world.head, customer=people["李明"])
    assert _names("黄埔") == []


def test_search_respects_scope(world, people, make_customer):
    make_customer(name="王小明", phone="13900000000", outlet=world.south1)
    sales = scope_for(fresh_user(world.sales))
    found = customer_list(sales, CustomerFilters(q="小明"))
    assert [c.home_outlet_id for c in found] == [world.east1.pk]
    head = scope_for(fresh_user(world.head))
    assert customer_list(head, CustomerFilters(q="小明")).count() == 2


def test_filters_combine_with_search(world, people):
    from manyi.customers.actions import update_customer

    update_customer(
        actor=world.head,
        customer=people["王小明"],
        data={"relationship_level": "partner", "tags": ["高端"]},
    )
    head = scope_for(fresh_user(world.head))
    level = customer_list(head, CustomerFilters(q="明", relationship_level="partner"))
    assert [c.name for c in level] == ["王小明"]
    tagged = customer_list(head, CustomerFilters(tag="高端"))
    assert [c.name for c in tagged] == ["王小明"]


def test_list_query_budget(world, make_customer, django_assert_max_num_queries):
    from manyi.pagination import keyset_page

    for i in range(60):
        make_customer(name=f"客户{i}", phone=f"1390000{i:04d}")
    scope = scope_for(fresh_user(world.head))
    with django_assert_max_num_queries(1):
        page = keyset_page(customer_list(scope, CustomerFilters(q="客户")), size=50)
        names = [c.home_outlet.name for c in page.items]
    assert len(names) == 50 and page.next_cursor is not None
