"""Importing a year's official schedule from Excel: all-or-nothing, every bad row named."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from conftest import PASSWORD
from manyi.calendars import actions
from manyi.calendars.importing import ScheduleFileError, read_schedule
from manyi.calendars.models import CalendarYear, DayOverride, DaySource
from manyi.errors import both_languages
from manyi.org.models import AuditAction, AuditEntry

D = dt.date
HEADER = ["日期", "类型", "名称"]
# A made-up 2027 Spring Festival schedule, as an admin would type it from the notice.
GOOD = [
    [D(2027, 2, 5), "放假", "春节"],
    ["2027-02-06", "放假", "春节"],
    ["2027/2/7", "休", "春节"],
    ["2027年2月8日", "holiday", "春节"],
    [D(2027, 2, 9), "放假", "春节"],
    [D(2027, 2, 10), "放假", "春节"],
    [D(2027, 2, 11), "放假", "春节"],
    [D(2027, 2, 20), "上班", "春节"],
    [D(2027, 1, 30), "workday", "春节"],
]


def xlsx(rows, header=HEADER, name="2027.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    if header:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def test_a_good_file_is_read_whole():
    rows = read_schedule(xlsx(GOOD), year=2027)
    assert [r.date for r in rows][:4] == [
        D(2027, 2, 5),
        D(2027, 2, 6),
        D(2027, 2, 7),
        D(2027, 2, 8),
    ]
    assert rows[7].kind == "workday" and rows[7].number == 9 and rows[7].name == "春节"


def test_every_bad_row_is_reported_with_its_number_and_reason():
    rows = [
        [D(2027, 2, 5), "放假", "春节"],
        ["someday", "放假", "春节"],  # row 3: not a date
        [D(2027, 2, 6), "开会", ""],  # row 4: unknown kind
        [D(2026, 6, 1), "放假", ""],  # row 5: another year
        [D(2027, 2, 5), "上班", ""],  # row 6: the same date as row 2
        [D(2027, 2, 7), "放假", "长" * 51],  # row 7: name too long
        [None, None, None],  # an empty row is skipped
    ]
    with pytest.raises(ScheduleFileError) as caught:
        read_schedule(xlsx(rows), year=2027)
    assert [number for number, _reason in caught.value.rows] == [3, 4, 5, 6, 7]
    reasons = [both_languages(reason) for _n, reason in caught.value.rows]
    assert "2026-06-01" in reasons[2]["en"] and "row 2" in reasons[3]["en"]
    assert all(r["zh"] and r["en"] for r in reasons)


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("2027.csv", b"a,b"),
        SimpleUploadedFile("2027.xlsx", b"not a workbook"),
        xlsx([[D(2027, 2, 5), "放假"]], header=["日子", "类别"]),
        xlsx([]),
    ],
    ids=["not-xlsx", "unreadable", "no-header", "no-rows"],
)
def test_unusable_files_are_refused(upload):
    with pytest.raises(ScheduleFileError) as caught:
        read_schedule(upload, year=2027)
    assert not caught.value.rows and both_languages(caught.value.message)["zh"]


def test_a_complete_schedule_replaces_the_library_days_and_keeps_manual_ones(world):
    actions.ensure_seeded(world.company, 2027)  # statutory days from holidays
    actions.set_day(
        actor=world.head, company=world.company, date=D(2027, 6, 18), kind="holiday", name="年会"
    )
    result = actions.import_schedule(
        actor=world.head,
        company=world.company,
        year=2027,
        rows=read_schedule(xlsx(GOOD), year=2027),
        complete=True,
        file_name="2027.xlsx",
    )
    days = {d.date: d for d in DayOverride.objects.filter(company=world.company)}
    assert days[D(2027, 2, 20)].kind == "workday" and days[D(2027, 2, 20)].source == "import"
    assert days[D(2027, 6, 18)].source == DaySource.MANUAL  # entered by hand: kept
    assert D(2027, 10, 1) not in days  # a library day the official file does not list: gone
    assert result.fully_known and result.removed > 0
    assert CalendarYear.objects.get(company=world.company, year=2027).fully_known
    entry = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert entry.changes["file"] == [None, "2027.xlsx"]


def test_a_partial_file_only_adds_and_leaves_the_year_not_fully_known(world):
    actions.ensure_seeded(world.company, 2027)
    before = DayOverride.objects.filter(company=world.company).count()
    rows = read_schedule(xlsx([[D(2027, 1, 30), "上班", "春节"]]), year=2027)
    actions.import_schedule(
        actor=world.head, company=world.company, year=2027, rows=rows, complete=False
    )
    assert DayOverride.objects.filter(company=world.company).count() == before + 1
    assert not CalendarYear.objects.get(company=world.company, year=2027).fully_known


# -- the page -----------------------------------------------------------------------------------


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def test_import_page_imports_a_good_file(client, world):
    login(client, "head")
    assert client.get("/calendar/2027/import/").status_code == 200
    response = client.post("/calendar/2027/import/", {"file": xlsx(GOOD), "complete": "on"})
    assert response.status_code == 302 and response["Location"] == "/calendar/2027/"
    assert DayOverride.objects.filter(source="import").count() == len(GOOD)
    assert CalendarYear.objects.get(company=world.company, year=2027).fully_known


def test_import_page_lists_bad_rows_and_writes_nothing(client, world):
    login(client, "head")
    bad = [*GOOD, ["tomorrow", "放假", ""], [D(2027, 3, 1), "maybe", ""]]
    response = client.post("/calendar/2027/import/", {"file": xlsx(bad), "complete": "on"})
    assert response.status_code == 422
    assert [n for n, _r in response.context["row_errors"]] == [11, 12]
    assert not DayOverride.objects.filter(source="import").exists()
    assert not CalendarYear.objects.filter(fully_known=True, year=2027).exists()


@pytest.mark.parametrize("persona", ["manager", "analyst", "outsider"])
def test_import_page_refuses_other_roles(client, world, persona):
    login(client, persona)
    response = client.post("/calendar/2027/import/", {"file": xlsx(GOOD), "complete": "on"})
    assert response.status_code == 403
    assert not DayOverride.objects.exists()


def test_the_schedule_download_is_the_import_template(client, world):
    login(client, "head")
    response = client.get("/calendar/2026/schedule.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(HEADER)
    assert (dt.datetime(2026, 2, 14), "上班", "春节") in rows  # noqa: DTZ001 - Excel's dates
    # What it exports imports again as it is.
    upload = SimpleUploadedFile("2026.xlsx", response.content)
    assert len(read_schedule(upload, year=2026)) == len(rows) - 1
