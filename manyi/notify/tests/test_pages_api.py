"""The inbox, preferences and delivery-log pages, and the API: contract, wrong role, outsider."""

import datetime as dt

import pytest
from django.utils import translation
from django.utils.translation import gettext

from conftest import PASSWORD, assert_problem, auth, send
from manyi.notify import actions
from manyi.notify.models import Message, MessageStatus, Notification, Policy, Preference, Robot

pytestmark = pytest.mark.django_db


def _told(user, n=1):
    for i in range(n):
        actions.notify(kind="case_breach", users=[user], context={"number": f"N{i}", "stage": "s"})


def test_api_inbox_read_and_read_all(client, world, django_assert_max_num_queries):
    _told(world.tech, 3)
    _told(world.sales)
    headers = auth(world.tech)
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/notifications", **headers).json()
    assert body["unread"] == 3 and len(body["items"]) == 3 and body["next_cursor"] is None
    first = body["items"][0]
    assert set(first) == {"id", "kind", "title", "body", "url", "created_at", "read_at"}
    assert first["title"] == "N2 在“s”阶段已超时"
    read = send(client, "post", f"/api/v1/notifications/{first['id']}/read", headers)
    assert read.status_code == 200 and read.json()["read_at"]
    assert client.get("/api/v1/notifications?unread=true", **headers).json()["unread"] == 2
    other = Notification.objects.get(user=world.sales)
    assert_problem(
        send(client, "post", f"/api/v1/notifications/{other.pk}/read", headers), 404, "not-found"
    )
    assert send(client, "post", "/api/v1/notifications/read-all", headers).json() == {"read": 2}
    assert_problem(client.get("/api/v1/notifications"), 401, "unauthenticated")


def test_api_preferences_contract(client, world):
    headers = auth(world.tech)
    body = client.get("/api/v1/notification-preferences", **headers).json()
    assert body["language"] == "" and body["quiet_hours"] is True
    breach = next(k for k in body["kinds"] if k["kind"] == "case_breach")
    assert breach["channels"] == breach["default_channels"] == ["email", "wecom"]
    with translation.override("zh-hans"):
        assert breach["label"] == gettext("Deadline missed")
    payload = {"language": "en", "quiet_hours": False, "channels": {"case_breach": ["sms"]}}
    body = send(client, "put", "/api/v1/notification-preferences", headers, payload).json()
    breach = next(k for k in body["kinds"] if k["kind"] == "case_breach")
    assert breach["channels"] == ["sms"] and body["language"] == "en"
    pref = Preference.objects.get(user=world.tech)
    assert pref.channels == {"case_breach": ["sms"]} and pref.quiet_hours is False
    bad = {"channels": {"case_breach": ["fax"]}}
    problem = assert_problem(
        send(client, "put", "/api/v1/notification-preferences", headers, bad), 422
    )
    assert problem["errors"][0]["field"] == "channels"
    assert Preference.objects.get(user=world.tech).channels == {"case_breach": ["sms"]}


def test_api_delivery_log_is_for_staff_managers_of_the_company(client, world):
    mine = actions.send_sms(to="13800001111", body="a", company_id=world.company.pk)
    actions.send_sms(to="13800002222", body="b", company_id=world.other_company.pk)
    Message.objects.filter(pk=mine.pk).update(status=MessageStatus.FAILED, attempts=5)
    body = client.get("/api/v1/notification-messages?status=failed", **auth(world.head)).json()
    assert [m["id"] for m in body["items"]] == [mine.pk]
    assert body["items"][0]["status"] == "failed" and body["items"][0]["attempts"] == 5
    for user in (world.tech, world.outsider):
        assert_problem(client.get("/api/v1/notification-messages", **auth(user)), 403)
    retry = send(client, "post", f"/api/v1/notification-messages/{mine.pk}/retry", auth(world.head))
    assert retry.status_code == 200 and retry.json()["status"] == "queued"
    assert_problem(
        send(client, "post", f"/api/v1/notification-messages/{mine.pk}/retry", auth(world.head)),
        422,
    )
    other_head = auth(world.other_head)
    assert_problem(
        send(client, "post", f"/api/v1/notification-messages/{mine.pk}/retry", other_head), 404
    )


def test_preferences_page_saves_choices(client, world):
    assert client.login(username="tech", password=PASSWORD)
    page = client.get("/notifications/preferences/")
    assert page.status_code == 200 and "通知设置" in page.content.decode()
    response = client.post(
        "/notifications/preferences/",
        {"ch-case_breach": ["email", "sms"], "ch-action_assigned": [], "language": "en"},
    )
    assert response.status_code == 302
    pref = Preference.objects.get(user=world.tech)
    assert pref.channels["case_breach"] == ["email", "sms"]
    assert pref.channels["action_assigned"] == [] and pref.language == "en"
    assert pref.quiet_hours is False  # the box was not ticked
    client.post("/notifications/preferences/", {"language": "xx"})
    assert Preference.objects.get(user=world.tech).language == "en"  # refused, nothing written


def test_delivery_log_page_and_settings(client, world):
    actions.send_sms(to="13800001111", body="a", company_id=world.company.pk)
    assert client.login(username="head", password=PASSWORD)
    page = client.get("/notifications/messages/")
    assert page.status_code == 200 and "13800001111" in page.content.decode()
    client.post("/notifications/quiet-hours/", {"quiet_start": "22:00", "quiet_end": "07:00"})
    policy = Policy.objects.get(company=world.company)
    assert (policy.quiet_start, policy.quiet_end) == (dt.time(22, 0), dt.time(7, 0))
    client.post(
        f"/notifications/robots/{world.east1.pk}/",
        {"name": "徐汇群", "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=s"},
    )
    robot = Robot.objects.get(unit=world.east1)
    page = client.get("/notifications/messages/").content.decode()
    assert "徐汇群" in page and "key=s" not in page  # the key never shown
    assert client.post(f"/notifications/robots/{world.other_outlet.pk}/", {}).status_code == 404
    assert robot.company_id == world.company.pk


@pytest.mark.parametrize("username", ["tech", "outsider"])
def test_delivery_log_page_refuses_others(client, world, username):
    assert client.login(username=username, password=PASSWORD)
    assert client.get("/notifications/messages/").status_code in (403, 404)
    refused = client.post("/notifications/quiet-hours/", {"quiet_start": "", "quiet_end": ""})
    assert refused.status_code in (403, 404)
    assert not Policy.objects.exists()
