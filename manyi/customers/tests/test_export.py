"""Customer export: .xlsx and .csv in the import's layout, scoped, never masked, re-importable."""

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from conftest import PASSWORD
from manyi.customers.actions import add_purchase
from manyi.customers.exporting import export_customers
from manyi.customers.importing import EXPORT_COLUMNS, import_customers
from manyi.customers.models import Customer, Purchase
from manyi.customers.queries import CustomerFilters
from manyi.errors import InvalidInput, OutOfScope
from manyi.org.models import AuditAction, AuditEntry
from manyi.org.scopes import ROLE_PERMS, Perm

HEADER = [title for _field, title in EXPORT_COLUMNS]


def read_xlsx(path):
    workbook = load_workbook(path, read_only=True)
    rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    workbook.close()
    return rows


def read_csv(path):
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode()), "CSV exports carry a BOM for Excel"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def read(path):
    return read_xlsx(path) if path.suffix == ".xlsx" else read_csv(path)


@pytest.fixture
def archive(world, make_customer):
    """Customers in every outlet, with the fields an export carries."""
    made = [
        make_customer(
            name="王小明",
            phone="13812345678",
            province="上海市",
            city="上海市",
            district="徐汇区",
            address_detail="漕溪北路88号",
            age_band="25_34",
            income_band="upper_middle",
            education="bachelor",
            social_class="middle",
            relationship_level="proactive",
            tags=["VIP", "老客户"],
            contact_consent=True,
            notes="只在周末联系\n第二行备注",
        ),
        make_customer(name="李小红", phone="13900000002", outlet=world.east2, survey_consent=True),
        make_customer(name="张伟", phone="13900000003", outlet=world.south1, tags=["VIP"]),
    ]
    add_purchase(
        actor=world.head,
        customer=made[0],
        data={"product": "面漆", "purchased_on": dt.date(2024, 7, 1)},
    )
    return made


def snapshot():
    return {
        c.phone: (
            c.name,
            c.home_outlet_id,
            c.province,
            c.city,
            c.district,
            c.address_detail,
            c.age_band,
            c.income_band,
            c.education,
            c.social_class,
            c.relationship_level,
            tuple(sorted(t.name for t in c.tags.all())),
            c.contact_consent,
            c.survey_consent,
            c.notes,
        )
        for c in Customer.objects.prefetch_related("tags")
    }


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_writes_the_import_layout(world, archive, tmp_path, suffix):
    path = tmp_path / f"customers{suffix}"
    assert export_customers(actor=world.head, path=path) == 3
    rows = read(path)
    assert rows[0] == HEADER
    by_phone = {row[1]: row for row in rows[1:]}
    assert set(by_phone) == {"13812345678", "13900000002", "13900000003"}
    ming = by_phone["13812345678"]
    assert ming[0] == "王小明"
    assert ming[6] == "E1"
    assert set(ming[12].split("、")) == {"VIP", "老客户"}
    assert (ming[13], ming[14]) == ("是", "否")
    assert ming[15] == "只在周末联系\n第二行备注"
    assert by_phone["13900000003"][6] == "S1"


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_round_trips_through_import(world, archive, tmp_path, suffix):
    before = snapshot()
    path = tmp_path / f"customers{suffix}"
    export_customers(actor=world.head, path=path)
    result = import_customers(actor=world.head, path=path)
    assert result.error_count == 0, [e.as_list() for e in result.errors]
    assert (result.total_rows, result.created, result.updated) == (3, 0, 3)
    assert Customer.objects.count() == 3
    assert Purchase.objects.count() == 1
    assert snapshot() == before


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_round_trip_into_an_empty_archive_recreates_it(world, archive, tmp_path, suffix):
    before = snapshot()
    path = tmp_path / f"customers{suffix}"
    export_customers(actor=world.head, path=path)
    Customer.objects.all().delete()
    result = import_customers(actor=world.head, path=path)
    assert (result.created, result.error_count) == (3, 0)
    assert snapshot() == before


