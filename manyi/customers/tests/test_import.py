"""Customer import: Chinese headers, .xlsx and .csv (UTF-8, BOM, GBK), bad rows, the upload page."""

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from openpyxl import Workbook

from conftest import PASSWORD
from manyi.customers.importing import ImportFileError, import_customers
from manyi.customers.models import Customer, ImportJob, ImportStatus, Purchase, RelationshipLevel
from manyi.errors import OutOfScope
from manyi.org.models import AuditAction, AuditEntry

HEADER = [
    "姓名",
    "手机号",
    "省份",
    "城市",
    "区县",
    "详细地址",
    "门店编码",
    "关系等级",
    "标签",
    "同意联系",
    "产品",
    "批号",
    "数量",
    "购买日期",
]


def zh_label(choice) -> str:
    with translation.override("zh-hans"):
        return str(choice.label)


def good_rows():
    return [
        ["王小明", "13812345678", "上海市", "上海市", "徐汇区", "漕溪北路88号", "E1",
         "proactive", "VIP、老客户", "是", "立邦净味墙面漆", "B2024-07", "2", "2024-07-01"],
        ["李小红", "139 0000 0002", "浙江省", "杭州市", "西湖区", "曙光路2号", "E2",
         zh_label(RelationshipLevel.RESPONSIBLE), "", "否", "", "", "", ""],
        ["张伟", "+8613900000003", "广东省", "广州市", "天河区", "体育西路3号", "S1",
         "", "VIP", "1", "底漆", "", "", "2024-06-15"],
    ]  # fmt: skip


def write_csv(path, rows, encoding="utf-8", header=HEADER):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path, rows, header=HEADER):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("客户")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def run(actor, path, **kwargs):
    return import_customers(actor=actor, path=path, **kwargs)


def errors_of(result):
    return {(e.row, e.field) for e in result.errors}


def english(result):
    return {(e.row, e.field): e.as_list()[3] for e in result.errors}


def assert_good_rows_imported(world):
    ming = Customer.objects.get(phone="13812345678")
    assert ming.name == "王小明"
    assert ming.home_outlet == world.east1
    assert ming.relationship_level == RelationshipLevel.PROACTIVE
    assert sorted(ming.tags.values_list("name", flat=True)) == ["VIP", "老客户"]
    assert ming.contact_consent is True
    assert ming.contact_consent_at is not None
    assert (ming.province, ming.city, ming.district, ming.address_detail) == (
        "上海市",
        "上海市",
        "徐汇区",
        "漕溪北路88号",
    )
    purchase = ming.purchases.get()
    assert (purchase.product, purchase.batch_no) == ("立邦净味墙面漆", "B2024-07")
    assert purchase.quantity == 2
    assert purchase.purchased_on == dt.date(2024, 7, 1)
    assert purchase.outlet == world.east1
    hong = Customer.objects.get(phone="13900000002")
    assert hong.home_outlet == world.east2
    assert hong.relationship_level == RelationshipLevel.RESPONSIBLE
    assert hong.contact_consent is False
    assert not hong.purchases.exists()
    wei = Customer.objects.get(phone="13900000003")
    assert wei.home_outlet == world.south1
    assert wei.relationship_level == RelationshipLevel.BASIC
    assert wei.purchases.get().quantity == 1
    assert Customer.objects.filter(company=world.company).count() == 3


# -- formats -------------------------------------------------------------------------------------


def test_xlsx_with_chinese_headers_imports_customers_and_purchases(world, tmp_path):
    rows = good_rows()
    rows[0][1] = 13812345678  # Excel keeps phone numbers as numbers
    rows[0][13] = dt.datetime(2024, 7, 1)  # noqa: DTZ001 - and dates as (naive) dates
    rows[2][1] = 13900000003.0
    result = run(world.head, write_xlsx(tmp_path / "顾客.xlsx", rows))
    assert (result.total_rows, result.created, result.updated) == (3, 3, 0)
    assert result.purchases == 2
    assert result.error_count == 0, [e.as_list() for e in result.errors]
    assert_good_rows_imported(world)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_every_common_encoding(world, tmp_path, encoding):
    result = run(world.head, write_csv(tmp_path / "customers.csv", good_rows(), encoding))
    assert (result.created, result.error_count) == (3, 0), [e.as_list() for e in result.errors]
    assert_good_rows_imported(world)


