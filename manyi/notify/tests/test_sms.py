"""Outbound text messages: logged in the sender's transaction, delivered after commit."""

import json

import pytest
from django.db import transaction

from manyi.notify import sms
from manyi.notify.actions import deliver_message, send_sms
from manyi.notify.models import Message, MessageStatus

pytestmark = pytest.mark.django_db


def test_message_is_delivered_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = send_sms(to=" 13800001111 ", body="您的投诉已受理", ref="TS-2026-000001")
        assert sms.outbox == []  # nothing leaves before the transaction commits
    message.refresh_from_db()
    assert sms.outbox == [("13800001111", "您的投诉已受理")]
    assert (message.status, message.attempts, message.ref) == (
        MessageStatus.SENT,
        1,
        "TS-2026-000001",
    )
    assert message.sent_at is not None


def test_rolled_back_action_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                send_sms(to="13800001111", body="x")
                raise RuntimeError("the action failed")
        except RuntimeError:
            pass
    assert sms.outbox == []
    assert not Message.objects.exists()


def test_delivering_twice_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = send_sms(to="13800001111", body="x")
    assert deliver_message(message.pk) == MessageStatus.SENT
    assert len(sms.outbox) == 1


def test_provider_refusal_is_recorded(monkeypatch, django_capture_on_commit_callbacks):
    def refuse(to, body):
        raise sms.SmsError("quota exceeded")

    monkeypatch.setattr(sms, "deliver", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        message = send_sms(to="13800001111", body="x")
    message.refresh_from_db()
    # logged, and queued for a retry a minute later (test_delivery follows it to the end)
    assert (message.status, message.last_error) == (MessageStatus.QUEUED, "quota exceeded")
    assert message.attempts == 1 and message.next_attempt_at is not None


def test_file_backend_appends_json_lines(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MANYI_SMS_BACKEND = "file"
    settings.MANYI_SMS_FILE = str(tmp_path / "sms" / "out.jsonl")
    with django_capture_on_commit_callbacks(execute=True):
        send_sms(to="13800001111", body="验证码 123456")
        send_sms(to="13900002222", body="second")
    lines = (tmp_path / "sms" / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["to"] for line in lines] == ["13800001111", "13900002222"]
    assert json.loads(lines[0])["body"] == "验证码 123456"
