"""Bad input, on purpose: the import files (customers CSV/XLSX, the holiday schedule, the
instrument JSON) and the public survey page get malformed, huge, wrongly typed and wrongly
encoded input — hand-made nasty files and hypothesis-generated ones. Every time: a clear error
in Chinese and English (or the row's error), never a 500 or another exception, and nothing
half-written (row counts before and after)."""

import csv
import io
import json
import string

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from manyi.customers.importing import EXPORT_COLUMNS, ImportFileError, import_customers
from manyi.customers.models import Customer, ImportJob
from manyi.errors import DomainError, InvalidInput, both_languages
from manyi.surveys.models import SurveyResponse

# The survey fixtures (an instrument, a campaign, a consenting customer).
from manyi.surveys.tests.conftest import (  # noqa: F401
    CSI_ALL_FIVES,
    builtins,
    campaign_data,
    consenting,
    frozen,
    version,
)

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HEADER = [title for _key, title in EXPORT_COLUMNS]


def _row(name="王小明", phone="13900001111", outlet="E1", notes=""):
    values = {"name": name, "phone": phone, "outlet": outlet, "notes": notes}
    return [values.get(key, "") for key, _title in EXPORT_COLUMNS]


def _csv(rows, encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode(encoding)


def _import(world, tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return import_customers(actor=world.head, path=path, original_name=name)


def _assert_clear(exc: DomainError) -> None:
    text = both_languages(exc.message)
    assert text["zh"] and text["en"] and text["zh"] != text["en"]


# -- customers: hand-made nasty files -------------------------------------------------------


def test_gbk_encoded_csv_imports_the_chinese_intact(world, tmp_path):
    result = _import(world, tmp_path, "gbk.csv", _csv([_row(name="欧阳娜娜")], "gbk"))
    assert result.created == 1
    assert Customer.objects.get().name == "欧阳娜娜"


def test_utf8_with_bom_reads_the_header(world, tmp_path):
    result = _import(world, tmp_path, "bom.csv", _csv([_row()], "utf-8-sig"))
    assert result.created == 1 and result.error_count == 0


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("binary.csv", b"\xff\xfe\x00\x81" * 50),  # neither UTF-8 nor GB18030
        ("truncated.xlsx", b"PK\x03\x04" + b"\x00" * 40),  # a zip cut short
        ("not-a-zip.xlsx", "姓名,手机号\n".encode()),
        ("empty.csv", b""),
        ("image.png", b"\x89PNG\r\n\x1a\n"),
    ],
)
def test_unreadable_files_get_a_clear_error_and_write_nothing(world, tmp_path, name, data):
    with pytest.raises(InvalidInput) as info:
        _import(world, tmp_path, name, data)
    _assert_clear(info.value)
    assert Customer.objects.count() == 0