def test_gbk_csv_is_really_not_utf8(tmp_path):
    path = write_csv(tmp_path / "gbk.csv", good_rows(), "gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")


def test_english_headers_and_labels_are_accepted(world, tmp_path):
    header = ["name", "mobile", "outlet", "relationship_level", "contact_consent"]
    row = ["Wang", "13812345678", "e1", "Partner", "yes"]
    path = write_csv(tmp_path / "en.csv", [row], header=header)
    result = run(world.head, path)
    assert (result.created, result.error_count) == (1, 0)
    customer = Customer.objects.get()
    assert (customer.home_outlet, customer.relationship_level) == (world.east1, "partner")
    assert customer.contact_consent is True


def test_outlet_may_be_named_instead_of_coded(world, tmp_path):
    row = ["王五", "13812345678", "", "", "", "", "杭州西湖店"]
    path = write_csv(tmp_path / "c.csv", [row], header=HEADER[:7])
    assert run(world.head, path).created == 1
    assert Customer.objects.get().home_outlet == world.east2


def test_default_outlet_for_rows_without_one(world, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["王五", "13812345678"]], header=["姓名", "手机号"])
    result = run(world.manager, path, default_outlet=world.east1)
    assert result.created == 1
    assert Customer.objects.get().home_outlet == world.east1


def test_row_without_outlet_and_no_default_is_an_error(world, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["王五", "13812345678"]], header=["姓名", "手机号"])
    result = run(world.head, path)
    assert errors_of(result) == {(2, "outlet")}
    assert not Customer.objects.exists()


def test_import_is_audited(world, tmp_path):
    run(world.head, write_csv(tmp_path / "c.csv", good_rows()))
    entry = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert entry.actor == world.head
    assert entry.changes["created"] == [None, 3]


# -- re-import -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_reimport_creates_no_duplicates(world, tmp_path, kind):
    path = tmp_path / f"c.{kind}"
    (write_csv if kind == "csv" else write_xlsx)(path, good_rows())
    first = run(world.head, path)
    assert (first.created, first.updated, first.purchases) == (3, 0, 2)
    customers, purchases = Customer.objects.count(), Purchase.objects.count()
    tags = Customer.tags.through.objects.count()

    second = run(world.head, path)
    assert (second.created, second.updated, second.purchases) == (0, 3, 0)
    assert second.error_count == 0
    assert Customer.objects.count() == customers == 3
    assert Purchase.objects.count() == purchases == 2
    assert Customer.tags.through.objects.count() == tags
    assert set(Customer.objects.values_list("version", flat=True)) == {2}


def test_reimport_updates_changed_fields(world, tmp_path, make_customer):
    customer = make_customer(name="王小明", phone="13812345678", city="北京")
    row = ["王晓明", "13812345678", "上海市", "上海市", "", "", "E2"]
    path = write_csv(tmp_path / "c.csv", [row], header=HEADER[:7])
    result = run(world.head, path)
    assert (result.created, result.updated) == (0, 1)
    customer.refresh_from_db()
    assert (customer.name, customer.city, customer.home_outlet) == ("王晓明", "上海市", world.east2)
    assert customer.version == 2


def test_reimport_granting_consent_records_when(world, tmp_path, make_customer):
    # PIPL: the archive records when consent was given, whichever way it arrives.
    customer = make_customer(phone="13812345678", contact_consent=False)
    assert customer.contact_consent_at is None
    header = ["姓名", "手机号", "门店编码", "同意联系"]
    run(
        world.head,
        write_csv(tmp_path / "c.csv", [["王小明", "13812345678", "E1", "是"]], header=header),
    )
    customer.refresh_from_db()
    assert customer.contact_consent is True
    assert customer.contact_consent_at is not None


def test_reimport_withdrawing_consent_clears_when(world, tmp_path, make_customer):
    customer = make_customer(phone="13812345678", contact_consent=True)
    assert customer.contact_consent_at is not None
    header = ["姓名", "手机号", "门店编码", "同意联系"]
    run(
        world.head,
        write_csv(tmp_path / "c.csv", [["王小明", "13812345678", "E1", "否"]], header=header),
    )
    customer.refresh_from_db()
    assert customer.contact_consent is False
    assert customer.contact_consent_at is None


