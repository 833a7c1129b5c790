"""The weekly report: per unit a PDF and an Excel of the week just ended, stored through the
storage API, its manager told with a download link — once per unit and week."""

from __future__ import annotations

import time_machine

from conftest import PASSWORD
from manyi.complaints.tests import conftest as complaint_fixtures

at = complaint_fixtures.at
tech = complaint_fixtures.tech
rule = complaint_fixtures.rule
customer = complaint_fixtures.customer
take = complaint_fixtures.take


def test_reports_are_sent_once_per_unit_and_week(world, take):
    from django.core.files.storage import default_storage

    from manyi.insights.models_loop import WeeklyReport
    from manyi.insights.weekly import send_all
    from manyi.notify.models import Notification

    world.manager.email = "manager@example.com"
    world.manager.save(update_fields=["email"])
    with time_machine.travel(at(2026, 11, 17, 10, 0), tick=False):
        take(description="墙面起泡")
    with time_machine.travel(at(2026, 11, 23, 8, 0), tick=False):
        sent = send_all()
        again = send_all()
    # each company (to its department head) and east-1 and south-1 (their outlet managers)
    assert sent == 4
    assert again == 0
    reports = {r.unit_id: r for r in WeeklyReport.objects.all()}
    assert set(reports) == {
        world.company.pk,
        world.east1.pk,
        world.south1.pk,
        world.other_company.pk,
    }
    east = reports[world.east1.pk]
    assert str(east.week) == "2026-11-16"
    assert east.sent_at is not None and east.recipients == 1
    assert default_storage.exists(east.pdf) and default_storage.exists(east.xlsx)
    assert default_storage.open(east.pdf).read(4) == b"%PDF"
    from openpyxl import load_workbook

    book = load_workbook(default_storage.open(east.xlsx))
    # the cockpit's indicators of the week, then the week's figures and loop closure
    assert book.sheetnames[:3] == ["指标", "本周", "闭环管理"]
    labels = [row[0] for row in book["本周"].iter_rows(values_only=True)]
    from django.utils import translation

    with translation.override("zh-hans"):
        assert translation.gettext("Complaints received") in labels
    told = Notification.objects.filter(user=world.manager, kind="weekly_report")
    assert told.count() == 1
    assert told.get().url == f"/insights/weekly-reports/{east.pk}/pdf/"
    # and by e-mail (the kind's default channel), with the link to the PDF
    from manyi.notify.models import Channel, Message

    mailed = Message.objects.get(channel=Channel.EMAIL, to="manager@example.com")
    assert f"/insights/weekly-reports/{east.pk}/pdf/" in mailed.body


def test_the_week_counts_its_complaint(world, take):
    from manyi.insights.weekly import summary

    with time_machine.travel(at(2026, 11, 17, 10, 0), tick=False):
        take(description="墙面起泡")
    import datetime as dt

    s = summary(world.east1, dt.date(2026, 11, 16))
    assert s.complaints == 1
    assert s.loop_total.signals == 1 and s.loop_total.open == 1
    other = summary(world.south1, dt.date(2026, 11, 16))
    assert other.complaints == 0 and other.loop_total.signals == 0


def test_manager_downloads_their_report_and_not_anothers(client, world, take):
    from manyi.insights.models_loop import WeeklyReport
    from manyi.insights.weekly import send_all

    with time_machine.travel(at(2026, 11, 23, 8, 0), tick=False):
        send_all()
    east = WeeklyReport.objects.get(unit=world.east1)
    south = WeeklyReport.objects.get(unit=world.south1)
    client.login(username="manager", password=PASSWORD)
    response = client.get(f"/insights/weekly-reports/{east.pk}/xlsx/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert client.get(f"/insights/weekly-reports/{south.pk}/pdf/").status_code == 404
    assert client.get(f"/insights/weekly-reports/{east.pk}/exe/").status_code == 404
    listing = client.get("/insights/weekly-reports/")
    assert listing.status_code == 200
    assert "2026-11-16" in listing.content.decode()
    client.login(username="tech", password=PASSWORD)
    assert client.get(f"/insights/weekly-reports/{east.pk}/pdf/").status_code in (403, 404)


def test_the_ticker_schedules_the_weekly_reports():
    from manyi.periodic import SCHEDULE, load

    entry = next(p for p in SCHEDULE if p.task.endswith(":send_weekly_reports"))
    assert load(entry.task) is not None