def test_a_truncated_real_workbook_writes_nothing(world, tmp_path):
    book = Workbook()
    book.active.append(HEADER)
    for n in range(50):
        book.active.append(_row(phone=f"1390000{n:04d}"))
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(InvalidInput) as info:
        _import(world, tmp_path, "cut.xlsx", out.getvalue()[: len(out.getvalue()) // 2])
    _assert_clear(info.value)
    assert Customer.objects.count() == 0


def test_a_csv_that_breaks_half_way_writes_nothing(world, tmp_path):
    # 1,500 good rows (more than one write batch), then a field over the csv module's limit.
    rows = [_row(phone=f"1390000{n:04d}") for n in range(1500)]
    rows.append(_row(notes="长" * 200_000))
    with pytest.raises(ImportFileError) as info:
        _import(world, tmp_path, "broken.csv", _csv(rows))
    _assert_clear(info.value)
    assert Customer.objects.count() == 0


def test_wrong_types_are_row_errors_not_crashes(world, tmp_path):
    rows = [
        _row(phone="not a phone"),
        _row(phone="1" * 40),
        _row(name="", phone="13900002222"),
        _row(name="名" * 500, phone="13900003333"),
        _row(outlet="NO-SUCH", phone="13900004444"),
        _row(phone="13900005555"),
    ]
    result = _import(world, tmp_path, "types.csv", _csv(rows))
    assert result.created == 1
    assert result.error_count == 5
    assert Customer.objects.count() == 1


def test_a_file_over_the_size_limit_is_refused_on_the_page(client, world, settings):
    settings.MANYI_IMPORT_MAX_BYTES = 1024 * 1024
    client.force_login(world.head)
    big = SimpleUploadedFile("big.csv", _csv([_row()]) + b"x" * (10 * 1024 * 1024))
    response = client.post(reverse("customers:imports"), {"file": big})
    assert response.status_code == 200
    assert "文件过大" in response.content.decode()
    assert ImportJob.objects.count() == 0 and Customer.objects.count() == 0


def test_formula_injection_is_escaped_in_the_csv_export_and_undone_on_import(
    world, make_customer, tmp_path
):
    from manyi.customers.exporting import export_customers

    evil = "=cmd|' /C calc'!A0"
    make_customer(notes=evil, phone="13900006666")
    make_customer(notes="+SUM(1,1)", phone="13900007777")
    path = tmp_path / "out.csv"
    export_customers(actor=world.head, path=path)
    cells = [c for row in csv.reader(io.StringIO(path.read_text("utf-8-sig"))) for c in row]
    assert "'" + evil in cells and evil not in cells
    assert "'+SUM(1,1)" in cells
    Customer.objects.all().delete()
    _import(world, tmp_path, "again.csv", path.read_bytes())
    assert set(Customer.objects.values_list("notes", flat=True)) == {evil, "+SUM(1,1)"}


def test_formula_text_stays_text_in_the_xlsx_export(world, make_customer, tmp_path):
    from python_calamine import CalamineWorkbook

    from manyi.customers.exporting import export_customers

    make_customer(notes='=HYPERLINK("http://evil","x")', phone="13900008888")
    path = tmp_path / "out.xlsx"
    export_customers(actor=world.head, path=path)
    from zipfile import ZipFile

    sheet_xml = ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula cell
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows[1][HEADER.index("备注")].startswith("=HYPERLINK")


# -- customers: generated files -------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=4000), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_random_bytes_never_crash_the_import(world, tmp_path, data, suffix):
    before = Customer.objects.count()
    try:
        result = _import(world, tmp_path, "fuzz" + suffix, data)
    except InvalidInput as exc:
        _assert_clear(exc)
        assert Customer.objects.count() == before
    else:
        assert Customer.objects.count() == before + result.created


_cell = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=string.digits, min_size=0, max_size=14),
    st.sampled_from(["=1+1", "@SUM(A1)", "\x00", "是", "否", "partner", "E1", "S1", "—"]),
)


@FUZZ
@given(
    rows=st.lists(st.lists(_cell, min_size=0, max_size=len(HEADER) + 3), max_size=12),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
)
def test_random_rows_are_imported_or_reported(world, tmp_path, rows, encoding):
    before = Customer.objects.count()
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    try:
        data = out.getvalue().encode(encoding)
    except UnicodeEncodeError:
        return  # GB18030 covers all of Unicode; a lone surrogate cannot be encoded at all
    try:
        result = _import(world, tmp_path, "rows.csv", data)
    except InvalidInput as exc:
        _assert_clear(exc)
        assert Customer.objects.count() == before
        return
    assert Customer.objects.count() == before + result.created
    for error in result.errors:
        assert error.as_list()[2] and error.as_list()[3]  # zh and en


# -- the holiday schedule (calendars) -------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_schedule_files_get_a_clear_error(world, data):
    from manyi.calendars.importing import ScheduleFileError, read_schedule

    with pytest.raises(ScheduleFileError) as info:
        read_schedule(SimpleUploadedFile("h.xlsx", data), year=2026)
    _assert_clear(info.value)


@pytest.mark.parametrize(
    "rows",
    [
        [["日期", "类型", "名称"], ["not a date", "holiday", "x"]],
        [["日期", "类型", "名称"], ["2026-10-01", "no such kind", "国庆"]],
        [["日期", "类型", "名称"], ["2031-10-01", "holiday", "远"]],
        [["什么", "都", "不是"]],
        [["日期", "类型", "名称"], [12345678901234, None, "=cmd"]],
    ],
)
def test_bad_schedule_rows_import_nothing(client, world, rows):
    from manyi.calendars.models import DayOverride as CalendarDay

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    before = CalendarDay.objects.count()
    client.force_login(world.head)
    url = reverse("calendars:import", args=[2026])
    response = client.post(url, {"file": SimpleUploadedFile("h.xlsx", out.getvalue())})
    assert response.status_code in (200, 302, 400, 422)
    assert CalendarDay.objects.count() == before