# -- bad rows ------------------------------------------------------------------------------------


def test_bad_rows_are_reported_and_not_written_good_rows_are(world, tmp_path):
    future = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    rows = [
        ["好人甲", "13800000001", "", "", "", "", "E1", "", "", "", "面漆", "", "1", "2024-01-01"],
        ["坏电话", "12345", "", "", "", "", "E1", "", "", "", "", "", "", ""],
        ["", "13800000003", "", "", "", "", "E1", "", "", "", "", "", "", ""],
        ["门店错", "13800000004", "", "", "", "", "ZZ9", "", "", "", "", "", "", ""],
        ["等级错", "13800000005", "", "", "", "", "E1", "best friend", "", "", "", "", "", ""],
        ["重复号", "13800000001", "", "", "", "", "E1", "", "", "", "", "", "", ""],
        ["未来买", "13800000007", "", "", "", "", "E1", "", "", "", "面漆", "", "1", future],
        ["零数量", "13800000008", "", "", "", "", "E1", "", "", "", "面漆", "", "0", "2024-01-01"],
        ["同意乱填", "13800000009", "", "", "", "", "E1", "", "", "也许", "", "", "", ""],
        [],
        ["好人乙", "13800000011", "", "", "", "", "E2", "", "", "", "", "", "", ""],
    ]
    result = run(world.head, write_csv(tmp_path / "c.csv", rows))
    assert errors_of(result) == {
        (3, "phone"),
        (4, "name"),
        (5, "outlet"),
        (6, "relationship_level"),
        (7, "phone"),
        (8, "purchased_on"),
        (9, "quantity"),
        (10, "contact_consent"),
    }
    assert result.error_count == 8
    assert result.total_rows == 10  # the blank line is not a row
    assert result.created == 2
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["好人乙", "好人甲"]
    assert Purchase.objects.count() == 1
    messages = english(result)
    assert messages[(5, "outlet")] == "No outlet with this code or name in your scope."
    for error in result.errors:
        row, field, zh, en = error.as_list()
        assert zh and en, (row, field)


def test_messages_with_numbers_are_translated_in_both_languages(world, tmp_path):
    rows = [
        ["好人", "13800000001", "", "", "", "", "E1"],
        ["重复号", "13800000001", "", "", "", "", "E1"],
        ["长" * 51, "13800000003", "", "", "", "", "E1"],
    ]
    result = run(world.head, write_csv(tmp_path / "c.csv", rows, header=HEADER[:7]))
    text = {(e.row, e.field): e.as_list()[2:] for e in result.errors}
    zh, en = text[(3, "phone")]
    assert en == "This phone is already on row 2 of the file."
    assert "2" in zh and zh != en
    zh, en = text[(4, "name")]
    assert en == "Too long (at most 50 characters)."
    assert "50" in zh and zh != en


def test_ten_thousand_bad_rows_are_all_reported(world, tmp_path):
    rows = [[f"坏{i}", f"2{i:010d}", "", "", "", "", "E1"] for i in range(10_000)]
    rows[17:17] = [["好一", "13800000001", "", "", "", "", "E1"]]
    rows[5000:5000] = [["好二", "13800000002", "", "", "", "", "E2"]]
    rows.append(["好三", "13800000003", "", "", "", "", "S1"])
    result = run(world.head, write_xlsx(tmp_path / "big.xlsx", rows, header=HEADER[:7]))
    assert result.total_rows == 10_003
    assert result.error_count == 10_000
    assert len(result.errors) == 10_000
    assert {e.field for e in result.errors} == {"phone"}
    assert result.errors[0].row == 2 and result.errors[-1].row == 10_003
    assert result.created == 3
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["好一", "好三", "好二"]


