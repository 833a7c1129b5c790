"""notify(): routing by preference, templates per language, quiet hours, retries, the sweep,
the SMS HTTP adapter and WeCom robots against a local fake provider."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from manyi.errors import InvalidInput, NotFound, OutOfScope
from manyi.notify import actions, sms
from manyi.notify.actions import notify, save_preferences, sweep_messages
from manyi.notify.models import Message, MessageStatus, Notification, Policy, Robot, Template

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
DAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SH)  # a Monday morning
NIGHT = dt.datetime(2026, 3, 2, 22, 30, tzinfo=SH)


@pytest.fixture
def people(world):
    """The technician with an e-mail address and a mobile number."""
    tech = world.tech
    tech.email = "tech@example.com"
    tech.save(update_fields=["email"])
    tech.staff.phone = "13800001111"
    tech.staff.save(update_fields=["phone"])
    return world


def _notify(user, kind="case_breach", urgent=False, **extra):
    with transaction.atomic():
        return notify(
            kind=kind,
            users=[user],
            context={"number": "GD-2026-000001", "stage": "上门"},
            url="/cases/1/",
            urgent=urgent,
            **extra,
        )


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the after-commit enqueueing (the test database never commits)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@time_machine.travel(DAY, tick=False)
def test_kind_defaults_reach_inbox_and_email(people, run_on_commit):
    assert run_on_commit(_notify, people.tech) == 1
    note = Notification.objects.get(user=people.tech)
    assert note.title == "GD-2026-000001 在“上门”阶段已超时"  # Chinese: the site's language
    [email] = Message.objects.filter(channel="email")
    assert (email.status, email.to, email.attempts) == (MessageStatus.SENT, "tech@example.com", 1)
    assert mail.outbox[0].subject == note.title
    assert "http" in mail.outbox[0].body and "/cases/1/" in mail.outbox[0].body
    assert not Message.objects.filter(channel="sms").exists()  # not a default of this kind


@time_machine.travel(DAY, tick=False)
def test_preferences_choose_channels_and_language(people, run_on_commit, settings):
    save_preferences(actor=people.tech, channels={"case_breach": ["sms"]}, language="en")
    run_on_commit(_notify, people.tech)
    note = Notification.objects.get(user=people.tech)
    assert note.title == "GD-2026-000001 missed its deadline at stage 上门"
    assert sms.outbox == [("13800001111", f"{note.title} {settings.MANYI_PUBLIC_URL}/cases/1/")]
    assert mail.outbox == []  # e-mail switched off for this kind
    save_preferences(actor=people.tech, channels={"case_breach": []})
    run_on_commit(_notify, people.tech)
    assert Notification.objects.filter(user=people.tech).count() == 2  # the inbox always
    assert len(sms.outbox) == 1


def test_preferences_refuse_unknown_kinds_and_channels(people):
    with pytest.raises(InvalidInput):
        save_preferences(actor=people.tech, channels={"nonsense": ["email"]})
    with pytest.raises(InvalidInput):
        save_preferences(actor=people.tech, channels={"case_breach": ["fax"]})
    with pytest.raises(InvalidInput):
        save_preferences(actor=people.tech, channels={}, language="fr")


@time_machine.travel(DAY, tick=False)
def test_company_template_overrides_wording(people, run_on_commit):
    Template.objects.create(
        company=people.company,
        kind="case_breach",
        language="zh-hans",
        subject="【超时】%(number)s %(missing)s",
        body="请尽快处理 %(stage)s",
    )
    run_on_commit(_notify, people.tech)
    note = Notification.objects.get(user=people.tech)
    assert (note.title, note.body) == ("【超时】GD-2026-000001 ", "请尽快处理 上门")


def test_rolled_back_caller_tells_nobody(people, run_on_commit):
    def failing():
        with transaction.atomic():
            _notify(people.tech)
            raise RuntimeError("the action failed")

    with pytest.raises(RuntimeError):
        run_on_commit(failing)
    assert not Notification.objects.exists() and not Message.objects.exists()
    assert mail.outbox == []


def test_inactive_and_duplicate_recipients(people):
    people.sales.is_active = False
    people.sales.save()
    assert notify(kind="x", users=[people.sales, people.rep, people.rep, None], title="t") == 1


# -- quiet hours ------------------------------------------------------------------------------


def test_quiet_hours_hold_until_morning_then_release(people, run_on_commit):
    save_preferences(actor=people.tech, channels={"case_breach": ["email", "sms"]})
    with time_machine.travel(NIGHT, tick=False):
        run_on_commit(_notify, people.tech)
        assert Notification.objects.filter(user=people.tech).exists()  # the inbox at once
        held = list(Message.objects.order_by("channel"))
        assert [m.status for m in held] == [MessageStatus.HELD] * 2
        assert held[0].next_attempt_at == dt.datetime(2026, 3, 3, 8, 0, tzinfo=SH)
        assert sweep_messages() == 0
    assert mail.outbox == [] and sms.outbox == []
    with time_machine.travel(dt.datetime(2026, 3, 3, 7, 59, tzinfo=SH), tick=False):
        assert sweep_messages() == 0
    with time_machine.travel(dt.datetime(2026, 3, 3, 8, 0, tzinfo=SH), tick=False):
        assert sweep_messages() == 2
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1


def test_urgent_and_opted_out_are_not_held(people, run_on_commit):
    with time_machine.travel(NIGHT, tick=False):
        run_on_commit(_notify, people.tech, urgent=True)
        assert Message.objects.get().status == MessageStatus.SENT
        save_preferences(actor=people.tech, channels={}, quiet_hours=False)
        run_on_commit(_notify, people.tech)
    assert len(mail.outbox) == 2


def test_company_quiet_hours_are_configurable(people, run_on_commit):
    actions.set_quiet_hours(actor=people.head, start=dt.time(12, 0), end=dt.time(13, 30))
    with time_machine.travel(dt.datetime(2026, 3, 2, 12, 15, tzinfo=SH), tick=False):
        run_on_commit(_notify, people.tech)
    message = Message.objects.get()
    assert message.next_attempt_at == dt.datetime(2026, 3, 2, 13, 30, tzinfo=SH)
    with time_machine.travel(NIGHT, tick=False):  # no longer quiet at night
        run_on_commit(_notify, people.tech)
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 1
    actions.set_quiet_hours(actor=people.head, start=None, end=None)
    assert Policy.objects.get(company=people.company).quiet_until(NIGHT) is None
    with pytest.raises(InvalidInput):
        actions.set_quiet_hours(actor=people.head, start=dt.time(12, 0), end=None)


# -- retries ------------------------------------------------------------------------------------


def test_failure_is_retried_with_backoff_then_sent(people, monkeypatch, run_on_commit):
    calls = []

    def flaky(to, body):
        calls.append(to)
        if len(calls) < 3:
            raise sms.SmsError("gateway busy")
        sms.outbox.append((to, body))

    monkeypatch.setattr(sms, "deliver", flaky)
    save_preferences(actor=people.tech, channels={"case_breach": ["sms"]})
    with time_machine.travel(DAY, tick=False):
        run_on_commit(_notify, people.tech)
        message = Message.objects.get()
        assert (message.status, message.attempts, message.last_error) == (
            MessageStatus.QUEUED,
            1,
            "gateway busy",
        )
        assert message.next_attempt_at == DAY + dt.timedelta(minutes=1)
        # a stray task before its time does nothing
        assert actions.deliver_message(message.pk) == MessageStatus.QUEUED
    # the deferred task was lost (the test backend cannot defer): the sweep sends it once due
    with time_machine.travel(DAY + dt.timedelta(minutes=5), tick=False):
        assert sweep_messages() == 0  # still within the grace for its own task
    with time_machine.travel(DAY + dt.timedelta(minutes=6), tick=False):
        assert sweep_messages() == 1
    message.refresh_from_db()
    assert (message.attempts, message.status) == (2, MessageStatus.QUEUED)
    assert message.next_attempt_at == DAY + dt.timedelta(minutes=6 + 5)
    with time_machine.travel(DAY + dt.timedelta(minutes=20), tick=False):
        assert sweep_messages() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 3, "")
    assert len(sms.outbox) == 1
    assert actions.deliver_message(message.pk) == MessageStatus.SENT  # never twice
    assert len(sms.outbox) == 1


def test_final_failure_after_max_attempts_and_manual_retry(people, monkeypatch, run_on_commit):
    def refuse(to, body):
        raise sms.SmsError("quota exceeded")

    monkeypatch.setattr(sms, "deliver", refuse)
    with time_machine.travel(DAY, tick=False):
        message = run_on_commit(
            actions.send_sms, to="13800001111", body="x", company_id=people.company.pk
        )
    moment = DAY
    for _attempt in range(actions.MAX_ATTEMPTS - 1):
        message.refresh_from_db()
        moment = message.next_attempt_at
        with time_machine.travel(moment, tick=False):
            actions.deliver_message(message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, actions.MAX_ATTEMPTS)
    assert message.next_attempt_at is None and message.last_error == "quota exceeded"
    assert moment == DAY + dt.timedelta(minutes=1 + 5 + 25 + 125)
    with time_machine.travel(moment + dt.timedelta(days=1), tick=False):
        assert sweep_messages() == 0  # failed for good: only a person sends it again
    with pytest.raises(OutOfScope):
        actions.retry_message(actor=people.tech, message_id=message.pk)
    with pytest.raises(NotFound):  # another company's message
        actions.retry_message(actor=people.other_head, message_id=message.pk)
    run_on_commit(actions.retry_message, actor=people.head, message_id=message.pk)
    message.refresh_from_db()  # a fresh round: refused again, first retry scheduled
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 1)
    with pytest.raises(InvalidInput):  # only a failed message
        actions.retry_message(actor=people.head, message_id=message.pk)


def test_lost_task_and_dead_worker_are_swept(people):
    with time_machine.travel(DAY, tick=False):
        # queued but its task never ran (no on-commit here: the worker crashed before it)
        actions.send_sms(to="13800001111", body="lost")
        dead = actions.send_sms(to="13900002222", body="dead")
        Message.objects.filter(pk=dead.pk).update(
            status=MessageStatus.SENDING, claimed_at=DAY, attempts=1
        )
    with time_machine.travel(DAY + dt.timedelta(minutes=20), tick=False):
        assert sweep_messages() == 2
    assert sorted(sms.outbox) == [("13800001111", "lost"), ("13900002222", "dead")]
    assert Message.objects.get(pk=dead.pk).attempts == 2


# -- the HTTP adapter and WeCom against a local fake provider -------------------------------


def test_http_sms_adapter_posts_json_with_key(settings, provider, run_on_commit):
    settings.MANYI_SMS_BACKEND = "http"
    settings.MANYI_SMS_URL = provider.url + "/sms"
    settings.MANYI_SMS_KEY = "k-123"
    message = run_on_commit(actions.send_sms, to="13800001111", body="您好", ref="GD-1")
    [request] = provider.requests
    assert request["path"] == "/sms" and request["json"] == {"to": "13800001111", "body": "您好"}
    assert request["headers"]["Authorization"] == "Bearer k-123"
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_http_sms_adapter_non_2xx_and_timeout_fail(settings, provider, run_on_commit):
    settings.MANYI_SMS_BACKEND = "http"
    settings.MANYI_SMS_URL = provider.url + "/sms"
    settings.MANYI_NOTIFY_HTTP_TIMEOUT = 1
    provider.answers = [(503, {"error": "busy"})]
    refused = run_on_commit(actions.send_sms, to="13800001111", body="a")
    refused.refresh_from_db()
    assert (refused.status, refused.last_error) == (MessageStatus.QUEUED, "HTTP 503")
    provider.answers = [(200, {})]
    provider.delay = 1.5
    slow = run_on_commit(actions.send_sms, to="13800001111", body="b")
    slow.refresh_from_db()
    assert slow.status == MessageStatus.QUEUED and slow.last_error.startswith("unreachable")


def test_wecom_group_post_mentions_people_and_checks_errcode(people, provider, run_on_commit):
    robot = actions.set_robot(
        actor=people.head, unit=people.east, name="华东群", webhook_url=provider.url + "/r?key=x"
    )
    save_preferences(actor=people.tech, channels={"case_breach": ["wecom"]})
    with time_machine.travel(DAY, tick=False):
        run_on_commit(
            notify,
            kind="case_breach",
            users=[people.tech],
            unit=people.east1,
            context={"number": "GD-2026-000001", "stage": "上门"},
            url="/cases/1/",
        )
    [request] = provider.requests  # one group post, mentioning the technician
    assert request["path"] == "/r?key=x"
    body = request["json"]
    assert body["msgtype"] == "text"
    assert body["text"]["mentioned_mobile_list"] == ["13800001111"]
    assert body["text"]["content"].startswith("GD-2026-000001 在“上门”阶段已超时")
    message = Message.objects.get(channel="wecom")
    assert (message.status, message.robot_id) == (MessageStatus.SENT, robot.pk)
    provider.answers = [(200, {"errcode": 45009, "errmsg": "api freq out of limit"})]
    with time_machine.travel(DAY, tick=False):
        run_on_commit(
            notify, kind="case_breach", users=[], unit=people.east2, context={"number": "N2"}
        )
    failed = Message.objects.filter(channel="wecom").latest("id")
    assert failed.status == MessageStatus.QUEUED and "45009" in failed.last_error


def test_robot_settings_need_a_staff_manager(people):
    with pytest.raises(OutOfScope):
        actions.set_robot(actor=people.tech, unit=people.east, name="x", webhook_url="https://a")
    with pytest.raises(InvalidInput):
        actions.set_robot(actor=people.head, unit=people.east, name="x", webhook_url="ftp://a")
    actions.set_robot(actor=people.head, unit=people.east, name="x", webhook_url="https://a/b")
    actions.set_robot(actor=people.head, unit=people.east, name="x", webhook_url="")
    assert not Robot.objects.exists()


@time_machine.travel(DAY, tick=False)
def test_notifying_many_people_costs_the_same_queries(people, django_assert_max_num_queries):
    for user in (people.manager, people.sales, people.rep, people.head):
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])
    actions.set_robot(actor=people.head, unit=people.east, name="群", webhook_url="https://a/b")
    users = [people.tech, people.manager, people.sales, people.rep, people.head]
    with django_assert_max_num_queries(8):
        told = notify(
            kind="case_breach",
            users=users,
            unit=people.east1,
            context={"number": "N", "stage": "s"},
        )
    assert told == 5
    assert Message.objects.filter(channel="email").count() == 5
    assert Message.objects.filter(channel="wecom").count() == 1  # one group post
