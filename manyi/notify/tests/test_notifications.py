"""Notifications: a breach reaches the responsible person and the managers once; reading."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from conftest import PASSWORD, fresh_user
from manyi.cases import actions as cases
from manyi.errors import NotFound
from manyi.notify import actions
from manyi.notify.models import Notification

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def late_case(world, make_customer):
    from manyi.workorders.actions import take_order

    staff = world.tech.staff
    staff.work_licence = True
    staff.save()
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=SH), tick=False):
        case = take_order(actor=world.sales, customer=make_customer(), site_address="徐汇区1号")
        return cases.assign(actor=world.rep, case=case, assignee=staff, version=1)


def test_breach_notifies_assignee_and_outlet_manager_once(world, late_case):
    with time_machine.travel(dt.datetime(2026, 3, 3, 9, 0, tzinfo=SH), tick=False):
        assert cases.sweep_breaches() == 1
        assert cases.sweep_breaches() == 0
    breached = Notification.objects.filter(kind="case_breach")
    recipients = set(breached.values_list("user__username", flat=True))
    assert recipients == {"tech", "manager"}  # east1's own manager, not the department head
    note = Notification.objects.get(user=world.tech, kind="case_breach")
    assert late_case.number in note.title and note.url == f"/cases/{late_case.pk}/"


def test_reading(client, world, late_case):
    with time_machine.travel(dt.datetime(2026, 3, 3, 9, 0, tzinfo=SH), tick=False):
        cases.sweep_breaches()
    note = Notification.objects.get(user=world.tech, kind="case_breach")
    assert client.login(username="tech", password=PASSWORD)
    assert 'data-testid="unread"' in client.get("/notifications/").content.decode()
    response = client.post(f"/notifications/{note.pk}/open/")
    assert response.status_code == 302 and response["Location"] == f"/cases/{late_case.pk}/"
    note.refresh_from_db()
    assert note.read_at is not None
    with pytest.raises(NotFound):  # someone else's notification
        actions.mark_read(actor=fresh_user(world.sales), notification_id=note.pk)
    other = Notification.objects.get(user=world.manager)
    actions.mark_all_read(actor=world.manager)
    other.refresh_from_db()
    assert other.read_at is not None


def test_inactive_users_are_not_notified(world):
    world.sales.is_active = False
    world.sales.save()
    assert actions.send(users=[world.sales, world.rep, world.rep], kind="x", title="t") == 1