# -- malformed files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("renamed.xlsx", b"this is plainly not a zip file"),
        ("truncated.xlsx", b"PK\x03\x04 broken"),
        ("empty.xlsx", b""),
        ("empty.csv", b""),
        ("blank.csv", "\ufeff".encode()),
        ("no-columns.csv", "编号,备注\n1,2\n".encode()),
        ("name-only.csv", "姓名,城市\n王五,上海\n".encode()),
        ("notes.txt", "姓名,手机号\n王五,13812345678\n".encode()),
    ],
)
def test_unreadable_file_is_a_clear_error_and_writes_nothing(world, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as exc:
        run(world.head, path)
    text = str(exc.value.message)
    assert text and "Traceback" not in text
    assert not Customer.objects.exists()


def test_xlsx_with_header_only_imports_nothing(world, tmp_path):
    result = run(world.head, write_xlsx(tmp_path / "c.xlsx", []))
    assert (result.total_rows, result.created, result.error_count) == (0, 0, 0)


# -- who may import ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["sales", "tech", "analyst", "inspector", "auditor", "outsider"]
)
def test_roles_without_import_right_are_refused(world, tmp_path, persona):
    path = write_csv(tmp_path / "c.csv", good_rows())
    with pytest.raises(OutOfScope):
        run(world.users[persona], path)
    assert not Customer.objects.exists()


def test_manager_cannot_import_into_another_outlet(world, tmp_path):
    result = run(world.manager, write_csv(tmp_path / "c.csv", good_rows()))
    assert errors_of(result) == {(3, "outlet"), (4, "outlet")}
    assert english(result)[(4, "outlet")] == "No outlet with this code or name in your scope."
    assert list(Customer.objects.values_list("name", flat=True)) == ["王小明"]


def test_manager_cannot_overwrite_customer_of_another_outlet(world, tmp_path, make_customer):
    theirs = make_customer(name="天河客", phone="13812345678", outlet=world.south1)
    header = ["姓名", "手机号", "门店编码", "标签", "产品", "购买日期"]
    rows = [["抢过来", "13812345678", "E1", "抢来的", "面漆", "2024-01-01"]]
    result = run(world.manager, write_csv(tmp_path / "c.csv", rows, header=header))
    assert errors_of(result) == {(2, "phone")}
    assert (result.created, result.updated, result.purchases) == (0, 0, 0)
    theirs.refresh_from_db()
    assert (theirs.name, theirs.home_outlet, theirs.version) == ("天河客", world.south1, 1)
    # Nothing of the refused row reaches the customer: no tag, no purchase.
    assert not theirs.tags.exists()
    assert not theirs.purchases.exists()


def test_default_outlet_outside_scope_is_refused(world, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["王五", "13812345678"]], header=["姓名", "手机号"])
    with pytest.raises(OutOfScope):
        run(world.manager, path, default_outlet=world.south1)
    assert not Customer.objects.exists()


def test_other_company_cannot_import_into_our_outlets(world, tmp_path):
    result = run(world.other_head, write_csv(tmp_path / "c.csv", good_rows()))
    assert result.created == 0
    assert {e.field for e in result.errors} == {"outlet"}
    assert not Customer.objects.exists()


# -- the upload page -----------------------------------------------------------------------------