def test_text_that_looks_like_a_formula_stays_text_in_xlsx(world, make_customer, tmp_path):
    # A note or a name typed as "=…" must not become a live formula in the spreadsheet
    # (formula injection), and must survive export → import unchanged.
    make_customer(name="=1+2", notes='=HYPERLINK("http://example.invalid","点我")')
    path = tmp_path / "customers.xlsx"
    export_customers(actor=world.head, path=path)
    sheet = load_workbook(path).worksheets[0]
    assert sheet["A2"].data_type == "s"
    assert sheet["P2"].data_type == "s"
    before = snapshot()
    result = import_customers(actor=world.head, path=path)
    assert result.error_count == 0, [e.as_list() for e in result.errors]
    assert snapshot() == before


def test_export_is_scoped_to_the_subtree(world, archive, tmp_path):
    path = tmp_path / "mine.csv"
    assert export_customers(actor=world.manager, path=path) == 1
    assert [row[0] for row in read(path)[1:]] == ["王小明"]
    other = tmp_path / "theirs.csv"
    assert export_customers(actor=world.other_head, path=other) == 0
    assert read(other) == [HEADER]


def test_export_follows_the_list_filters(world, archive, tmp_path):
    path = tmp_path / "vip.xlsx"
    count = export_customers(
        actor=world.head, path=path, filters=CustomerFilters(tag="VIP", q="小明")
    )
    assert count == 1
    assert read(path)[1][0] == "王小明"


def test_export_is_audited(world, archive, tmp_path):
    export_customers(actor=world.manager, path=tmp_path / "c.csv")
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == world.manager
    assert entry.company_id == world.company.pk
    assert entry.changes == {"rows": [None, 1]}


@pytest.mark.parametrize("persona", ["analyst", "rep", "sales", "tech", "inspector", "auditor"])
def test_roles_without_export_right_are_refused(world, archive, tmp_path, persona):
    path = tmp_path / "c.xlsx"
    with pytest.raises(OutOfScope):
        export_customers(actor=world.users[persona], path=path)
    assert not path.exists()


def test_unknown_export_format_is_refused(world, archive, tmp_path):
    with pytest.raises(InvalidInput):
        export_customers(actor=world.head, path=tmp_path / "c.json")


def test_every_role_that_may_export_may_see_phones():
    # An export with masked phones could not be re-imported (and would leak the pattern);
    # the role matrix keeps the two rights together.
    exporters = [role for role, perms in ROLE_PERMS.items() if Perm.EXPORT_CUSTOMERS in perms]
    assert exporters
    for role in exporters:
        assert Perm.VIEW_PHONE in ROLE_PERMS[role], role


@pytest.mark.parametrize("persona", ["head", "admin_role", "manager"])
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_exports_never_contain_masked_phones(world, archive, tmp_path, persona, suffix):
    path = tmp_path / f"c{suffix}"
    count = export_customers(actor=world.users[persona], path=path)
    assert count >= 1
    phones = [row[1] for row in read(path)[1:]]
    assert len(phones) == count
    assert all(len(p) == 11 and p.isdigit() for p in phones), phones
    assert not any("*" in p for p in phones)


# -- the export page -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_page_downloads_a_file(client, world, archive, tmp_path, fmt):
    client.login(username="manager", password=PASSWORD)
    response = client.get("/customers/export/", {"format": fmt})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert f'.{fmt}"' in response["Content-Disposition"]
    path = tmp_path / f"download.{fmt}"
    path.write_bytes(b"".join(response.streaming_content))
    rows = read(path)
    assert rows[0] == HEADER
    assert [row[1] for row in rows[1:]] == ["13812345678"]


@pytest.mark.parametrize("persona", ["analyst", "sales"])
def test_export_page_is_refused_without_export_right(client, world, archive, persona):
    client.login(username=persona, password=PASSWORD)
    response = client.get("/customers/export/", {"format": "csv"})
    assert response.status_code == 403
    assert "13812345678" not in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()