# -- instruments (JSON import) --------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "code",
                    "name",
                    "kind",
                    "sections",
                    "items",
                    "type",
                    "scale",
                    "weight",
                    "factors",
                    "bands",
                    "paging",
                    "missing_rule",
                    "text",
                    "options",
                    "x",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=25,
)


@FUZZ
@given(content=_json)
def test_random_instrument_json_is_refused_clearly(world, content):
    from manyi.instruments.actions import import_instrument
    from manyi.instruments.models import Instrument

    before = Instrument.objects.count()
    try:
        import_instrument(actor=world.head, data=json.dumps(content))
    except InvalidInput as exc:
        _assert_clear(exc)
        assert Instrument.objects.count() == before


@pytest.mark.parametrize(
    "data",
    [
        "[" * 100_000,
        b'{"code": "x"',
        json.dumps({"name": "满意度"}, ensure_ascii=False).encode("gbk"),
        b"\xef\xbb\xbf{}",
        b"x" * (2 * 1024 * 1024),
    ],
)
def test_nasty_instrument_files(world, data):
    from manyi.instruments.actions import import_instrument
    from manyi.instruments.models import Instrument

    before = Instrument.objects.count()
    with pytest.raises(InvalidInput) as info:
        import_instrument(actor=world.head, data=data)
    _assert_clear(info.value)
    assert Instrument.objects.count() == before


# -- the public survey page -----------------------------------------------------------------


@pytest.fixture
def token(frozen, world, consenting, campaign_data):  # noqa: F811 - fixtures
    from manyi.surveys import actions
    from manyi.surveys.models import Invitation

    consenting(name="李雷")
    campaign = actions.create_campaign(actor=world.head, data=campaign_data())
    actions.launch_campaign(actor=world.head, campaign=campaign)
    actions.send_due_invitations()
    return Invitation.objects.get().token


_answer_value = st.one_of(
    st.text(max_size=50),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(
        [
            "",
            "5",
            "0",
            "11",
            "NaN",
            "inf",
            "-1",
            "1e309",
            "五",
            "\x00",
            "<script>",
            "submit",
            "next",
            "back",
            "save",
            "16",
            "99999999999999999999",
        ]
    ),
)


@FUZZ
@given(
    answers=st.dictionaries(
        st.sampled_from(
            [f"q{n}" for n in range(1, 18)] + ["comment", "phone", "x", "step", "action"]
        ),
        _answer_value,
        max_size=20,
    )
)
def test_random_answers_never_break_the_survey_page(client, token, answers):
    before = SurveyResponse.objects.count()
    response = client.post(f"/s/{token}/", answers)
    assert response.status_code in (200, 302, 422), response.status_code
    if response.status_code == 422:
        assert SurveyResponse.objects.count() == before


def test_huge_and_badly_encoded_survey_posts(client, token):
    url = f"/s/{token}/"
    before = SurveyResponse.objects.count()
    # A comment of a megabyte, an answer in GBK bytes sent as if UTF-8, a NUL.
    response = client.post(
        url, {**{k: str(v) for k, v in CSI_ALL_FIVES.items()}, "comment": "长" * 1_000_000}
    )
    assert response.status_code in (200, 302, 422)
    raw = b"q1=5&comment=" + "很好".encode("gbk") + b"&q2=%00"
    response = client.post(url, raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 302, 422)
    # Over the upload limit (10 MB) and too many fields: refused with 400, not a 500.
    response = client.post(
        url,
        b"comment=" + b"x" * (11 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    response = client.post(
        url,
        "&".join(f"f{n}=1" for n in range(2000)),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert SurveyResponse.objects.count() <= before + 1


def test_a_complete_answer_still_goes_through(client, token):
    # The CSI survey is one question per screen: each step posts its answer.
    for n in range(1, 17):
        client.post(f"/s/{token}/", {"step": str(n - 1), f"q{n}": "5", "action": "next"})
    response = client.post(f"/s/{token}/", {"step": "16", "comment": "很好", "action": "next"})
    assert response.status_code in (200, 302)
    assert SurveyResponse.objects.count() == 1