def upload(name, content, content_type="text/csv"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def csv_bytes(rows, encoding="utf-8-sig"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def post_upload(client, django_capture_on_commit_callbacks, file, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/customers/imports/", {"file": file, "default_outlet": "", **extra})


def test_upload_page_imports_and_shows_counts(client, world, django_capture_on_commit_callbacks):
    client.login(username="head", password=PASSWORD)
    rows = [*good_rows(), ["坏电话", "12345", "", "", "", "", "E1", "", "", "", "", "", "", ""]]
    response = post_upload(
        client, django_capture_on_commit_callbacks, upload("顾客.csv", csv_bytes(rows))
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/imports/{job.pk}/"
    assert job.status == ImportStatus.DONE, job.message
    assert (job.total_rows, job.created_count, job.updated_count, job.error_count) == (4, 3, 0, 1)
    assert job.errors[0][:2] == [5, "phone"]
    assert job.created_by == world.head
    assert_good_rows_imported(world)

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "顾客.csv" in html
    for count in (4, 3, 0, 1):
        assert f"<dd>{count}</dd>" in html
    with translation.override("zh-hans"):
        assert str(ImportStatus.DONE.label) in html
    assert f"/customers/imports/{job.pk}/errors.csv" in html


def test_error_csv_download(client, world, django_capture_on_commit_callbacks):
    client.login(username="head", password=PASSWORD)
    rows = [
        ["坏电话", "12345", "", "", "", "", "E1", "", "", "", "", "", "", ""],
        ["", "13800000003", "", "", "", "", "E1", "", "", "", "", "", "", ""],
    ]
    post_upload(client, django_capture_on_commit_callbacks, upload("c.csv", csv_bytes(rows)))
    job = ImportJob.objects.get()
    response = client.get(f"/customers/imports/{job.pk}/errors.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(content.lstrip("\ufeff"))))
    assert len(lines) == 3
    assert [line[:2] for line in lines[1:]] == [["2", "phone"], ["3", "name"]]
    assert all(line[2] and line[3] for line in lines[1:])


def test_upload_xlsx_on_page(client, world, django_capture_on_commit_callbacks, tmp_path):
    client.login(username="manager", password=PASSWORD)
    path = write_xlsx(tmp_path / "c.xlsx", good_rows()[:1])
    file = upload(
        "c.xlsx",
        path.read_bytes(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    post_upload(client, django_capture_on_commit_callbacks, file)
    job = ImportJob.objects.get()
    assert (job.status, job.created_count) == (ImportStatus.DONE, 1)


def test_uploading_a_text_file_is_refused_on_the_form(
    client, world, django_capture_on_commit_callbacks
):
    client.login(username="head", password=PASSWORD)
    file = upload("customers.txt", "姓名,手机号\n王五,13812345678\n".encode(), "text/plain")
    response = post_upload(client, django_capture_on_commit_callbacks, file)
    assert response.status_code == 200
    assert response.context["form"].errors.get("file")
    assert not ImportJob.objects.exists()
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("renamed.xlsx", b"not a zip at all"),
        ("empty.csv", b""),
        ("headers.csv", "编号,备注\n1,2\n".encode()),
    ],
)
def test_unreadable_upload_fails_the_job_with_a_message(
    client, world, django_capture_on_commit_callbacks, name, content
):
    client.login(username="head", password=PASSWORD)
    response = post_upload(client, django_capture_on_commit_callbacks, upload(name, content))
    # An empty upload may be refused on the form already; either way nothing is written.
    assert response.status_code in (200, 302)
    job = ImportJob.objects.first()
    if job is not None:
        assert job.status == ImportStatus.FAILED
        assert job.message
        assert job.finished_at is not None
        page = client.get(f"/customers/imports/{job.pk}/")
        assert page.status_code == 200
        assert job.message.split(" / ")[0] in page.content.decode()
    else:
        assert response.context["form"].errors
    assert not Customer.objects.exists()


@pytest.mark.parametrize("persona", ["sales", "tech", "analyst"])
def test_import_page_is_refused_without_import_right(
    client, world, django_capture_on_commit_callbacks, persona
):
    client.login(username=persona, password=PASSWORD)
    assert client.get("/customers/imports/").status_code == 403
    response = post_upload(
        client, django_capture_on_commit_callbacks, upload("c.csv", csv_bytes(good_rows()))
    )
    assert response.status_code == 403
    assert not ImportJob.objects.exists()
    assert not Customer.objects.exists()


def test_someone_elses_import_job_is_not_found(client, world, django_capture_on_commit_callbacks):
    client.login(username="head", password=PASSWORD)
    post_upload(client, django_capture_on_commit_callbacks, upload("c.csv", csv_bytes(good_rows())))
    job = ImportJob.objects.get()
    client.logout()
    client.login(username="rep", password=PASSWORD)
    assert client.get(f"/customers/imports/{job.pk}/").status_code == 404
    assert client.get(f"/customers/imports/{job.pk}/errors.csv").status_code == 404


def test_superuser_import_stays_in_the_default_outlets_company(world, tmp_path, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x")
    # "O1" is the other company's outlet code; the import targets our company.
    path = write_csv(
        tmp_path / "c.csv", [["王五", "13812345678", "O1"]], header=["姓名", "手机号", "门店编码"]
    )
    result = run(root, path, default_outlet=world.east1)
    assert {e.field for e in result.errors} == {"outlet"}
    assert not Customer.objects.exists()
